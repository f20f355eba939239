// lorawan_network_bindings.cpp: usocket_emu._core.LoRaWANNetwork, thin over
// usocket::sim::lorawan_network (the embedded network server and its gateways). The
// user-facing API is usocket_emu.Network (python/usocket_emu/_network.py).
//
// Conventions: EUIs are 8 bytes in display order (b'\x70\xb3\xd5...' is 0x70B3D5...), keys
// 16 bytes, a DevAddr an int; records are dicts with bytes for EUIs, keys and payloads and
// emulated times in microseconds. A device argument is a DevEUI (8-byte buffer) or a DevAddr
// (int). Bad arguments raise TypeError/ValueError (the core's std::invalid_argument is
// ValueError).
//
// The uplink callback runs in a world event, on the thread that runs World.run() (without the
// GIL and without the network's lock): it takes the GIL to call Python. An exception it raises
// cannot propagate through the world, so the first one is kept (later ones are dropped while
// one is kept) and take_callback_error() hands it over: World.run() re-raises it when the run
// returns. KeyboardInterrupt is kept the same way (re-signalling it could fire after the run
// ended, anywhere): a Ctrl-C that lands inside the callback surfaces when the run returns.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "lorawan_convert.hpp"
#include "usocket/sim/lorawan_network.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

using nogil = py::gil_scoped_release;
namespace lw = sim::lorawan;
using sim::lorawan_device_ref;
using sim::lorawan_network;

// --- conversions -------------------------------------------------------------------------

std::int64_t to_int(py::handle obj, const char* what) {
    if (PyBool_Check(obj.ptr()) || !PyLong_Check(obj.ptr())) {
        throw py::type_error(std::string(what) + " must be an int, not " + type_name(obj));
    }
    return obj.cast<std::int64_t>();
}

std::uint32_t to_dev_addr(py::handle obj) {
    const std::int64_t v = to_int(obj, "a DevAddr");
    if (v < 0 || v > 0xFFFFFFFFLL) {
        throw py::value_error("a DevAddr is 0..0xFFFFFFFF");
    }
    return static_cast<std::uint32_t>(v);
}

/// A DevEUI (8-byte buffer) or a DevAddr (int).
lorawan_device_ref to_ref(py::handle device) {
    if (PyLong_Check(device.ptr()) && !PyBool_Check(device.ptr())) {
        return lorawan_device_ref::addr(to_dev_addr(device));
    }
    if (PyUnicode_Check(device.ptr()) || PyBool_Check(device.ptr())) {
        throw py::type_error("a device is a DevEUI (8 bytes) or a DevAddr (int), not " + type_name(device));
    }
    return lorawan_device_ref::eui(to_eui(device, "a DevEUI"));
}

sim::position_m to_position(const std::vector<double>& xyz) {
    if (xyz.size() != 2 && xyz.size() != 3) {
        throw py::value_error("a position is (x_m, y_m) or (x_m, y_m, z_m)");
    }
    return {xyz[0], xyz[1], xyz.size() == 3 ? xyz[2] : 0.0};
}

sim::lorawan_network_options options_from(const py::dict& settings) {
    sim::lorawan_network_options o;
    for (const auto& [key, value] : settings) {
        const std::string name = py::str(key);
        if (name == "net_id") {
            const auto v = to_int(value, "net_id");
            if (v < 0 || v > 0xFFFFFF) {
                throw py::value_error("net_id has 24 bits (0..0xFFFFFF)");
            }
            o.net_id = static_cast<std::uint32_t>(v);
        } else if (name == "strict") {
            if (!PyBool_Check(value.ptr())) {
                throw py::type_error("strict must be True or False");
            }
            o.strict = value.cast<bool>();
        } else if (name == "prefer_rx2") {
            if (!PyBool_Check(value.ptr())) {
                throw py::type_error("prefer_rx2 must be True or False");
            }
            o.prefer_rx2 = value.cast<bool>();
        } else if (name == "adr") {
            if (!py::isinstance<py::bool_>(value)) {
                throw py::type_error("adr must be True or False");
            }
            o.adr = value.cast<bool>();
        } else if (name == "downlink_loss") {
            if (PyBool_Check(value.ptr()) || !(PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr()))) {
                throw py::type_error("downlink_loss must be a number");
            }
            o.downlink_loss = value.cast<double>();  // the range: lorawan_network's constructor
        } else if (name == "dedup_window_us") {
            o.dedup_window_us = to_int(value, "dedup_window_us");
        } else if (name == "class_c_gap_us") {
            o.class_c_gap_us = to_int(value, "class_c_gap_us");
            if (o.class_c_gap_us < 0) {
                throw py::value_error("class_c_gap_us must be at least 0");
            }
        } else if (name == "confirmed_downlink_max_transmissions") {
            const auto v = to_int(value, "confirmed_downlink_max_transmissions");
            if (v < 1 || v > 255) {
                throw py::value_error("confirmed_downlink_max_transmissions is 1..255");
            }
            o.confirmed_downlink_max_transmissions = static_cast<int>(v);
        } else if (name == "downlink_tx_power_dbm") {
            if (!value.is_none()) {
                if (PyBool_Check(value.ptr()) || !(PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr()))) {
                    throw py::type_error("downlink_tx_power_dbm must be a number or None");
                }
                o.downlink_tx_power_dbm = value.cast<double>();
            }
        } else if (name == "cf_list_hz") {
            if (!value.is_none()) {
                std::vector<std::int64_t> hz;
                for (const auto item : py::reinterpret_borrow<py::iterable>(value)) {
                    hz.push_back(to_int(item, "a cf_list_hz frequency"));
                }
                o.cf_list_hz = std::move(hz);
            }
        } else {
            throw py::value_error("unknown network option '" + name +
                                  "' (known: net_id, strict, dedup_window_us, downlink_tx_power_dbm, prefer_rx2, "
                                  "cf_list_hz, confirmed_downlink_max_transmissions, class_c_gap_us, adr)");
        }
    }
    return o;
}

py::list gateways_list(const std::vector<sim::lorawan_gateway_copy>& copies) {
    py::list out;
    for (const auto& c : copies) {
        out.append(py::make_tuple(c.gateway, c.rssi_dbm, c.snr_db));
    }
    return out;
}

py::list mac_list(const std::vector<sim::lorawan_mac_command>& commands) {
    py::list out;
    for (const auto& c : commands) {
        out.append(py::make_tuple(c.cid, to_py(c.payload)));
    }
    return out;
}

py::object optional_port(const std::optional<std::uint8_t>& port) {
    return port ? py::object(py::int_(*port)) : py::object(py::none());
}

py::dict uplink_dict(const sim::lorawan_uplink_record& u) {
    py::dict d;
    d["t_us"] = u.t_us;
    d["start_us"] = u.start_us;
    d["dev_eui"] = from_eui(u.dev_eui);
    d["dev_addr"] = u.dev_addr;
    d["fcnt"] = u.fcnt;
    d["port"] = optional_port(u.port);
    d["payload"] = to_py(u.payload);
    d["confirmed"] = u.confirmed;
    d["adr"] = u.adr;
    d["adr_ack_req"] = u.adr_ack_req;
    d["ack"] = u.ack;
    d["dr"] = u.dr;
    d["frequency_hz"] = u.frequency_hz;
    d["rssi_dbm"] = u.rssi_dbm;
    d["snr_db"] = u.snr_db;
    d["gateways"] = gateways_list(u.gateways);
    d["mac_commands"] = mac_list(u.mac_commands);
    return d;
}

py::dict join_dict(const sim::lorawan_join_record& j) {
    py::dict d;
    d["t_us"] = j.t_us;
    d["dev_eui"] = from_eui(j.dev_eui);
    d["app_eui"] = from_eui(j.app_eui);
    d["dev_nonce"] = j.dev_nonce;
    d["app_nonce"] = j.app_nonce;
    d["net_id"] = j.net_id;
    d["dev_addr"] = j.dev_addr;
    d["nwk_s_key"] = to_py(j.keys.nwk_s_key);
    d["app_s_key"] = to_py(j.keys.app_s_key);
    d["dr"] = j.dr;
    d["frequency_hz"] = j.frequency_hz;
    d["rssi_dbm"] = j.rssi_dbm;
    d["snr_db"] = j.snr_db;
    d["gateways"] = gateways_list(j.gateways);
    d["window"] = sim::window_name(j.window);
    d["accept_at_us"] = j.accept_at_us;
    return d;
}

py::dict downlink_dict(const sim::lorawan_downlink_record& l) {
    py::dict d;
    d["t_us"] = l.t_us;
    d["dev_addr"] = l.dev_addr;
    d["dev_eui"] = from_eui(l.dev_eui);
    d["join_accept"] = l.join_accept;
    d["fcnt"] = l.fcnt;
    d["port"] = optional_port(l.port);
    d["payload"] = to_py(l.payload);
    d["confirmed"] = l.confirmed;
    d["ack"] = l.ack;
    d["f_pending"] = l.f_pending;
    d["mac_commands"] = mac_list(l.mac_commands);
    d["queued_id"] = l.queued_id ? py::object(py::int_(*l.queued_id)) : py::object(py::none());
    d["multicast"] = l.multicast;
    d["window"] = sim::window_name(l.window);
    d["frequency_hz"] = l.frequency_hz;
    d["dr"] = l.dr;
    d["gateway"] = l.gateway;
    d["phy"] = to_py(l.phy);
    return d;
}

py::dict session_dict(const sim::lorawan_session_info& s) {
    py::dict d;
    d["dev_eui"] = from_eui(s.dev_eui);
    d["dev_addr"] = s.dev_addr;
    d["nwk_s_key"] = to_py(s.keys.nwk_s_key);
    d["app_s_key"] = to_py(s.keys.app_s_key);
    d["fcnt_up"] = s.fcnt_up ? py::object(py::int_(*s.fcnt_up)) : py::object(py::none());
    d["fcnt_down"] = s.fcnt_down;
    d["rx1_dr_offset"] = s.rx1_dr_offset;
    d["rx2_dr"] = s.rx2_dr;
    d["rx2_frequency_hz"] = s.rx2_frequency_hz;
    d["rx1_delay_us"] = s.rx1_delay_us;
    d["class_c"] = s.class_c;
    return d;
}

py::dict multicast_group_dict(const sim::lorawan_multicast_group_info& g) {
    py::dict d;
    d["mc_addr"] = g.mc_addr;
    d["nwk_s_key"] = to_py(g.keys.nwk_s_key);
    d["app_s_key"] = to_py(g.keys.app_s_key);
    d["dr"] = g.dr;
    d["frequency_hz"] = g.frequency_hz;
    d["fcnt_down"] = g.fcnt_down;
    return d;
}

const char* state_name(sim::lorawan_downlink_state s) {
    switch (s) {
    case sim::lorawan_downlink_state::unknown: return "unknown";
    case sim::lorawan_downlink_state::queued: return "queued";
    case sim::lorawan_downlink_state::sent: return "sent";
    case sim::lorawan_downlink_state::acknowledged: return "acknowledged";
    case sim::lorawan_downlink_state::failed: return "failed";
    }
    return "unknown";
}

py::dict counters_dict(const sim::lorawan_network_counters& c) {
    py::dict d;
    d["received_frames"] = c.received_frames;
    d["lost_while_transmitting"] = c.lost_while_transmitting;
    d["unique_frames"] = c.unique_frames;
    d["duplicates"] = c.duplicates;
    d["uplinks_accepted"] = c.uplinks_accepted;
    d["retransmissions"] = c.retransmissions;
    d["bad_mic"] = c.bad_mic;
    d["replays"] = c.replays;
    d["unknown_devices"] = c.unknown_devices;
    d["devnonce_reused"] = c.devnonce_reused;
    d["malformed"] = c.malformed;
    d["joins_accepted"] = c.joins_accepted;
    d["downlinks_sent"] = c.downlinks_sent;
    d["downlinks_missed"] = c.downlinks_missed;
    d["downlinks_dropped"] = c.downlinks_dropped;
    return d;
}

// --- Python objects shared with the world's event thread --------------------------------

/// Python objects that C++ copies may outlive on a thread without the GIL: destroyed under
/// the GIL (and leaked if the interpreter is gone).
struct python_slot {
    py::object callback;  ///< the uplink callback, or None
    py::object error;     ///< the first exception it raised and nobody took yet, or None
};

std::shared_ptr<python_slot> make_slot() {
    return std::shared_ptr<python_slot>(new python_slot{py::none(), py::none()}, [](python_slot* p) {
        if (Py_IsInitialized() == 0) {
            return;  // interpreter gone: leak rather than touch freed objects
        }
        py::gil_scoped_acquire gil;
        delete p;
    });
}

/// The object Python holds: the network and the slot its callback uses for errors.
class network_handle {
public:
    network_handle(sim::lora_medium& medium, sim::region_id region, const sim::lorawan_network_options& options)
        : errors_(make_slot()), net_(medium, region, options) {}

    ~network_handle() {
        // The core may still hold the callback (a copy runs on the event thread): clear it.
        nogil release;
        net_.set_uplink_callback({});
    }

    network_handle(const network_handle&) = delete;
    network_handle& operator=(const network_handle&) = delete;

    lorawan_network& net() noexcept { return net_; }

    void set_callback(py::object fn) {
        if (fn.is_none()) {
            nogil release;
            net_.set_uplink_callback({});
            return;
        }
        if (!PyCallable_Check(fn.ptr())) {
            throw py::type_error("the uplink callback must be callable or None");
        }
        auto slot = make_slot();
        slot->callback = std::move(fn);
        std::weak_ptr<python_slot> errors = errors_;
        lorawan_network::uplink_callback cb = [slot, errors](const sim::lorawan_uplink_record& record) {
            if (Py_IsInitialized() == 0) {
                return;
            }
            py::gil_scoped_acquire gil;
            try {
                slot->callback(uplink_dict(record));
            } catch (py::error_already_set& e) {
                keep(errors, e.value(), e.trace());
            } catch (const std::exception& e) {
                keep(errors, py::reinterpret_steal<py::object>(PyObject_CallFunction(PyExc_RuntimeError, "s", e.what())),
                     py::none());
            }
        };
        nogil release;
        net_.set_uplink_callback(std::move(cb));
    }

    py::object take_error() {
        py::object e = errors_->error;
        errors_->error = py::none();
        return e;
    }

private:
    static void keep(const std::weak_ptr<python_slot>& errors, const py::object& value, const py::object& trace) {
        const auto slot = errors.lock();
        if (!slot || !slot->error.is_none() || !value) {
            return;
        }
        if (trace && !trace.is_none()) {
            PyException_SetTraceback(value.ptr(), trace.ptr());
        }
        slot->error = value;
    }

    std::shared_ptr<python_slot> errors_;
    lorawan_network net_;
};

template <class F>
auto released(F&& f) {
    nogil release;
    return f();
}

}  // namespace

void bind_lorawan_network(py::module_& m) {
    py::class_<network_handle>(m, "LoRaWANNetwork",
                               "The embedded LoRaWAN network server of one region, and its gateways.")
        .def(py::init([](sim::lora_medium& medium, int region, const py::dict& options) {
                 const auto id = sim::region_from_code(region);
                 if (!id) {
                     throw py::value_error("unknown LoRa region code " + std::to_string(region));
                 }
                 const auto o = options_from(options);
                 return std::make_unique<network_handle>(medium, *id, o);
             }),
             py::arg("medium"), py::arg("region"), py::arg("options") = py::dict(), py::keep_alive<1, 2>())
        .def_property_readonly("region", [](network_handle& h) { return sim::region_code(h.net().region().id); })
        .def_property_readonly("strict", [](network_handle& h) { return h.net().options().strict; })
        .def_property_readonly("net_id", [](network_handle& h) { return h.net().options().net_id; })
        // gateways
        .def(
            "add_gateway",
            [](network_handle& h, std::string name, const std::vector<double>& position_m) {
                const auto where = to_position(position_m);
                return released([&] { return h.net().add_gateway(std::move(name), where); });
            },
            py::arg("name"), py::arg("position_m"))
        .def("gateway_names", [](network_handle& h) { return released([&] { return h.net().gateway_names(); }); })
        .def(
            "remove_gateway",
            [](network_handle& h, const std::string& name) {
                return released([&] { return h.net().remove_gateway(name); });
            },
            py::arg("name"))
        // devices
        .def(
            "offer_otaa",
            [](network_handle& h, py::handle dev_eui, py::handle app_eui, py::handle app_key) {
                const auto d = to_eui(dev_eui, "a DevEUI");
                const auto a = to_eui(app_eui, "an AppEUI");
                const auto k = to_key(app_key, "an AppKey");
                return released([&] { return h.net().offer_otaa(d, a, k); });
            },
            py::arg("dev_eui"), py::arg("app_eui"), py::arg("app_key"))
        .def(
            "offer_abp",
            [](network_handle& h, py::handle dev_addr, py::handle nwk_s_key, py::handle app_s_key, bool reset_counters) {
                const auto addr = to_dev_addr(dev_addr);
                const auto n = to_key(nwk_s_key, "an NwkSKey");
                const auto a = to_key(app_s_key, "an AppSKey");
                return released([&] { return h.net().offer_abp(addr, n, a, reset_counters); });
            },
            py::arg("dev_addr"), py::arg("nwk_s_key"), py::arg("app_s_key"), py::arg("reset_counters") = false)
        .def(
            "register_otaa",
            [](network_handle& h, py::handle dev_eui, py::handle app_eui, py::handle app_key) {
                const auto d = to_eui(dev_eui, "a DevEUI");
                const auto a = to_eui(app_eui, "an AppEUI");
                const auto k = to_key(app_key, "an AppKey");
                released([&] { h.net().register_otaa(d, a, k); });
            },
            py::arg("dev_eui"), py::arg("app_eui"), py::arg("app_key"))
        .def(
            "register_abp",
            [](network_handle& h, py::handle dev_addr, py::handle nwk_s_key, py::handle app_s_key, bool reset_counters) {
                const auto addr = to_dev_addr(dev_addr);
                const auto n = to_key(nwk_s_key, "an NwkSKey");
                const auto a = to_key(app_s_key, "an AppSKey");
                released([&] { h.net().register_abp(addr, n, a, reset_counters); });
            },
            py::arg("dev_addr"), py::arg("nwk_s_key"), py::arg("app_s_key"), py::arg("reset_counters") = false)
        .def(
            "session",
            [](network_handle& h, py::handle device) -> py::object {
                const auto ref = to_ref(device);
                const auto s = released([&] { return h.net().session(ref); });
                return s ? py::object(session_dict(*s)) : py::object(py::none());
            },
            py::arg("device"))
        .def(
            "set_class_c",
            [](network_handle& h, py::handle device, bool on) {
                const auto ref = to_ref(device);
                released([&] { h.net().set_class_c(ref, on); });
            },
            py::arg("device"), py::arg("on"))
        // downlinks and MAC commands
        .def(
            "queue_downlink",
            [](network_handle& h, py::handle device, int port, py::handle payload, bool confirmed) {
                const auto ref = to_ref(device);
                if (port < 0 || port > 255) {
                    throw py::value_error("a downlink's FPort is 1..224");
                }
                lw::bytes data = payload_bytes(payload);
                return released([&] {
                    return h.net().queue_downlink(ref, static_cast<std::uint8_t>(port), std::move(data), confirmed);
                });
            },
            py::arg("device"), py::arg("port"), py::arg("payload"), py::arg("confirmed") = false)
        .def(
            "downlink_state",
            [](network_handle& h, std::uint64_t id) {
                return state_name(released([&] { return h.net().downlink_state(id); }));
            },
            py::arg("id"))
        .def(
            "pending_downlinks",
            [](network_handle& h, py::handle device) {
                const auto ref = to_ref(device);
                return released([&] { return h.net().pending_downlinks(ref); });
            },
            py::arg("device"))
        .def(
            "set_echo", [](network_handle& h, bool on) { released([&] { h.net().set_echo(on); }); }, py::arg("on"))
        .def(
            "queue_mac_command",
            [](network_handle& h, py::handle device, int cid, py::handle payload) {
                const auto ref = to_ref(device);
                if (cid < 0 || cid > 255) {
                    throw py::value_error("a CID is 0..255");
                }
                lw::bytes data = payload_bytes(payload);
                released([&] { h.net().queue_mac_command(ref, static_cast<std::uint8_t>(cid), std::move(data)); });
            },
            py::arg("device"), py::arg("cid"), py::arg("payload") = py::bytes())
        .def(
            "link_adr_req",
            [](network_handle& h, py::handle device, int dr, int tx_power_index, int ch_mask, int ch_mask_cntl,
               int nb_trans) {
                const auto ref = to_ref(device);
                if (ch_mask < 0 || ch_mask > 0xFFFF) {
                    throw py::value_error("ch_mask is 16 bits");
                }
                released([&] {
                    h.net().link_adr_req(ref, dr, tx_power_index, static_cast<std::uint16_t>(ch_mask), ch_mask_cntl,
                                         nb_trans);
                });
            },
            py::arg("device"), py::arg("dr"), py::arg("tx_power_index"), py::arg("ch_mask"), py::arg("ch_mask_cntl") = 0,
            py::arg("nb_trans") = 0)
        .def(
            "duty_cycle_req",
            [](network_handle& h, py::handle device, int max_duty_cycle) {
                const auto ref = to_ref(device);
                released([&] { h.net().duty_cycle_req(ref, max_duty_cycle); });
            },
            py::arg("device"), py::arg("max_duty_cycle"))
        .def(
            "rx_param_setup_req",
            [](network_handle& h, py::handle device, int rx1_dr_offset, int rx2_dr, std::int64_t rx2_frequency_hz) {
                const auto ref = to_ref(device);
                released([&] { h.net().rx_param_setup_req(ref, rx1_dr_offset, rx2_dr, rx2_frequency_hz); });
            },
            py::arg("device"), py::arg("rx1_dr_offset"), py::arg("rx2_dr"), py::arg("rx2_frequency_hz"))
        .def(
            "dev_status_req",
            [](network_handle& h, py::handle device) {
                const auto ref = to_ref(device);
                released([&] { h.net().dev_status_req(ref); });
            },
            py::arg("device"))
        .def(
            "new_channel_req",
            [](network_handle& h, py::handle device, int index, std::int64_t frequency_hz, int min_dr, int max_dr) {
                const auto ref = to_ref(device);
                released([&] { h.net().new_channel_req(ref, index, frequency_hz, min_dr, max_dr); });
            },
            py::arg("device"), py::arg("index"), py::arg("frequency_hz"), py::arg("min_dr"), py::arg("max_dr"))
        .def(
            "rx_timing_setup_req",
            [](network_handle& h, py::handle device, int delay_s) {
                const auto ref = to_ref(device);
                released([&] { h.net().rx_timing_setup_req(ref, delay_s); });
            },
            py::arg("device"), py::arg("delay_s"))
        // device_status(device) -> (t_us, battery, margin_db) of the last DevStatusAns, or None
        .def(
            "device_status",
            [](network_handle& h, py::handle device) -> py::object {
                const auto ref = to_ref(device);
                const auto s = released([&] { return h.net().device_status(ref); });
                if (!s) {
                    return py::none();
                }
                return py::make_tuple(s->t_us, s->battery, s->margin_db);
            },
            py::arg("device"))
        // multicast
        .def(
            "add_multicast_group",
            [](network_handle& h, py::handle mc_addr, py::handle nwk_s_key, py::handle app_s_key,
               std::optional<int> dr, std::optional<std::int64_t> frequency_hz) {
                const auto addr = to_dev_addr(mc_addr);
                const auto n = to_key(nwk_s_key, "an NwkSKey");
                const auto a = to_key(app_s_key, "an AppSKey");
                released([&] { h.net().add_multicast_group(addr, n, a, dr, frequency_hz); });
            },
            py::arg("mc_addr"), py::arg("nwk_s_key"), py::arg("app_s_key"), py::arg("dr") = py::none(),
            py::arg("frequency_hz") = py::none())
        .def(
            "remove_multicast_group",
            [](network_handle& h, py::handle mc_addr) {
                const auto addr = to_dev_addr(mc_addr);
                return released([&] { return h.net().remove_multicast_group(addr); });
            },
            py::arg("mc_addr"))
        .def("multicast_groups",
             [](network_handle& h) {
                 py::list out;
                 for (const auto& g : released([&] { return h.net().multicast_groups(); })) {
                     out.append(multicast_group_dict(g));
                 }
                 return out;
             })
        .def(
            "queue_multicast",
            [](network_handle& h, py::handle mc_addr, int port, py::handle payload) {
                const auto addr = to_dev_addr(mc_addr);
                if (port < 0 || port > 255) {
                    throw py::value_error("a multicast downlink's FPort is 1..223");
                }
                lw::bytes data = payload_bytes(payload);
                return released(
                    [&] { return h.net().queue_multicast(addr, static_cast<std::uint8_t>(port), std::move(data)); });
            },
            py::arg("mc_addr"), py::arg("port"), py::arg("payload"))
        // what happened
        .def(
            "set_uplink_callback", [](network_handle& h, py::object fn) { h.set_callback(std::move(fn)); },
            py::arg("callback"))
        .def("take_callback_error", &network_handle::take_error)
        .def("uplinks",
             [](network_handle& h) {
                 const auto records = released([&] { return h.net().uplinks(); });
                 py::list out;
                 for (const auto& r : records) {
                     out.append(uplink_dict(r));
                 }
                 return out;
             })
        .def("joins",
             [](network_handle& h) {
                 const auto records = released([&] { return h.net().joins(); });
                 py::list out;
                 for (const auto& r : records) {
                     out.append(join_dict(r));
                 }
                 return out;
             })
        .def("downlinks",
             [](network_handle& h) {
                 const auto records = released([&] { return h.net().downlinks(); });
                 py::list out;
                 for (const auto& r : records) {
                     out.append(downlink_dict(r));
                 }
                 return out;
             })
        .def("counters", [](network_handle& h) { return counters_dict(released([&] { return h.net().counters(); })); });
}

}  // namespace usocket::bindings
