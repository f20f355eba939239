// tests/cpp/sim/test_lorawan_frame.cpp: LoRaWAN 1.0.2 frames and cryptography: every
// published vector of radio.md 3.3 and the cross-check frames of interop.md 3.2 byte for
// byte, round trips, the 32-bit frame counter, frames at their size limits, malformed
// input and a seeded fuzz loop through every parser.
#include "usocket/sim/lorawan_frame.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "usocket/sim/lorawan_crypto.hpp"

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

namespace lw = usocket::sim::lorawan;
using lw::aes_block;
using lw::aes_key;
using lw::bytes;
using lw::direction;
using lw::mtype;
using lw::parse_error;

namespace Catch {
template <>
struct StringMaker<parse_error> {
    static std::string convert(parse_error e) { return lw::parse_error_name(e); }
};
template <>
struct StringMaker<mtype> {
    static std::string convert(mtype t) { return "mtype " + std::to_string(static_cast<int>(t)); }
};
}  // namespace Catch

namespace {

bytes unhex(std::string_view hex) {
    bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

std::string hex(lw::byte_view b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t x : b) {
        out.push_back(digits[x >> 4]);
        out.push_back(digits[x & 0xF]);
    }
    return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> array_of(std::string_view h) {
    const bytes b = unhex(h);
    if (b.size() != N) {  // also used before main (the keys below): no REQUIRE
        throw std::invalid_argument("bad hex length in a test vector");
    }
    std::array<std::uint8_t, N> out{};
    std::copy(b.begin(), b.end(), out.begin());
    return out;
}

aes_key key_of(std::string_view h) { return array_of<16>(h); }

aes_key filled_key(std::uint8_t value) {
    aes_key k{};
    k.fill(value);
    return k;
}

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

lw::session_keys keys_of(const aes_key& nwk, const aes_key& app) {
    lw::session_keys k;
    k.nwk_s_key = nwk;
    k.app_s_key = app;
    return k;
}

lw::data_frame data(mtype type, std::uint32_t dev_addr, std::uint32_t fcnt, std::optional<std::uint8_t> fport,
                    bytes payload, bytes fopts = {}) {
    lw::data_frame f;
    f.type = type;
    f.dev_addr = dev_addr;
    f.fcnt = fcnt;
    f.fport = fport;
    f.frm_payload = std::move(payload);
    f.fopts = std::move(fopts);
    return f;
}

void check_same(const lw::data_frame& a, const lw::data_frame& b) {
    CHECK(a.type == b.type);
    CHECK(a.dev_addr == b.dev_addr);
    CHECK(a.fctrl.adr == b.fctrl.adr);
    CHECK(a.fctrl.adr_ack_req == b.fctrl.adr_ack_req);
    CHECK(a.fctrl.ack == b.fctrl.ack);
    CHECK(a.fctrl.f_pending == b.fctrl.f_pending);
    CHECK(a.fctrl.class_b == b.fctrl.class_b);
    CHECK(a.fcnt == b.fcnt);
    CHECK(a.fopts == b.fopts);
    CHECK(a.fport == b.fport);
    CHECK(a.frm_payload == b.frm_payload);
}

// radio.md 3.3 V1 (and interop.md 3.2): the lora-packet keys.
const aes_key v1_nwk = key_of("44024241ed4ce9a68c6a8bc055233fd3");
const aes_key v1_app = key_of("ec925802ae430ca77fd3dd73cb2cc588");
constexpr std::uint32_t v1_dev_addr = 0x49BE7DF1;

// radio.md 3.3 V6/V7.
const aes_key v6_app_key = key_of("98929b92c49edba9676d646d3b612456");
const aes_key v6_nwk = key_of("4e3d6e6afbcc67af2ba3c8e8ec4acf4b");
const aes_key v6_app = key_of("610897aa6f1460623443b527d3ac6a9d");
constexpr std::uint32_t v6_dev_addr = 0x012CCDE7;

}  // namespace

// ---------------------------------------------------------------------------------------
// Primitives

TEST_CASE("lorawan_crypto: AES-128 against FIPS-197 appendix C.1, both directions", "[radio_sim][lorawan][crypto]") {
    const aes_key key = key_of("000102030405060708090a0b0c0d0e0f");
    const aes_block plain = array_of<16>("00112233445566778899aabbccddeeff");
    const aes_block cipher = lw::aes_encrypt(key, plain);
    CHECK(hex(cipher) == "69c4e0d86a7b0430d8cdb78070b4c55a");
    CHECK(lw::aes_decrypt(key, cipher) == plain);
}

TEST_CASE("lorawan_crypto: AES-CMAC against the four examples of RFC 4493", "[radio_sim][lorawan][crypto]") {
    const aes_key key = key_of("2b7e151628aed2a6abf7158809cf4f3c");
    const bytes m = unhex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    CHECK(hex(lw::aes_cmac(key, lw::byte_view())) == "bb1d6929e95937287fa37d129b756746");
    CHECK(hex(lw::aes_cmac(key, lw::byte_view(m.data(), 16))) == "070a16b46b4d4144f79bdd9dd04a287c");
    CHECK(hex(lw::aes_cmac(key, lw::byte_view(m.data(), 40))) == "dfa66747de9ae63030ca32611497c827");
    CHECK(hex(lw::aes_cmac(key, m)) == "51f0bebf7e3b9d92fc49741779363cfe");
}

TEST_CASE("lorawan_crypto: byte_view::sub never leaves the view", "[radio_sim][lorawan][crypto]") {
    const bytes b = unhex("0102030405");
    const lw::byte_view v(b);
    CHECK(v.sub(1, 3).size() == 3);
    CHECK(v.sub(1, 3)[0] == 2);
    CHECK(v.sub(3, 10).size() == 2);
    CHECK(v.sub(5, 1).empty());
    CHECK(v.sub(9, 1).empty());
}

// ---------------------------------------------------------------------------------------
// MHDR and sizes

TEST_CASE("lorawan_frame: MHDR bytes, MTypes and directions (radio.md 3.1)", "[radio_sim][lorawan]") {
    CHECK(lw::mhdr_byte(mtype::join_request) == 0x00);
    CHECK(lw::mhdr_byte(mtype::join_accept) == 0x20);
    CHECK(lw::mhdr_byte(mtype::unconfirmed_data_up) == 0x40);
    CHECK(lw::mhdr_byte(mtype::unconfirmed_data_down) == 0x60);
    CHECK(lw::mhdr_byte(mtype::confirmed_data_up) == 0x80);
    CHECK(lw::mhdr_byte(mtype::confirmed_data_down) == 0xA0);
    CHECK(lw::mhdr_byte(mtype::rfu) == 0xC0);
    CHECK(lw::mhdr_byte(mtype::proprietary) == 0xE0);

    CHECK(lw::direction_of(mtype::join_request) == direction::uplink);
    CHECK(lw::direction_of(mtype::join_accept) == direction::downlink);
    CHECK(lw::direction_of(mtype::unconfirmed_data_up) == direction::uplink);
    CHECK(lw::direction_of(mtype::confirmed_data_up) == direction::uplink);
    CHECK(lw::direction_of(mtype::unconfirmed_data_down) == direction::downlink);
    CHECK(lw::direction_of(mtype::confirmed_data_down) == direction::downlink);
    CHECK(lw::is_confirmed(mtype::confirmed_data_up));
    CHECK_FALSE(lw::is_confirmed(mtype::unconfirmed_data_down));
    CHECK(lw::data_mtype(direction::downlink, true) == mtype::confirmed_data_down);
    CHECK(lw::data_mtype(direction::uplink, false) == mtype::unconfirmed_data_up);
    for (int t = 0; t < 8; ++t) {
        CHECK(lw::is_data(static_cast<mtype>(t)) == (t >= 2 && t <= 5));
    }

    for (int b = 0; b < 256; ++b) {
        const std::uint8_t byte = static_cast<std::uint8_t>(b);
        const auto h = lw::parse_mhdr(lw::byte_view(&byte, 1));
        if ((b & 0x03) == 0) {
            REQUIRE(h.ok());
            CHECK(static_cast<int>(h->type) == (b >> 5));  // RFU bits 4..2 ignored
        } else {
            CHECK(h.error() == parse_error::unsupported_major);
        }
    }
    CHECK(lw::parse_mhdr(lw::byte_view()).error() == parse_error::too_short);
}

TEST_CASE("lorawan_frame: PHYPayload sizes of radio.md 1.4", "[radio_sim][lorawan]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    for (std::size_t n = 0; n <= 242; ++n) {
        const bytes phy = lw::encode_data_frame(data(mtype::unconfirmed_data_up, 1, 0, 1, bytes(n, 0xAB)), keys);
        CHECK(phy.size() == n + 13);
        CHECK(lw::data_frame_size(0, true, n) == n + 13);
    }
    CHECK(lw::encode_data_frame(data(mtype::unconfirmed_data_up, 1, 0, std::nullopt, {}), keys).size() == 12);
    CHECK(lw::data_frame_size(0, false, 0) == 12);
    CHECK(lw::encode_join_request(lw::join_request{}, filled_key(0)).size() == 23);
    lw::join_accept a;
    CHECK(lw::encode_join_accept(a, filled_key(0)).size() == 17);
    a.cf_list = lw::cf_list_bytes{};
    CHECK(lw::encode_join_accept(a, filled_key(0)).size() == 33);
}

// ---------------------------------------------------------------------------------------
// radio.md 3.3, the published vectors

TEST_CASE("lorawan_frame: V1 uplink (lora-packet): encode, decode, B0, A1, S1", "[radio_sim][lorawan][vectors]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    const bytes phy = unhex("40f17dbe4900020001954378762b11ff0d");
    const auto frame = data(mtype::unconfirmed_data_up, v1_dev_addr, 2, 1, text("test"));

    CHECK(hex(lw::encode_data_frame(frame, keys)) == hex(phy));

    const auto fields = lw::parse_data_frame(phy);
    REQUIRE(fields.ok());
    CHECK(fields->type == mtype::unconfirmed_data_up);
    CHECK(fields->dev_addr == v1_dev_addr);
    CHECK(fields->fcnt == 2);
    CHECK(fields->fopts.empty());
    CHECK(fields->fport == std::optional<std::uint8_t>(1));
    CHECK(hex(fields->frm_payload) == "95437876");
    CHECK(hex(fields->mic) == "2b11ff0d");

    const auto decoded = lw::decode_data_frame(phy, keys);
    REQUIRE(decoded.ok());
    check_same(*decoded, frame);
    CHECK(hex(decoded->frm_payload) == "74657374");

    CHECK(hex(lw::b0_block(direction::uplink, v1_dev_addr, 2, 13)) == "490000000000f17dbe4902000000000d");
    const aes_block a1 = lw::a_block(direction::uplink, v1_dev_addr, 2, 1);
    CHECK(hex(a1) == "010000000000f17dbe49020000000001");
    CHECK(hex(lw::aes_encrypt(v1_app, a1)) == "e1260b024bb2816d42b7593702fed706");
    CHECK(hex(lw::crypt_frm_payload(v1_app, direction::uplink, v1_dev_addr, 2, text("test"))) == "95437876");
    CHECK(hex(lw::data_mic(v1_nwk, direction::uplink, v1_dev_addr, 2, lw::byte_view(phy.data(), 13))) == "2b11ff0d");
    CHECK(lw::verify_data_frame(phy, v1_nwk, 2));
    CHECK_FALSE(lw::verify_data_frame(phy, v1_app, 2));
    CHECK_FALSE(lw::verify_data_frame(phy, v1_nwk, 3));
}

TEST_CASE("lorawan_frame: V1 multi-block payload (44 bytes, three A_i blocks)", "[radio_sim][lorawan][vectors]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    const std::string hex_phy =
        "40f17dbe490004000155332de41a11adc072553544429ce7787707d1c316e027e7e5e334263376affb8aa17ad30075293f28dea8a2"
        "0af3c5e7";
    const auto frame =
        data(mtype::unconfirmed_data_up, v1_dev_addr, 4, 1, text("The quick brown fox jumps over the lazy dog."));
    const bytes phy = lw::encode_data_frame(frame, keys);
    CHECK(hex(phy) == hex_phy);
    const auto decoded = lw::decode_data_frame(unhex(hex_phy), keys);
    REQUIRE(decoded.ok());
    check_same(*decoded, frame);
}

TEST_CASE("lorawan_frame: V1 MIC-only frames, uplink and ACK downlink", "[radio_sim][lorawan][vectors]") {
    // Both vectors carry FPort 1 with an empty FRMPayload (13 bytes), though radio.md
    // calls the first one "no FPort".
    const auto keys = keys_of(v1_nwk, v1_app);
    const auto up = data(mtype::unconfirmed_data_up, v1_dev_addr, 3, 1, {});
    CHECK(hex(lw::encode_data_frame(up, keys)) == "40f17dbe49000300012a3518af");

    auto down = data(mtype::unconfirmed_data_down, v1_dev_addr, 2, 1, {});
    down.fctrl.ack = true;
    const bytes phy = unhex("60f17dbe4920020001f9d65d27");
    CHECK(hex(lw::encode_data_frame(down, keys)) == hex(phy));
    const auto decoded = lw::decode_data_frame(phy, keys);
    REQUIRE(decoded.ok());
    check_same(*decoded, down);
    // Dir = 1 is in B0: the same bytes checked as an uplink's would not match.
    CHECK(hex(lw::data_mic(v1_nwk, direction::uplink, v1_dev_addr, 2, lw::byte_view(phy.data(), 9))) != "f9d65d27");
}

TEST_CASE("lorawan_frame: V2 uplinks (brocaar/lorawan): ADR, FOpts, FPort 0", "[radio_sim][lorawan][vectors]") {
    const aes_key ones = filled_key(0x01);
    const aes_key twos = filled_key(0x02);

    SECTION("ADR, FPort 1, \"hello\"") {
        auto f = data(mtype::unconfirmed_data_up, 0x01020304, 1, 1, text("hello"));
        f.fctrl.adr = true;
        const bytes phy = unhex("400403020180010001a694642615d6c3b582");
        CHECK(hex(lw::encode_data_frame(f, keys_of(twos, ones))) == hex(phy));
        const auto d = lw::decode_data_frame(phy, keys_of(twos, ones));
        REQUIRE(d.ok());
        check_same(*d, f);
    }
    SECTION("MAC commands in FOpts") {
        const auto f = data(mtype::unconfirmed_data_up, 0x01020304, 0, 1, unhex("01020304"), unhex("020305"));
        const bytes phy = unhex("4004030201030000020305016a3798f5b64dc039");
        CHECK(hex(lw::encode_data_frame(f, keys_of(ones, ones))) == hex(phy));
        const auto d = lw::decode_data_frame(phy, keys_of(ones, ones));
        REQUIRE(d.ok());
        check_same(*d, f);
    }
    SECTION("MAC commands in an FPort-0 FRMPayload, encrypted with NwkSKey") {
        const auto f = data(mtype::unconfirmed_data_up, 0x01020304, 0, 0, unhex("020305"));
        const bytes phy = unhex("40040302010000000069369eee6aa508");
        CHECK(hex(lw::encode_data_frame(f, keys_of(ones, twos))) == hex(phy));  // AppSKey unused
        const auto d = lw::decode_data_frame(phy, keys_of(ones, twos));
        REQUIRE(d.ok());
        check_same(*d, f);
    }
}

TEST_CASE("lorawan_frame: V3 join accept (brocaar/lorawan): decrypt with AES encrypt", "[radio_sim][lorawan][vectors]") {
    const aes_key app_key = key_of("00112233445566778899aabbccddeeff");
    const bytes phy = unhex("20493eeb51fba2116f810edb3742975142");

    const auto plain = lw::decrypt_join_accept(phy, app_key);
    REQUIRE(plain.ok());
    CHECK(hex(*plain) == "20c70b5701112280190302000043485bbc");

    const auto a = lw::decode_join_accept(phy, app_key);
    REQUIRE(a.ok());
    CHECK(a->app_nonce == 0x570BC7);
    CHECK(a->app_nonce == 5704647);
    CHECK(a->net_id == 0x221101);
    CHECK(a->dev_addr == 0x02031980);
    CHECK(a->rx1_dr_offset == 0);
    CHECK(a->rx2_data_rate == 0);
    CHECK(a->rx_delay == 0);
    CHECK_FALSE(a->cf_list.has_value());
    CHECK(hex(lw::join_accept_mic(app_key, *a)) == "43485bbc");

    CHECK(hex(lw::encode_join_accept(*a, app_key)) == hex(phy));
    CHECK(lw::decode_join_accept(phy, filled_key(0)).error() == parse_error::bad_mic);
}

TEST_CASE("lorawan_frame: V4 join request (brocaar/lorawan)", "[radio_sim][lorawan][vectors]") {
    const aes_key app_key = filled_key(0x01);
    const bytes phy = unhex("00040302010403020105040302050403022d106a990e12");
    const auto r = lw::decode_join_request(phy, app_key);
    REQUIRE(r.ok());
    CHECK(r->app_eui == 0x0102030401020304u);
    CHECK(r->dev_eui == 0x0203040502030405u);
    CHECK(r->dev_nonce == 0x102D);
    CHECK(r->dev_nonce == 4141);
    CHECK(hex(lw::join_request_mic(app_key, *r)) == "6a990e12");
    CHECK(hex(lw::encode_join_request(*r, app_key)) == hex(phy));
    CHECK(lw::verify_join_request(phy, app_key));
    CHECK_FALSE(lw::verify_join_request(phy, filled_key(0x02)));
    CHECK(lw::decode_join_request(phy, filled_key(0x02)).error() == parse_error::bad_mic);
}

TEST_CASE("lorawan_frame: V5 all-zero join accept (lora-packet): encrypt with AES decrypt", "[radio_sim][lorawan][vectors]") {
    const lw::join_accept a;
    CHECK(hex(lw::join_accept_mic(filled_key(0), a)) == "f86f0a91");
    const bytes phy = lw::encode_join_accept(a, filled_key(0));
    CHECK(hex(phy) == "20e3de108795f776b8037610ef7869b5b3");
    const auto back = lw::decrypt_join_accept(phy, filled_key(0));
    REQUIRE(back.ok());
    CHECK(hex(*back) == "20" "000000000000000000000000" "f86f0a91");
}

TEST_CASE("lorawan_frame: V6 join request, join accept and session keys (lora-packet)", "[radio_sim][lorawan][vectors]") {
    const bytes request = unhex("0039363463336913aa05693574323831330489c65b1304");
    const auto r = lw::decode_join_request(request, v6_app_key);
    REQUIRE(r.ok());
    CHECK(hex(lw::join_request_mic(v6_app_key, *r)) == "c65b1304");
    CHECK(r->app_eui == 0xAA13693363343639u);
    CHECK(r->dev_eui == 0x3331383274356905u);
    CHECK(r->dev_nonce == 0x8904);

    lw::join_accept a;
    a.app_nonce = 0x376338;
    a.net_id = 0xAABBCC;
    a.dev_addr = v6_dev_addr;
    CHECK(hex(lw::join_accept_mic(v6_app_key, a)) == "d9d0a6e7");
    const bytes phy = lw::encode_join_accept(a, v6_app_key);
    const auto plain = lw::decrypt_join_accept(phy, v6_app_key);
    REQUIRE(plain.ok());
    CHECK(hex(*plain) == "20386337ccbbaae7cd2c010000d9d0a6e7");
    const auto back = lw::decode_join_accept(phy, v6_app_key);
    REQUIRE(back.ok());
    CHECK(back->app_nonce == 0x376338);
    CHECK(back->net_id == 0xAABBCC);
    CHECK(back->dev_addr == v6_dev_addr);

    const lw::session_keys keys = lw::derive_session_keys(v6_app_key, 0x376338, 0xAABBCC, 0xF18E);
    CHECK(hex(keys.nwk_s_key) == hex(v6_nwk));
    CHECK(hex(keys.app_s_key) == hex(v6_app));
}

TEST_CASE("lorawan_frame: V7 derived uplinks: the 32-bit counter in B0 and A_i", "[radio_sim][lorawan][vectors]") {
    const auto keys = keys_of(v6_nwk, v6_app);
    const bytes low = unhex("40e7cd2c01000100014dcd4cc02664694489");
    const bytes high = unhex("40e7cd2c01000100012e359bcd8600a48a0b");
    const auto f1 = data(mtype::unconfirmed_data_up, v6_dev_addr, 1, 1, text("hello"));
    const auto f65537 = data(mtype::unconfirmed_data_up, v6_dev_addr, 0x00010001, 1, text("hello"));
    CHECK(hex(lw::encode_data_frame(f1, keys)) == hex(low));
    CHECK(hex(lw::encode_data_frame(f65537, keys)) == hex(high));

    // Same header bytes, 16-bit counter 1 on air in both.
    CHECK(lw::parse_data_frame(low)->fcnt == 1);
    CHECK(lw::parse_data_frame(high)->fcnt == 1);

    const auto d1 = lw::decode_data_frame(low, keys);
    REQUIRE(d1.ok());
    check_same(*d1, f1);
    CHECK(lw::decode_data_frame(high, keys).error() == parse_error::bad_mic);  // counter 1 does not fit
    const auto d2 = lw::decode_data_frame(high, keys, 0x0000FFF0);             // the receiver was near 65535
    REQUIRE(d2.ok());
    check_same(*d2, f65537);
    CHECK(lw::verify_data_frame(high, v6_nwk, 0x00010001));
    CHECK_FALSE(lw::verify_data_frame(high, v6_nwk, 1));

    auto down = data(mtype::confirmed_data_down, v6_dev_addr, 5, 1, text("hi"));
    down.fctrl.ack = true;
    const bytes phy = unhex("a0e7cd2c0120050001cc171d88ad2a");
    CHECK(hex(lw::encode_data_frame(down, keys)) == hex(phy));
    const auto dd = lw::decode_data_frame(phy, keys);
    REQUIRE(dd.ok());
    check_same(*dd, down);
}

TEST_CASE("lorawan_frame: the cross-check frames of interop.md 3.2", "[radio_sim][lorawan][vectors]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    constexpr std::uint32_t addr = 0x26011BDA;

    auto conf = data(mtype::confirmed_data_up, addr, 7, 5, text("hello"), unhex("02"));
    conf.fctrl.adr = true;
    CHECK(hex(lw::encode_data_frame(conf, keys)) == "80da1b01268107000205176fca5cc7e48a8109");

    const auto mac_down = data(mtype::unconfirmed_data_down, addr, 3, 0, unhex("02140106"));
    CHECK(hex(lw::encode_data_frame(mac_down, keys)) == "60da1b0126000300001999c645e92194b0");
    const auto dd = lw::decode_data_frame(unhex("60da1b0126000300001999c645e92194b0"), keys);
    REQUIRE(dd.ok());
    CHECK(hex(dd->frm_payload) == "02140106");

    const auto fopts_only = data(mtype::unconfirmed_data_up, addr, 9, std::nullopt, {}, unhex("02"));
    CHECK(hex(lw::encode_data_frame(fopts_only, keys)) == "40da1b012601090002714dfc0e");
    auto empty_ack = data(mtype::unconfirmed_data_up, addr, 10, std::nullopt, {});
    empty_ack.fctrl.ack = true;
    CHECK(hex(lw::encode_data_frame(empty_ack, keys)) == "40da1b0126200a008db3370f");
    const auto de = lw::decode_data_frame(unhex("40da1b0126200a008db3370f"), keys);
    REQUIRE(de.ok());
    CHECK_FALSE(de->fport.has_value());
    CHECK(de->fctrl.ack);

    lw::join_request r;
    r.app_eui = 0x70B3D57ED0000001u;
    r.dev_eui = 0x0004A30B001C0530u;
    r.dev_nonce = 0x1234;
    CHECK(hex(lw::encode_join_request(r, key_of("2b7e151628aed2a6abf7158809cf4f3c"))) ==
          "00010000d07ed5b37030051c000ba3040034124f5ca349");
}

// ---------------------------------------------------------------------------------------
// Round trips, counters, limits

TEST_CASE("lorawan_frame: random data frames round-trip through encode and decode", "[radio_sim][lorawan]") {
    std::mt19937_64 rng(0x10AAA5EED);
    auto byte = [&rng] { return static_cast<std::uint8_t>(rng() & 0xFF); };
    for (int round = 0; round < 500; ++round) {
        CAPTURE(round);
        aes_key nwk{};
        aes_key app{};
        for (auto& b : nwk) b = byte();
        for (auto& b : app) b = byte();
        const auto keys = keys_of(nwk, app);
        lw::data_frame f;
        f.type = static_cast<mtype>(2 + rng() % 4);
        f.dev_addr = static_cast<std::uint32_t>(rng());
        f.fcnt = static_cast<std::uint32_t>(rng());
        const bool up = lw::direction_of(f.type) == direction::uplink;
        f.fctrl.adr = (rng() & 1) != 0;
        f.fctrl.ack = (rng() & 1) != 0;
        f.fctrl.adr_ack_req = up && (rng() & 1) != 0;
        f.fctrl.class_b = up && (rng() & 1) != 0;
        f.fctrl.f_pending = !up && (rng() & 1) != 0;
        const int shape = static_cast<int>(rng() % 4);  // 0: no FPort, 1: FPort 0, else application
        if (shape == 1) {
            f.fport = 0;
        } else if (shape >= 2) {
            f.fport = static_cast<std::uint8_t>(1 + rng() % 255);
        }
        if (shape != 1) {
            f.fopts.resize(rng() % 16);
            for (auto& b : f.fopts) b = byte();
        }
        if (f.fport) {
            f.frm_payload.resize(rng() % (lw::max_phy_payload_size - lw::data_frame_size(f.fopts.size(), true, 0) + 1));
            for (auto& b : f.frm_payload) b = byte();
        }
        const bytes phy = lw::encode_data_frame(f, keys);
        CHECK(phy.size() == lw::data_frame_size(f.fopts.size(), f.fport.has_value(), f.frm_payload.size()));
        const auto d = lw::decode_data_frame(phy, keys, f.fcnt & 0xFFFF0000u);
        REQUIRE(d.ok());
        check_same(*d, f);
        CHECK(lw::verify_data_frame(phy, nwk, f.fcnt));
        CHECK(lw::encode_data_frame(*d, keys) == phy);
    }
}

TEST_CASE("lorawan_frame: join accepts with a CFList round-trip; CFList frequencies", "[radio_sim][lorawan]") {
    const std::array<std::uint32_t, 5> freqs{867100000, 867300000, 867500000, 867700000, 867900000};
    const lw::cf_list_bytes cf = lw::make_cf_list(freqs);
    CHECK(hex(cf).substr(0, 6) == "184f84");  // 8671000 = 0x844F18, little-endian
    CHECK(lw::cf_list_frequencies_hz(cf) == freqs);
    CHECK(cf[15] == 0);
    CHECK_THROWS_AS(lw::make_cf_list({867100050, 0, 0, 0, 0}), std::invalid_argument);
    CHECK_THROWS_AS(lw::make_cf_list({1677721600, 0, 0, 0, 0}), std::invalid_argument);
    CHECK_NOTHROW(lw::make_cf_list({1677721500, 0, 0, 0, 0}));

    std::mt19937_64 rng(33);
    for (int round = 0; round < 200; ++round) {
        CAPTURE(round);
        aes_key key{};
        for (auto& b : key) b = static_cast<std::uint8_t>(rng());
        lw::join_accept a;
        a.app_nonce = static_cast<std::uint32_t>(rng() & 0xFFFFFF);
        a.net_id = static_cast<std::uint32_t>(rng() & 0xFFFFFF);
        a.dev_addr = static_cast<std::uint32_t>(rng());
        a.rx1_dr_offset = static_cast<std::uint8_t>(rng() % 8);
        a.rx2_data_rate = static_cast<std::uint8_t>(rng() % 16);
        a.rx_delay = static_cast<std::uint8_t>(rng() % 16);
        if (rng() & 1) {
            lw::cf_list_bytes c{};
            for (auto& b : c) b = static_cast<std::uint8_t>(rng());
            a.cf_list = c;
        }
        const bytes phy = lw::encode_join_accept(a, key);
        REQUIRE(phy.size() == (a.cf_list ? 33u : 17u));
        const auto back = lw::decode_join_accept(phy, key);
        REQUIRE(back.ok());
        CHECK(back->app_nonce == a.app_nonce);
        CHECK(back->net_id == a.net_id);
        CHECK(back->dev_addr == a.dev_addr);
        CHECK(back->rx1_dr_offset == a.rx1_dr_offset);
        CHECK(back->rx2_data_rate == a.rx2_data_rate);
        CHECK(back->rx_delay == a.rx_delay);
        CHECK(back->cf_list == a.cf_list);
        // The device side: the plaintext starts with the fields in clear, little-endian.
        const auto plain = lw::decrypt_join_accept(phy, key);
        REQUIRE(plain.ok());
        CHECK((*plain)[1] == (a.app_nonce & 0xFF));
        CHECK((*plain)[11] == ((a.rx1_dr_offset << 4) | a.rx2_data_rate));
    }
}

TEST_CASE("lorawan_frame: join requests round-trip; EUIs little-endian on air", "[radio_sim][lorawan]") {
    std::mt19937_64 rng(44);
    for (int round = 0; round < 200; ++round) {
        aes_key key{};
        for (auto& b : key) b = static_cast<std::uint8_t>(rng());
        lw::join_request r;
        r.app_eui = rng();
        r.dev_eui = rng();
        r.dev_nonce = static_cast<std::uint16_t>(rng());
        const bytes phy = lw::encode_join_request(r, key);
        REQUIRE(phy.size() == 23);
        CHECK(phy[1] == (r.app_eui & 0xFF));
        CHECK(phy[8] == (r.app_eui >> 56));
        CHECK(phy[9] == (r.dev_eui & 0xFF));
        CHECK(phy[17] == (r.dev_nonce & 0xFF));
        const auto back = lw::decode_join_request(phy, key);
        REQUIRE(back.ok());
        CHECK(back->app_eui == r.app_eui);
        CHECK(back->dev_eui == r.dev_eui);
        CHECK(back->dev_nonce == r.dev_nonce);
    }
}

TEST_CASE("lorawan_frame: the 32-bit frame counter behind the 16 bits on air", "[radio_sim][lorawan][fcnt]") {
    using lw::recover_fcnt;
    CHECK(recover_fcnt(0, 0) == 0);
    CHECK(recover_fcnt(0, 7) == 7);
    CHECK(recover_fcnt(5, 5) == 5);  // the counter last received: a retransmission
    CHECK(recover_fcnt(6, 5) == 0x10005);
    CHECK(recover_fcnt(0xFFFF, 0xFFFF) == 0xFFFF);
    CHECK(recover_fcnt(0xFFFF, 0) == 0x10000);
    CHECK(recover_fcnt(0x0001FFFE, 0x0003) == 0x00020003);
    CHECK(recover_fcnt(0x00010005, 0x0005) == 0x00010005);
    CHECK(recover_fcnt(0x00012345, 0x2345) == 0x00012345);
    CHECK(recover_fcnt(0x00012345, 0x2346) == 0x00012346);
    CHECK(recover_fcnt(0xFFFFFFF0u, 0xFFFF) == 0xFFFFFFFFu);
    CHECK(recover_fcnt(0xFFFFFFF0u, 0x0002) == 0x00000002u);  // wraps modulo 2^32
    static_assert(recover_fcnt(0xFFFF, 0) == 0x10000, "constexpr");
    CHECK(lw::max_fcnt_gap == 16384);

    // A device counts uplinks across 0xFFFF -> 0x10000; the receiver tracks what it decoded
    // and accepts only newer frames (reference = last + 1).
    const auto keys = keys_of(v1_nwk, v1_app);
    std::uint32_t last = 0xFFF0;
    for (std::uint32_t fcnt = 0xFFF1; fcnt <= 0x10010; ++fcnt) {
        CAPTURE(fcnt);
        const auto f = data(mtype::unconfirmed_data_up, v1_dev_addr, fcnt, 1, text("x"));
        const bytes phy = lw::encode_data_frame(f, keys);
        CHECK(phy[6] == (fcnt & 0xFF));
        CHECK(phy[7] == ((fcnt >> 8) & 0xFF));
        const auto d = lw::decode_data_frame(phy, keys, last + 1);
        REQUIRE(d.ok());
        CHECK(d->fcnt == fcnt);
        CHECK(d->frm_payload == text("x"));
        last = d->fcnt;
    }
    // Frames skipped on the way (lost uplinks) are recovered too, up to 65535 ahead.
    const auto later = data(mtype::unconfirmed_data_up, v1_dev_addr, last + 1000, 1, text("y"));
    const auto d = lw::decode_data_frame(lw::encode_data_frame(later, keys), keys, last + 1);
    REQUIRE(d.ok());
    CHECK(d->fcnt == last + 1000);
}

TEST_CASE("lorawan_frame: frames at their maximum sizes", "[radio_sim][lorawan][limits]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    const bytes fopts(15, 0x06);

    SECTION("255 bytes: 15 bytes of FOpts and 227 of payload") {
        const auto f = data(mtype::confirmed_data_up, 0xDEADBEEF, 0xFFFFFFFFu, 224, bytes(227, 0x5A), fopts);
        const bytes phy = lw::encode_data_frame(f, keys);
        REQUIRE(phy.size() == 255);
        CHECK((phy[5] & 0x0F) == 15);
        const auto d = lw::decode_data_frame(phy, keys, 0xFFFF0000u);
        REQUIRE(d.ok());
        check_same(*d, f);
        // One byte more cannot be built.
        auto g = f;
        g.frm_payload.push_back(0);
        CHECK_THROWS_AS(lw::encode_data_frame(g, keys), std::invalid_argument);
    }
    SECTION("255 bytes: 242 bytes of payload without FOpts") {
        const auto f = data(mtype::unconfirmed_data_down, 1, 1, 1, bytes(242, 0xFF));
        const bytes phy = lw::encode_data_frame(f, keys);
        REQUIRE(phy.size() == 255);
        const auto d = lw::decode_data_frame(phy, keys);
        REQUIRE(d.ok());
        check_same(*d, f);
    }
    SECTION("FOpts only, 15 bytes, no FPort") {
        const auto f = data(mtype::unconfirmed_data_up, 1, 1, std::nullopt, {}, fopts);
        const bytes phy = lw::encode_data_frame(f, keys);
        REQUIRE(phy.size() == 27);
        const auto d = lw::decode_data_frame(phy, keys);
        REQUIRE(d.ok());
        check_same(*d, f);
    }
    SECTION("over 255 bytes parses as too_long") {
        bytes phy = lw::encode_data_frame(data(mtype::unconfirmed_data_down, 1, 1, 1, bytes(242, 0xFF)), keys);
        phy.push_back(0);
        CHECK(lw::parse_data_frame(phy).error() == parse_error::too_long);
        CHECK(lw::decode_data_frame(phy, keys).error() == parse_error::too_long);
    }
    SECTION("the crypto helpers refuse what no frame can hold") {
        CHECK_THROWS_AS(lw::data_mic(v1_nwk, direction::uplink, 1, 1, bytes(256, 0)), std::invalid_argument);
        CHECK_NOTHROW(lw::data_mic(v1_nwk, direction::uplink, 1, 1, bytes(255, 0)));
        CHECK_THROWS_AS(lw::crypt_frm_payload(v1_app, direction::uplink, 1, 1, bytes(255 * 16 + 1, 0)),
                        std::invalid_argument);
        CHECK(lw::crypt_frm_payload(v1_app, direction::uplink, 1, 1, bytes(255 * 16, 0)).size() == 255 * 16);
    }
}

TEST_CASE("lorawan_frame: building refuses fields that cannot be sent", "[radio_sim][lorawan][limits]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    auto bad = [&keys](lw::data_frame f) { CHECK_THROWS_AS(lw::encode_data_frame(f, keys), std::invalid_argument); };
    bad(data(mtype::join_request, 1, 1, 1, {}));
    bad(data(mtype::proprietary, 1, 1, 1, {}));
    bad(data(mtype::unconfirmed_data_up, 1, 1, 1, {}, bytes(16, 0)));      // FOpts over 15
    bad(data(mtype::unconfirmed_data_up, 1, 1, std::nullopt, text("x")));  // payload without FPort
    bad(data(mtype::unconfirmed_data_up, 1, 1, 0, text("x"), unhex("02")));  // MAC commands twice
    auto f = data(mtype::unconfirmed_data_down, 1, 1, 1, {});
    f.fctrl.adr_ack_req = true;
    bad(f);
    f = data(mtype::unconfirmed_data_down, 1, 1, 1, {});
    f.fctrl.class_b = true;
    bad(f);
    f = data(mtype::confirmed_data_up, 1, 1, 1, {});
    f.fctrl.f_pending = true;
    bad(f);

    lw::join_accept a;
    a.app_nonce = 0x1000000;
    CHECK_THROWS_AS(lw::encode_join_accept(a, v1_nwk), std::invalid_argument);
    a = {};
    a.net_id = 0x1000000;
    CHECK_THROWS_AS(lw::join_accept_mic(v1_nwk, a), std::invalid_argument);
    a = {};
    a.rx1_dr_offset = 8;
    CHECK_THROWS_AS(lw::encode_join_accept(a, v1_nwk), std::invalid_argument);
    a = {};
    a.rx2_data_rate = 16;
    CHECK_THROWS_AS(lw::encode_join_accept(a, v1_nwk), std::invalid_argument);
    a = {};
    a.rx_delay = 16;
    CHECK_THROWS_AS(lw::encode_join_accept(a, v1_nwk), std::invalid_argument);
    CHECK_THROWS_AS(lw::derive_session_keys(v1_nwk, 0x1000000, 0, 0), std::invalid_argument);
    CHECK_THROWS_AS(lw::derive_session_keys(v1_nwk, 0, 0x1000000, 0), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// Malformed input

TEST_CASE("lorawan_frame: every truncation of a valid frame is rejected", "[radio_sim][lorawan][malformed]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    const auto ones = keys_of(filled_key(1), filled_key(1));
    const std::vector<std::pair<bytes, lw::session_keys>> data_frames{
        {unhex("40f17dbe4900020001954378762b11ff0d"), keys},
        {unhex("4004030201030000020305016a3798f5b64dc039"), ones},
        {unhex("40da1b012601090002714dfc0e"), keys},
        {lw::encode_data_frame(data(mtype::confirmed_data_up, 7, 9, 3, bytes(227, 1), bytes(15, 2)), keys), keys},
    };
    for (const auto& [full, frame_keys] : data_frames) {
        REQUIRE(lw::decode_data_frame(full, frame_keys).ok());
        const std::uint16_t fcnt = lw::parse_data_frame(full)->fcnt;
        for (std::size_t n = 0; n < full.size(); ++n) {
            CAPTURE(hex(full), n);
            const bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
            const auto d = lw::decode_data_frame(cut, frame_keys);
            REQUIRE_FALSE(d.ok());
            if (n < 12) {
                CHECK(d.error() == parse_error::too_short);
            } else {
                // Long enough to hold a header: FOptsLen may now point past the end, or the
                // bytes where the MIC was read are the payload's and do not match.
                const bool expected = d.error() == parse_error::fopts_overflow || d.error() == parse_error::bad_mic;
                CHECK(expected);
            }
            CHECK_FALSE(lw::verify_data_frame(cut, frame_keys.nwk_s_key, fcnt));
        }
    }

    const bytes request = unhex("00040302010403020105040302050403022d106a990e12");
    for (std::size_t n = 0; n < request.size(); ++n) {
        const lw::byte_view cut(request.data(), n);
        CHECK(lw::parse_join_request(cut).error() == parse_error::too_short);
        CHECK(lw::decode_join_request(cut, filled_key(1)).error() == parse_error::too_short);
        CHECK_FALSE(lw::verify_join_request(cut, filled_key(1)));
    }

    lw::join_accept a;
    a.cf_list = lw::cf_list_bytes{};
    const bytes accept = lw::encode_join_accept(a, filled_key(3));
    for (std::size_t n = 0; n < accept.size(); ++n) {
        CAPTURE(n);
        const lw::byte_view cut(accept.data(), n);
        const parse_error e = lw::decode_join_accept(cut, filled_key(3)).error();
        if (n < 17) {
            CHECK(e == parse_error::too_short);
        } else if (n == 17) {
            CHECK(e == parse_error::bad_mic);  // a well-sized frame, the wrong bytes
        } else {
            CHECK(e == parse_error::bad_length);
        }
        CHECK(lw::decrypt_join_accept(cut, filled_key(3)).ok() == (n == 17));
    }
}

TEST_CASE("lorawan_frame: oversized, wrong-type and inconsistent frames are rejected", "[radio_sim][lorawan][malformed]") {
    const auto keys = keys_of(v1_nwk, v1_app);
    const bytes good = unhex("40f17dbe4900020001954378762b11ff0d");

    SECTION("FOptsLen larger than the frame") {
        for (std::uint8_t len = 6; len <= 15; ++len) {
            bytes phy = good;  // 5 bytes between FCnt and the MIC: FOptsLen up to 5 fits
            phy[5] = len;
            CHECK(lw::parse_data_frame(phy).error() == parse_error::fopts_overflow);
            CHECK(lw::decode_data_frame(phy, keys).error() == parse_error::fopts_overflow);
        }
        bytes phy = unhex("40f17dbe490f020000000000");  // 12 bytes, FOptsLen 15
        CHECK(lw::parse_data_frame(phy).error() == parse_error::fopts_overflow);
        phy[5] = 0x00;
        CHECK(lw::parse_data_frame(phy).ok());
    }
    SECTION("FOptsLen exactly filling the frame: no FPort") {
        bytes phy = good;
        phy[5] = 5;
        const auto f = lw::parse_data_frame(phy);
        REQUIRE(f.ok());
        CHECK(f->fopts.size() == 5);
        CHECK_FALSE(f->fport.has_value());
        CHECK(lw::decode_data_frame(phy, keys).error() == parse_error::bad_mic);
    }
    SECTION("FPort 0 with FOpts") {
        const bytes phy = unhex("4004030201010000020005aabbccdd");
        CHECK(lw::parse_data_frame(phy).error() == parse_error::fopts_with_port_zero);
    }
    SECTION("wrong MType for each reader") {
        const bytes request = unhex("00040302010403020105040302050403022d106a990e12");
        const bytes accept = unhex("20493eeb51fba2116f810edb3742975142");
        CHECK(lw::parse_data_frame(request).error() == parse_error::wrong_mtype);
        CHECK(lw::parse_data_frame(accept).error() == parse_error::wrong_mtype);
        CHECK(lw::decode_data_frame(accept, keys).error() == parse_error::wrong_mtype);
        CHECK(lw::parse_join_request(good).error() == parse_error::wrong_mtype);
        CHECK(lw::parse_join_request(accept).error() == parse_error::wrong_mtype);
        CHECK(lw::decrypt_join_accept(good, v1_nwk).error() == parse_error::wrong_mtype);
        CHECK(lw::decode_join_accept(request, v1_nwk).error() == parse_error::wrong_mtype);
        for (const std::uint8_t first : {std::uint8_t{0xC0}, std::uint8_t{0xE0}}) {
            bytes phy = good;
            phy[0] = first;
            CHECK(lw::parse_data_frame(phy).error() == parse_error::wrong_mtype);
            CHECK(lw::parse_join_request(phy).error() == parse_error::wrong_mtype);
            CHECK(lw::decrypt_join_accept(phy, v1_nwk).error() == parse_error::wrong_mtype);
        }
    }
    SECTION("Major other than R1") {
        for (std::uint8_t major = 1; major < 4; ++major) {
            bytes phy = good;
            phy[0] = static_cast<std::uint8_t>(0x40 | major);
            CHECK(lw::parse_data_frame(phy).error() == parse_error::unsupported_major);
            bytes request = unhex("00040302010403020105040302050403022d106a990e12");
            request[0] = major;
            CHECK(lw::decode_join_request(request, filled_key(1)).error() == parse_error::unsupported_major);
        }
    }
    SECTION("oversized join frames") {
        bytes request = unhex("00040302010403020105040302050403022d106a990e12");
        request.push_back(0);
        CHECK(lw::parse_join_request(request).error() == parse_error::too_long);
        bytes accept(34, 0);
        accept[0] = 0x20;
        CHECK(lw::decrypt_join_accept(accept, v1_nwk).error() == parse_error::too_long);
        accept.resize(25);
        CHECK(lw::decrypt_join_accept(accept, v1_nwk).error() == parse_error::bad_length);
    }
    SECTION("every single-bit change breaks the MIC or the structure") {
        for (std::size_t i = 0; i < good.size() * 8; ++i) {
            bytes phy = good;
            phy[i / 8] = static_cast<std::uint8_t>(phy[i / 8] ^ (1u << (i % 8)));
            CAPTURE(i);
            // The MHDR's RFU bits 4..2 are outside the parser's checks but inside the MIC.
            CHECK_FALSE(lw::decode_data_frame(phy, keys).ok());
        }
    }
    SECTION("RFU FCtrl bits of a downlink read false but stay under the MIC") {
        bytes phy = unhex("60f17dbe4920020001f9d65d27");
        phy[5] = static_cast<std::uint8_t>(phy[5] | 0x40);
        const auto f = lw::parse_data_frame(phy);
        REQUIRE(f.ok());
        CHECK_FALSE(f->fctrl.adr_ack_req);
        CHECK(f->fctrl.ack);
        CHECK(lw::decode_data_frame(phy, keys).error() == parse_error::bad_mic);
    }
}

TEST_CASE("lorawan_frame: parse errors have names", "[radio_sim][lorawan]") {
    CHECK(std::string(lw::parse_error_name(parse_error::none)) == "none");
    CHECK(std::string(lw::parse_error_name(parse_error::too_short)) == "too_short");
    CHECK(std::string(lw::parse_error_name(parse_error::fopts_with_port_zero)) == "fopts_with_port_zero");
    CHECK(std::string(lw::parse_error_name(parse_error::bad_mic)) == "bad_mic");
    CHECK(std::string(lw::parse_error_name(static_cast<parse_error>(200))) == "unknown");
    const lw::parse_result<int> failure(parse_error::bad_mic);
    CHECK_FALSE(failure.ok());
    CHECK_FALSE(failure.as_optional().has_value());
    CHECK_THROWS_AS(failure.value(), std::bad_optional_access);
    const lw::parse_result<int> success(7);
    CHECK(success.ok());
    CHECK(success.error() == parse_error::none);
    CHECK(*success == 7);
}

TEST_CASE("lorawan_frame: random bytes through every parser (seeded fuzz)", "[radio_sim][lorawan][malformed]") {
    std::mt19937_64 rng(0xF0225EED);
    const auto keys = keys_of(v1_nwk, v1_app);
    const aes_key app_key = filled_key(0x11);
    const std::vector<bytes> seeds{
        unhex("40f17dbe4900020001954378762b11ff0d"),
        unhex("4004030201030000020305016a3798f5b64dc039"),
        unhex("00040302010403020105040302050403022d106a990e12"),
        unhex("20493eeb51fba2116f810edb3742975142"),
    };
    std::size_t parsed = 0;
    std::size_t decoded = 0;
    for (int round = 0; round < 20000; ++round) {
        bytes in;
        if (round % 2 == 0) {
            in.resize(rng() % 300);
            for (auto& b : in) b = static_cast<std::uint8_t>(rng());
            if (!in.empty() && (rng() & 1)) {
                in[0] = static_cast<std::uint8_t>((rng() % 8) << 5);  // a valid MHDR, to go deeper
            }
        } else {
            in = seeds[rng() % seeds.size()];  // a valid frame, mutated
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                const auto op = rng() % 3;
                if (op == 0 && !in.empty()) {
                    in[rng() % in.size()] = static_cast<std::uint8_t>(rng());
                } else if (op == 1 && !in.empty()) {
                    in.resize(rng() % in.size());
                } else {
                    in.push_back(static_cast<std::uint8_t>(rng()));
                }
            }
        }
        // The view is exactly the input: a read past it is a sanitizer error.
        const lw::byte_view v(in);
        (void)lw::parse_mhdr(v);
        const auto f = lw::parse_data_frame(v);
        if (f) {
            ++parsed;
            CHECK(lw::data_frame_size(f->fopts.size(), f->fport.has_value(), f->frm_payload.size()) == in.size());
        }
        if (lw::decode_data_frame(v, keys, static_cast<std::uint32_t>(rng())).ok()) {
            ++decoded;
        }
        (void)lw::verify_data_frame(v, keys.nwk_s_key, static_cast<std::uint32_t>(rng()));
        (void)lw::parse_join_request(v);
        (void)lw::decode_join_request(v, app_key);
        (void)lw::decrypt_join_accept(v, app_key);
        (void)lw::decode_join_accept(v, app_key);
    }
    CHECK(parsed > 1000);  // the loop did reach the data-frame parser's inner paths
    CHECK(decoded == 0);   // no mutation forged a MIC
}
