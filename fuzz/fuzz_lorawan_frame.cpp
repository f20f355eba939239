// fuzz/fuzz_lorawan_frame.cpp: the input is one PHYPayload as heard on the air, given to every
// parser and decoder of lorawan_frame.hpp, with the keys of the published test vectors
// (spec/radio.md 3.3) so that seeds with a valid MIC reach the decrypted paths.
//
// Properties: the parsers never throw (the header's promise) and agree with the bytes; a frame
// that decodes with a key re-encodes to the same bytes when its RFU bits are 0 (the MIC covers
// them, the fields do not keep them); cf_list and recover_fcnt are consistent.
#include <cstring>

#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

lw::aes_key hex_key(const char* hex) {
    lw::aes_key k{};
    for (std::size_t i = 0; i < k.size(); ++i) {
        unsigned v = 0;
        std::sscanf(hex + 2 * i, "%2x", &v);
        k[i] = static_cast<std::uint8_t>(v);
    }
    return k;
}

lw::aes_key fill(std::uint8_t b) {
    lw::aes_key k{};
    k.fill(b);
    return k;
}

/// Session keys of V1, V2 (two sets), V6 and V7.
const std::vector<lw::session_keys>& session_key_sets() {
    static const std::vector<lw::session_keys> sets = {
        {hex_key("44024241ed4ce9a68c6a8bc055233fd3"), hex_key("ec925802ae430ca77fd3dd73cb2cc588")},
        {fill(0x02), fill(0x01)},
        {fill(0x01), fill(0x01)},
        {hex_key("4e3d6e6afbcc67af2ba3c8e8ec4acf4b"), hex_key("610897aa6f1460623443b527d3ac6a9d")},
    };
    return sets;
}

/// AppKeys of V3, V4, V5 and V6.
const std::vector<lw::aes_key>& app_keys() {
    static const std::vector<lw::aes_key> keys = {
        hex_key("00112233445566778899aabbccddeeff"),
        fill(0x01),
        fill(0x00),
        hex_key("98929b92c49edba9676d646d3b612456"),
    };
    return keys;
}

std::uint32_t le(const std::uint8_t* p, int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
        v |= std::uint32_t{p[i]} << (8 * i);
    }
    return v;
}

void check_data(lw::byte_view phy) {
    const auto fields = lw::parse_data_frame(phy);
    if (!fields) {
        FUZZ_CHECK(fields.error() != lw::parse_error::none && fields.error() != lw::parse_error::bad_mic);
        return;
    }
    // The fields are the bytes.
    const lw::data_frame_fields& f = *fields;
    FUZZ_CHECK(lw::is_data(f.type));
    FUZZ_CHECK(phy.size() <= lw::max_phy_payload_size);
    FUZZ_CHECK(f.fopts.size() <= lw::max_fopts_size);
    FUZZ_CHECK(f.fopts.size() == (phy[5] & 0x0Fu));
    FUZZ_CHECK(lw::data_frame_size(f.fopts.size(), f.fport.has_value(), f.frm_payload.size()) == phy.size());
    FUZZ_CHECK(f.dev_addr == le(phy.data() + 1, 4));
    FUZZ_CHECK(f.fcnt == le(phy.data() + 6, 2));
    FUZZ_CHECK(std::memcmp(f.mic.data(), phy.data() + phy.size() - 4, 4) == 0);
    FUZZ_CHECK(!(f.fport == 0 && !f.fopts.empty()));
    if (f.fport) {
        FUZZ_CHECK(*f.fport == phy[8 + f.fopts.size()]);
    }

    const bool rfu_clear = (phy[0] & 0x1C) == 0 &&
                           (lw::direction_of(f.type) == lw::direction::uplink || (phy[5] & 0x40) == 0);
    for (const lw::session_keys& keys : session_key_sets()) {
        for (const std::uint32_t reference : {0u, 0x10000u}) {
            const auto decoded = lw::decode_data_frame(phy, keys, reference);
            if (!decoded) {
                FUZZ_CHECK(decoded.error() == lw::parse_error::bad_mic);
                continue;
            }
            const lw::data_frame& d = *decoded;
            FUZZ_CHECK(lw::verify_data_frame(phy, keys.nwk_s_key, d.fcnt));
            FUZZ_CHECK((d.fcnt & 0xFFFFu) == f.fcnt);
            FUZZ_CHECK(d.frm_payload.size() == f.frm_payload.size());
            // A frame the network or the device accepted can be sent again as it came.
            lw::bytes again;
            try {
                again = lw::encode_data_frame(d, keys);
            } catch (const std::invalid_argument& e) {
                std::fprintf(stderr, "a decoded frame does not encode: %s\n", e.what());
                FUZZ_CHECK(false);
            }
            if (rfu_clear) {
                FUZZ_CHECK(again.size() == phy.size() && std::equal(again.begin(), again.end(), phy.begin()));
            }
        }
    }
}

void check_join_request(lw::byte_view phy) {
    const auto req = lw::parse_join_request(phy);
    if (!req) {
        return;
    }
    FUZZ_CHECK(phy.size() == lw::join_request_size);
    for (const lw::aes_key& key : app_keys()) {
        const auto decoded = lw::decode_join_request(phy, key);
        FUZZ_CHECK(decoded.ok() == lw::verify_join_request(phy, key));
        if (decoded && (phy[0] & 0x1C) == 0) {
            const lw::bytes again = lw::encode_join_request(*decoded, key);
            FUZZ_CHECK(std::equal(again.begin(), again.end(), phy.begin(), phy.end()));
        }
    }
}

void check_join_accept(lw::byte_view phy) {
    for (const lw::aes_key& key : app_keys()) {
        const auto plain = lw::decrypt_join_accept(phy, key);
        const auto accept = lw::decode_join_accept(phy, key);
        if (!plain) {
            FUZZ_CHECK(!accept);
            continue;
        }
        FUZZ_CHECK(plain->size() == phy.size());
        if (!accept) {
            FUZZ_CHECK(accept.error() == lw::parse_error::bad_mic);
            continue;
        }
        const lw::join_accept& a = *accept;
        FUZZ_CHECK(a.app_nonce <= 0xFFFFFFu && a.net_id <= 0xFFFFFFu);
        FUZZ_CHECK(a.rx1_dr_offset <= 7 && a.rx2_data_rate <= 15 && a.rx_delay <= 15);
        FUZZ_CHECK(a.cf_list.has_value() == (phy.size() == lw::join_accept_cf_list_size));
        lw::bytes again;
        try {
            again = lw::encode_join_accept(a, key);
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "a decoded join accept does not encode: %s\n", e.what());
            FUZZ_CHECK(false);
        }
        const lw::bytes& p = *plain;
        if ((p[0] & 0x1C) == 0 && (p[11] & 0x80) == 0 && (p[12] & 0xF0) == 0) {
            FUZZ_CHECK(std::equal(again.begin(), again.end(), phy.begin(), phy.end()));
        }
    }
}

void check_cf_list(lw::byte_view in) {
    if (in.size() < lw::cf_list_size) {
        return;
    }
    lw::cf_list_bytes raw{};
    std::memcpy(raw.data(), in.data(), raw.size());
    const auto hz = lw::cf_list_frequencies_hz(raw);
    lw::cf_list_bytes again{};
    try {
        again = lw::make_cf_list(hz);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "a CFList read from the air does not encode: %s\n", e.what());
        FUZZ_CHECK(false);
    }
    FUZZ_CHECK(std::memcmp(again.data(), raw.data(), 15) == 0);
}

void check_recover_fcnt(lw::byte_view in) {
    if (in.size() < 6) {
        return;
    }
    const std::uint32_t reference = le(in.data(), 4);
    const auto on_air = static_cast<std::uint16_t>(le(in.data() + 4, 2));
    const std::uint32_t fcnt = lw::recover_fcnt(reference, on_air);
    FUZZ_CHECK((fcnt & 0xFFFFu) == on_air);
    FUZZ_CHECK(fcnt - reference < 0x10000u);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const lw::byte_view phy(data, size);
    const auto hdr = lw::parse_mhdr(phy);
    FUZZ_CHECK(hdr.ok() == (size >= 1 && (data[0] & 0x03) == 0));
    FUZZ_CHECK(lw::parse_error_name(hdr.error()) != nullptr);
    check_data(phy);
    check_join_request(phy);
    check_join_accept(phy);
    check_cf_list(phy);
    check_recover_fcnt(phy);
    return 0;
}
