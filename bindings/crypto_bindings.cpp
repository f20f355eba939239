// crypto_bindings.cpp: usocket_emu._core.AES for the device's crypto module.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace usocket::bindings {

void bind_crypto(py::module_& m) { (void)m; }

}  // namespace usocket::bindings
