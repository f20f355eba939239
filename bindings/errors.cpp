// errors.cpp: every C++ error reaches Python through here.
//
//   device errno n             -> usocket_emu._errors.OSError(n)  (prints "[Errno 11] EAGAIN";
//                                 an exact-errno subclass so CPython's host errno table never
//                                 turns device 115 into BlockingIOError or 116 into TimeoutError)
//   failure::timed_out         -> TimeoutError('timed out')
//   failure::<message> OSError -> OSError('<message>')
//   failure::<message> value   -> ValueError('<message>')
//   failure::interrupted       -> the exception the signal handler raised (KeyboardInterrupt)
//                                 or DeviceHalt when the device was halted
//   failure::device_halted,
//   device_halted              -> usocket_emu._errors.DeviceHalt (unwinds a device thread)
#include "errors.hpp"

#include <system_error>

#include "usocket/error.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

/// usocket_emu._errors, imported without builtins.__import__: errors are raised while device
/// code runs, and a device's frames have an __import__ of their own that only knows the
/// device's modules.
py::object errors_module() {
    const py::tuple fromlist = py::make_tuple("OSError");  // non-empty: returns the submodule
    PyObject* module = PyImport_ImportModuleLevel("usocket_emu._errors", nullptr, nullptr, fromlist.ptr(), 0);
    if (module == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::object>(module);
}

void raise_device_errno(int value) {
    const py::object device_oserror = errors_module().attr("OSError");
    PyErr_SetObject(device_oserror.ptr(), py::int_(value).ptr());
}

void raise_device_halt() {
    const py::object halt = errors_module().attr("DeviceHalt");
    PyErr_SetNone(halt.ptr());
}

void raise_failure(const std::error_code& ec) {
    const std::string message = ec.message();
    switch (static_cast<failure>(ec.value())) {
    case failure::timed_out:
        PyErr_SetString(PyExc_TimeoutError, message.c_str());
        return;
    case failure::network_card_not_available:
    case failure::incorrect_socket_type:
    case failure::connection_failed:
        PyErr_SetString(PyExc_OSError, message.c_str());
        return;
    case failure::invalid_arguments:
    case failure::invalid_argument_value:
    case failure::invalid_argument_num_type:
    case failure::index_out_of_range:
        PyErr_SetString(PyExc_ValueError, message.c_str());
        return;
    case failure::device_halted:
        raise_device_halt();
        return;
    case failure::interrupted:
        if (!PyErr_Occurred()) {
            PyErr_SetNone(PyExc_KeyboardInterrupt);
        }
        return;
    }
    PyErr_SetString(PyExc_OSError, message.c_str());
}

}  // namespace

void register_error_translator(py::module_& m) {
    (void)m;
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) {
                std::rethrow_exception(p);
            }
        } catch (const device_halted&) {
            raise_device_halt();
        } catch (const std::system_error& e) {
            if (e.code().category() == device_category()) {
                raise_device_errno(e.code().value());
            } else if (e.code().category() == failure_category()) {
                raise_failure(e.code());
            } else {
                PyErr_SetString(PyExc_OSError, e.what());
            }
        }
    });
}

bool python_signal_pending() {
    py::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;
}

bool device_halt_pending(const std::atomic<bool>& halted) {
    if (halted.load()) {
        py::gil_scoped_acquire gil;
        raise_device_halt();
        return true;
    }
    return python_signal_pending();
}

}  // namespace usocket::bindings
