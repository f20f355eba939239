// crypto.cpp: AES for the device's crypto module, over OpenSSL.
//
// Pycom's moducrypto.c drives the ESP32's AES engine through ESP-IDF 3.3's hwcrypto/aes.c,
// whose CBC, CFB and CTR functions keep their state (IV, counter, keystream offset) in the
// caller's object, shared by encrypt() and decrypt(). OpenSSL's mode contexts keep that state
// privately and per direction, so only the block cipher comes from OpenSSL (one ECB context
// per direction) and the modes are written out here with the firmware's state handling.
//
// The RSA functions follow moducrypto.c's mbedtls calls; where they fail, the firmware prints
// mbedtls 2.16's error codes, which are reproduced for the failures a script can cause.
#include "usocket/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace usocket {
namespace {

using block = std::array<std::uint8_t, aes_cipher::block_size>;

// The firmware's messages (moducrypto.c, AES_make_new and aes_do_*).
constexpr const char* bad_key_length = "AES key must be either 16, 24, or 32 bytes long";
constexpr const char* bad_iv_length = "IV must be 16 bytes long";
constexpr const char* bad_counter_length = "Initial counter value must be 16 bytes long";
constexpr const char* counter_outside_ctr = "'counter' parameter only useful with CTR mode";
constexpr const char* bad_segment_size = "segment_size must be 8 or 128";
constexpr const char* bad_input_length = "Input strings must be a multiple of 16 in length";

// mbedtls 2.16 (ESP-IDF 3.3) error codes that moducrypto.c's RSA functions print.
constexpr int mbedtls_err_pk_type_mismatch = -0x3F00;
constexpr int mbedtls_err_pk_key_invalid_format = -0x3D00;
constexpr int mbedtls_err_asn1_out_of_data = -0x0060;
constexpr int mbedtls_err_asn1_unexpected_tag = -0x0062;
constexpr int mbedtls_err_pk_unknown_pk_alg = -0x3C80;
constexpr int mbedtls_err_pk_password_required = -0x3C00;
constexpr int mbedtls_err_rsa_bad_input_data = -0x4080;
constexpr int mbedtls_err_rsa_invalid_padding = -0x4100;
constexpr int mbedtls_err_rsa_private_failed = -0x4304;  // RSA_PRIVATE_FAILED + MPI_BAD_INPUT_DATA
constexpr int mbedtls_err_rsa_output_too_large = -0x4400;
constexpr int mbedtls_err_ecp_bad_input_data = -0x4F80;

// PKCS#1 v1.5 (RFC 8017 §7.2, §9.2): 11 bytes of padding overhead, at least 8 of them random,
// and the DER DigestInfo prefix of a SHA-256 digest is 19 bytes.
constexpr std::size_t pkcs1_overhead = 11;
constexpr std::size_t pkcs1_min_padding = 8;
constexpr std::size_t sha256_digest_info_size = 19 + 32;

// moducrypto.c gives mbedtls_pk_encrypt/decrypt an output buffer of the input length + 256.
constexpr std::size_t rsa_output_slack = 256;

struct cipher_ctx_free {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

struct pkey_free {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct pkey_ctx_free {
    void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
};
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_free>;

struct md_ctx_free {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;

struct bio_free {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
using bio_ptr = std::unique_ptr<BIO, bio_free>;

const std::uint8_t* bytes_of(std::string_view s) noexcept {
    return reinterpret_cast<const std::uint8_t*>(s.data());
}

std::uint8_t* bytes_of(std::string& s) noexcept { return reinterpret_cast<std::uint8_t*>(s.data()); }

/// A C string's view: what the firmware's strlen() sees of a MicroPython str.
std::string_view c_string(std::string_view s) noexcept { return s.substr(0, s.find('\0')); }

const EVP_CIPHER* ecb_cipher(std::size_t key_size) noexcept {
    switch (key_size) {
    case 16: return EVP_aes_128_ecb();
    case 24: return EVP_aes_192_ecb();
    case 32: return EVP_aes_256_ecb();
    default: return nullptr;
    }
}

/// An ECB context of one direction without padding: AES on whole blocks.
cipher_ctx make_ecb(const EVP_CIPHER* cipher, std::string_view key, bool encrypting) {
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, bytes_of(key), nullptr, encrypting ? 1 : 0) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
        throw std::runtime_error("OpenSSL could not set up AES");
    }
    return ctx;
}

/// Runs whole blocks through an ECB context.
void run_blocks(EVP_CIPHER_CTX* ctx, const std::uint8_t* in, std::uint8_t* out, std::size_t size) {
    constexpr std::size_t max_chunk = (INT_MAX / aes_cipher::block_size) * aes_cipher::block_size;
    while (size > 0) {
        const std::size_t chunk = std::min(size, max_chunk);
        int written = 0;
        if (EVP_CipherUpdate(ctx, out, &written, in, static_cast<int>(chunk)) != 1 ||
            static_cast<std::size_t>(written) != chunk) {
            throw std::runtime_error("OpenSSL AES failed");
        }
        in += chunk;
        out += chunk;
        size -= chunk;
    }
}

/// Big-endian increment of the whole 128-bit counter block, as esp_aes_crypt_ctr does.
void increment_counter(block& counter) noexcept {
    for (std::size_t i = counter.size(); i > 0; --i) {
        if (++counter[i - 1] != 0) {
            break;
        }
    }
}

}  // namespace

struct aes_cipher::impl {
    aes_mode mode;
    int segment_bits;
    cipher_ctx encryptor;
    cipher_ctx decryptor;
    block iv{};       ///< the CBC/CFB IV, or the CTR counter (the firmware's union u)
    block stream{};   ///< CTR: the current keystream block
    std::size_t offset = 0;  ///< CFB-128 and CTR: position in the current block

    void encrypt_block(const std::uint8_t* in, std::uint8_t* out) const {
        run_blocks(encryptor.get(), in, out, block_size);
    }

    std::string crypt(std::string_view input, bool encrypting);
    void cbc(const std::uint8_t* in, std::uint8_t* out, std::size_t size, bool encrypting);
    void cfb128(const std::uint8_t* in, std::uint8_t* out, std::size_t size, bool encrypting);
    void cfb8(const std::uint8_t* in, std::uint8_t* out, std::size_t size, bool encrypting);
    void ctr(const std::uint8_t* in, std::uint8_t* out, std::size_t size);
};

std::string aes_cipher::impl::crypt(std::string_view input, bool encrypting) {
    std::string output(input.size(), '\0');
    const std::uint8_t* in = bytes_of(input);
    std::uint8_t* out = bytes_of(output);
    switch (mode) {
    case aes_mode::ecb:
        if (input.size() % block_size != 0) {
            throw std::invalid_argument(bad_input_length);
        }
        run_blocks(encrypting ? encryptor.get() : decryptor.get(), in, out, input.size());
        break;
    case aes_mode::cbc:
        if (input.size() % block_size != 0) {  // esp_aes_crypt_cbc: ERR_ESP_AES_INVALID_INPUT_LENGTH
            throw std::invalid_argument(bad_input_length);
        }
        cbc(in, out, input.size(), encrypting);
        break;
    case aes_mode::cfb:
        if (segment_bits == segment_128) {
            cfb128(in, out, input.size(), encrypting);
        } else {
            cfb8(in, out, input.size(), encrypting);
        }
        break;
    case aes_mode::ctr:
        ctr(in, out, input.size());
        break;
    }
    return output;
}

void aes_cipher::impl::cbc(const std::uint8_t* in, std::uint8_t* out, std::size_t size, bool encrypting) {
    if (encrypting) {
        for (std::size_t at = 0; at < size; at += block_size) {
            block mixed;
            for (std::size_t i = 0; i < block_size; ++i) {
                mixed[i] = static_cast<std::uint8_t>(in[at + i] ^ iv[i]);
            }
            encrypt_block(mixed.data(), out + at);
            std::copy_n(out + at, block_size, iv.begin());
        }
        return;
    }
    // Decrypting, blocks are independent: one bulk pass, then the chaining XOR.
    if (size == 0) {
        return;
    }
    const block last_cipher_block = [&] {
        block b;
        std::copy_n(in + size - block_size, block_size, b.begin());
        return b;
    }();
    run_blocks(decryptor.get(), in, out, size);
    for (std::size_t at = size; at > 0; at -= block_size) {
        const std::uint8_t* previous = at == block_size ? iv.data() : in + at - 2 * block_size;
        for (std::size_t i = 0; i < block_size; ++i) {
            out[at - block_size + i] = static_cast<std::uint8_t>(out[at - block_size + i] ^ previous[i]);
        }
    }
    iv = last_cipher_block;
}

void aes_cipher::impl::cfb128(const std::uint8_t* in, std::uint8_t* out, std::size_t size, bool encrypting) {
    for (std::size_t i = 0; i < size; ++i) {
        if (offset == 0) {
            encrypt_block(iv.data(), iv.data());
        }
        const std::uint8_t c = in[i];
        out[i] = static_cast<std::uint8_t>(c ^ iv[offset]);
        iv[offset] = encrypting ? out[i] : c;  // the IV collects the ciphertext either way
        offset = (offset + 1) % block_size;
    }
}

void aes_cipher::impl::cfb8(const std::uint8_t* in, std::uint8_t* out, std::size_t size, bool encrypting) {
    for (std::size_t i = 0; i < size; ++i) {
        block keystream;
        encrypt_block(iv.data(), keystream.data());
        const std::uint8_t c = in[i];
        out[i] = static_cast<std::uint8_t>(keystream[0] ^ c);
        std::copy(iv.begin() + 1, iv.end(), iv.begin());  // shift in one ciphertext byte
        iv[block_size - 1] = encrypting ? out[i] : c;
    }
}

void aes_cipher::impl::ctr(const std::uint8_t* in, std::uint8_t* out, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
        if (offset == 0) {
            encrypt_block(iv.data(), stream.data());
            increment_counter(iv);
        }
        out[i] = static_cast<std::uint8_t>(in[i] ^ stream[offset]);
        offset = (offset + 1) % block_size;
    }
}

aes_cipher::aes_cipher(std::string_view key, int mode, std::optional<std::string_view> iv,
                       std::optional<std::string_view> counter, int segment_size) {
    const EVP_CIPHER* cipher = ecb_cipher(key.size());
    if (cipher == nullptr) {
        throw std::invalid_argument(bad_key_length);
    }
    switch (static_cast<aes_mode>(mode)) {
    case aes_mode::ecb:
    case aes_mode::cbc:
    case aes_mode::cfb:
    case aes_mode::ctr:
        break;
    default:
        throw std::invalid_argument(fmt::format("Unknown cipher feedback mode {}", mode));
    }
    const auto m = static_cast<aes_mode>(mode);

    auto state = std::make_unique<impl>();
    state->mode = m;
    // The IV is read in CBC and CFB only; absent, it stays zero (the object is zeroed).
    if (m != aes_mode::ecb && m != aes_mode::ctr && iv) {
        if (iv->size() != block_size) {
            throw std::invalid_argument(bad_iv_length);
        }
        std::copy_n(bytes_of(*iv), block_size, state->iv.begin());
    }
    if (m == aes_mode::ctr) {
        if (!counter || counter->size() != block_size) {
            throw std::invalid_argument(bad_counter_length);
        }
        std::copy_n(bytes_of(*counter), block_size, state->iv.begin());
    } else if (counter) {
        throw std::invalid_argument(counter_outside_ctr);
    }
    state->segment_bits = segment_size == segment_default ? segment_8 : segment_size;
    if (m == aes_mode::cfb && state->segment_bits != segment_8 && state->segment_bits != segment_128) {
        throw std::invalid_argument(bad_segment_size);
    }
    if (m != aes_mode::cfb) {
        state->segment_bits = segment_8;
    }
    state->encryptor = make_ecb(cipher, key, true);
    state->decryptor = make_ecb(cipher, key, false);
    impl_ = std::move(state);
}

aes_cipher::~aes_cipher() = default;
aes_cipher::aes_cipher(aes_cipher&&) noexcept = default;
aes_cipher& aes_cipher::operator=(aes_cipher&&) noexcept = default;

std::string aes_cipher::encrypt(std::string_view plaintext) { return impl_->crypt(plaintext, true); }

std::string aes_cipher::decrypt(std::string_view ciphertext) { return impl_->crypt(ciphertext, false); }

aes_mode aes_cipher::mode() const noexcept { return impl_->mode; }

int aes_cipher::segment_size() const noexcept { return impl_->segment_bits; }

// ---------------------------------------------------------------------------------------------
// RSA (moducrypto.c: mod_crypt_generate_rsa_signature, mod_crypt_rsa_encrypt, mod_crypt_rsa_decrypt)
// ---------------------------------------------------------------------------------------------

namespace {

constexpr std::string_view pem_public_key = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view pem_rsa_public_key = "-----BEGIN RSA PUBLIC KEY-----";

/// The password callback for encrypted keys: none is given (moducrypto.c passes NULL, 0).
int no_password(char*, int, int, void*) { return -1; }

bio_ptr memory_bio(std::string_view text) {
    bio_ptr bio(BIO_new_mem_buf(text.data(), static_cast<int>(std::min<std::size_t>(text.size(), INT_MAX))));
    if (!bio) {
        throw std::runtime_error("OpenSSL could not read the key");
    }
    return bio;
}

/// mbedtls_pk_parse_key of a PEM private key: the key, or the mbedtls error code.
std::pair<pkey_ptr, int> parse_private_key(std::string_view pem) {
    const bio_ptr bio = memory_bio(pem);
    pkey_ptr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
    if (!key) {
        const bool encrypted = pem.find("ENCRYPTED") != std::string_view::npos;
        return {nullptr, encrypted ? mbedtls_err_pk_password_required : mbedtls_err_pk_key_invalid_format};
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) {
        return {nullptr, mbedtls_err_pk_unknown_pk_alg};  // mbedtls 2.16 knows RSA and EC keys only
    }
    return {std::move(key), 0};
}

/// mbedtls_pk_parse_public_key of a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY").
std::pair<pkey_ptr, int> parse_public_key(std::string_view pem) {
    if (pem.find(pem_public_key) == std::string_view::npos && pem.find(pem_rsa_public_key) == std::string_view::npos) {
        // Without a PEM header mbedtls reads the text as a DER SubjectPublicKeyInfo, which
        // fails on its first tag unless that is a SEQUENCE, and then on the C string's end.
        constexpr char der_sequence = 0x30;
        const bool sequence = !pem.empty() && pem.front() == der_sequence;
        return {nullptr, mbedtls_err_pk_key_invalid_format +
                             (sequence ? mbedtls_err_asn1_out_of_data : mbedtls_err_asn1_unexpected_tag)};
    }
    const bio_ptr bio = memory_bio(pem);
    EVP_PKEY* raw = nullptr;
    OSSL_DECODER_CTX* decoder =
        OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
    const bool decoded = decoder != nullptr && OSSL_DECODER_from_bio(decoder, bio.get()) == 1;
    OSSL_DECODER_CTX_free(decoder);
    pkey_ptr key(decoded ? raw : nullptr);
    if (!key) {
        return {nullptr, mbedtls_err_pk_key_invalid_format};
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) {
        return {nullptr, mbedtls_err_pk_unknown_pk_alg};
    }
    return {std::move(key), 0};
}

bool is_rsa(EVP_PKEY* key) noexcept { return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA; }

/// The RSA modulus size in bytes (mbedtls_rsa_get_len).
std::size_t rsa_size(EVP_PKEY* key) noexcept { return static_cast<std::size_t>(EVP_PKEY_get_size(key)); }

std::string hex_code(int mbedtls_code) { return fmt::format("0x{:X}", -mbedtls_code); }

[[noreturn]] void encrypt_failed(int code) {
    throw std::runtime_error("Encrypt failed, mbedtls error code: " + hex_code(code) + "!");
}

[[noreturn]] void decrypt_failed(int code) {
    throw std::runtime_error("Decrypt failed, mbedtls error code: " + hex_code(code) + "!");
}

/// The raw RSA private-key operation on one modulus-sized block (mbedtls_rsa_private).
std::string rsa_private_raw(EVP_PKEY* key, std::string_view input) {
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    std::string out(rsa_size(key), '\0');
    std::size_t out_size = out.size();
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
        EVP_PKEY_decrypt(ctx.get(), bytes_of(out), &out_size, bytes_of(input), input.size()) != 1 ||
        out_size != out.size()) {
        decrypt_failed(mbedtls_err_rsa_private_failed);  // e.g. the input is not below the modulus
    }
    return out;
}

}  // namespace

std::string rsa_sign_sha256(std::string_view message, std::string_view private_key_pem) {
    message = c_string(message);
    auto [key, parse_error] = parse_private_key(c_string(private_key_pem));
    if (!key) {
        throw std::invalid_argument(fmt::format("Invalid Private Key, error code: {}", parse_error));
    }
    // mbedtls_rsa_rsassa_pkcs1_v15_sign needs room for the DigestInfo and 11 bytes of padding.
    if (is_rsa(key.get()) && rsa_size(key.get()) < sha256_digest_info_size + pkcs1_overhead) {
        throw std::runtime_error(fmt::format("Signing failed, error code: {}!", mbedtls_err_rsa_bad_input_data));
    }
    const int failure_code = is_rsa(key.get()) ? mbedtls_err_rsa_bad_input_data : mbedtls_err_ecp_bad_input_data;
    const md_ctx_ptr md(EVP_MD_CTX_new());
    std::size_t size = 0;
    if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(md.get(), nullptr, &size, bytes_of(message), message.size()) != 1) {
        throw std::runtime_error(fmt::format("Signing failed, error code: {}!", failure_code));
    }
    std::string signature(size, '\0');
    if (EVP_DigestSign(md.get(), bytes_of(signature), &size, bytes_of(message), message.size()) != 1) {
        throw std::runtime_error(fmt::format("Signing failed, error code: {}!", failure_code));
    }
    signature.resize(size);
    return signature;
}

std::string rsa_encrypt(std::string_view message, std::string_view public_key_pem) {
    auto [key, parse_error] = parse_public_key(c_string(public_key_pem));
    if (!key) {
        throw std::invalid_argument("Invalid public key, mbedtls error code: " + hex_code(parse_error));
    }
    if (!is_rsa(key.get())) {
        encrypt_failed(mbedtls_err_pk_type_mismatch);  // mbedtls_pk_encrypt: EC keys cannot encrypt
    }
    const std::size_t k = rsa_size(key.get());
    if (k > message.size() + rsa_output_slack) {
        encrypt_failed(mbedtls_err_rsa_output_too_large);  // rsa_encrypt_wrap: output buffer too small
    }
    if (message.size() + pkcs1_overhead > k) {
        encrypt_failed(mbedtls_err_rsa_bad_input_data);
    }
    const pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    std::string out(k, '\0');
    std::size_t out_size = out.size();
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_encrypt(ctx.get(), bytes_of(out), &out_size, bytes_of(message), message.size()) != 1) {
        encrypt_failed(mbedtls_err_rsa_bad_input_data);
    }
    out.resize(out_size);
    return out;
}

std::string rsa_decrypt(std::string_view message, std::string_view private_key_pem) {
    auto [key, parse_error] = parse_private_key(c_string(private_key_pem));
    if (!key) {
        throw std::invalid_argument("Invalid private key, mbedtls error code: " + hex_code(parse_error));
    }
    if (!is_rsa(key.get())) {
        decrypt_failed(mbedtls_err_pk_type_mismatch);
    }
    if (message.size() != rsa_size(key.get())) {
        decrypt_failed(mbedtls_err_rsa_bad_input_data);  // rsa_decrypt_wrap: one modulus-sized block
    }
    // The PKCS#1 v1.5 unpadding is done here, as mbedtls does it, rather than by OpenSSL
    // (whose newer versions answer bad padding with a random message instead of an error).
    const std::string block_text = rsa_private_raw(key.get(), message);
    const auto* b = bytes_of(block_text);
    const std::size_t zero = block_text.find('\0', 2);
    const bool bad = b[0] != 0x00 || b[1] != 0x02 || zero == std::string::npos || zero - 2 < pkcs1_min_padding;
    if (bad) {
        decrypt_failed(mbedtls_err_rsa_invalid_padding);
    }
    return block_text.substr(zero + 1);
}

}  // namespace usocket
