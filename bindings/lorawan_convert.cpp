// lorawan_convert.cpp: EUIs and keys between Python buffers and usocket::sim::lorawan types.
#include "lorawan_convert.hpp"

#include <algorithm>
#include <string>

#include "convert.hpp"

namespace py = pybind11;

namespace usocket::bindings {

namespace lw = sim::lorawan;

/// The bytes of a buffer (bytes, bytearray, memoryview...) of exactly `size` bytes; str is
/// refused: an EUI or a key is binary.
lw::bytes exact_bytes(py::handle obj, std::size_t size, const char* what) {
    if (PyUnicode_Check(obj.ptr())) {
        throw py::type_error(std::string(what) + " must be bytes, not str");
    }
    const readable_bytes view(obj);
    if (view.size() != size) {
        throw py::value_error(std::string(what) + " has " + std::to_string(size) + " bytes, got " +
                              std::to_string(view.size()));
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(view.data());
    return lw::bytes(p, p + view.size());
}

lw::bytes payload_bytes(py::handle obj) {
    const readable_bytes view(obj);
    const auto* p = reinterpret_cast<const std::uint8_t*>(view.data());
    return lw::bytes(p, p + view.size());
}

std::uint64_t to_eui(py::handle obj, const char* what) {
    const lw::bytes b = exact_bytes(obj, 8, what);
    std::uint64_t v = 0;
    for (const auto byte : b) {
        v = (v << 8) | byte;
    }
    return v;
}

py::bytes from_eui(std::uint64_t eui) {
    char b[8];
    for (int i = 7; i >= 0; --i) {
        b[i] = static_cast<char>(eui & 0xFF);
        eui >>= 8;
    }
    return py::bytes(b, 8);
}

py::object from_eui(const std::optional<std::uint64_t>& eui) {
    return eui ? py::object(from_eui(*eui)) : py::object(py::none());
}

lw::aes_key to_key(py::handle obj, const char* what) {
    const lw::bytes b = exact_bytes(obj, 16, what);
    lw::aes_key key{};
    std::copy(b.begin(), b.end(), key.begin());
    return key;
}

py::bytes to_py(const lw::bytes& b) { return py::bytes(reinterpret_cast<const char*>(b.data()), b.size()); }
py::bytes to_py(const lw::aes_key& k) { return py::bytes(reinterpret_cast<const char*>(k.data()), k.size()); }

}  // namespace usocket::bindings
