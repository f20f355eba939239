// usocket/crypto.hpp: the AES and RSA of the device's `crypto` module (Pycom moducrypto.c).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace usocket {

/// crypto.AES's modes, numbered as Pycom's moducrypto.c numbers them (crypt_mode_t).
enum class aes_mode : int {
    ecb = 1,  ///< AES.MODE_ECB
    cbc = 2,  ///< AES.MODE_CBC
    cfb = 3,  ///< AES.MODE_CFB
    ctr = 6,  ///< AES.MODE_CTR
};

/// One crypto.AES object (moducrypto.c's AESCipher): a key schedule plus the chaining state
/// that encrypt() and decrypt() share, exactly as the firmware keeps one IV, one counter and
/// one keystream offset per object. A CBC object that encrypted one message therefore
/// decrypts the next one with the last ciphertext block as IV; scripts use two objects.
///
/// Byte strings are std::string_view in and std::string out (binary data, not text).
/// Invalid arguments throw std::invalid_argument with the firmware's ValueError message.
class aes_cipher {
public:
    /// AES block size in bytes; also the IV and counter size.
    static constexpr std::size_t block_size = 16;

    /// CFB segment size in bits of AES.SEGMENT_8.
    static constexpr int segment_8 = 8;
    /// CFB segment size in bits of AES.SEGMENT_128.
    static constexpr int segment_128 = 128;
    /// segment_size when the script gives none: CFB then works on 8-bit segments.
    static constexpr int segment_default = -1;

    /// AES_make_new's checks, in its order: the key length (16, 24 or 32 bytes), the mode,
    /// the IV (16 bytes; used in CBC and CFB only, all zeros when absent), the counter
    /// (16 bytes, required in CTR, refused in the other modes) and the segment size (8 or
    /// 128, checked in CFB only; segment_default means 8).
    /// @throws std::invalid_argument with the firmware's message.
    aes_cipher(std::string_view key, int mode, std::optional<std::string_view> iv,
               std::optional<std::string_view> counter, int segment_size = segment_default);
    ~aes_cipher();
    aes_cipher(aes_cipher&&) noexcept;
    aes_cipher& operator=(aes_cipher&&) noexcept;
    aes_cipher(const aes_cipher&) = delete;
    aes_cipher& operator=(const aes_cipher&) = delete;

    /// AESCipher.encrypt(plaintext). ECB and CBC take whole blocks; CFB and CTR any length.
    /// @throws std::invalid_argument "Input strings must be a multiple of 16 in length".
    std::string encrypt(std::string_view plaintext);

    /// AESCipher.decrypt(ciphertext); the same rules as encrypt().
    std::string decrypt(std::string_view ciphertext);

    /// The mode the object was made with.
    aes_mode mode() const noexcept;

    /// The CFB segment size in bits the object uses (8 or 128; 8 outside CFB).
    int segment_size() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// crypto.generate_rsa_signature(message, private_key): the SHA-256 signature of the message
/// by a PEM private key, as mbedtls_pk_sign() makes it: PKCS#1 v1.5 for RSA keys, a DER
/// ECDSA signature for EC keys. Both strings end at their first NUL (the firmware passes C
/// strings).
/// @throws std::invalid_argument "Invalid Private Key, error code: <mbedtls code>" when the
///         key does not parse; std::runtime_error "Signing failed, error code: <code>!".
std::string rsa_sign_sha256(std::string_view message, std::string_view private_key_pem);

/// crypto.rsa_encrypt(message, public_key): PKCS#1 v1.5 encryption with a PEM public key
/// (SubjectPublicKeyInfo or PKCS#1). The key ends at its first NUL, the message does not.
/// @throws std::invalid_argument "Invalid public key, mbedtls error code: 0x..." when the key
///         does not parse; std::runtime_error "Encrypt failed, mbedtls error code: 0x...!".
std::string rsa_encrypt(std::string_view message, std::string_view public_key_pem);

/// crypto.rsa_decrypt(message, private_key): PKCS#1 v1.5 decryption with a PEM private key.
/// @throws std::invalid_argument "Invalid private key, mbedtls error code: 0x..." when the key
///         does not parse; std::runtime_error "Decrypt failed, mbedtls error code: 0x...!".
std::string rsa_decrypt(std::string_view message, std::string_view private_key_pem);

}  // namespace usocket
