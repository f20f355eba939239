// crypto_bindings.cpp: usocket_emu._core.AESCipher and the RSA functions of the device's
// crypto module (Pycom moducrypto.c). Argument parsing as the firmware does it lives in
// python/usocket_emu/device/crypto.py; the checks and the cryptography in src/crypto.cpp.
#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <string_view>

#include "convert.hpp"
#include "usocket/crypto.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

std::string_view view_of(const readable_bytes& b) noexcept { return {b.data(), b.size()}; }

/// A buffer argument that may be None (the IV and counter of AES_make_new).
std::optional<std::string> optional_bytes(py::handle obj) {
    if (obj.is_none()) {
        return std::nullopt;
    }
    const readable_bytes b(obj);
    return std::string(b.data(), b.size());
}

aes_cipher make_aes(py::handle key, int mode, py::handle iv, py::handle counter, int segment_size) {
    const readable_bytes key_bytes(key);
    const std::optional<std::string> iv_bytes = optional_bytes(iv);
    const std::optional<std::string> counter_bytes = optional_bytes(counter);
    return aes_cipher(view_of(key_bytes), mode,
                      iv_bytes ? std::optional<std::string_view>(*iv_bytes) : std::nullopt,
                      counter_bytes ? std::optional<std::string_view>(*counter_bytes) : std::nullopt,
                      segment_size);
}

}  // namespace

void bind_crypto(py::module_& m) {
    py::class_<aes_cipher>(m, "AESCipher", R"pbdoc(One crypto.AES object: key, mode and chaining state.)pbdoc")
        // AESCipher(key, mode, IV, counter, segment_size): values already parsed as AES_make_new does
        .def(py::init(&make_aes), py::arg("key"), py::arg("mode"), py::arg("IV"), py::arg("counter"),
             py::arg("segment_size"))
        // method AESCipher.decrypt(ciphertext)
        .def(
            "decrypt",
            [](aes_cipher& self, py::handle data) {
                const readable_bytes in(data);
                return py::bytes(self.decrypt(view_of(in)));
            },
            py::arg("ciphertext"))
        // method AESCipher.encrypt(plaintext)
        .def(
            "encrypt",
            [](aes_cipher& self, py::handle data) {
                const readable_bytes in(data);
                return py::bytes(self.encrypt(view_of(in)));
            },
            py::arg("plaintext"));

    // rsa_sign_sha256(message, private_key) -> bytes (crypto.generate_rsa_signature)
    m.def(
        "rsa_sign_sha256",
        [](py::handle message, py::handle private_key) {
            return py::bytes(rsa_sign_sha256(to_text(message), to_text(private_key)));
        },
        py::arg("message"), py::arg("private_key"));

    // rsa_encrypt(message, public_key) -> bytes (crypto.rsa_encrypt)
    m.def(
        "rsa_encrypt",
        [](py::handle message, py::handle public_key) {
            const std::string_view key = to_text(public_key);
            const readable_bytes in(message);
            return py::bytes(rsa_encrypt(view_of(in), key));
        },
        py::arg("message"), py::arg("public_key"));

    // rsa_decrypt(message, private_key) -> bytes (crypto.rsa_decrypt)
    m.def(
        "rsa_decrypt",
        [](py::handle message, py::handle private_key) {
            const std::string_view key = to_text(private_key);
            const readable_bytes in(message);
            return py::bytes(rsa_decrypt(view_of(in), key));
        },
        py::arg("message"), py::arg("private_key"));
}

}  // namespace usocket::bindings
