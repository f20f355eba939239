// lorawan_bindings.cpp: usocket_emu._core.lorawan_*: the LoRaWAN 1.0.2 frame codec of
// usocket::sim::lorawan, thin, for tests that check it against an independent
// implementation (tests/python/test_lorawan_crypto.py). Keys and frames are bytes; fields
// are ints with their displayed values; a rejected frame raises ValueError naming the
// parse_error, a field that cannot be sent ValueError (std::invalid_argument).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "usocket/sim/lorawan_frame.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

namespace lw = sim::lorawan;

lw::bytes bytes_from(const py::bytes& b) {
    const std::string s = b;
    return lw::bytes(s.begin(), s.end());
}

py::bytes to_bytes(lw::byte_view b) {
    return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
}

lw::aes_key key_from(const py::bytes& b) {
    const lw::bytes k = bytes_from(b);
    if (k.size() != 16) {
        throw py::value_error("an AES-128 key has 16 bytes");
    }
    lw::aes_key key{};
    std::copy(k.begin(), k.end(), key.begin());
    return key;
}

lw::mtype mtype_from(int t) {
    if (t < 0 || t > 7) {
        throw py::value_error("an MType is 0..7");
    }
    return static_cast<lw::mtype>(t);
}

/// The value of a parse, or ValueError with the parse_error's name.
template <class T>
T value_of(lw::parse_result<T> r) {
    if (!r) {
        throw py::value_error(lw::parse_error_name(r.error()));
    }
    return std::move(r).value();
}

}  // namespace

void bind_lorawan(py::module_& m) {
    // lorawan_encode_data(mtype, dev_addr, fcnt, fport, payload, nwk_s_key, app_s_key, fopts=b"",
    //                     adr=False, adr_ack_req=False, ack=False, f_pending=False, class_b=False) -> bytes
    m.def(
        "lorawan_encode_data",
        [](int type, std::uint32_t dev_addr, std::uint32_t fcnt, std::optional<std::uint8_t> fport,
           const py::bytes& payload, const py::bytes& nwk_s_key, const py::bytes& app_s_key, const py::bytes& fopts,
           bool adr, bool adr_ack_req, bool ack, bool f_pending, bool class_b) {
            lw::data_frame f;
            f.type = mtype_from(type);
            f.dev_addr = dev_addr;
            f.fcnt = fcnt;
            f.fport = fport;
            f.frm_payload = bytes_from(payload);
            f.fopts = bytes_from(fopts);
            f.fctrl = {adr, adr_ack_req, ack, f_pending, class_b};
            return to_bytes(lw::encode_data_frame(f, {key_from(nwk_s_key), key_from(app_s_key)}));
        },
        py::arg("mtype"), py::arg("dev_addr"), py::arg("fcnt"), py::arg("fport"), py::arg("payload"),
        py::arg("nwk_s_key"), py::arg("app_s_key"), py::arg("fopts") = py::bytes(), py::arg("adr") = false,
        py::arg("adr_ack_req") = false, py::arg("ack") = false, py::arg("f_pending") = false,
        py::arg("class_b") = false);

    // lorawan_decode_data(phy, nwk_s_key, app_s_key, fcnt_reference=0) -> dict of the fields,
    // payload decrypted, fcnt the full counter
    m.def(
        "lorawan_decode_data",
        [](const py::bytes& phy, const py::bytes& nwk_s_key, const py::bytes& app_s_key, std::uint32_t fcnt_reference) {
            const lw::bytes in = bytes_from(phy);
            const lw::data_frame f =
                value_of(lw::decode_data_frame(in, {key_from(nwk_s_key), key_from(app_s_key)}, fcnt_reference));
            py::dict out;
            out["mtype"] = static_cast<int>(f.type);
            out["dev_addr"] = f.dev_addr;
            out["fcnt"] = f.fcnt;
            out["adr"] = f.fctrl.adr;
            out["adr_ack_req"] = f.fctrl.adr_ack_req;
            out["ack"] = f.fctrl.ack;
            out["f_pending"] = f.fctrl.f_pending;
            out["class_b"] = f.fctrl.class_b;
            out["fopts"] = to_bytes(f.fopts);
            out["fport"] = f.fport;
            out["payload"] = to_bytes(f.frm_payload);
            return out;
        },
        py::arg("phy"), py::arg("nwk_s_key"), py::arg("app_s_key"), py::arg("fcnt_reference") = 0);

    // lorawan_encode_join_request(app_eui, dev_eui, dev_nonce, app_key) -> bytes
    m.def(
        "lorawan_encode_join_request",
        [](std::uint64_t app_eui, std::uint64_t dev_eui, std::uint16_t dev_nonce, const py::bytes& app_key) {
            return to_bytes(lw::encode_join_request({app_eui, dev_eui, dev_nonce}, key_from(app_key)));
        },
        py::arg("app_eui"), py::arg("dev_eui"), py::arg("dev_nonce"), py::arg("app_key"));

    // lorawan_decode_join_request(phy, app_key) -> (app_eui, dev_eui, dev_nonce), MIC checked
    m.def(
        "lorawan_decode_join_request",
        [](const py::bytes& phy, const py::bytes& app_key) {
            const lw::bytes in = bytes_from(phy);
            const lw::join_request r = value_of(lw::decode_join_request(in, key_from(app_key)));
            return py::make_tuple(r.app_eui, r.dev_eui, r.dev_nonce);
        },
        py::arg("phy"), py::arg("app_key"));

    // lorawan_encode_join_accept(app_nonce, net_id, dev_addr, rx1_dr_offset, rx2_data_rate, rx_delay,
    //                            cf_list, app_key) -> bytes, encrypted as the network sends it
    m.def(
        "lorawan_encode_join_accept",
        [](std::uint32_t app_nonce, std::uint32_t net_id, std::uint32_t dev_addr, std::uint8_t rx1_dr_offset,
           std::uint8_t rx2_data_rate, std::uint8_t rx_delay, const std::optional<py::bytes>& cf_list,
           const py::bytes& app_key) {
            lw::join_accept a;
            a.app_nonce = app_nonce;
            a.net_id = net_id;
            a.dev_addr = dev_addr;
            a.rx1_dr_offset = rx1_dr_offset;
            a.rx2_data_rate = rx2_data_rate;
            a.rx_delay = rx_delay;
            if (cf_list) {
                const lw::bytes cf = bytes_from(*cf_list);
                if (cf.size() != lw::cf_list_size) {
                    throw py::value_error("a CFList has 16 bytes");
                }
                a.cf_list.emplace();
                std::copy(cf.begin(), cf.end(), a.cf_list->begin());
            }
            return to_bytes(lw::encode_join_accept(a, key_from(app_key)));
        },
        py::arg("app_nonce"), py::arg("net_id"), py::arg("dev_addr"), py::arg("rx1_dr_offset"),
        py::arg("rx2_data_rate"), py::arg("rx_delay"), py::arg("cf_list"), py::arg("app_key"));

    // lorawan_decrypt_join_accept(phy, app_key) -> bytes: the plain MHDR | body | MIC
    m.def(
        "lorawan_decrypt_join_accept",
        [](const py::bytes& phy, const py::bytes& app_key) {
            const lw::bytes in = bytes_from(phy);
            return to_bytes(value_of(lw::decrypt_join_accept(in, key_from(app_key))));
        },
        py::arg("phy"), py::arg("app_key"));

    // lorawan_decode_join_accept(phy, app_key) -> dict of the fields, MIC checked
    m.def(
        "lorawan_decode_join_accept",
        [](const py::bytes& phy, const py::bytes& app_key) {
            const lw::bytes in = bytes_from(phy);
            const lw::join_accept a = value_of(lw::decode_join_accept(in, key_from(app_key)));
            py::dict out;
            out["app_nonce"] = a.app_nonce;
            out["net_id"] = a.net_id;
            out["dev_addr"] = a.dev_addr;
            out["rx1_dr_offset"] = a.rx1_dr_offset;
            out["rx2_data_rate"] = a.rx2_data_rate;
            out["rx_delay"] = a.rx_delay;
            out["cf_list"] = a.cf_list ? py::object(to_bytes(*a.cf_list)) : py::object(py::none());
            return out;
        },
        py::arg("phy"), py::arg("app_key"));

    // lorawan_derive_session_keys(app_key, app_nonce, net_id, dev_nonce) -> (nwk_s_key, app_s_key)
    m.def(
        "lorawan_derive_session_keys",
        [](const py::bytes& app_key, std::uint32_t app_nonce, std::uint32_t net_id, std::uint16_t dev_nonce) {
            const lw::session_keys k = lw::derive_session_keys(key_from(app_key), app_nonce, net_id, dev_nonce);
            return py::make_tuple(to_bytes(k.nwk_s_key), to_bytes(k.app_s_key));
        },
        py::arg("app_key"), py::arg("app_nonce"), py::arg("net_id"), py::arg("dev_nonce"));

    // lorawan_recover_fcnt(reference, on_air) -> int: the 32-bit counter behind 16 bits on air
    m.def("lorawan_recover_fcnt", &lw::recover_fcnt, py::arg("reference"), py::arg("on_air"));
}

}  // namespace usocket::bindings
