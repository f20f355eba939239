// fuzz/fuzz_crypto.cpp: what a script hands the device's crypto module (usocket/crypto.hpp):
// crypto.AES's key, mode, IV, counter and segment size, its data, and the PEM keys of
// crypto.generate_rsa_signature / rsa_encrypt / rsa_decrypt (parsed by OpenSSL behind the
// project's mbedtls-like wrapper).
//
// Properties: only the documented exceptions (std::invalid_argument for bad arguments,
// std::runtime_error for a failed RSA operation); two AES objects made alike decrypt what the
// other encrypted, call after call (the chaining state each object keeps); output lengths.
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "usocket/crypto.hpp"

namespace {



std::optional<std::string> maybe_string(FuzzedDataProvider& in, std::size_t typical) {
    if (!in.ConsumeBool()) {
        return std::nullopt;
    }
    const std::size_t n = in.ConsumeBool() ? typical : in.ConsumeIntegralInRange<std::size_t>(0, 40);
    return in.ConsumeBytesAsString(n);
}

void aes(FuzzedDataProvider& in) {
    static constexpr std::size_t key_sizes[] = {16, 24, 32};
    const std::size_t key_size = in.ConsumeIntegralInRange<int>(0, 7) == 0 ? in.ConsumeIntegralInRange<std::size_t>(0, 40)
                                                                           : key_sizes[in.ConsumeIntegralInRange<int>(0, 2)];
    const std::string key = in.ConsumeBytesAsString(key_size);
    static constexpr int modes[] = {1, 2, 3, 6};
    const int mode = in.ConsumeIntegralInRange<int>(0, 7) == 0 ? in.ConsumeIntegral<int>() : modes[in.ConsumeIntegralInRange<int>(0, 3)];
    const std::optional<std::string> iv = maybe_string(in, 16);
    const std::optional<std::string> counter = maybe_string(in, 16);
    static constexpr int segments[] = {-1, 8, 128};
    const int segment = in.ConsumeIntegralInRange<int>(0, 7) == 0 ? in.ConsumeIntegral<int>() : segments[in.ConsumeIntegralInRange<int>(0, 2)];

    std::optional<usocket::aes_cipher> enc;
    std::optional<usocket::aes_cipher> dec;
    try {
        enc.emplace(key, mode, iv, counter, segment);
    } catch (const std::invalid_argument&) {
        // Whatever one object refuses, so does its twin.
        bool refused = false;
        try {
            usocket::aes_cipher twin(key, mode, iv, counter, segment);
        } catch (const std::invalid_argument&) {
            refused = true;
        }
        FUZZ_CHECK(refused);
        return;
    }
    dec.emplace(key, mode, iv, counter, segment);
    FUZZ_CHECK(static_cast<int>(enc->mode()) == mode);
    FUZZ_CHECK(enc->segment_size() == 8 || enc->segment_size() == 128);
    const bool whole_blocks = enc->mode() == usocket::aes_mode::ecb || enc->mode() == usocket::aes_mode::cbc;
    for (int i = 0; i < 8 && in.remaining_bytes() > 0; ++i) {
        const std::size_t n = in.ConsumeBool() ? 16 * in.ConsumeIntegralInRange<std::size_t>(0, 4)
                                               : in.ConsumeIntegralInRange<std::size_t>(0, 70);
        const std::string plain = in.ConsumeBytesAsString(n);
        std::string cipher;
        try {
            cipher = enc->encrypt(plain);
        } catch (const std::invalid_argument&) {
            FUZZ_CHECK(whole_blocks && plain.size() % 16 != 0);
            continue;
        }
        FUZZ_CHECK(!(whole_blocks && plain.size() % 16 != 0));
        FUZZ_CHECK(cipher.size() == plain.size());
        FUZZ_CHECK(dec->decrypt(cipher) == plain);
    }
}

template <class F>
void rsa_call(F&& f) {
    try {
        const std::string out = f();
        (void)out;
    } catch (const std::invalid_argument&) {
    } catch (const std::runtime_error&) {
    }
}

void rsa(FuzzedDataProvider& in) {
    const int op = in.ConsumeIntegralInRange<int>(0, 2);
    const std::string message = in.ConsumeRandomLengthString(300);
    const std::string pem = in.ConsumeRemainingBytesAsString();
    switch (op) {
    case 0: rsa_call([&] { return usocket::rsa_sign_sha256(message, pem); }); break;
    case 1: rsa_call([&] { return usocket::rsa_encrypt(message, pem); }); break;
    default: rsa_call([&] { return usocket::rsa_decrypt(message, pem); }); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    if (in.ConsumeBool()) {
        aes(in);
    } else {
        rsa(in);
    }
    return 0;
}
