// lorawan_mac_bindings.cpp: usocket_emu._core.LoRaWANMac, thin over usocket::sim::lorawan_mac.
// network.LoRa (python/usocket_emu/device/_lora.py) checks the arguments.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>

#include "lorawan_convert.hpp"
#include "errors.hpp"
#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

using nogil = py::gil_scoped_release;
using sim::lorawan_mac;

sim::region_id region_of(int code) {
    const auto region = sim::region_from_code(code);
    if (!region) {
        throw py::value_error("no LoRaWAN region " + std::to_string(code));
    }
    return *region;
}

/// lorawan_compliance <-> the 8-tuple of lora.compliance_test(), in its field order.
py::tuple compliance_tuple(const sim::lorawan_compliance& t) {
    return py::make_tuple(t.enabled, t.running, t.state, t.tx_confirmed, t.downlink_counter, t.link_check,
                          t.demod_margin, t.nbr_gateways);
}

sim::lorawan_compliance compliance_of(const py::tuple& t) {
    if (t.size() != 8) {
        throw py::value_error("a compliance test state has 8 fields");
    }
    return sim::lorawan_compliance{t[0].cast<bool>(), t[1].cast<bool>(), t[2].cast<int>(), t[3].cast<bool>(),
                                   t[4].cast<int>(),  t[5].cast<bool>(), t[6].cast<int>(), t[7].cast<int>()};
}

}  // namespace

void bind_lorawan_mac(py::module_& m) {
    // lorawan_compliance_set(test, enable, state, link_check) -> test: compliance_test(...)
    // with no MAC (raw mode), on the state the next LoRaWAN MAC carries on.
    m.def("lorawan_compliance_set",
          [](const py::tuple& test, bool enable, std::optional<int> state, std::optional<bool> link_check) {
              sim::lorawan_compliance t = compliance_of(test);
              sim::set_compliance(t, enable, state, link_check, false);
              return compliance_tuple(t);
          });
    // Methods in network.LoRa's order: join, has_joined, add_channel, remove_channel,
    // set_battery_level, compliance_test, multicast groups, nvram; then close (re-init or
    // reboot).
    py::class_<lorawan_mac, std::shared_ptr<lorawan_mac>>(m, "LoRaWANMac", "One device's LoRaWAN MAC.")
        .def(py::init([](sim::lora_medium& medium, std::shared_ptr<sim::lora_radio> radio, const std::string& name,
                         const std::vector<double>& position_m, int region, bool adr, bool public_network,
                         int tx_retries, int device_class, bool duty_cycle_enforced) {
                 if (position_m.size() != 2 && position_m.size() != 3) {
                     throw py::value_error("a position is (x_m, y_m) or (x_m, y_m, z_m)");
                 }
                 sim::lorawan_mac_settings settings;
                 settings.region = region_of(region);
                 settings.adr = adr;
                 settings.public_network = public_network;
                 settings.tx_retries = tx_retries;
                 settings.device_class = device_class == 2 ? sim::lorawan_device_class::c : sim::lorawan_device_class::a;
                 settings.duty_cycle_enforced = duty_cycle_enforced;
                 const sim::position_m where{position_m[0], position_m[1], position_m.size() == 3 ? position_m[2] : 0.0};
                 return std::make_shared<lorawan_mac>(medium, std::move(radio), name, where, settings);
             }),
             py::arg("medium"), py::arg("radio"), py::arg("name"), py::arg("position_m"), py::kw_only(),
             py::arg("region"), py::arg("adr"), py::arg("public"), py::arg("tx_retries"), py::arg("device_class"),
             py::arg("duty_cycle_enforced") = false, py::keep_alive<1, 2>())
        .def("join_otaa",
             [](lorawan_mac& mac, py::handle dev_eui, py::handle app_eui, py::handle app_key, int dr) {
                 mac.join_otaa(to_eui(dev_eui, "a DevEUI"), to_eui(app_eui, "an AppEUI"), to_key(app_key, "an AppKey"), dr);
             })
        .def("join_abp",
             [](lorawan_mac& mac, std::uint32_t dev_addr, py::handle nwk_s_key, py::handle app_s_key) {
                 mac.join_abp(dev_addr, to_key(nwk_s_key, "an NwkSKey"), to_key(app_s_key, "an AppSKey"));
             })
        .def("stop_join", &lorawan_mac::stop_join)
        // session() -> {joined, otaa, dev_addr, nwk_s_key, app_s_key, fcnt_up, fcnt_down}
        .def("session",
             [](const lorawan_mac& mac) {
                 const auto s = mac.session();
                 py::dict out;
                 out["joined"] = s.joined;
                 out["otaa"] = s.otaa;
                 out["dev_addr"] = s.dev_addr;
                 out["nwk_s_key"] = to_py(s.keys.nwk_s_key);
                 out["app_s_key"] = to_py(s.keys.app_s_key);
                 out["fcnt_up"] = s.fcnt_up;
                 out["fcnt_down"] = s.fcnt_down;
                 return out;
             })
        .def("joined", &lorawan_mac::joined)
        // wait_joined(wait_us | None) -> bool; waits in device time
        .def("wait_joined",
             [](lorawan_mac& mac, std::optional<sim::time_us> wait_us) {
                 sim::wait_status status;
                 {
                     nogil release;
                     status = mac.wait_joined(wait_us);
                 }
                 if (status == sim::wait_status::halted) {
                     throw device_halted{};
                 }
                 return status == sim::wait_status::ready;
             })
        // add_channel(index, frequency_hz, dr_min, dr_max) -> True if the MAC took it
        .def("add_channel",
             [](lorawan_mac& mac, int index, std::int64_t frequency_hz, int dr_min, int dr_max) {
                 return mac.add_channel(index, frequency_hz, dr_min, dr_max) == sim::channel_add_status::ok;
             })
        .def("remove_channel", &lorawan_mac::remove_channel)
        .def("set_battery_level", &lorawan_mac::set_battery_level)
        // compliance_test() -> (enabled, running, state, tx_confirmed, downlink_counter,
        // link_check, demod_margin, nbr_gateways); carry_compliance() takes it back
        .def("compliance_test", [](const lorawan_mac& mac) { return compliance_tuple(mac.compliance()); })
        .def("set_compliance", &lorawan_mac::set_compliance)
        .def("carry_compliance",
             [](lorawan_mac& mac, const py::tuple& test) { mac.carry_compliance(compliance_of(test)); })
        .def("join_multicast_group",
             [](lorawan_mac& mac, std::uint32_t address, py::handle nwk_s_key, py::handle app_s_key) {
                 return mac.join_multicast_group(address, to_key(nwk_s_key, "an NwkSKey"),
                                                 to_key(app_s_key, "an AppSKey"));
             })
        .def("leave_multicast_group", &lorawan_mac::leave_multicast_group)
        .def("multicast_groups", &lorawan_mac::multicast_groups)
        .def("save_state",
             [](const lorawan_mac& mac) {
                 const auto blob = mac.save_state();
                 return py::bytes(reinterpret_cast<const char*>(blob.data()), blob.size());
             })
        .def_static("saved_region",
                    [](const py::bytes& blob) -> std::optional<int> {
                        const std::string text = blob;
                        const auto region = lorawan_mac::saved_region({text.begin(), text.end()});
                        if (!region) {
                            return std::nullopt;
                        }
                        return sim::region_code(*region);
                    })
        .def("restore_state",
             [](lorawan_mac& mac, const py::bytes& blob) {
                 const std::string text = blob;
                 return mac.restore_state({text.begin(), text.end()});
             })
        .def("share_chip", &lorawan_mac::share_chip, py::arg("chip"))
        .def("close", &lorawan_mac::close);
}

}  // namespace usocket::bindings
