// fuzz/fuzz_lorawan_roundtrip.cpp: frames built from random fields (FuzzedDataProvider), encoded,
// then parsed and decoded with the right keys: every field must come back. The encoders'
// documented std::invalid_argument cases are checked both ways: a throw only for a frame that
// breaks a rule of lorawan_frame.hpp, and no throw for one that keeps them all.
#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

/// The documented rules of encode_data_frame.
bool sendable(const lw::data_frame& f) {
    if (!lw::is_data(f.type) || f.fopts.size() > lw::max_fopts_size) {
        return false;
    }
    if (!f.fport && !f.frm_payload.empty()) {
        return false;
    }
    if (f.fport == 0 && !f.fopts.empty()) {
        return false;
    }
    if (lw::data_frame_size(f.fopts.size(), f.fport.has_value(), f.frm_payload.size()) > lw::max_phy_payload_size) {
        return false;
    }
    const bool up = lw::direction_of(f.type) == lw::direction::uplink;
    if (up ? f.fctrl.f_pending : (f.fctrl.adr_ack_req || f.fctrl.class_b)) {
        return false;
    }
    return true;
}

void data_frame_roundtrip(FuzzedDataProvider& in) {
    const lw::session_keys keys{take_key(in), take_key(in)};
    lw::data_frame f;
    f.type = static_cast<lw::mtype>(in.ConsumeIntegralInRange<int>(0, 7));
    f.dev_addr = in.ConsumeIntegral<std::uint32_t>();
    f.fcnt = in.ConsumeIntegral<std::uint32_t>();
    f.fctrl.adr = in.ConsumeBool();
    f.fctrl.adr_ack_req = in.ConsumeBool();
    f.fctrl.ack = in.ConsumeBool();
    f.fctrl.f_pending = in.ConsumeBool();
    f.fctrl.class_b = in.ConsumeBool();
    f.fopts = take_bytes(in, 17);
    if (in.ConsumeBool()) {
        f.fport = in.ConsumeIntegral<std::uint8_t>();
    }
    f.frm_payload = take_bytes(in, 250);
    const auto delta = in.ConsumeIntegralInRange<std::uint32_t>(0, 0xFFFF);

    const bool ok = sendable(f);
    lw::bytes phy;
    try {
        phy = lw::encode_data_frame(f, keys);
    } catch (const std::invalid_argument&) {
        FUZZ_CHECK(!ok);
        return;
    }
    FUZZ_CHECK(ok);
    FUZZ_CHECK(phy.size() == lw::data_frame_size(f.fopts.size(), f.fport.has_value(), f.frm_payload.size()));

    const auto fields = lw::parse_data_frame(phy);
    FUZZ_CHECK(fields.ok());
    FUZZ_CHECK(fields->type == f.type && fields->dev_addr == f.dev_addr && fields->fcnt == (f.fcnt & 0xFFFF));
    FUZZ_CHECK(fields->fopts == f.fopts && fields->fport == f.fport);
    FUZZ_CHECK(fields->frm_payload.size() == f.frm_payload.size());

    // Any reference within 2^16 below the counter recovers it.
    const auto decoded = lw::decode_data_frame(phy, keys, f.fcnt - delta);
    FUZZ_CHECK(decoded.ok());
    const lw::data_frame& d = *decoded;
    FUZZ_CHECK(d.type == f.type && d.dev_addr == f.dev_addr && d.fcnt == f.fcnt);
    FUZZ_CHECK(d.fctrl.adr == f.fctrl.adr && d.fctrl.adr_ack_req == f.fctrl.adr_ack_req && d.fctrl.ack == f.fctrl.ack &&
               d.fctrl.f_pending == f.fctrl.f_pending && d.fctrl.class_b == f.fctrl.class_b);
    FUZZ_CHECK(d.fopts == f.fopts && d.fport == f.fport && d.frm_payload == f.frm_payload);
    FUZZ_CHECK(lw::verify_data_frame(phy, keys.nwk_s_key, f.fcnt));
    FUZZ_CHECK(lw::encode_data_frame(d, keys) == phy);
}

void join_request_roundtrip(FuzzedDataProvider& in) {
    const lw::aes_key key = take_key(in);
    lw::join_request r;
    r.app_eui = in.ConsumeIntegral<std::uint64_t>();
    r.dev_eui = in.ConsumeIntegral<std::uint64_t>();
    r.dev_nonce = in.ConsumeIntegral<std::uint16_t>();
    const lw::bytes phy = lw::encode_join_request(r, key);
    FUZZ_CHECK(phy.size() == lw::join_request_size);
    const auto parsed = lw::parse_join_request(phy);
    FUZZ_CHECK(parsed.ok());
    const auto decoded = lw::decode_join_request(phy, key);
    FUZZ_CHECK(decoded.ok() && lw::verify_join_request(phy, key));
    FUZZ_CHECK(decoded->app_eui == r.app_eui && decoded->dev_eui == r.dev_eui && decoded->dev_nonce == r.dev_nonce);
    FUZZ_CHECK(parsed->app_eui == r.app_eui && parsed->dev_eui == r.dev_eui && parsed->dev_nonce == r.dev_nonce);
    const lw::mic_bytes mic = lw::join_request_mic(key, r);
    FUZZ_CHECK(std::equal(mic.begin(), mic.end(), phy.end() - 4));
}

void join_accept_roundtrip(FuzzedDataProvider& in) {
    const lw::aes_key key = take_key(in);
    lw::join_accept a;
    // Mostly in range, sometimes not: the encoder must refuse exactly the out-of-range ones.
    const bool wide = in.ConsumeIntegralInRange<int>(0, 15) == 0;
    a.app_nonce = wide ? in.ConsumeIntegral<std::uint32_t>() : in.ConsumeIntegralInRange<std::uint32_t>(0, 0xFFFFFF);
    a.net_id = wide ? in.ConsumeIntegral<std::uint32_t>() : in.ConsumeIntegralInRange<std::uint32_t>(0, 0xFFFFFF);
    a.dev_addr = in.ConsumeIntegral<std::uint32_t>();
    a.rx1_dr_offset = wide ? in.ConsumeIntegral<std::uint8_t>() : in.ConsumeIntegralInRange<std::uint8_t>(0, 7);
    a.rx2_data_rate = wide ? in.ConsumeIntegral<std::uint8_t>() : in.ConsumeIntegralInRange<std::uint8_t>(0, 15);
    a.rx_delay = wide ? in.ConsumeIntegral<std::uint8_t>() : in.ConsumeIntegralInRange<std::uint8_t>(0, 15);
    if (in.ConsumeBool()) {
        lw::cf_list_bytes cf{};
        const auto b = in.ConsumeBytes<std::uint8_t>(cf.size());
        std::copy(b.begin(), b.end(), cf.begin());
        a.cf_list = cf;
    }
    const bool ok = a.app_nonce <= 0xFFFFFF && a.net_id <= 0xFFFFFF && a.rx1_dr_offset <= 7 && a.rx2_data_rate <= 15 &&
                    a.rx_delay <= 15;
    lw::bytes phy;
    try {
        phy = lw::encode_join_accept(a, key);
    } catch (const std::invalid_argument&) {
        FUZZ_CHECK(!ok);
        return;
    }
    FUZZ_CHECK(ok);
    FUZZ_CHECK(phy.size() == (a.cf_list ? lw::join_accept_cf_list_size : lw::join_accept_size));
    const auto decoded = lw::decode_join_accept(phy, key);
    FUZZ_CHECK(decoded.ok());
    const lw::join_accept& d = *decoded;
    FUZZ_CHECK(d.app_nonce == a.app_nonce && d.net_id == a.net_id && d.dev_addr == a.dev_addr);
    FUZZ_CHECK(d.rx1_dr_offset == a.rx1_dr_offset && d.rx2_data_rate == a.rx2_data_rate && d.rx_delay == a.rx_delay);
    FUZZ_CHECK(d.cf_list == a.cf_list);
    const auto plain = lw::decrypt_join_accept(phy, key);
    FUZZ_CHECK(plain.ok());
    const lw::mic_bytes mic = lw::join_accept_mic(key, a);
    FUZZ_CHECK(std::equal(mic.begin(), mic.end(), plain->end() - 4));

    // Both sides derive the same keys; a DevNonce changes them.
    const auto nonce = in.ConsumeIntegral<std::uint16_t>();
    const lw::session_keys k1 = lw::derive_session_keys(key, a.app_nonce, a.net_id, nonce);
    const lw::session_keys k2 = lw::derive_session_keys(key, d.app_nonce, d.net_id, nonce);
    FUZZ_CHECK(k1.nwk_s_key == k2.nwk_s_key && k1.app_s_key == k2.app_s_key);
    FUZZ_CHECK(k1.nwk_s_key != k1.app_s_key);
}

void payload_crypt(FuzzedDataProvider& in) {
    const lw::aes_key key = take_key(in);
    const auto dir = in.ConsumeBool() ? lw::direction::uplink : lw::direction::downlink;
    const auto addr = in.ConsumeIntegral<std::uint32_t>();
    const auto fcnt = in.ConsumeIntegral<std::uint32_t>();
    const lw::bytes payload = take_bytes(in, 300);
    const lw::bytes once = lw::crypt_frm_payload(key, dir, addr, fcnt, payload);
    FUZZ_CHECK(once.size() == payload.size());
    FUZZ_CHECK(lw::crypt_frm_payload(key, dir, addr, fcnt, once) == payload);
    try {
        (void)lw::data_mic(key, dir, addr, fcnt, payload);
        FUZZ_CHECK(payload.size() <= 255);
    } catch (const std::invalid_argument&) {
        FUZZ_CHECK(payload.size() > 255);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: data_frame_roundtrip(in); break;
    case 1: join_request_roundtrip(in); break;
    case 2: join_accept_roundtrip(in); break;
    default: payload_crypt(in); break;
    }
    return 0;
}
