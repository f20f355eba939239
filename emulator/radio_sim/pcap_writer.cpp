// pcap_writer.cpp: libpcap framing and LoRaTap v0 headers (interop.md 1.1, 1.2).
#include "usocket/sim/pcap_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace usocket::sim {
namespace {

void put_le32(std::uint8_t* out, std::uint32_t v) noexcept {
    out[0] = static_cast<std::uint8_t>(v);
    out[1] = static_cast<std::uint8_t>(v >> 8);
    out[2] = static_cast<std::uint8_t>(v >> 16);
    out[3] = static_cast<std::uint8_t>(v >> 24);
}

void put_le16(std::uint8_t* out, std::uint16_t v) noexcept {
    out[0] = static_cast<std::uint8_t>(v);
    out[1] = static_cast<std::uint8_t>(v >> 8);
}

void put_be32(std::uint8_t* out, std::uint32_t v) noexcept {
    out[0] = static_cast<std::uint8_t>(v >> 24);
    out[1] = static_cast<std::uint8_t>(v >> 16);
    out[2] = static_cast<std::uint8_t>(v >> 8);
    out[3] = static_cast<std::uint8_t>(v);
}

/// round(x), clamped to [low, high] (NaN gives low).
long clamped_round(double x, long low, long high) noexcept {
    if (!(x >= static_cast<double>(low))) {
        return low;
    }
    if (x >= static_cast<double>(high)) {
        return high;
    }
    return std::lround(x);
}

}  // namespace

std::array<std::uint8_t, 24> pcap_global_header() noexcept {
    std::array<std::uint8_t, 24> h{};
    put_le32(&h[0], 0xA1B2C3D4u);   // magic: microsecond timestamps
    put_le16(&h[4], 2);             // version 2.4
    put_le16(&h[6], 4);
    put_le32(&h[8], 0);             // thiszone: timestamps are UTC (here: world time)
    put_le32(&h[12], 0);            // sigfigs
    put_le32(&h[16], 65535);        // snaplen
    put_le32(&h[20], linktype_loratap);
    return h;
}

std::array<std::uint8_t, loratap_v0_size> loratap_v0_header(const lora_observed_frame& frame) noexcept {
    std::array<std::uint8_t, loratap_v0_size> h{};
    h[0] = 0;  // lt_version
    h[1] = 0;  // lt_padding
    h[2] = 0;  // lt_length, big-endian
    h[3] = static_cast<std::uint8_t>(loratap_v0_size);
    put_be32(&h[4], static_cast<std::uint32_t>(std::clamp<std::int64_t>(frame.frequency_hz, 0, 0xFFFFFFFF)));
    h[8] = static_cast<std::uint8_t>(std::clamp<std::int64_t>(frame.modulation.bandwidth_hz / 125000, 0, 255));
    h[9] = static_cast<std::uint8_t>(std::clamp(frame.modulation.spreading_factor, 0, 255));
    if (frame.best_reception) {
        h[10] = static_cast<std::uint8_t>(clamped_round(frame.best_reception->rssi_dbm + 139.0, 0, 254));
        h[13] = static_cast<std::uint8_t>(clamped_round(frame.best_reception->snr_db * 4.0, -128, 127) & 0xFF);
    } else {
        h[10] = loratap_rssi_none;
        h[13] = 0;
    }
    h[11] = loratap_rssi_none;  // max_rssi
    h[12] = loratap_rssi_none;  // current_rssi
    h[14] = frame.sync_word;
    return h;
}

std::vector<std::uint8_t> pcap_record(const lora_observed_frame& frame) {
    const std::size_t payload_size = frame.payload ? frame.payload->size() : 0;
    const auto length = static_cast<std::uint32_t>(loratap_v0_size + payload_size);
    const time_us at = std::max<time_us>(frame.end_us, 0);
    std::vector<std::uint8_t> out(16 + loratap_v0_size + payload_size);
    put_le32(&out[0], static_cast<std::uint32_t>(at / 1000000));
    put_le32(&out[4], static_cast<std::uint32_t>(at % 1000000));
    put_le32(&out[8], length);   // incl_len
    put_le32(&out[12], length);  // orig_len
    const auto header = loratap_v0_header(frame);
    std::copy(header.begin(), header.end(), out.begin() + 16);
    if (payload_size != 0) {
        std::copy(frame.payload->begin(), frame.payload->end(), out.begin() + 16 + loratap_v0_size);
    }
    return out;
}

pcap_writer::pcap_writer(const std::string& path) : path_(path) {
    file_.open(path, std::ios::out | std::ios::binary | std::ios::trunc);
    if (!file_) {
        const int error = errno;
        throw std::runtime_error("cannot write the pcap file " + path +
                                 (error != 0 ? ": " + std::string(std::strerror(error)) : std::string()));
    }
    const auto header = pcap_global_header();
    file_.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
    file_.flush();
    if (!file_) {
        throw std::runtime_error("cannot write the pcap file " + path);
    }
}

pcap_writer::~pcap_writer() = default;

void pcap_writer::write(const lora_observed_frame& frame) {
    const auto record = pcap_record(frame);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!file_.is_open() || failed_) {
        return;
    }
    file_.write(reinterpret_cast<const char*>(record.data()), static_cast<std::streamsize>(record.size()));
    file_.flush();
    if (!file_) {
        failed_ = true;
        return;
    }
    ++records_;
}

void pcap_writer::close() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (file_.is_open()) {
        file_.close();
    }
}

std::uint64_t pcap_writer::records() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_;
}

bool pcap_writer::failed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failed_;
}

}  // namespace usocket::sim
