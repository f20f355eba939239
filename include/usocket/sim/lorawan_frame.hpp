// usocket/sim/lorawan_frame.hpp: LoRaWAN 1.0.2 frames: MHDR, join request, join accept,
// session keys, data frames (build, parse, MIC, FRMPayload encryption) and the 32-bit frame
// counter behind the 16 bits on air (radio.md 1.4, 3.1-3.3; interop.md 5).
//
// Multi-byte fields are plain integers with the value tools display (DevAddr 0x49BE7DF1,
// AppEUI 0x70B3D57ED0000001); the functions write and read them little-endian on the air,
// as the specification does (radio.md 3.2 "byte-order trap", pitfall 11).
//
// Building a frame from fields the caller chose throws std::invalid_argument when a field
// cannot be sent (a programming error). Parsing bytes from the air never throws for any
// input and never reads outside it: it returns a parse_result, a value or a parse_error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "usocket/sim/lorawan_crypto.hpp"

namespace usocket::sim::lorawan {

// ---------------------------------------------------------------------------------------
// Sizes (radio.md 1.4)

/// A LoRa frame's length is one byte (the PL of the airtime formula).
inline constexpr std::size_t max_phy_payload_size = 255;
/// The MIC closing every frame but proprietary ones.
inline constexpr std::size_t mic_size = 4;
/// MHDR(1) + DevAddr(4) + FCtrl(1) + FCnt(2) + MIC(4): a data frame without FOpts nor FPort.
inline constexpr std::size_t data_overhead_size = 12;
/// FOptsLen is 4 bits.
inline constexpr std::size_t max_fopts_size = 15;
/// MHDR + AppEUI(8) + DevEUI(8) + DevNonce(2) + MIC.
inline constexpr std::size_t join_request_size = 23;
/// MHDR + AppNonce(3) + NetID(3) + DevAddr(4) + DLSettings(1) + RxDelay(1) + MIC.
inline constexpr std::size_t join_accept_size = 17;
/// The optional CFList of a join accept.
inline constexpr std::size_t cf_list_size = 16;
/// A join accept with a CFList.
inline constexpr std::size_t join_accept_cf_list_size = join_accept_size + cf_list_size;

/// PHYPayload size of a data frame: `n + 13` with an FPort and no FOpts, 12 for an empty
/// frame without FPort (radio.md 1.4, pitfall 6).
constexpr std::size_t data_frame_size(std::size_t fopts_size, bool has_fport, std::size_t payload_size) noexcept {
    return data_overhead_size + fopts_size + (has_fport ? 1 : 0) + payload_size;
}

// ---------------------------------------------------------------------------------------
// MHDR

/// MHDR bits 7..5.
enum class mtype : std::uint8_t {
    join_request = 0,
    join_accept = 1,
    unconfirmed_data_up = 2,
    unconfirmed_data_down = 3,
    confirmed_data_up = 4,
    confirmed_data_down = 5,
    rfu = 6,          ///< rejoin request in 1.1
    proprietary = 7,
};

/// MHDR bits 1..0: LoRaWAN R1, the only major version.
inline constexpr std::uint8_t major_lorawan_r1 = 0;

/// The direction bit of B0 and A_i: 0 uplink, 1 downlink.
enum class direction : std::uint8_t { uplink = 0, downlink = 1 };

/// One MHDR as read from the air (its RFU bits 4..2 are ignored, as receivers must).
struct mhdr {
    mtype type = mtype::unconfirmed_data_up;  ///< bits 7..5
    std::uint8_t major = major_lorawan_r1;    ///< bits 1..0
};

/// The MHDR byte of `type` with Major R1 and the RFU bits 0 (0x00, 0x20, 0x40 ... 0xE0).
constexpr std::uint8_t mhdr_byte(mtype type) noexcept {
    return static_cast<std::uint8_t>(static_cast<unsigned>(type) << 5);
}

/// One of the four data MTypes.
constexpr bool is_data(mtype type) noexcept {
    return type >= mtype::unconfirmed_data_up && type <= mtype::confirmed_data_down;
}

/// Join requests and uplink data frames travel up; join accepts and downlink data down.
/// (RFU and proprietary frames have no direction in the MHDR; they count as uplinks here.)
constexpr direction direction_of(mtype type) noexcept {
    return type == mtype::join_accept || type == mtype::unconfirmed_data_down || type == mtype::confirmed_data_down
               ? direction::downlink
               : direction::uplink;
}

/// A confirmed data frame (up or down).
constexpr bool is_confirmed(mtype type) noexcept {
    return type == mtype::confirmed_data_up || type == mtype::confirmed_data_down;
}

/// The data MType of a direction and confirmation.
constexpr mtype data_mtype(direction dir, bool confirmed) noexcept {
    if (dir == direction::uplink) {
        return confirmed ? mtype::confirmed_data_up : mtype::unconfirmed_data_up;
    }
    return confirmed ? mtype::confirmed_data_down : mtype::unconfirmed_data_down;
}

// ---------------------------------------------------------------------------------------
// Parse results

/// Why bytes are not a frame of the kind asked for. Values never change meaning.
enum class parse_error : std::uint8_t {
    none = 0,               ///< no error: the result holds a value
    too_short = 1,          ///< fewer bytes than the smallest frame of its MType (or no byte)
    too_long = 2,           ///< over 255 bytes, or over the size of a join frame
    bad_length = 3,         ///< a join accept neither 17 nor 33 bytes long
    unsupported_major = 4,  ///< MHDR Major is not LoRaWAN R1
    wrong_mtype = 5,        ///< another kind of frame than the function reads (RFU, proprietary...)
    fopts_overflow = 6,     ///< FOptsLen counts more bytes than lie between FCnt and the MIC
    fopts_with_port_zero = 7,  ///< MAC commands in FOpts and in an FPort-0 FRMPayload at once
    bad_mic = 8,            ///< the MIC does not match the key and frame counter
};

/// The enumerator's name ("too_short", "bad_mic"...), "unknown" for other values.
const char* parse_error_name(parse_error error) noexcept;

/// A parsed value or the parse_error that prevented it.
template <class T>
class parse_result {
public:
    /// A success.
    parse_result(T value) : value_(std::move(value)) {}  // implicit: `return frame;`
    /// A failure; `error` should not be parse_error::none.
    parse_result(parse_error error) noexcept : error_(error) {}  // implicit: `return parse_error::bad_mic;`

    /// Whether the result holds a value.
    bool ok() const noexcept { return value_.has_value(); }
    /// ok().
    explicit operator bool() const noexcept { return ok(); }
    /// parse_error::none on success.
    parse_error error() const noexcept { return error_; }
    /// The value; throws std::bad_optional_access on failure.
    const T& value() const& { return value_.value(); }
    T& value() & { return value_.value(); }
    T&& value() && { return std::move(value_).value(); }
    /// The value, unchecked (as std::optional's).
    const T& operator*() const& noexcept { return *value_; }
    const T* operator->() const noexcept { return &*value_; }
    /// The value as an optional, for callers that need no reason.
    const std::optional<T>& as_optional() const& noexcept { return value_; }

private:
    std::optional<T> value_;
    parse_error error_ = parse_error::none;
};

/// The MHDR of a PHYPayload: too_short for no byte, unsupported_major for a Major other
/// than R1. Any MType is accepted.
parse_result<mhdr> parse_mhdr(byte_view phy) noexcept;

/// The first 4 bytes of a CMAC, in the order they go on the air.
using mic_bytes = std::array<std::uint8_t, mic_size>;

// ---------------------------------------------------------------------------------------
// Join request (radio.md 3.1, 3.2; 23 bytes, not encrypted)

/// The fields of a join request.
struct join_request {
    std::uint64_t app_eui = 0;    ///< AppEUI (JoinEUI in 1.0.4/1.1), displayed MSB first
    std::uint64_t dev_eui = 0;    ///< DevEUI, displayed MSB first
    std::uint16_t dev_nonce = 0;  ///< DevNonce
};

/// CMAC(AppKey, MHDR | AppEUI | DevEUI | DevNonce)[0..3].
mic_bytes join_request_mic(const aes_key& app_key, const join_request& request);

/// The 23-byte PHYPayload of `request`.
bytes encode_join_request(const join_request& request, const aes_key& app_key);

/// The fields of a join request, MIC not checked (the network reads the DevEUI to find the
/// AppKey): too_short, too_long, unsupported_major, wrong_mtype.
parse_result<join_request> parse_join_request(byte_view phy) noexcept;

/// Whether `phy` is a join request whose MIC matches `app_key`.
bool verify_join_request(byte_view phy, const aes_key& app_key);

/// parse_join_request, then the MIC check: bad_mic.
parse_result<join_request> decode_join_request(byte_view phy, const aes_key& app_key);

// ---------------------------------------------------------------------------------------
// Join accept (radio.md 3.1, 3.2; 17 or 33 bytes, encrypted with AES *decrypt*)

/// The raw CFList: in 1.0.2 five 24-bit little-endian frequencies in 100 Hz units and an
/// RFU byte (EU868-like regions).
using cf_list_bytes = std::array<std::uint8_t, cf_list_size>;

/// The fields of a join accept.
struct join_accept {
    std::uint32_t app_nonce = 0;     ///< AppNonce (JoinNonce in 1.1), 24 bits
    std::uint32_t net_id = 0;        ///< NetID, 24 bits
    std::uint32_t dev_addr = 0;      ///< DevAddr
    std::uint8_t rx1_dr_offset = 0;  ///< DLSettings bits 6..4 (0..7)
    std::uint8_t rx2_data_rate = 0;  ///< DLSettings bits 3..0 (0..15)
    std::uint8_t rx_delay = 0;       ///< RxDelay bits 3..0: RX1 delay in s, 0 meaning 1 (0..15)
    std::optional<cf_list_bytes> cf_list;  ///< the CFList, if any
};

/// CMAC(AppKey, MHDR | AppNonce | NetID | DevAddr | DLSettings | RxDelay | CFList)[0..3].
/// Throws std::invalid_argument for a field out of its range.
mic_bytes join_accept_mic(const aes_key& app_key, const join_accept& accept);

/// The PHYPayload the network sends: MHDR, then body and MIC (16 or 32 bytes) passed
/// through AES-128 *decryption* with AppKey. 17 bytes, or 33 with a CFList. Throws
/// std::invalid_argument for a field out of its range.
bytes encode_join_accept(const join_accept& accept, const aes_key& app_key);

/// What the device recovers from an encrypted join accept with AES *encryption*: the
/// plain PHYPayload MHDR | body | MIC, MIC not checked. too_short, too_long, bad_length,
/// unsupported_major, wrong_mtype.
parse_result<bytes> decrypt_join_accept(byte_view phy, const aes_key& app_key);

/// decrypt_join_accept, the MIC check (bad_mic) and the fields. The RFU bits of
/// DLSettings and RxDelay are ignored.
parse_result<join_accept> decode_join_accept(byte_view phy, const aes_key& app_key);

/// A CFList of five frequencies in Hz (0 for no channel). Throws std::invalid_argument for a
/// frequency that is not a multiple of 100 Hz or does not fit 24 bits of 100 Hz.
cf_list_bytes make_cf_list(const std::array<std::uint32_t, 5>& frequencies_hz);

/// The five frequencies of a CFList in Hz (0 for none); the RFU byte is ignored.
std::array<std::uint32_t, 5> cf_list_frequencies_hz(const cf_list_bytes& cf_list) noexcept;

/// NwkID: the 7 least significant bits of the NetID, also the 7 most significant of the
/// DevAddrs the network assigns (radio.md 3.1).
constexpr std::uint8_t nwk_id_of_net_id(std::uint32_t net_id) noexcept {
    return static_cast<std::uint8_t>(net_id & 0x7F);
}
/// The NwkID a DevAddr carries in its 7 most significant bits.
constexpr std::uint8_t nwk_id_of_dev_addr(std::uint32_t dev_addr) noexcept {
    return static_cast<std::uint8_t>(dev_addr >> 25);
}

// ---------------------------------------------------------------------------------------
// Session keys (OTAA, radio.md 3.2)

/// The two session keys of an activation.
struct session_keys {
    aes_key nwk_s_key{};  ///< NwkSKey: MICs, FPort-0 payloads
    aes_key app_s_key{};  ///< AppSKey: application payloads
};

/// NwkSKey = AES(AppKey, 01 | AppNonce | NetID | DevNonce | 00 x 7), AppSKey the same with 02,
/// the fields little-endian as on the air. Throws std::invalid_argument when `app_nonce` or
/// `net_id` exceeds 24 bits.
session_keys derive_session_keys(const aes_key& app_key, std::uint32_t app_nonce, std::uint32_t net_id,
                                 std::uint16_t dev_nonce);

// ---------------------------------------------------------------------------------------
// Data frames (radio.md 3.1, 3.2)

/// FCtrl without FOptsLen (which the FOpts' size gives).
struct frame_control {
    bool adr = false;          ///< bit 7, both directions
    bool adr_ack_req = false;  ///< bit 6, uplinks only (RFU in a downlink)
    bool ack = false;          ///< bit 5, both directions
    bool f_pending = false;    ///< bit 4 of a downlink: FPending
    bool class_b = false;      ///< bit 4 of an uplink: ClassB (RFU in 1.0.2, used from 1.0.3)
};

/// A data frame in clear: what a device sends or a network server delivers.
struct data_frame {
    mtype type = mtype::unconfirmed_data_up;  ///< one of the four data MTypes
    std::uint32_t dev_addr = 0;               ///< DevAddr
    frame_control fctrl;                      ///< FCtrl
    std::uint32_t fcnt = 0;                   ///< the full 32-bit counter; its low 16 bits go on air
    bytes fopts;                              ///< MAC commands in clear, at most 15 bytes
    std::optional<std::uint8_t> fport;        ///< FPort: 0 MAC commands, 1..223 application, 224 test
    bytes frm_payload;                        ///< FRMPayload in clear (needs an FPort)
};

/// A data frame as it is on the air: nothing verified, nothing decrypted.
struct data_frame_fields {
    mtype type = mtype::unconfirmed_data_up;  ///< one of the four data MTypes
    std::uint32_t dev_addr = 0;               ///< DevAddr
    frame_control fctrl;                      ///< FCtrl; bits RFU in the frame's direction read false
    std::uint16_t fcnt = 0;                   ///< the 16 bits on air
    bytes fopts;                              ///< FOpts (FOptsLen bytes)
    std::optional<std::uint8_t> fport;        ///< present when bytes follow FOpts before the MIC
    bytes frm_payload;                        ///< FRMPayload as sent (encrypted)
    mic_bytes mic{};                          ///< the MIC as sent
};

/// B0 = 49 | 00 x 4 | Dir | DevAddr(LE) | FCnt(LE, 32 bits) | 00 | len(msg).
aes_block b0_block(direction dir, std::uint32_t dev_addr, std::uint32_t fcnt, std::uint8_t message_size) noexcept;

/// A_i = 01 | 00 x 4 | Dir | DevAddr(LE) | FCnt(LE, 32 bits) | 00 | i.
aes_block a_block(direction dir, std::uint32_t dev_addr, std::uint32_t fcnt, std::uint8_t i) noexcept;

/// FRMPayload XOR S (S_i = AES(key, A_i), i = 1..): encrypts and decrypts alike. Key
/// AppSKey for FPort 1..255, NwkSKey for FPort 0. Throws std::invalid_argument beyond 255
/// blocks (the block index is one byte).
bytes crypt_frm_payload(const aes_key& key, direction dir, std::uint32_t dev_addr, std::uint32_t fcnt,
                        byte_view payload);

/// CMAC(NwkSKey, B0 | msg)[0..3], msg = MHDR | FHDR | FPort | FRMPayload (the PHYPayload
/// without its MIC). Throws std::invalid_argument for a message over 255 bytes.
mic_bytes data_mic(const aes_key& nwk_s_key, direction dir, std::uint32_t dev_addr, std::uint32_t fcnt,
                   byte_view message);

/// The PHYPayload of `frame`: FRMPayload encrypted, MIC appended. Throws
/// std::invalid_argument when the type is not a data MType, FOpts exceed 15 bytes, a
/// payload has no FPort, FPort 0 comes with FOpts, the frame exceeds 255 bytes, or an FCtrl
/// bit is set that is RFU in the frame's direction (adr_ack_req or class_b in a downlink,
/// f_pending in an uplink).
bytes encode_data_frame(const data_frame& frame, const session_keys& keys);

/// The fields of a data frame, nothing verified: too_short, too_long, unsupported_major,
/// wrong_mtype, fopts_overflow, fopts_with_port_zero.
parse_result<data_frame_fields> parse_data_frame(byte_view phy);

/// Whether `phy` is a data frame whose MIC matches `nwk_s_key` with the full counter
/// `fcnt` (false too when the low 16 bits of `fcnt` are not those on air).
bool verify_data_frame(byte_view phy, const aes_key& nwk_s_key, std::uint32_t fcnt);

/// parse_data_frame, the 32-bit counter recovered from the 16 on air with
/// recover_fcnt(fcnt_reference, ...), the MIC check (bad_mic) and the FRMPayload decrypted.
/// With the default reference 0 the counter is the 16-bit one.
parse_result<data_frame> decode_data_frame(byte_view phy, const session_keys& keys, std::uint32_t fcnt_reference = 0);

// ---------------------------------------------------------------------------------------
// Frame counters

/// LoRaWAN 1.0.2 MAX_FCNT_GAP: a receiver drops a frame whose recovered counter is this far
/// or further beyond the one it expects.
inline constexpr std::uint32_t max_fcnt_gap = 16384;

/// The 32-bit counter behind the 16 bits on air: the smallest value at or above `reference`
/// whose low 16 bits are `on_air` (modulo 2^32). Pass the counter last received to accept
/// its retransmission (equal) and any later frame, or that counter + 1 to accept only newer
/// frames. Examples: (0x0001FFFE, 0x0003) -> 0x00020003, (0x00010005, 0x0005) -> 0x00010005.
constexpr std::uint32_t recover_fcnt(std::uint32_t reference, std::uint16_t on_air) noexcept {
    const std::uint32_t candidate = (reference & 0xFFFF0000u) | on_air;
    return candidate >= reference ? candidate : candidate + 0x10000u;  // wraps modulo 2^32
}

}  // namespace usocket::sim::lorawan
