// errors.hpp: the single translation of C++ errors into the exceptions the device raises.
#pragma once

#include <pybind11/pybind11.h>

namespace usocket::bindings {

/// Registers the translator of std::system_error (device errno and usocket::failure codes).
void register_error_translator(pybind11::module_& m);

/// The interrupt check for blocked calls: takes the GIL and runs Python's signal handlers;
/// true (with the handler's exception pending, e.g. KeyboardInterrupt) means give up.
bool python_signal_pending();

}  // namespace usocket::bindings
