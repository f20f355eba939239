// errors.hpp: the single translation of C++ errors into the exceptions the device raises.
#pragma once

#include <pybind11/pybind11.h>

#include <atomic>

namespace usocket::bindings {

/// Thrown when a device's wait ends because the device (or its world) was halted; reaches
/// Python as usocket_emu._errors.DeviceHalt, which unwinds the device's thread.
struct device_halted {};

/// Registers the translator of std::system_error (device errno and usocket::failure codes).
void register_error_translator(pybind11::module_& m);

/// The interrupt check for blocked calls: takes the GIL and runs Python's signal handlers;
/// true (with the handler's exception pending, e.g. KeyboardInterrupt) means give up.
bool python_signal_pending();

/// Interrupt check of a device thread's blocked call: true, with DeviceHalt pending, once
/// `halted` is set; otherwise python_signal_pending().
bool device_halt_pending(const std::atomic<bool>& halted);

}  // namespace usocket::bindings
