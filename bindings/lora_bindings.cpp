// lora_bindings.cpp: usocket_emu._core.LoRaMedium, .LoRaRadio and the PHY functions, thin
// over usocket::sim. network.LoRa (python/usocket_emu/device/_lora.py) validates arguments.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <string>

#include "errors.hpp"
#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/lora_phy.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/pcap_writer.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

using nogil = py::gil_scoped_release;
using sim::lora_medium;
using sim::lora_model;
using sim::lora_radio;

/// The model's settable fields, by name (the names World(radio={...}) takes).
struct model_field {
    const char* name;
    double lora_model::*real = nullptr;
    bool lora_model::*flag = nullptr;
    int lora_model::*whole = nullptr;
};

const model_field model_fields[] = {
    {"reference_distance_m", &lora_model::reference_distance_m},
    {"reference_path_loss_db", &lora_model::reference_path_loss_db},
    {"path_loss_exponent", &lora_model::path_loss_exponent},
    {"shadowing_sigma_db", &lora_model::shadowing_sigma_db},
    {"minimum_distance_m", &lora_model::minimum_distance_m},
    {"capture", nullptr, &lora_model::capture},
    {"capture_threshold_db", &lora_model::capture_threshold_db},
    {"preamble_lock_grace_symbols", nullptr, nullptr, &lora_model::preamble_lock_grace_symbols},
    {"inter_sf_interference", nullptr, &lora_model::inter_sf_interference},
    {"channel_overlap_125khz_hz", &lora_model::channel_overlap_125khz_hz},
    {"channel_overlap_250khz_hz", &lora_model::channel_overlap_250khz_hz},
    {"channel_overlap_500khz_hz", &lora_model::channel_overlap_500khz_hz},
};

lora_model model_from(const py::dict& settings) {
    lora_model model;
    for (const auto& [key, value] : settings) {
        const std::string name = py::str(key);
        const model_field* field = nullptr;
        for (const auto& f : model_fields) {
            if (name == f.name) {
                field = &f;
            }
        }
        if (field == nullptr) {
            throw py::value_error("unknown radio model setting '" + name + "'");
        }
        if (field->flag != nullptr) {
            if (!py::isinstance<py::bool_>(value)) {
                throw py::type_error("radio model setting '" + name + "' must be true or false");
            }
            model.*(field->flag) = value.cast<bool>();
        } else if (field->whole != nullptr) {
            if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
                throw py::type_error("radio model setting '" + name + "' must be an integer");
            }
            const auto whole = value.cast<long long>();
            if (whole < 0 || whole > 255) {
                throw py::value_error("radio model setting '" + name + "' must be from 0 to 255");
            }
            model.*(field->whole) = static_cast<int>(whole);
        } else {
            if (py::isinstance<py::bool_>(value) || !(py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value))) {
                throw py::type_error("radio model setting '" + name + "' must be a number");
            }
            const double real = value.cast<double>();
            if (!std::isfinite(real) || real < 0 ||
                (real == 0 && (field->real == &lora_model::reference_distance_m ||
                               field->real == &lora_model::minimum_distance_m))) {
                throw py::value_error("radio model setting '" + name + "' must be a finite number" +
                                      (field->real == &lora_model::reference_distance_m ||
                                               field->real == &lora_model::minimum_distance_m
                                           ? " above 0"
                                           : " of at least 0"));
            }
            model.*(field->real) = real;
        }
    }
    return model;
}

py::dict model_dict(const lora_model& model) {
    py::dict out;
    for (const auto& f : model_fields) {
        if (f.flag != nullptr) {
            out[f.name] = model.*(f.flag);
        } else if (f.whole != nullptr) {
            out[f.name] = model.*(f.whole);
        } else {
            out[f.name] = model.*(f.real);
        }
    }
    return out;
}

sim::position_m to_position(const std::vector<double>& xyz) {
    if (xyz.size() != 2 && xyz.size() != 3) {
        throw py::value_error("a position is (x_m, y_m) or (x_m, y_m, z_m)");
    }
    return {xyz[0], xyz[1], xyz.size() == 3 ? xyz[2] : 0.0};
}

sim::lora_modulation modulation(int sf, std::int64_t bandwidth_hz, int coding_rate, int preamble, bool implicit_header,
                                bool crc_on) {
    if (sf < 6 || sf > 12 || (bandwidth_hz != 125000 && bandwidth_hz != 250000 && bandwidth_hz != 500000) ||
        coding_rate < 1 || coding_rate > 4 || preamble < 0 || preamble > 65535) {
        throw py::value_error("sf 6..12, bandwidth_hz 125000/250000/500000, coding_rate 1..4, preamble 0..65535");
    }
    return {sf, bandwidth_hz, coding_rate, preamble, implicit_header, crc_on};
}

void check_payload_size(std::int64_t n) {
    if (n < 0 || n > 255) {
        throw py::value_error("a LoRa payload has 0 to 255 bytes");
    }
}

}  // namespace

void bind_lora(py::module_& m) {
    m.def(
        "lora_time_on_air_us",
        [](std::int64_t payload_bytes, int sf, std::int64_t bandwidth_hz, int coding_rate, int preamble,
           bool implicit_header, bool crc_on) {
            check_payload_size(payload_bytes);
            return sim::time_on_air_us(modulation(sf, bandwidth_hz, coding_rate, preamble, implicit_header, crc_on),
                                       static_cast<std::size_t>(payload_bytes));
        },
        py::arg("payload_bytes"), py::arg("sf"), py::arg("bandwidth_hz"), py::arg("coding_rate"),
        py::arg("preamble") = 8, py::arg("implicit_header") = false, py::arg("crc_on") = true);
    m.def(
        "lora_firmware_airtime_ms",
        [](std::int64_t payload_bytes, int sf, std::int64_t bandwidth_hz, int coding_rate, int preamble,
           bool implicit_header, bool crc_on) {
            check_payload_size(payload_bytes);
            return sim::firmware_airtime_ms(modulation(sf, bandwidth_hz, coding_rate, preamble, implicit_header, crc_on),
                                            static_cast<std::size_t>(payload_bytes));
        },
        py::arg("payload_bytes"), py::arg("sf"), py::arg("bandwidth_hz"), py::arg("coding_rate"),
        py::arg("preamble") = 8, py::arg("implicit_header") = false, py::arg("crc_on") = true);
    m.def("lora_sensitivity_dbm", &sim::sensitivity_dbm, py::arg("sf"), py::arg("bandwidth_hz"));

    py::class_<lora_medium>(m, "LoRaMedium", "The air every LoRa radio of one world shares.")
        .def(py::init([](sim::world& w, const py::dict& model) { return std::make_unique<lora_medium>(w, model_from(model)); }),
             py::arg("world"), py::arg("model") = py::dict(), py::keep_alive<1, 2>())
        .def_property_readonly("model", [](const lora_medium& medium) { return model_dict(medium.model()); })
        .def("counters",
             [](const lora_medium& medium) {
                 const auto c = medium.counters();
                 py::dict out;
                 out["transmissions"] = c.transmissions;
                 out["receptions"] = c.receptions;
                 out["collisions"] = c.collisions;
                 out["below_sensitivity"] = c.below_sensitivity;
                 out["other_losses"] = c.other_losses;
                 return out;
             })
        .def("path_loss_db", [](const lora_medium& medium, const std::vector<double>& a, const std::vector<double>& b) {
            return medium.path_loss_db(to_position(a), to_position(b));
        })
        // open_pcap(path): every frame from now on goes to a LoRaTap pcap file (replacing
        // any earlier one); close_pcap() stops and closes it.
        .def(
            "open_pcap",
            [](lora_medium& medium, const std::string& path) {
                auto writer = std::make_shared<sim::pcap_writer>(path);
                medium.set_frame_observer([writer](const sim::lora_observed_frame& f) { writer->write(f); });
            },
            py::arg("path"))
        .def("close_pcap", [](lora_medium& medium) { medium.set_frame_observer({}); });

    // Methods in network.LoRa's order: init, power_mode, reset, airtime, stats, events,
    // callback, ischannel_free; then close (the device reboots).
    py::class_<lora_radio, std::shared_ptr<lora_radio>>(m, "LoRaRadio", "One device's LoRa radio in raw mode.")
        .def(py::init([](lora_medium& medium, const std::string& name, const std::vector<double>& position_m,
                         sim::time_us clock_origin_us) {
                 return std::make_shared<lora_radio>(medium, name, to_position(position_m), clock_origin_us);
             }),
             py::arg("medium"), py::arg("name"), py::arg("position_m"), py::arg("clock_origin_us"), py::keep_alive<1, 2>())
        .def(
            "configure",
            [](lora_radio& r, std::int64_t frequency_hz, int tx_power_dbm, std::int64_t bandwidth_hz, int sf,
               int preamble, int coding_rate, bool tx_iq, bool rx_iq, bool public_network, int power_mode) {
                r.configure({frequency_hz, tx_power_dbm, bandwidth_hz, sf, preamble, coding_rate, tx_iq, rx_iq,
                             public_network, static_cast<sim::lora_power_mode>(power_mode)});
            },
            py::kw_only(), py::arg("frequency_hz"), py::arg("tx_power_dbm"), py::arg("bandwidth_hz"), py::arg("sf"),
            py::arg("preamble"), py::arg("coding_rate"), py::arg("tx_iq"), py::arg("rx_iq"), py::arg("public"),
            py::arg("power_mode"))
        .def_property(
            "power_mode", [](const lora_radio& r) { return static_cast<int>(r.power_mode()); },
            [](lora_radio& r, int mode) { r.set_power_mode(static_cast<sim::lora_power_mode>(mode)); })
        .def("reset", &lora_radio::reset)
        .def("airtime_ms", [](const lora_radio& r, std::size_t n) { return r.airtime_ms(n); })
        .def("airtime_us", [](const lora_radio& r, std::size_t n) { return r.airtime_us(n); })
        // stats() -> the 10 fields of lora.stats() in the firmware's order
        .def("stats",
             [](const lora_radio& r) {
                 const auto s = r.stats();
                 return py::make_tuple(s.rx_timestamp_us, s.rssi_dbm, s.snr_db, s.sf_rx, s.sf_tx, s.tx_trials,
                                       s.tx_power_dbm, s.tx_time_on_air_ms, s.tx_counter, s.tx_frequency_hz);
             })
        .def("take_events", &lora_radio::take_events)
        .def("set_callback", &lora_radio::set_callback, py::arg("trigger"), py::arg("mailbox"), py::arg("token"))
        // channel_free(threshold_dbm, duration_us) -> bool; waits in device time
        .def("channel_free",
             [](lora_radio& r, double threshold_dbm, sim::time_us duration_us) {
                 bool free = false;
                 sim::wait_status status;
                 {
                     nogil release;
                     status = r.channel_free(threshold_dbm, duration_us, free);
                 }
                 if (status == sim::wait_status::halted) {
                     throw device_halted{};
                 }
                 return free;
             })
        .def_property_readonly("received_pending", &lora_radio::received_pending)
        .def("set_mac_mode", &lora_radio::set_mac_mode)
        .def("share_chip", &lora_radio::share_chip, py::arg("chip"))
        .def("close", &lora_radio::close);
}

}  // namespace usocket::bindings
