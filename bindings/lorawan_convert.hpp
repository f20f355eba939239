// lorawan_convert.hpp: EUIs and keys between Python buffers and usocket::sim::lorawan types,
// shared by the MAC and network bindings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <pybind11/pybind11.h>

#include "usocket/sim/lorawan_crypto.hpp"

namespace usocket::bindings {

/// The bytes of a buffer of exactly `size` bytes; str is refused (an EUI or a key is
/// binary). `what` names the argument in the error ("an AppKey").
sim::lorawan::bytes exact_bytes(pybind11::handle obj, std::size_t size, const char* what);
/// The bytes of any readable buffer (a payload), copied.
sim::lorawan::bytes payload_bytes(pybind11::handle obj);
/// An 8-byte EUI in display order (most significant byte first) as its integer.
std::uint64_t to_eui(pybind11::handle obj, const char* what);
pybind11::bytes from_eui(std::uint64_t eui);
pybind11::object from_eui(const std::optional<std::uint64_t>& eui);
/// A 16-byte AES-128 key.
sim::lorawan::aes_key to_key(pybind11::handle obj, const char* what);
pybind11::bytes to_py(const sim::lorawan::bytes& b);
pybind11::bytes to_py(const sim::lorawan::aes_key& k);

}  // namespace usocket::bindings
