// world_bindings.cpp: usocket_emu._core.World and .Mailbox, thin over usocket::sim.
//
// Waits release the GIL around the C++ call only; a wait that ends because the device was
// halted raises DeviceHalt.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "errors.hpp"
#include "usocket/sim/radio_mutex.hpp"
#include "usocket/sim/world.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

using nogil = py::gil_scoped_release;
using sim::mailbox;
using sim::radio_mutex;
using sim::time_us;
using sim::wait_status;
using sim::world;

std::unique_ptr<world> make_world(const std::string& mode, std::uint64_t seed) {
    if (mode != "real" && mode != "virtual") {
        throw py::value_error("time must be 'real' or 'virtual', not '" + mode + "'");
    }
    return std::make_unique<world>(
        sim::world_options{mode == "real" ? sim::time_mode::real : sim::time_mode::virtual_time, seed});
}

void check_halt(wait_status status) {
    if (status == wait_status::halted) {
        throw device_halted{};
    }
}

const char* run_status_name(sim::run_status status) {
    switch (status) {
    case sim::run_status::until_reached: return "until_reached";
    case sim::run_status::idle: return "idle";
    case sim::run_status::interrupted: return "interrupted";
    case sim::run_status::halted: return "halted";
    }
    return "halted";
}

sim::log_fields to_log_fields(const py::dict& fields) {
    sim::log_fields out;
    for (const auto& [key, value] : fields) {
        std::string name = py::str(key);
        if (value.is_none()) {
            out.emplace_back(std::move(name), std::monostate{});
        } else if (py::isinstance<py::bool_>(value)) {
            out.emplace_back(std::move(name), value.cast<bool>());
        } else if (py::isinstance<py::int_>(value)) {
            out.emplace_back(std::move(name), value.cast<std::int64_t>());
        } else if (py::isinstance<py::float_>(value)) {
            out.emplace_back(std::move(name), value.cast<double>());
        } else {
            out.emplace_back(std::move(name), std::string(py::str(value)));
        }
    }
    return out;
}

}  // namespace

void bind_world(py::module_& m) {
    py::class_<world>(m, "World", "One emulated world: clock, scheduler, device threads, event log.")
        .def(py::init(&make_world), py::arg("time") = "virtual", py::arg("seed") = 0)
        .def_property_readonly("time", [](const world& w) { return w.mode() == sim::time_mode::real ? "real" : "virtual"; })
        .def_property_readonly("seed", &world::seed)
        .def("now_us", &world::now_us)
        .def("random_u64", &world::random_u64)
        // devices and their threads
        .def("add_device", &world::add_device)
        .def("halt_device", &world::halt_device)
        .def("resume_device", &world::resume_device)
        .def("device_halted", &world::device_halted)
        .def("reserve_thread", &world::reserve_thread)
        .def("cancel_reservation", &world::cancel_reservation)
        .def("attach_thread", &world::attach_thread)
        .def("detach_thread", &world::detach_thread)
        .def("current_device", &world::current_device)
        // waits
        .def("sleep_until",
             [](world& w, time_us at_us) {
                 wait_status status;
                 {
                     nogil release;
                     status = w.sleep_until(at_us);
                 }
                 check_halt(status);
             })
        .def("sleep_for",
             [](world& w, time_us duration_us) {
                 wait_status status;
                 {
                     nogil release;
                     status = w.sleep_for(duration_us);
                 }
                 check_halt(status);
             })
        .def("start_timer", &world::start_timer, py::arg("mailbox"), py::arg("delay_us"), py::arg("period_us"),
             py::arg("token"))
        .def("stop_timer", &world::stop_timer)
        // running
        .def(
            "run",
            [](world& w, std::optional<time_us> until_us) {
                sim::run_status status;
                {
                    nogil release;
                    status = w.run(until_us, python_signal_pending);
                }
                if (status == sim::run_status::interrupted && PyErr_Occurred()) {
                    throw py::error_already_set();
                }
                return run_status_name(status);
            },
            py::arg("until_us") = py::none())
        .def("halt", &world::halt)
        // event log
        .def("open_log", &world::open_log)
        .def("keep_log_in_memory", &world::keep_log_in_memory)
        .def("logged_lines", &world::logged_lines)
        .def(
            "log",
            [](world& w, const std::string& event, const std::string& device, const py::dict& fields) {
                w.log(event, device, to_log_fields(fields));
            },
            py::arg("event"), py::arg("device"), py::arg("fields") = py::dict());

    py::class_<radio_mutex, std::shared_ptr<radio_mutex>>(m, "RadioMutex",
                                                          "The SX1276 a LoPy4's or FiPy's LoRa and Sigfox take turns on.")
        .def(py::init<world&>(), py::arg("world"), py::keep_alive<1, 2>())
        .def_property_readonly("handovers", &radio_mutex::handovers);

    py::class_<mailbox, std::shared_ptr<mailbox>>(m, "Mailbox", "A bounded queue of int tokens device threads wait on.")
        .def(py::init<world&, std::size_t>(), py::arg("world"), py::arg("capacity"), py::keep_alive<1, 2>())
        .def("post", &mailbox::post)
        .def("try_take", &mailbox::try_take)
        .def(
            "take",
            [](mailbox& box, std::optional<time_us> deadline_us) -> std::optional<std::int64_t> {
                std::int64_t token = 0;
                wait_status status;
                {
                    nogil release;
                    status = box.take(deadline_us, token);
                }
                check_halt(status);
                if (status == wait_status::timed_out) {
                    return std::nullopt;
                }
                return token;
            },
            py::arg("deadline_us") = py::none())
        .def("__len__", &mailbox::size)
        .def_property_readonly("capacity", &mailbox::capacity);
}

}  // namespace usocket::bindings
