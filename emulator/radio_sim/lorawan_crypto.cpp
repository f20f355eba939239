// lorawan_crypto.cpp: AES-128 single blocks and AES-CMAC over OpenSSL 3's EVP interfaces.
//
// The cipher and the MAC algorithm are fetched once per process and shared (fetched
// objects are immutable and safe to use from several threads); each call has its own
// short-lived context, so the functions are thread-safe. OpenSSL's deprecated AES_* and
// CMAC_* functions are not used.
#include "usocket/sim/lorawan_crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace usocket::sim::lorawan {
namespace {

// OpenSSL's names of the algorithms (default provider).
constexpr const char* ecb_cipher_name = "AES-128-ECB";
constexpr const char* cmac_name = "CMAC";

struct cipher_ctx_free {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

struct mac_ctx_free {
    void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};
using mac_ctx = std::unique_ptr<EVP_MAC_CTX, mac_ctx_free>;

[[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string("OpenSSL: ") + what); }

/// AES-128-ECB, fetched once. Deliberately never freed: it lives as long as the process.
const EVP_CIPHER* ecb_cipher() {
    static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, ecb_cipher_name, nullptr);
    if (cipher == nullptr) {
        fail("AES-128-ECB is not available");
    }
    return cipher;
}

/// The CMAC algorithm, fetched once and never freed.
EVP_MAC* cmac_algorithm() {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, cmac_name, nullptr);
    if (mac == nullptr) {
        fail("CMAC is not available");
    }
    return mac;
}

aes_block aes_ecb(const aes_key& key, const aes_block& in, bool encrypting) {
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_CipherInit_ex2(ctx.get(), ecb_cipher(), key.data(), nullptr, encrypting ? 1 : 0, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
        fail("could not set up AES-128");
    }
    aes_block out{};
    int written = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) != 1 ||
        written != static_cast<int>(out.size())) {
        fail("AES-128 failed");
    }
    return out;
}

}  // namespace

aes_block aes_encrypt(const aes_key& key, const aes_block& block) { return aes_ecb(key, block, true); }

aes_block aes_decrypt(const aes_key& key, const aes_block& block) { return aes_ecb(key, block, false); }

aes_block aes_cmac(const aes_key& key, byte_view message) {
    mac_ctx ctx(EVP_MAC_CTX_new(cmac_algorithm()));
    // CMAC runs on the CBC cipher. OSSL_PARAM takes a non-const char*; OpenSSL only reads it.
    char cipher_name[] = "AES-128-CBC";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) {
        fail("could not set up AES-CMAC");
    }
    if (!message.empty() && EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1) {
        fail("AES-CMAC update failed");
    }
    aes_block tag{};
    std::size_t written = 0;
    if (EVP_MAC_final(ctx.get(), tag.data(), &written, tag.size()) != 1 || written != tag.size()) {
        fail("AES-CMAC failed");
    }
    return tag;
}

}  // namespace usocket::sim::lorawan
