// module.cpp: PYBIND11_MODULE(_core): the private extension behind usocket_emu.
#include <pybind11/pybind11.h>

#include <string>

#include "errors.hpp"
#include "usocket/error.hpp"
#include "usocket/socket.hpp"
#include "usocket/version.hpp"

namespace py = pybind11;

namespace usocket::bindings {
void bind_stack(py::module_& m);
void bind_socket(py::module_& m);
void bind_world(py::module_& m);
void bind_crypto(py::module_& m);
void bind_lora(py::module_& m);
void bind_lorawan_mac(py::module_& m);
void bind_lorawan(py::module_& m);
void bind_lorawan_network(py::module_& m);
void bind_sigfox(py::module_& m);
}  // namespace usocket::bindings

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    m.doc() = "usocket-emu's C++ core. Private: use usocket_emu.";
    m.attr("__version__") = std::string(usocket::version());

    usocket::bindings::register_error_translator(m);

    // errno_name(n) -> the name the device prints for errno n, or '' when it prints the number
    m.def("errno_name", [](int n) { return std::string(usocket::errno_name(n)); });

    // default_socket_type(family) -> the type socket(family) gets when none is given
    m.def("default_socket_type", &usocket::socket::default_type);

    usocket::bindings::bind_stack(m);
    usocket::bindings::bind_socket(m);
    usocket::bindings::bind_world(m);
    usocket::bindings::bind_crypto(m);
    usocket::bindings::bind_lora(m);
    usocket::bindings::bind_lorawan_mac(m);
    usocket::bindings::bind_lorawan(m);
    usocket::bindings::bind_lorawan_network(m);
    usocket::bindings::bind_sigfox(m);
}
