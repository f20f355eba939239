// usocket/sim/lorawan_crypto.hpp: the two primitives LoRaWAN 1.0.x is built on, AES-128 on
// single blocks and AES-CMAC (RFC 4493), over OpenSSL 3 (radio.md 3.2).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace usocket::sim::lorawan {

/// An AES-128 key (AppKey, NwkSKey, AppSKey), bytes in the order tools display them.
using aes_key = std::array<std::uint8_t, 16>;
/// One 16-byte AES block.
using aes_block = std::array<std::uint8_t, 16>;
/// Bytes of a frame or a message.
using bytes = std::vector<std::uint8_t>;

/// A read-only view of contiguous bytes (C++17 has no std::span); converts implicitly from
/// `bytes` and from `std::array`. It does not own the bytes.
class byte_view {
public:
    /// No bytes.
    constexpr byte_view() noexcept = default;
    /// `size` bytes at `data`.
    constexpr byte_view(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}
    /// The bytes of a vector (valid while it is alive and unchanged).
    byte_view(const bytes& b) noexcept : data_(b.data()), size_(b.size()) {}
    /// The bytes of an array (a key, a block, a MIC).
    template <std::size_t N>
    constexpr byte_view(const std::array<std::uint8_t, N>& a) noexcept : data_(a.data()), size_(N) {}

    /// The first byte.
    constexpr const std::uint8_t* data() const noexcept { return data_; }
    /// How many bytes.
    constexpr std::size_t size() const noexcept { return size_; }
    /// No byte at all.
    constexpr bool empty() const noexcept { return size_ == 0; }
    /// Iteration.
    constexpr const std::uint8_t* begin() const noexcept { return data_; }
    constexpr const std::uint8_t* end() const noexcept { return data_ + size_; }
    /// Byte `i`; `i < size()` is the caller's to check.
    constexpr std::uint8_t operator[](std::size_t i) const noexcept { return data_[i]; }
    /// Bytes [offset, offset + count) clamped to the view: never reads outside it.
    constexpr byte_view sub(std::size_t offset, std::size_t count) const noexcept {
        if (offset > size_) {
            offset = size_;
        }
        if (count > size_ - offset) {
            count = size_ - offset;
        }
        return {data_ + offset, count};
    }

private:
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

/// AES-128 encryption of one block (ECB, no padding). Throws std::runtime_error only if
/// OpenSSL itself fails. Thread-safe.
aes_block aes_encrypt(const aes_key& key, const aes_block& block);

/// AES-128 decryption of one block (ECB, no padding): the join-accept's "encryption"
/// (radio.md 3.2, pitfall 10). Throws std::runtime_error only if OpenSSL fails.
aes_block aes_decrypt(const aes_key& key, const aes_block& block);

/// AES-CMAC (RFC 4493) of `message` (any length, empty included): the full 16-byte tag;
/// LoRaWAN's MIC is its first 4 bytes. Throws std::runtime_error only if OpenSSL fails.
aes_block aes_cmac(const aes_key& key, byte_view message);

}  // namespace usocket::sim::lorawan
