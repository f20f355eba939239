// sigfox_bindings.cpp: usocket_emu._core.SigfoxMedium, .SigfoxRadio, .SigfoxNetwork and
// .SigfoxMessage, thin over usocket::sim. network.Sigfox (python/usocket_emu/device/_sigfox.py)
// validates arguments; SigfoxRadio's first methods are the seam that module calls.
//
// Conventions: a Sigfox ID is an int (id() read big-endian: b'\x00\x1c\x2a\x3b' is 0x001C2A3B),
// times are emulated microseconds, positions (x_m, y_m[, z_m]). The network's callback runs in
// a world event without the GIL; it takes the GIL to call Python. Its exceptions are kept
// (the first one) for take_callback_error(), as LoRaWANNetwork does.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "errors.hpp"
#include "usocket/sim/lora_medium.hpp"
#include "usocket/sim/sigfox_medium.hpp"
#include "usocket/sim/sigfox_network.hpp"
#include "usocket/sim/sigfox_phy.hpp"
#include "usocket/sim/sigfox_radio.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

using nogil = py::gil_scoped_release;
using sim::sigfox_medium;
using sim::sigfox_message_record;
using sim::sigfox_network;
using sim::sigfox_radio;

sim::position_m to_position(const std::vector<double>& xyz) {
    if (xyz.size() != 2 && xyz.size() != 3) {
        throw py::value_error("a position is (x_m, y_m) or (x_m, y_m, z_m)");
    }
    return {xyz[0], xyz[1], xyz.size() == 3 ? xyz[2] : 0.0};
}

sim::sigfox_zone to_zone(int code) {
    const auto zone = sim::zone_from_code(code);
    if (!zone) {
        throw py::value_error("a Sigfox zone is RCZ1 (0) to RCZ4 (3)");
    }
    return *zone;
}

sim::sigfox_mode to_mode(int mode) {
    if (mode != 0 && mode != 1) {
        throw py::value_error("a Sigfox mode is SIGFOX (0) or FSK (1)");
    }
    return static_cast<sim::sigfox_mode>(mode);
}

std::vector<std::uint8_t> to_bytes(py::handle buffer) {
    const readable_bytes b(buffer);
    const auto* p = reinterpret_cast<const std::uint8_t*>(b.data());
    return {p, p + b.size()};
}

py::bytes as_bytes(const std::vector<std::uint8_t>& v) {
    return py::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

/// The model's settable fields, by name.
struct model_field {
    const char* name;
    double sim::sigfox_model::*value;
};

const model_field model_fields[] = {
    {"station_sensitivity_100bps_dbm", &sim::sigfox_model::station_sensitivity_100bps_dbm},
    {"station_sensitivity_600bps_dbm", &sim::sigfox_model::station_sensitivity_600bps_dbm},
    {"device_downlink_sensitivity_dbm", &sim::sigfox_model::device_downlink_sensitivity_dbm},
    {"fsk_sensitivity_dbm", &sim::sigfox_model::fsk_sensitivity_dbm},
    {"capture_threshold_db", &sim::sigfox_model::capture_threshold_db},
    {"station_tx_power_dbm", &sim::sigfox_model::station_tx_power_dbm},
};

sim::sigfox_model model_from(const py::dict& settings) {
    sim::sigfox_model model;
    for (const auto& [key, value] : settings) {
        const std::string name = py::str(key);
        const model_field* field = nullptr;
        for (const auto& f : model_fields) {
            if (name == f.name) {
                field = &f;
            }
        }
        if (field == nullptr) {
            throw py::value_error("unknown Sigfox model setting '" + name + "'");
        }
        if (py::isinstance<py::bool_>(value) || !(py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value))) {
            throw py::type_error("Sigfox model setting '" + name + "' must be a number");
        }
        model.*(field->value) = value.cast<double>();
    }
    return model;
}

sim::sigfox_network_options options_from(const py::dict& settings) {
    sim::sigfox_network_options o;
    for (const auto& [key, value] : settings) {
        const std::string name = py::str(key);
        if (name == "uplinks_per_day") {
            o.uplinks_per_day = value.cast<int>();
        } else if (name == "downlinks_per_day") {
            o.downlinks_per_day = value.cast<int>();
        } else if (name == "echo") {
            o.echo = value.cast<bool>();
        } else if (name == "downlink_delay_us") {
            o.downlink_delay_us = value.cast<sim::time_us>();
        } else {
            throw py::value_error("unknown Sigfox network option '" + name + "'");
        }
    }
    return o;
}

const char* send_status_name(sigfox_radio::send_status s) {
    switch (s) {
    case sigfox_radio::send_status::done: return "done";
    case sigfox_radio::send_status::queued: return "queued";
    case sigfox_radio::send_status::queue_full: return "queue_full";
    case sigfox_radio::send_status::failed: return "failed";
    case sigfox_radio::send_status::not_open: return "not_open";
    case sigfox_radio::send_status::halted: return "halted";
    }
    return "halted";
}

// --- the network's callback -------------------------------------------------------------

/// Python objects C++ copies may outlive on a thread without the GIL: destroyed under the
/// GIL (and leaked if the interpreter is gone).
struct python_slot {
    py::object callback;
    py::object error;
};

std::shared_ptr<python_slot> make_slot() {
    return std::shared_ptr<python_slot>(new python_slot{py::none(), py::none()}, [](python_slot* p) {
        if (Py_IsInitialized() == 0) {
            return;
        }
        py::gil_scoped_acquire gil;
        delete p;
    });
}

/// The object Python holds: the network and the slot its callback keeps errors in.
class network_handle {
public:
    network_handle(std::shared_ptr<sigfox_medium> medium, const sim::sigfox_network_options& options)
        : medium_(medium), errors_(make_slot()), net_(*medium, options) {}

    ~network_handle() {
        nogil release;
        net_.set_callback({});
    }

    network_handle(const network_handle&) = delete;
    network_handle& operator=(const network_handle&) = delete;

    sigfox_network& net() noexcept { return net_; }

    void set_callback(py::object fn) {
        if (fn.is_none()) {
            nogil release;
            net_.set_callback({});
            return;
        }
        if (!PyCallable_Check(fn.ptr())) {
            throw py::type_error("the Sigfox callback must be callable or None");
        }
        auto slot = make_slot();
        slot->callback = std::move(fn);
        std::weak_ptr<python_slot> errors = errors_;
        sigfox_network::message_callback cb =
            [slot, errors](const sigfox_message_record& record) -> std::optional<std::vector<std::uint8_t>> {
            if (Py_IsInitialized() == 0) {
                return std::nullopt;
            }
            py::gil_scoped_acquire gil;
            try {
                const py::object answer = slot->callback(record);
                if (answer.is_none()) {
                    return std::nullopt;
                }
                return to_bytes(answer);
            } catch (py::error_already_set& e) {
                keep(errors, e.value(), e.trace());
            } catch (const std::exception& e) {
                keep(errors, py::reinterpret_steal<py::object>(PyObject_CallFunction(PyExc_RuntimeError, "s", e.what())),
                     py::none());
            }
            return std::nullopt;
        };
        nogil release;
        net_.set_callback(std::move(cb));
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

    std::shared_ptr<sigfox_medium> medium_;  // outlives net_, which refers to it
    std::shared_ptr<python_slot> errors_;
    sigfox_network net_;
};

template <class F>
auto released(F&& f) {
    nogil release;
    return f();
}

}  // namespace

void bind_sigfox(py::module_& m) {
    // sigfox_uplink_frame_us(payload_bytes, bit_rate_bps) -> one uplink frame's duration
    m.def(
        "sigfox_uplink_frame_us",
        [](std::size_t payload_bytes, int bit_rate_bps) {
            if (payload_bytes > sim::sigfox_max_uplink_bytes) {
                throw py::value_error("a Sigfox uplink has 0 to 12 bytes");
            }
            return sim::uplink_frame_us(sim::frame_class(payload_bytes), bit_rate_bps);
        },
        py::arg("payload_bytes"), py::arg("bit_rate_bps"));
    // sigfox_fsk_frame_us(payload_bytes) -> a SiPy FSK frame's duration
    m.def("sigfox_fsk_frame_us", &sim::fsk_frame_us, py::arg("payload_bytes"));

    // Held by shared_ptr: radios and the network keep their medium alive from C++, since a
    // radio registered with a stack may outlive every Python object (a socket holds the stack).
    py::class_<sigfox_medium, std::shared_ptr<sigfox_medium>>(m, "SigfoxMedium",
                                                              "The air the Sigfox radios and base stations of one world share.")
        .def(py::init([](sim::lora_medium& propagation, const py::dict& model) {
                 return std::make_shared<sigfox_medium>(propagation, model_from(model));
             }),
             py::arg("lora_medium"), py::arg("model") = py::dict(), py::keep_alive<1, 2>())
        .def_property_readonly("model",
                               [](const sigfox_medium& medium) {
                                   py::dict out;
                                   for (const auto& f : model_fields) {
                                       out[f.name] = medium.model().*(f.value);
                                   }
                                   return out;
                               })
        .def("counters", [](const sigfox_medium& medium) {
            const auto c = medium.counters();
            py::dict out;
            out["transmissions"] = c.transmissions;
            out["receptions"] = c.receptions;
            out["collisions"] = c.collisions;
            out["below_sensitivity"] = c.below_sensitivity;
            out["other_losses"] = c.other_losses;
            return out;
        });

    // The seam of network.Sigfox first (open, set_config_words, info_byte, reset_macro_channel,
    // last_downlink_rssi_dbm, set_public_key, test_mode, cw), then the radio's own.
    py::class_<sigfox_radio, std::shared_ptr<sigfox_radio>>(m, "SigfoxRadio", "One device's Sigfox radio.")
        .def(py::init([](std::shared_ptr<sigfox_medium> medium, const std::string& name,
                         const std::vector<double>& position_m, std::uint32_t device_id) {
                 auto* radio = new sigfox_radio(*medium, name, to_position(position_m), device_id);
                 // The radio refers to its medium: its last owner releases the medium after it.
                 return std::shared_ptr<sigfox_radio>(radio, [medium](sigfox_radio* r) { delete r; });
             }),
             py::arg("medium"), py::arg("name"), py::arg("position_m"), py::arg("device_id"), py::keep_alive<1, 2>())
        // open(mode, zone, frequency_hz, config_words=None) -> bool (E_SIGFOX_CMD_INIT)
        .def(
            "open",
            [](sigfox_radio& r, int mode, int zone, std::int64_t frequency_hz,
               std::optional<std::array<std::uint32_t, 3>> config_words) {
                const auto md = to_mode(mode);
                const auto z = md == sim::sigfox_mode::sigfox ? to_zone(zone) : r.zone();
                const bool ok = r.open(md, z, frequency_hz);
                if (ok && config_words) {
                    r.set_config_words(*config_words);
                }
                return ok;
            },
            py::arg("mode"), py::arg("zone"), py::arg("frequency_hz") = 0, py::arg("config_words") = py::none())
        // set_config_words((w0, w1, w2)) -> bool
        .def("set_config_words",
             [](sigfox_radio& r, const std::array<std::uint32_t, 3>& words) {
                 r.set_config_words(words);
                 return true;
             })
        .def("info_byte", &sigfox_radio::info_byte)
        .def("reset_macro_channel", &sigfox_radio::reset_macro_channel)
        .def("last_downlink_rssi_dbm", &sigfox_radio::last_downlink_rssi_dbm)
        // set_public_key(on), test_mode(mode, config), cw(frequency_hz, start): nothing on the air
        .def("set_public_key", [](sigfox_radio&, bool) {})
        .def("test_mode", [](sigfox_radio&, std::uint32_t, std::uint32_t) {})
        .def("cw", [](sigfox_radio&, std::uint32_t, bool) {})
        .def("set_freq_offset_hz", &sigfox_radio::set_freq_offset_hz)
        .def_property("sequence_number", &sigfox_radio::sequence_number, &sigfox_radio::set_sequence_number)
        .def_property_readonly("device_id", &sigfox_radio::device_id)
        .def_property_readonly("is_open", &sigfox_radio::is_open)
        .def_property_readonly("mode", [](const sigfox_radio& r) { return static_cast<int>(r.mode()); })
        .def_property_readonly("zone", [](const sigfox_radio& r) { return static_cast<int>(r.zone()); })
        // frequencies() -> (uplink_hz, downlink_hz) of the zone
        .def("frequencies",
             [](const sigfox_radio& r) {
                 const auto& p = sim::zone_params(r.zone());
                 return py::make_tuple(p.uplink_hz, p.downlink_hz);
             })
        // send(payload, *, bit, oob, downlink, tx_repeat, queue_wait_us, wait) -> status name;
        // what AF_SIGFOX sockets do, for tests that drive the radio alone
        .def(
            "send",
            [](sigfox_radio& r, py::handle payload, bool bit, bool oob, bool downlink, int tx_repeat,
               std::optional<sim::time_us> queue_wait_us, bool wait) {
                sim::sigfox_send_request req;
                req.payload = to_bytes(payload);
                req.bit_value = bit;
                req.oob = oob;
                req.downlink = downlink;
                req.tx_repeat = tx_repeat;
                sigfox_radio::send_status status;
                {
                    nogil release;
                    status = r.send(std::move(req), queue_wait_us, wait);
                }
                if (status == sigfox_radio::send_status::halted) {
                    throw device_halted{};
                }
                return send_status_name(status);
            },
            py::arg("payload"), py::kw_only(), py::arg("bit") = false, py::arg("oob") = false,
            py::arg("downlink") = false, py::arg("tx_repeat") = 2, py::arg("queue_wait_us") = py::none(),
            py::arg("wait") = true)
        .def_property_readonly("received_pending", &sigfox_radio::received_pending)
        .def("stats",
             [](const sigfox_radio& r) {
                 const auto s = r.stats();
                 py::dict out;
                 out["messages_sent"] = s.messages_sent;
                 out["frames_sent"] = s.frames_sent;
                 out["downlinks_received"] = s.downlinks_received;
                 out["failures"] = s.failures;
                 out["last_sequence_number"] = s.last_sequence_number;
                 out["last_frame_frequencies_hz"] = s.last_frame_frequencies_hz;
                 out["last_transaction_start_us"] = s.last_transaction_start_us;
                 out["last_transaction_end_us"] = s.last_transaction_end_us;
                 return out;
             })
        .def("share_chip", &sigfox_radio::share_chip, py::arg("chip"))
        .def("close", &sigfox_radio::close);

    py::class_<sigfox_message_record>(m, "SigfoxMessage", "One uplink message as the Sigfox backend recorded it.")
        .def_readonly("device_id", &sigfox_message_record::device_id)
        .def_readonly("sequence_number", &sigfox_message_record::sequence_number)
        .def_property_readonly("payload", [](const sigfox_message_record& r) { return as_bytes(r.payload); })
        .def_readonly("bit_frame", &sigfox_message_record::bit_frame)
        .def_readonly("bit_value", &sigfox_message_record::bit_value)
        .def_readonly("oob", &sigfox_message_record::oob)
        .def_property_readonly("zone", [](const sigfox_message_record& r) { return static_cast<int>(r.zone); })
        .def_readonly("received_us", &sigfox_message_record::received_us)
        .def_readonly("first_frame_end_us", &sigfox_message_record::first_frame_end_us)
        .def_readonly("rssi_dbm", &sigfox_message_record::rssi_dbm)
        .def_readonly("stations", &sigfox_message_record::stations)
        .def_readonly("frames_received", &sigfox_message_record::frames_received)
        .def_readonly("station_names", &sigfox_message_record::station_names)
        .def_readonly("best_station", &sigfox_message_record::best_station)
        .def_readonly("downlink_requested", &sigfox_message_record::downlink_requested)
        .def_readonly("downlink_answered", &sigfox_message_record::downlink_answered)
        .def_property_readonly("downlink_payload",
                               [](const sigfox_message_record& r) { return as_bytes(r.downlink_payload); })
        .def_readonly("over_limit", &sigfox_message_record::over_limit)
        .def_readonly("downlink_over_limit", &sigfox_message_record::downlink_over_limit)
        .def("__repr__", [](const sigfox_message_record& r) {
            return "<SigfoxMessage device_id=" + std::to_string(r.device_id) +
                   " seq=" + std::to_string(r.sequence_number) + " payload=" +
                   std::string(py::repr(as_bytes(r.payload))) + ">";
        });

    py::class_<network_handle>(m, "SigfoxNetwork", "The Sigfox base stations and backend of one world.")
        .def(py::init([](std::shared_ptr<sigfox_medium> medium, const py::dict& options) {
                 return std::make_unique<network_handle>(std::move(medium), options_from(options));
             }),
             py::arg("medium"), py::arg("options") = py::dict(), py::keep_alive<1, 2>())
        .def(
            "add_station",
            [](network_handle& h, std::string name, const std::vector<double>& position_m) {
                const auto where = to_position(position_m);
                return released([&] { return h.net().add_station(std::move(name), where); });
            },
            py::arg("name"), py::arg("position_m"))
        .def("station_names", [](network_handle& h) { return released([&] { return h.net().station_names(); }); })
        .def("messages", [](network_handle& h) { return released([&] { return h.net().messages(); }); })
        // queue_downlink(device_id, payload8)
        .def(
            "queue_downlink",
            [](network_handle& h, std::uint32_t device_id, py::handle payload) {
                auto bytes = to_bytes(payload);
                if (bytes.size() != sim::sigfox_downlink_bytes) {
                    throw py::value_error("a Sigfox downlink has exactly 8 bytes");
                }
                released([&] { h.net().queue_downlink(device_id, std::move(bytes)); });
            },
            py::arg("device_id"), py::arg("payload"))
        .def(
            "pending_downlinks",
            [](network_handle& h, std::uint32_t device_id) {
                return released([&] { return h.net().pending_downlinks(device_id); });
            },
            py::arg("device_id"))
        // set_callback(fn | None): fn(SigfoxMessage) -> bytes (a downlink answer) or None
        .def("set_callback", [](network_handle& h, py::object fn) { h.set_callback(std::move(fn)); }, py::arg("callback"))
        .def("take_callback_error", &network_handle::take_error)
        .def_property(
            "echo", [](network_handle& h) { return h.net().echo(); }, [](network_handle& h, bool on) { h.net().set_echo(on); })
        .def_property(
            "uplinks_per_day", [](network_handle& h) { return h.net().options().uplinks_per_day; },
            [](network_handle& h, int n) { h.net().set_limits(n, h.net().options().downlinks_per_day); })
        .def_property(
            "downlinks_per_day", [](network_handle& h) { return h.net().options().downlinks_per_day; },
            [](network_handle& h, int n) { h.net().set_limits(h.net().options().uplinks_per_day, n); })
        .def("counters", [](network_handle& h) {
            const auto c = released([&] { return h.net().counters(); });
            py::dict out;
            out["messages"] = c.messages;
            out["frames"] = c.frames;
            out["over_limit"] = c.over_limit;
            out["downlinks_sent"] = c.downlinks_sent;
            out["downlinks_over_limit"] = c.downlinks_over_limit;
            return out;
        });
}

}  // namespace usocket::bindings
