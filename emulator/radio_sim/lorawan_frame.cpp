// lorawan_frame.cpp: LoRaWAN 1.0.2 frame building, parsing and cryptography (radio.md 3).
//
// Parsing checks every length against the view before it reads a byte; the view's sub()
// clamps as well, so no input reads outside the frame. Multi-byte fields are written and
// read little-endian here and nowhere else.
#include "usocket/sim/lorawan_frame.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace usocket::sim::lorawan {
namespace {

// Field offsets of a data frame (radio.md 3.1): MHDR | DevAddr(4) | FCtrl | FCnt(2) | FOpts.
constexpr std::size_t dev_addr_offset = 1;
constexpr std::size_t fctrl_offset = 5;
constexpr std::size_t fcnt_offset = 6;
constexpr std::size_t fopts_offset = 8;

// FCtrl bits (radio.md 3.1).
constexpr std::uint8_t fctrl_adr = 0x80;
constexpr std::uint8_t fctrl_adr_ack_req = 0x40;
constexpr std::uint8_t fctrl_ack = 0x20;
constexpr std::uint8_t fctrl_bit4 = 0x10;  // FPending down, ClassB up
constexpr std::uint8_t fctrl_fopts_len = 0x0F;

// DLSettings: RFU 7, RX1DRoffset 6..4, RX2DataRate 3..0; RxDelay: RFU 7..4, Del 3..0.
constexpr unsigned rx1_dr_offset_shift = 4;
constexpr std::uint8_t rx1_dr_offset_max = 7;
constexpr std::uint8_t rx2_data_rate_mask = 0x0F;
constexpr std::uint8_t rx_delay_mask = 0x0F;

// First bytes of the cryptographic blocks (radio.md 3.2).
constexpr std::uint8_t b0_tag = 0x49;
constexpr std::uint8_t a_tag = 0x01;
constexpr std::uint8_t nwk_s_key_tag = 0x01;
constexpr std::uint8_t app_s_key_tag = 0x02;

constexpr std::uint32_t max_24_bits = 0xFFFFFF;
constexpr std::size_t block_size = 16;
constexpr std::size_t max_payload_blocks = 255;  // the block counter i is one byte
constexpr std::uint32_t cf_list_unit_hz = 100;
constexpr std::size_t cf_list_channels = 5;

void put_le(bytes& out, std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }
}

/// `size` bytes little-endian at `offset`; the caller has checked the view holds them.
std::uint64_t get_le(byte_view in, std::size_t offset, std::size_t size) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = size; i > 0; --i) {
        value = (value << 8) | in[offset + i - 1];
    }
    return value;
}

void put_le_block(aes_block& block, std::size_t offset, std::uint32_t value) noexcept {
    for (std::size_t i = 0; i < 4; ++i) {
        block[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
}

void append(bytes& out, byte_view in) { out.insert(out.end(), in.begin(), in.end()); }

mic_bytes first_four(const aes_block& tag) noexcept {
    mic_bytes mic{};
    std::copy_n(tag.begin(), mic.size(), mic.begin());
    return mic;
}

/// The MIC at the end of a frame that has one (size >= mic_size checked by the caller).
mic_bytes trailing_mic(byte_view phy) noexcept {
    mic_bytes mic{};
    std::copy_n(phy.data() + phy.size() - mic_size, mic_size, mic.begin());
    return mic;
}

bool same_mic(const mic_bytes& a, const mic_bytes& b) noexcept { return a == b; }

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("LoRaWAN: " + what); }

/// The MHDR, then the MType `wanted`.
parse_error check_header(byte_view phy, mtype wanted) noexcept {
    const auto header = parse_mhdr(phy);
    if (!header) {
        return header.error();
    }
    return header->type == wanted ? parse_error::none : parse_error::wrong_mtype;
}

// ---- join frames

/// MHDR | AppNonce | NetID | DevAddr | DLSettings | RxDelay | CFList: what the MIC covers.
bytes join_accept_plain_body(const join_accept& a) {
    if (a.app_nonce > max_24_bits) {
        invalid("AppNonce exceeds 24 bits");
    }
    if (a.net_id > max_24_bits) {
        invalid("NetID exceeds 24 bits");
    }
    if (a.rx1_dr_offset > rx1_dr_offset_max) {
        invalid("RX1DRoffset exceeds 3 bits");
    }
    if (a.rx2_data_rate > rx2_data_rate_mask) {
        invalid("RX2DataRate exceeds 4 bits");
    }
    if (a.rx_delay > rx_delay_mask) {
        invalid("RxDelay exceeds 4 bits");
    }
    bytes out;
    out.reserve(join_accept_cf_list_size);
    out.push_back(mhdr_byte(mtype::join_accept));
    put_le(out, a.app_nonce, 3);
    put_le(out, a.net_id, 3);
    put_le(out, a.dev_addr, 4);
    out.push_back(static_cast<std::uint8_t>((a.rx1_dr_offset << rx1_dr_offset_shift) | a.rx2_data_rate));
    out.push_back(a.rx_delay);
    if (a.cf_list) {
        append(out, *a.cf_list);
    }
    return out;
}

/// Each 16-byte block of `phy` after the MHDR through AES encryption or decryption.
bytes crypt_join_accept_blocks(byte_view phy, const aes_key& key, bool encrypting) {
    bytes out;
    out.reserve(phy.size());
    out.push_back(phy[0]);
    for (std::size_t offset = 1; offset + block_size <= phy.size(); offset += block_size) {
        aes_block in{};
        std::copy_n(phy.data() + offset, block_size, in.begin());
        append(out, encrypting ? aes_encrypt(key, in) : aes_decrypt(key, in));
    }
    return out;
}

// ---- data frames

/// FCtrl of `frame` with FOptsLen, checking the bits the frame's direction allows.
std::uint8_t fctrl_byte(const data_frame& frame) {
    const frame_control& c = frame.fctrl;
    const bool up = direction_of(frame.type) == direction::uplink;
    if (!up && c.adr_ack_req) {
        invalid("ADRACKReq is RFU in a downlink");
    }
    if (!up && c.class_b) {
        invalid("ClassB is an uplink bit");
    }
    if (up && c.f_pending) {
        invalid("FPending is a downlink bit");
    }
    std::uint8_t byte = static_cast<std::uint8_t>(frame.fopts.size());
    byte |= c.adr ? fctrl_adr : 0;
    byte |= c.adr_ack_req ? fctrl_adr_ack_req : 0;
    byte |= c.ack ? fctrl_ack : 0;
    byte |= (up ? c.class_b : c.f_pending) ? fctrl_bit4 : 0;
    return byte;
}

frame_control fctrl_fields(std::uint8_t byte, direction dir) noexcept {
    frame_control c;
    c.adr = (byte & fctrl_adr) != 0;
    c.ack = (byte & fctrl_ack) != 0;
    if (dir == direction::uplink) {
        c.adr_ack_req = (byte & fctrl_adr_ack_req) != 0;
        c.class_b = (byte & fctrl_bit4) != 0;
    } else {
        c.f_pending = (byte & fctrl_bit4) != 0;
    }
    return c;
}

}  // namespace

const char* parse_error_name(parse_error error) noexcept {
    switch (error) {
    case parse_error::none: return "none";
    case parse_error::too_short: return "too_short";
    case parse_error::too_long: return "too_long";
    case parse_error::bad_length: return "bad_length";
    case parse_error::unsupported_major: return "unsupported_major";
    case parse_error::wrong_mtype: return "wrong_mtype";
    case parse_error::fopts_overflow: return "fopts_overflow";
    case parse_error::fopts_with_port_zero: return "fopts_with_port_zero";
    case parse_error::bad_mic: return "bad_mic";
    }
    return "unknown";
}

parse_result<mhdr> parse_mhdr(byte_view phy) noexcept {
    if (phy.empty()) {
        return parse_error::too_short;
    }
    mhdr header;
    header.type = static_cast<mtype>(phy[0] >> 5);
    header.major = static_cast<std::uint8_t>(phy[0] & 0x03);
    if (header.major != major_lorawan_r1) {
        return parse_error::unsupported_major;
    }
    return header;
}

// ---- join request

mic_bytes join_request_mic(const aes_key& app_key, const join_request& request) {
    bytes msg;
    msg.reserve(join_request_size - mic_size);
    msg.push_back(mhdr_byte(mtype::join_request));
    put_le(msg, request.app_eui, 8);
    put_le(msg, request.dev_eui, 8);
    put_le(msg, request.dev_nonce, 2);
    return first_four(aes_cmac(app_key, msg));
}

bytes encode_join_request(const join_request& request, const aes_key& app_key) {
    bytes out;
    out.reserve(join_request_size);
    out.push_back(mhdr_byte(mtype::join_request));
    put_le(out, request.app_eui, 8);
    put_le(out, request.dev_eui, 8);
    put_le(out, request.dev_nonce, 2);
    append(out, join_request_mic(app_key, request));
    return out;
}

parse_result<join_request> parse_join_request(byte_view phy) noexcept {
    if (const parse_error e = check_header(phy, mtype::join_request); e != parse_error::none) {
        return e;
    }
    if (phy.size() < join_request_size) {
        return parse_error::too_short;
    }
    if (phy.size() > join_request_size) {
        return parse_error::too_long;
    }
    join_request request;
    request.app_eui = get_le(phy, 1, 8);
    request.dev_eui = get_le(phy, 9, 8);
    request.dev_nonce = static_cast<std::uint16_t>(get_le(phy, 17, 2));
    return request;
}

bool verify_join_request(byte_view phy, const aes_key& app_key) {
    if (!parse_join_request(phy)) {
        return false;
    }
    // The MIC covers the bytes as received, MHDR RFU bits included.
    return same_mic(first_four(aes_cmac(app_key, phy.sub(0, join_request_size - mic_size))), trailing_mic(phy));
}

parse_result<join_request> decode_join_request(byte_view phy, const aes_key& app_key) {
    auto request = parse_join_request(phy);
    if (!request) {
        return request;
    }
    if (!verify_join_request(phy, app_key)) {
        return parse_error::bad_mic;
    }
    return request;
}

// ---- join accept

mic_bytes join_accept_mic(const aes_key& app_key, const join_accept& accept) {
    return first_four(aes_cmac(app_key, join_accept_plain_body(accept)));
}

bytes encode_join_accept(const join_accept& accept, const aes_key& app_key) {
    bytes plain = join_accept_plain_body(accept);
    append(plain, first_four(aes_cmac(app_key, plain)));
    // The network "encrypts" with AES decryption so the device needs only AES encryption.
    return crypt_join_accept_blocks(plain, app_key, false);
}

parse_result<bytes> decrypt_join_accept(byte_view phy, const aes_key& app_key) {
    if (const parse_error e = check_header(phy, mtype::join_accept); e != parse_error::none) {
        return e;
    }
    if (phy.size() < join_accept_size) {
        return parse_error::too_short;
    }
    if (phy.size() > join_accept_cf_list_size) {
        return parse_error::too_long;
    }
    if (phy.size() != join_accept_size && phy.size() != join_accept_cf_list_size) {
        return parse_error::bad_length;
    }
    return crypt_join_accept_blocks(phy, app_key, true);
}

parse_result<join_accept> decode_join_accept(byte_view phy, const aes_key& app_key) {
    const auto decrypted = decrypt_join_accept(phy, app_key);
    if (!decrypted) {
        return decrypted.error();
    }
    const byte_view plain = *decrypted;
    const byte_view body = plain.sub(0, plain.size() - mic_size);
    if (!same_mic(first_four(aes_cmac(app_key, body)), trailing_mic(plain))) {
        return parse_error::bad_mic;
    }
    join_accept accept;
    accept.app_nonce = static_cast<std::uint32_t>(get_le(plain, 1, 3));
    accept.net_id = static_cast<std::uint32_t>(get_le(plain, 4, 3));
    accept.dev_addr = static_cast<std::uint32_t>(get_le(plain, 7, 4));
    accept.rx1_dr_offset = static_cast<std::uint8_t>((plain[11] >> rx1_dr_offset_shift) & rx1_dr_offset_max);
    accept.rx2_data_rate = static_cast<std::uint8_t>(plain[11] & rx2_data_rate_mask);
    accept.rx_delay = static_cast<std::uint8_t>(plain[12] & rx_delay_mask);
    if (plain.size() == join_accept_cf_list_size) {
        cf_list_bytes cf{};
        std::copy_n(plain.data() + 13, cf_list_size, cf.begin());
        accept.cf_list = cf;
    }
    return accept;
}

cf_list_bytes make_cf_list(const std::array<std::uint32_t, 5>& frequencies_hz) {
    cf_list_bytes cf{};
    for (std::size_t i = 0; i < cf_list_channels; ++i) {
        const std::uint32_t f = frequencies_hz[i];
        if (f % cf_list_unit_hz != 0 || f / cf_list_unit_hz > max_24_bits) {
            invalid("a CFList frequency must be a multiple of 100 Hz below 1677.7216 MHz");
        }
        const std::uint32_t units = f / cf_list_unit_hz;
        for (std::size_t b = 0; b < 3; ++b) {
            cf[3 * i + b] = static_cast<std::uint8_t>(units >> (8 * b));
        }
    }
    return cf;
}

std::array<std::uint32_t, 5> cf_list_frequencies_hz(const cf_list_bytes& cf_list) noexcept {
    std::array<std::uint32_t, 5> out{};
    for (std::size_t i = 0; i < cf_list_channels; ++i) {
        out[i] = static_cast<std::uint32_t>(get_le(cf_list, 3 * i, 3)) * cf_list_unit_hz;
    }
    return out;
}

// ---- session keys

session_keys derive_session_keys(const aes_key& app_key, std::uint32_t app_nonce, std::uint32_t net_id,
                                 std::uint16_t dev_nonce) {
    if (app_nonce > max_24_bits) {
        invalid("AppNonce exceeds 24 bits");
    }
    if (net_id > max_24_bits) {
        invalid("NetID exceeds 24 bits");
    }
    bytes fields;
    put_le(fields, app_nonce, 3);
    put_le(fields, net_id, 3);
    put_le(fields, dev_nonce, 2);
    aes_block block{};  // tag | AppNonce | NetID | DevNonce | 00 x 7
    std::copy(fields.begin(), fields.end(), block.begin() + 1);
    session_keys keys;
    block[0] = nwk_s_key_tag;
    keys.nwk_s_key = aes_encrypt(app_key, block);
    block[0] = app_s_key_tag;
    keys.app_s_key = aes_encrypt(app_key, block);
    return keys;
}

// ---- data frames

aes_block b0_block(direction dir, std::uint32_t dev_addr, std::uint32_t fcnt, std::uint8_t message_size) noexcept {
    aes_block b{};
    b[0] = b0_tag;
    b[5] = static_cast<std::uint8_t>(dir);
    put_le_block(b, 6, dev_addr);
    put_le_block(b, 10, fcnt);
    b[15] = message_size;
    return b;
}

aes_block a_block(direction dir, std::uint32_t dev_addr, std::uint32_t fcnt, std::uint8_t i) noexcept {
    aes_block a{};
    a[0] = a_tag;
    a[5] = static_cast<std::uint8_t>(dir);
    put_le_block(a, 6, dev_addr);
    put_le_block(a, 10, fcnt);
    a[15] = i;
    return a;
}

bytes crypt_frm_payload(const aes_key& key, direction dir, std::uint32_t dev_addr, std::uint32_t fcnt,
                        byte_view payload) {
    if (payload.size() > max_payload_blocks * block_size) {
        invalid("FRMPayload exceeds 255 blocks");
    }
    bytes out(payload.begin(), payload.end());
    for (std::size_t offset = 0, i = 1; offset < out.size(); offset += block_size, ++i) {
        const aes_block s = aes_encrypt(key, a_block(dir, dev_addr, fcnt, static_cast<std::uint8_t>(i)));
        const std::size_t n = std::min(block_size, out.size() - offset);
        for (std::size_t k = 0; k < n; ++k) {
            out[offset + k] ^= s[k];
        }
    }
    return out;
}

mic_bytes data_mic(const aes_key& nwk_s_key, direction dir, std::uint32_t dev_addr, std::uint32_t fcnt,
                   byte_view message) {
    if (message.size() > max_phy_payload_size) {
        invalid("a data frame exceeds 255 bytes");
    }
    const aes_block b0 = b0_block(dir, dev_addr, fcnt, static_cast<std::uint8_t>(message.size()));
    bytes input;
    input.reserve(block_size + message.size());
    append(input, b0);
    append(input, message);
    return first_four(aes_cmac(nwk_s_key, input));
}

bytes encode_data_frame(const data_frame& frame, const session_keys& keys) {
    if (!is_data(frame.type)) {
        invalid("not a data MType");
    }
    if (frame.fopts.size() > max_fopts_size) {
        invalid("FOpts exceed 15 bytes");
    }
    if (!frame.fport && !frame.frm_payload.empty()) {
        invalid("an FRMPayload needs an FPort");
    }
    if (frame.fport == 0 && !frame.fopts.empty()) {
        invalid("MAC commands in FOpts and in an FPort-0 payload");
    }
    const std::size_t size = data_frame_size(frame.fopts.size(), frame.fport.has_value(), frame.frm_payload.size());
    if (size > max_phy_payload_size) {
        invalid("a data frame exceeds 255 bytes");
    }
    const direction dir = direction_of(frame.type);
    bytes out;
    out.reserve(size);
    out.push_back(mhdr_byte(frame.type));
    put_le(out, frame.dev_addr, 4);
    out.push_back(fctrl_byte(frame));
    put_le(out, frame.fcnt & 0xFFFFu, 2);
    append(out, frame.fopts);
    if (frame.fport) {
        out.push_back(*frame.fport);
        const aes_key& key = *frame.fport == 0 ? keys.nwk_s_key : keys.app_s_key;
        append(out, crypt_frm_payload(key, dir, frame.dev_addr, frame.fcnt, frame.frm_payload));
    }
    append(out, data_mic(keys.nwk_s_key, dir, frame.dev_addr, frame.fcnt, out));
    return out;
}

parse_result<data_frame_fields> parse_data_frame(byte_view phy) {
    const auto header = parse_mhdr(phy);
    if (!header) {
        return header.error();
    }
    if (!is_data(header->type)) {
        return parse_error::wrong_mtype;
    }
    if (phy.size() < data_overhead_size) {
        return parse_error::too_short;
    }
    if (phy.size() > max_phy_payload_size) {
        return parse_error::too_long;
    }
    const std::uint8_t fctrl = phy[fctrl_offset];
    const std::size_t fopts_size = fctrl & fctrl_fopts_len;
    const std::size_t after_fhdr = phy.size() - mic_size;  // FOpts, FPort and FRMPayload end here
    if (fopts_offset + fopts_size > after_fhdr) {
        return parse_error::fopts_overflow;
    }
    data_frame_fields f;
    f.type = header->type;
    f.dev_addr = static_cast<std::uint32_t>(get_le(phy, dev_addr_offset, 4));
    f.fctrl = fctrl_fields(fctrl, direction_of(f.type));
    f.fcnt = static_cast<std::uint16_t>(get_le(phy, fcnt_offset, 2));
    const byte_view fopts = phy.sub(fopts_offset, fopts_size);
    f.fopts.assign(fopts.begin(), fopts.end());
    const std::size_t fport_offset = fopts_offset + fopts_size;
    if (fport_offset < after_fhdr) {
        f.fport = phy[fport_offset];
        if (*f.fport == 0 && fopts_size > 0) {
            return parse_error::fopts_with_port_zero;
        }
        const byte_view payload = phy.sub(fport_offset + 1, after_fhdr - fport_offset - 1);
        f.frm_payload.assign(payload.begin(), payload.end());
    }
    f.mic = trailing_mic(phy);
    return f;
}

namespace {

/// The MIC check of a frame parse_data_frame accepted.
bool data_mic_matches(byte_view phy, const data_frame_fields& f, const aes_key& nwk_s_key, std::uint32_t fcnt) {
    if (f.fcnt != (fcnt & 0xFFFFu)) {
        return false;
    }
    const byte_view message = phy.sub(0, phy.size() - mic_size);
    return same_mic(data_mic(nwk_s_key, direction_of(f.type), f.dev_addr, fcnt, message), f.mic);
}

}  // namespace

bool verify_data_frame(byte_view phy, const aes_key& nwk_s_key, std::uint32_t fcnt) {
    const auto fields = parse_data_frame(phy);
    return fields && data_mic_matches(phy, *fields, nwk_s_key, fcnt);
}

parse_result<data_frame> decode_data_frame(byte_view phy, const session_keys& keys, std::uint32_t fcnt_reference) {
    auto parsed = parse_data_frame(phy);
    if (!parsed) {
        return parsed.error();
    }
    data_frame_fields& f = parsed.value();
    const std::uint32_t fcnt = recover_fcnt(fcnt_reference, f.fcnt);
    if (!data_mic_matches(phy, f, keys.nwk_s_key, fcnt)) {
        return parse_error::bad_mic;
    }
    const direction dir = direction_of(f.type);
    data_frame frame;
    frame.type = f.type;
    frame.dev_addr = f.dev_addr;
    frame.fctrl = f.fctrl;
    frame.fcnt = fcnt;
    frame.fopts = std::move(f.fopts);
    frame.fport = f.fport;
    if (f.fport) {
        const aes_key& key = *f.fport == 0 ? keys.nwk_s_key : keys.app_s_key;
        frame.frm_payload = crypt_frm_payload(key, dir, f.dev_addr, fcnt, f.frm_payload);
    }
    return frame;
}

}  // namespace usocket::sim::lorawan
