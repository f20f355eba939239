// convert.hpp: Python objects to the C++ types of the socket API, as MicroPython converts them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <pybind11/pybind11.h>

#include "usocket/address.hpp"

namespace usocket::bindings {

/// A read-only view of bytes, bytearray, memoryview or any buffer, or of a str's UTF-8
/// (MicroPython's str has the buffer protocol). TypeError otherwise.
class readable_bytes {
public:
    explicit readable_bytes(pybind11::handle obj);
    ~readable_bytes();
    readable_bytes(const readable_bytes&) = delete;
    readable_bytes& operator=(const readable_bytes&) = delete;

    const char* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    Py_buffer view_{};
    bool has_view_ = false;
    const char* data_ = nullptr;
    std::size_t size_ = 0;
};

/// A writable buffer (bytearray, memoryview, array). TypeError otherwise.
class writable_bytes {
public:
    explicit writable_bytes(pybind11::handle obj);
    ~writable_bytes();
    writable_bytes(const writable_bytes&) = delete;
    writable_bytes& operator=(const writable_bytes&) = delete;

    char* data() const noexcept { return static_cast<char*>(view_.buf); }
    std::size_t size() const noexcept { return static_cast<std::size_t>(view_.len); }

private:
    Py_buffer view_{};
};

/// `(host, port)` as netutils_parse_inet_addr() takes it: a 2-item tuple or list, host a
/// str or bytes, port an int. Shape errors are TypeError/ValueError as in MicroPython.
inet_address to_inet_address(pybind11::handle address);

/// The device's `('a.b.c.d', port)`.
pybind11::tuple from_inet_address(const inet_address& address);

/// The name of `obj`'s type, as error messages show it.
std::string type_name(pybind11::handle obj);

/// The text of a str or bytes argument (mp_obj_str_get_data); TypeError otherwise.
std::string_view to_text(pybind11::handle obj);

/// A byte count for an allocation; negative counts fail as the device's allocator does.
std::size_t to_allocation_size(std::int64_t n);

/// A fresh bytes object of `size` bytes to fill without the GIL, and its shrinking.
pybind11::bytes new_bytes(std::size_t size);
char* bytes_data(pybind11::bytes& b) noexcept;
void shrink_bytes(pybind11::bytes& b, std::size_t size);

}  // namespace usocket::bindings
