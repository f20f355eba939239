// tests/cpp/test_crypto.cpp: usocket/crypto.hpp: crypto.AES against NIST SP 800-38A, the
// firmware's argument checks and shared chaining state, and the RSA functions.
#include "usocket/crypto.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using usocket::aes_cipher;

std::string unhex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xF]);
    }
    return out;
}

constexpr int ecb = 1;
constexpr int cbc = 2;
constexpr int cfb = 3;
constexpr int ctr = 6;

// NIST SP 800-38A, appendix F: keys, IV, initial counter and the four plaintext blocks.
const std::string key128 = unhex("2b7e151628aed2a6abf7158809cf4f3c");
const std::string key192 = unhex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b");
const std::string key256 = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const std::string iv = unhex("000102030405060708090a0b0c0d0e0f");
const std::string counter = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const std::string plaintext = unhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");

struct vector_case {
    const char* name;
    const std::string* key;
    int mode;
    std::optional<std::string> iv;
    std::optional<std::string> counter;
    int segment_size;
    std::size_t length;  ///< bytes of the plaintext the vector covers
    const char* ciphertext;
};

void check_vector(const vector_case& v) {
    CAPTURE(v.name);
    const std::string_view input(plaintext.data(), v.length);
    const auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
        if (s) {
            return std::string_view(*s);
        }
        return std::nullopt;
    };
    aes_cipher enc(*v.key, v.mode, view(v.iv), view(v.counter), v.segment_size);
    CHECK(hex(enc.encrypt(input)) == v.ciphertext);
    aes_cipher dec(*v.key, v.mode, view(v.iv), view(v.counter), v.segment_size);
    CHECK(dec.decrypt(unhex(v.ciphertext)) == input);
}

}  // namespace

TEST_CASE("AES modes match NIST SP 800-38A (F.1 ECB, F.2 CBC, F.3 CFB8/CFB128, F.5 CTR)", "[crypto]") {
    const vector_case cases[] = {
        {"F.1.1 ECB-AES128", &key128, ecb, std::nullopt, std::nullopt, -1, 64,
         "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
         "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4"},
        {"F.1.3 ECB-AES192", &key192, ecb, std::nullopt, std::nullopt, -1, 64,
         "bd334f1d6e45f25ff712a214571fa5cc974104846d0ad3ad7734ecb3ecee4eef"
         "ef7afd2270e2e60adce0ba2face6444e9a4b41ba738d6c72fb16691603c18e0e"},
        {"F.1.5 ECB-AES256", &key256, ecb, std::nullopt, std::nullopt, -1, 64,
         "f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870"
         "b6ed21b99ca6f4f9f153e7b1beafed1d23304b7a39f9f3ff067d8d8f9e24ecc7"},
        {"F.2.1 CBC-AES128", &key128, cbc, iv, std::nullopt, -1, 64,
         "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
         "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
        {"F.2.3 CBC-AES192", &key192, cbc, iv, std::nullopt, -1, 64,
         "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
         "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"},
        {"F.2.5 CBC-AES256", &key256, cbc, iv, std::nullopt, -1, 64,
         "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
         "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
        {"F.3.7 CFB8-AES128", &key128, cfb, iv, std::nullopt, 8, 18, "3b79424c9c0dd436bace9e0ed4586a4f32b9"},
        {"F.3.9 CFB8-AES192", &key192, cfb, iv, std::nullopt, 8, 18, "cda2521ef0a905ca44cd057cbf0d47a0678a"},
        {"F.3.11 CFB8-AES256", &key256, cfb, iv, std::nullopt, 8, 18, "dc1f1a8520a64db55fcc8ac554844e889700"},
        {"F.3.13 CFB128-AES128", &key128, cfb, iv, std::nullopt, 128, 64,
         "3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b"
         "26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6"},
        {"F.3.15 CFB128-AES192", &key192, cfb, iv, std::nullopt, 128, 64,
         "cdc80d6fddf18cab34c25909c99a417467ce7f7f81173621961a2b70171d3d7a"
         "2e1e8a1dd59b88b1c8e60fed1efac4c9c05f9f9ca9834fa042ae8fba584b09ff"},
        {"F.3.17 CFB128-AES256", &key256, cfb, iv, std::nullopt, 128, 64,
         "dc7e84bfda79164b7ecd8486985d386039ffed143b28b1c832113c6331e5407b"
         "df10132415e54b92a13ed0a8267ae2f975a385741ab9cef82031623d55b1e471"},
        {"F.5.1 CTR-AES128", &key128, ctr, std::nullopt, counter, -1, 64,
         "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
         "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
        {"F.5.3 CTR-AES192", &key192, ctr, std::nullopt, counter, -1, 64,
         "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
         "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050"},
        {"F.5.5 CTR-AES256", &key256, ctr, std::nullopt, counter, -1, 64,
         "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
         "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
    };
    for (const auto& v : cases) {
        check_vector(v);
    }
}

TEST_CASE("CFB's default segment size is 8 bits", "[crypto]") {
    aes_cipher cipher(key128, cfb, std::string_view(iv), std::nullopt);
    CHECK(cipher.segment_size() == 8);
    CHECK(hex(cipher.encrypt(std::string_view(plaintext.data(), 18))) == "3b79424c9c0dd436bace9e0ed4586a4f32b9");
}

TEST_CASE("streaming modes keep their state across calls, split anywhere", "[crypto]") {
    const int segment = GENERATE(8, 128);
    const int mode = GENERATE(cfb, ctr);
    const std::size_t split = GENERATE(std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{16},
                                       std::size_t{17}, std::size_t{33});
    CAPTURE(mode, segment, split);
    const auto make = [&] {
        return mode == ctr ? aes_cipher(key128, ctr, std::nullopt, std::string_view(counter))
                           : aes_cipher(key128, cfb, std::string_view(iv), std::nullopt, segment);
    };
    aes_cipher whole = make();
    const std::string expected = whole.encrypt(plaintext);
    aes_cipher pieces = make();
    const std::string_view all(plaintext);
    const std::string head = pieces.encrypt(all.substr(0, split));
    const std::string tail = pieces.encrypt(all.substr(split));
    CHECK(head + tail == expected);
}

TEST_CASE("CBC chains across calls, and encrypt and decrypt share the IV", "[crypto]") {
    aes_cipher pieces(key128, cbc, std::string_view(iv), std::nullopt);
    const std::string first = pieces.encrypt(std::string_view(plaintext).substr(0, 16));
    const std::string rest = pieces.encrypt(std::string_view(plaintext).substr(16));
    CHECK(hex(first + rest).substr(0, 64) == "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");

    // As on the device: one object that encrypted a message continues from its last block.
    aes_cipher shared(key128, cbc, std::string_view(iv), std::nullopt);
    const std::string ciphertext = shared.encrypt(plaintext);
    CHECK(shared.decrypt(ciphertext) != plaintext);
    aes_cipher fresh(key128, cbc, std::string_view(iv), std::nullopt);
    CHECK(fresh.decrypt(ciphertext) == plaintext);
}

TEST_CASE("CTR's 128-bit counter carries across all 16 bytes", "[crypto]") {
    const std::string last = unhex("ffffffffffffffffffffffffffffffff");
    aes_cipher a(key128, ctr, std::nullopt, std::string_view(last));
    const std::string two_blocks = a.encrypt(std::string(32, '\0'));
    aes_cipher ecb_cipher(key128, ecb, std::nullopt, std::nullopt);
    CHECK(two_blocks.substr(0, 16) == ecb_cipher.encrypt(last));
    CHECK(two_blocks.substr(16) == ecb_cipher.encrypt(std::string(16, '\0')));
}

TEST_CASE("the IV defaults to zeros; ECB and CTR ignore it", "[crypto]") {
    aes_cipher no_iv(key128, cbc, std::nullopt, std::nullopt);
    aes_cipher zero_iv(key128, cbc, std::string(16, '\0'), std::nullopt);
    CHECK(no_iv.encrypt(plaintext) == zero_iv.encrypt(plaintext));

    aes_cipher with_iv(key128, ecb, std::string_view("short"), std::nullopt);  // not even checked
    aes_cipher without(key128, ecb, std::nullopt, std::nullopt);
    CHECK(with_iv.encrypt(plaintext) == without.encrypt(plaintext));
}

TEST_CASE("AES_make_new's checks and messages, in the firmware's order", "[crypto]") {
    const auto message_of = [](auto&& make) -> std::string {
        try {
            make();
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "(no error)";
    };
    CHECK(message_of([] { aes_cipher("0123456789abcde", ecb, std::nullopt, std::nullopt); }) ==
          "AES key must be either 16, 24, or 32 bytes long");
    CHECK(message_of([] { aes_cipher("short", 99, std::nullopt, std::nullopt); }) ==
          "AES key must be either 16, 24, or 32 bytes long");
    CHECK(message_of([&] { aes_cipher(key128, 4, std::nullopt, std::nullopt); }) ==
          "Unknown cipher feedback mode 4");
    CHECK(message_of([&] { aes_cipher(key128, -7, std::nullopt, std::nullopt); }) ==
          "Unknown cipher feedback mode -7");
    CHECK(message_of([&] { aes_cipher(key128, cbc, std::string_view("0123456789"), std::nullopt); }) ==
          "IV must be 16 bytes long");
    CHECK(message_of([&] { aes_cipher(key128, cfb, std::string(17, 'x'), std::nullopt); }) ==
          "IV must be 16 bytes long");
    CHECK(message_of([&] { aes_cipher(key128, ctr, std::nullopt, std::nullopt); }) ==
          "Initial counter value must be 16 bytes long");
    CHECK(message_of([&] { aes_cipher(key128, ctr, std::nullopt, std::string_view("abc")); }) ==
          "Initial counter value must be 16 bytes long");
    CHECK(message_of([&] { aes_cipher(key128, cbc, std::nullopt, std::string_view(counter)); }) ==
          "'counter' parameter only useful with CTR mode");
    CHECK(message_of([&] { aes_cipher(key128, cfb, std::nullopt, std::nullopt, 64); }) ==
          "segment_size must be 8 or 128");
    // Outside CFB the segment size is not checked.
    CHECK(message_of([&] { aes_cipher(key128, cbc, std::nullopt, std::nullopt, 64); }) == "(no error)");
}

TEST_CASE("ECB and CBC want whole blocks; CFB and CTR take any length", "[crypto]") {
    aes_cipher e(key128, ecb, std::nullopt, std::nullopt);
    CHECK_THROWS_WITH(e.encrypt("fifteen bytes!!"), "Input strings must be a multiple of 16 in length");
    CHECK_THROWS_WITH(e.decrypt(std::string(17, 'x')), "Input strings must be a multiple of 16 in length");
    CHECK(e.encrypt("").empty());
    aes_cipher c(key128, cbc, std::nullopt, std::nullopt);
    CHECK_THROWS_AS(c.encrypt("x"), std::invalid_argument);
    aes_cipher f(key128, cfb, std::nullopt, std::nullopt);
    CHECK(f.encrypt("x").size() == 1);
    aes_cipher t(key128, ctr, std::nullopt, std::string_view(counter));
    CHECK(t.encrypt("xyz").size() == 3);
}

// ---------------------------------------------------------------------------------------------
// RSA: a 1024-bit test key and a P-256 key, made with `openssl genpkey` for these tests.
// ---------------------------------------------------------------------------------------------

namespace {

const char* const rsa_private_pkcs8 = R"(-----BEGIN PRIVATE KEY-----
MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBAKgZLNDtcVxPZatH
4gpXqwr6JU94MoB4rtWZrZFbhHpnWiQRHQajfY48W3jkYRqnKQoAAbiuQ1dNkblg
HI3+l+fnmOuNIwQBEHoNJoLMEiUyeC1VmrP3XFlzxqXkoSrvrCLyByWV2cxKLBVD
O/qwXxjVQeHeAxDOswKp0XW/CulFAgMBAAECgYAU7L1VbJk14nRHc/VBUFRsU2Md
l1rB/0PUNwMSGxBMpFzmLHMuhl90uzKvw84KoVBMfF+6e4bKcU94gexMCKsj8Tb1
IsBokdeQLO6kD5t3UM5jENYnMrrcaBj2fs4TXhCQAgCzshS1r+O4gtLiT1aZI+2U
fF+37LdEzpWUeOoQwQJBAN/OWERNFyKyaiT86SuUB5vFF38qFNyB8r1h4fqKzYk5
4ZwwbTbWubcTpn4zqaj+9Bx8G3lIovn8SMw67Iiu1e0CQQDAR2UaF+hnntSVKuMM
hK0tFT8ojh4qyt0chlLTyhr+xKhOuXu4TrTKqDRSk4vkI3Bk9vdZHHOXW/1GYsnH
AXW5AkAn+3kRWqRTcoQ772LIgj2JuoAkG6R2cFCpPJ9eXwWxCkIf4RbhwSKUblJE
IX6hzkpV/GX8GNnkxwlKUwyGrpVRAkAP7ZoleDeLZe/sT3oxjkgeRPVPcb50Awwg
EcyIuORVmIrswpbKJNL7OsXi1VAwXPMxmffRjPbSYg9wJjza3HcZAkALdNZigVhE
KqwujK1njbLFSv/gf3U/f8YBQbvdgHlBtZ6JzwkTY56PUC8hwFHyF9OEZ4TBPTy/
J+n9aOji3lZm
-----END PRIVATE KEY-----
)";

const char* const rsa_private_pkcs1 = R"(-----BEGIN RSA PRIVATE KEY-----
MIICWwIBAAKBgQCoGSzQ7XFcT2WrR+IKV6sK+iVPeDKAeK7Vma2RW4R6Z1okER0G
o32OPFt45GEapykKAAG4rkNXTZG5YByN/pfn55jrjSMEARB6DSaCzBIlMngtVZqz
91xZc8al5KEq76wi8gclldnMSiwVQzv6sF8Y1UHh3gMQzrMCqdF1vwrpRQIDAQAB
AoGAFOy9VWyZNeJ0R3P1QVBUbFNjHZdawf9D1DcDEhsQTKRc5ixzLoZfdLsyr8PO
CqFQTHxfunuGynFPeIHsTAirI/E29SLAaJHXkCzupA+bd1DOYxDWJzK63GgY9n7O
E14QkAIAs7IUta/juILS4k9WmSPtlHxft+y3RM6VlHjqEMECQQDfzlhETRcismok
/OkrlAebxRd/KhTcgfK9YeH6is2JOeGcMG021rm3E6Z+M6mo/vQcfBt5SKL5/EjM
OuyIrtXtAkEAwEdlGhfoZ57UlSrjDIStLRU/KI4eKsrdHIZS08oa/sSoTrl7uE60
yqg0UpOL5CNwZPb3WRxzl1v9RmLJxwF1uQJAJ/t5EVqkU3KEO+9iyII9ibqAJBuk
dnBQqTyfXl8FsQpCH+EW4cEilG5SRCF+oc5KVfxl/BjZ5McJSlMMhq6VUQJAD+2a
JXg3i2Xv7E96MY5IHkT1T3G+dAMMIBHMiLjkVZiK7MKWyiTS+zrF4tVQMFzzMZn3
0Yz20mIPcCY82tx3GQJAC3TWYoFYRCqsLoytZ42yxUr/4H91P3/GAUG73YB5QbWe
ic8JE2Oej1AvIcBR8hfThGeEwT08vyfp/Wjo4t5WZg==
-----END RSA PRIVATE KEY-----
)";

const char* const rsa_public_spki = R"(-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCoGSzQ7XFcT2WrR+IKV6sK+iVP
eDKAeK7Vma2RW4R6Z1okER0Go32OPFt45GEapykKAAG4rkNXTZG5YByN/pfn55jr
jSMEARB6DSaCzBIlMngtVZqz91xZc8al5KEq76wi8gclldnMSiwVQzv6sF8Y1UHh
3gMQzrMCqdF1vwrpRQIDAQAB
-----END PUBLIC KEY-----
)";

const char* const rsa_public_pkcs1 = R"(-----BEGIN RSA PUBLIC KEY-----
MIGJAoGBAKgZLNDtcVxPZatH4gpXqwr6JU94MoB4rtWZrZFbhHpnWiQRHQajfY48
W3jkYRqnKQoAAbiuQ1dNkblgHI3+l+fnmOuNIwQBEHoNJoLMEiUyeC1VmrP3XFlz
xqXkoSrvrCLyByWV2cxKLBVDO/qwXxjVQeHeAxDOswKp0XW/CulFAgMBAAE=
-----END RSA PUBLIC KEY-----
)";

const char* const ec_private = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIAmFEo74vZJOL5LrKXrJe6mmZCD72HcGNu9R4eZF+1e+oAoGCCqGSM49
AwEHoUQDQgAE8e7SdibLYCA6U5KT724Rk20yb0QbFbmMvf8zPMDlUamLtknB/sZb
vDOnkFKactkCz4yRkkiew0ISCMca0VhX/Q==
-----END EC PRIVATE KEY-----
)";

const char* const ec_public = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8e7SdibLYCA6U5KT724Rk20yb0Qb
FbmMvf8zPMDlUamLtknB/sZbvDOnkFKactkCz4yRkkiew0ISCMca0VhX/Q==
-----END PUBLIC KEY-----
)";

// `printf 'Pycom says hi' | openssl dgst -sha256 -sign rsa.pem | xxd -p`
const char* const expected_signature =
    "5fd20a8b99746614925953ed62809ddecb5a1f864d08370085d21ceb2a748c3cd6c5cf455b9390f8a162fce8506f"
    "4121098e590a6aeb445700444ebb2d2a79cd11d409e18679bf76a2322c1f69df51e27d4c7d4a80291fe9b001f0aa4d"
    "ad7af68c65360a585454ccea66af7820bf8f9d39c22256491db61e4979677b59b2d2a6";

// `printf 'secret' | openssl pkeyutl -encrypt -pubin -inkey rsa_pub.pem | xxd -p`
const char* const openssl_ciphertext =
    "a469ce6e1fec270b3c964ab2c309505fab7a6d2bad6a92b13e42d3a887d1b17c899853168d685a837ee1daaf5394"
    "2e3489d3f4bbb52b000c3345d8dee17cfabb4f9cae51a85883c1f69b5dea6ebfd9fd50472b85a96fd47e4b3e6e388c"
    "98329a3015e85a456eb9624b7f77711538f11eb416ae10a7a701ae9784045ebd40a205";

template <typename Exception, typename F>
std::string failure_of(F&& f) {
    try {
        f();
    } catch (const Exception& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("generate_rsa_signature: SHA-256 PKCS#1 v1.5, as OpenSSL signs it", "[crypto]") {
    CHECK(hex(usocket::rsa_sign_sha256("Pycom says hi", rsa_private_pkcs8)) == expected_signature);
    CHECK(hex(usocket::rsa_sign_sha256("Pycom says hi", rsa_private_pkcs1)) == expected_signature);
    // The firmware hashes C strings: everything from the first NUL on is ignored.
    CHECK(hex(usocket::rsa_sign_sha256(std::string("Pycom says hi\0tail", 18), rsa_private_pkcs8)) ==
          expected_signature);
}

TEST_CASE("generate_rsa_signature with an EC key gives a DER ECDSA signature", "[crypto]") {
    const std::string sig = usocket::rsa_sign_sha256("Pycom says hi", ec_private);
    REQUIRE(sig.size() >= 8);
    CHECK(static_cast<unsigned char>(sig[0]) == 0x30);  // DER SEQUENCE of r and s
    CHECK(static_cast<std::size_t>(static_cast<unsigned char>(sig[1])) == sig.size() - 2);
}

TEST_CASE("RSA key errors carry mbedtls' codes as the firmware prints them", "[crypto]") {
    CHECK(failure_of<std::invalid_argument>([] { usocket::rsa_sign_sha256("m", "not a key"); }) ==
          "Invalid Private Key, error code: -15616");
    CHECK(failure_of<std::invalid_argument>([] { usocket::rsa_sign_sha256("m", rsa_public_spki); }) ==
          "Invalid Private Key, error code: -15616");
    // No public-key PEM header: mbedtls parses DER and fails on the first tag.
    CHECK(failure_of<std::invalid_argument>([] { usocket::rsa_encrypt("m", rsa_private_pkcs8); }) ==
          "Invalid public key, mbedtls error code: 0x3D62");
    CHECK(failure_of<std::invalid_argument>([] { usocket::rsa_decrypt("m", rsa_public_spki); }) ==
          "Invalid private key, mbedtls error code: 0x3D00");
    CHECK(failure_of<std::runtime_error>([] { usocket::rsa_encrypt("m", ec_public); }) ==
          "Encrypt failed, mbedtls error code: 0x3F00!");
    CHECK(failure_of<std::runtime_error>([] { usocket::rsa_decrypt(std::string(128, 'x'), ec_private); }) ==
          "Decrypt failed, mbedtls error code: 0x3F00!");
}

TEST_CASE("rsa_encrypt and rsa_decrypt: PKCS#1 v1.5, both public key formats", "[crypto]") {
    for (const char* public_key : {rsa_public_spki, rsa_public_pkcs1}) {
        const std::string ciphertext = usocket::rsa_encrypt(std::string("bin\0ary", 7), public_key);
        CHECK(ciphertext.size() == 128);
        CHECK(usocket::rsa_decrypt(ciphertext, rsa_private_pkcs8) == std::string("bin\0ary", 7));
    }
    CHECK(usocket::rsa_decrypt(unhex(openssl_ciphertext), rsa_private_pkcs1) == "secret");
    CHECK(usocket::rsa_encrypt("", rsa_public_spki).size() == 128);
}

TEST_CASE("rsa_encrypt/rsa_decrypt size and padding failures", "[crypto]") {
    // 1024-bit key: at most 128 - 11 bytes of message.
    CHECK(usocket::rsa_encrypt(std::string(117, 'm'), rsa_public_spki).size() == 128);
    CHECK(failure_of<std::runtime_error>([] { usocket::rsa_encrypt(std::string(118, 'm'), rsa_public_spki); }) ==
          "Encrypt failed, mbedtls error code: 0x4080!");
    CHECK(failure_of<std::runtime_error>([] { usocket::rsa_decrypt("short", rsa_private_pkcs8); }) ==
          "Decrypt failed, mbedtls error code: 0x4080!");
    // A block that decrypts to garbage is bad padding.
    CHECK(failure_of<std::runtime_error>([] { usocket::rsa_decrypt(std::string(128, '\x01'), rsa_private_pkcs8); }) ==
          "Decrypt failed, mbedtls error code: 0x4100!");
}
