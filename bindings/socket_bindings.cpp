// socket_bindings.cpp: usocket_emu._core.Stack and .Socket, in modusocket.c's table order.
//
// Each blocking call converts its arguments with the GIL held, releases the GIL around the
// C++ call only, and builds its result once the GIL is back.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "convert.hpp"
#include "errors.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "usocket/socket.hpp"
#include "usocket/stack.hpp"
#include "usocket/sim/lora_radio.hpp"
#include "usocket/sim/lorawan_mac.hpp"
#include "usocket/sim/sigfox_radio.hpp"
#include "usocket/sim/world.hpp"

namespace py = pybind11;

namespace usocket::bindings {
namespace {

using nogil = py::gil_scoped_release;

stack make_stack(const std::string& board_name, bool strict_firmware) {
    const auto id = board_from_name(board_name);
    if (!id) {
        throw py::value_error("unknown board '" + board_name + "' (LoPy, LoPy4, FiPy, SiPy or WiPy)");
    }
    stack s(stack_options{*id, strict_firmware});
    s.set_interrupt_check(python_signal_pending);
    return s;
}

/// dnsserver()'s index check (modusocket_check_numdns): a small int, else ValueError.
std::int64_t dns_index(py::handle index) {
    if (!PyLong_CheckExact(index.ptr())) {
        throw std::system_error(make_error_code(failure::invalid_argument_num_type));
    }
    return index.cast<std::int64_t>();
}

/// mp_obj_get_int(): an int (or bool) that fits 32 bits; OverflowError or TypeError otherwise.
std::int32_t to_int32(py::handle value) {
    if (!PyLong_Check(value.ptr())) {
        throw py::type_error(fmt::format("can't convert {} to int", Py_TYPE(value.ptr())->tp_name));
    }
    const long long v = PyLong_AsLongLong(value.ptr());
    if ((v == -1 && PyErr_Occurred()) || v < INT32_MIN || v > INT32_MAX) {
        PyErr_Clear();
        PyErr_SetString(PyExc_OverflowError, "overflow converting long int to machine word");
        throw py::error_already_set();
    }
    return static_cast<std::int32_t>(v);
}

/// bind()'s argument on a radio socket: an int port or an (address, port) tuple.
std::int64_t radio_port(py::handle address) {
    if (py::isinstance<py::tuple>(address) || py::isinstance<py::list>(address)) {
        const py::sequence items = py::reinterpret_borrow<py::sequence>(address);
        if (items.size() != 2) {
            throw py::value_error(fmt::format("requested length 2 but object has length {}", items.size()));
        }
        return to_int32(items[1]);
    }
    return to_int32(address);
}

py::bytes recv_bytes(socket& s, std::int64_t n) {
    const std::size_t size = std::min(to_allocation_size(n), socket::max_recv_size);
    py::bytes out = new_bytes(size);
    char* data = bytes_data(out);
    std::size_t got = 0;
    {
        nogil release;
        got = s.recv(data, size);
    }
    shrink_bytes(out, got);
    return out;
}

std::size_t send_bytes(socket& s, py::handle buffer) {
    const readable_bytes bytes(buffer);
    nogil release;
    return s.send(bytes.data(), bytes.size());
}

/// Turns a stream result into bytes or None.
py::object stream_result(std::optional<std::string> data, const std::error_code& ec) {
    throw_if(ec, "read");
    if (!data) {
        return py::none();
    }
    return py::bytes(*data);
}

py::object read_stream(socket& s, std::int64_t n) {
    std::error_code ec;
    if (n == -1) {
        std::optional<std::string> all;
        {
            nogil release;
            all = s.read_all(ec);
        }
        return stream_result(std::move(all), ec);
    }
    const std::size_t size = to_allocation_size(n);
    py::bytes out = new_bytes(size);
    char* data = bytes_data(out);
    std::optional<std::size_t> got;
    {
        nogil release;
        got = s.read_into(data, size, ec);
    }
    throw_if(ec, "read");
    if (!got) {
        return py::none();
    }
    shrink_bytes(out, *got);
    return std::move(out);
}

py::object write_stream(socket& s, py::handle buffer, std::size_t offset, std::size_t max_len) {
    const readable_bytes bytes(buffer);
    offset = std::min(offset, bytes.size());
    const std::size_t size = std::min(bytes.size() - offset, max_len);
    std::error_code ec;
    std::optional<std::size_t> written;
    {
        nogil release;
        written = s.write(bytes.data() + offset, size, ec);
    }
    throw_if(ec, "write");
    return written ? py::object(py::int_(*written)) : py::object(py::none());
}

py::object readinto_stream(socket& s, py::handle buffer, std::optional<std::int64_t> nbytes) {
    const writable_bytes target(buffer);
    std::size_t size = target.size();
    if (nbytes) {
        size = std::min(size, static_cast<std::size_t>(*nbytes));
    }
    std::error_code ec;
    std::optional<std::size_t> got;
    {
        nogil release;
        got = s.read_into(target.data(), size, ec);
    }
    throw_if(ec, "readinto");
    return got ? py::object(py::int_(*got)) : py::object(py::none());
}

py::object readline_stream(socket& s, std::int64_t limit) {
    std::error_code ec;
    std::optional<std::string> line;
    {
        nogil release;
        line = s.readline(limit, ec);
    }
    return stream_result(std::move(line), ec);
}

/// mp_obj_get_int_truncated(): an int keeps its low 32 bits.
std::int32_t truncated_int32(py::handle value) {
    const unsigned long long bits = PyLong_AsUnsignedLongLongMask(value.ptr());
    if (PyErr_Occurred()) {
        throw py::error_already_set();
    }
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(bits));
}

}  // namespace

void bind_stack(py::module_& m) {
    py::class_<stack>(m, "Stack", "One device's network stack: board, profile, sockets, resolver, DNS.")
        .def(py::init(&make_stack), py::arg("board") = "LoPy4", py::arg("strict_firmware") = false)
        .def_property_readonly("board", [](const stack& s) { return std::string(s.board().name); })
        .def_property_readonly("strict_firmware", [](const stack& s) { return s.options().strict_firmware; })
        .def_property_readonly("open_sockets", &stack::open_sockets)
        .def_property("ip_interface_up", &stack::ip_interface_up, &stack::set_ip_interface_up)
        // attach_to_device(world, device): blocked calls also give up (DeviceHalt) when the
        // device is halted, and let the world go on while they wait on the host's network
        .def(
            "attach_to_device",
            [](stack& s, const sim::world& w, sim::device_id dev) {
                s.set_interrupt_check([flag = w.halt_flag(dev)] { return device_halt_pending(*flag); });
                s.set_blocking_hook(w.outside_wait_hook());
            },
            py::arg("world"), py::arg("device"))
        // set_lora_radio(radio | None, region): registers network.LoRa's radio as the NIC of AF_LORA
        .def("set_lora_radio", &stack::set_lora_radio, py::arg("radio"), py::arg("region"))
        .def_property_readonly("has_lora_radio", &stack::has_lora_radio)
        // set_lorawan_mac(mac | None): LoRaWAN mode's MAC, which AF_LORA sockets then send through
        .def("set_lorawan_mac", &stack::set_lorawan_mac, py::arg("mac"))
        // set_sigfox_radio(radio | None): registers network.Sigfox's radio as the NIC of AF_SIGFOX;
        // the stack keeps the radio's Python object (so its medium) alive, as the C++ radio
        // it holds refers to the medium
        .def("set_sigfox_radio", &stack::set_sigfox_radio, py::arg("radio"), py::keep_alive<1, 2>())
        .def_property_readonly("has_sigfox_radio", &stack::has_sigfox_radio)
        // constants() -> {name: value} of the usocket constants this board has
        .def("constants",
             [](const stack& s) {
                 py::dict out;
                 for (auto c = module_constants_begin(); c != module_constants_end(); ++c) {
                     if (board_exports(s.board(), *c)) {
                         out[py::str(std::string(c->name))] = c->value;
                     }
                 }
                 return out;
             })
        // getaddrinfo(host, port) -> [(family, type, proto, canonname, (ip, port))]
        .def("getaddrinfo",
             [](const stack& s, py::handle host, std::int64_t port) {
                 const std::string name(to_text(host));
                 std::vector<address_info> infos;
                 {
                     nogil release;
                     infos = s.getaddrinfo(name, port);
                 }
                 py::list out;
                 for (const auto& i : infos) {
                     out.append(py::make_tuple(i.family, i.socktype, i.proto, i.canonname,
                                               from_inet_address(i.address)));
                 }
                 return out;
             })
        // dns_servers() -> (primary, secondary)
        .def("dns_servers",
             [](const stack& s) {
                 const auto servers = s.dns_servers();
                 return py::make_tuple(servers[0], servers[1]);
             })
        // dns_server(index) -> (index, ip)
        .def("dns_server",
             [](const stack& s, py::handle index) {
                 std::error_code ec;
                 auto entry = s.dns_server(dns_index(index), ec);
                 throw_if(ec, "dnsserver");
                 return py::make_tuple(entry.first, entry.second);
             })
        // set_dns_server(index, ip)
        .def("set_dns_server", [](stack& s, py::handle index, py::handle ip) {
            std::error_code ec;
            const std::int64_t i = dns_index(index);
            s.set_dns_server(i, to_text(ip), ec);
            throw_if(ec, "dnsserver");
        });
}

void bind_socket(py::module_& m) {
    py::class_<socket>(m, "Socket", "A device socket (usocket.socket); see usocket_emu.usocket.")
        // Socket(stack): a closed socket of the stack, opened in place by open(). Two steps,
        // so that an instance whose socket() raised is still a valid (closed) socket.
        .def(py::init(&socket::closed))
        // open(stack, family, type, proto): what usocket.socket(family, type, proto) does
        .def("open",
             [](socket& self, stack& owner, int family, int type, int proto) {
                 self = socket(owner, family, type, proto);
             })
        // adopt(other): takes over another socket (how accept() hands out the module's class)
        .def("adopt", [](socket& self, socket& other) { self = std::move(other); })
        // method socket.close()
        .def("close", [](socket& s) { s.close(); })
        // method socket.bind(address)
        .def("bind",
             [](socket& s, py::handle address) {
                 if (s.family() == family::lora) {
                     s.bind_port(radio_port(address));  // a port, or (address, port) of which only the port counts
                 } else if (s.family() == family::sigfox) {
                     s.bind_port(0);  // no Sigfox driver: EOPNOTSUPP (EBADF once closed), whatever the address
                 } else {
                     s.bind(to_inet_address(address));
                 }
             })
        // method socket.listen([backlog])
        .def("listen", [](socket& s) { s.listen(0); })
        .def("listen", [](socket& s, std::int64_t backlog) { s.listen(backlog); })
        // method socket.accept() -> (Socket, (ip, port))
        .def("accept",
             [](socket& s) {
                 std::pair<socket, inet_address> accepted = [&] {
                     nogil release;
                     return s.accept();
                 }();
                 return py::make_tuple(py::cast(std::move(accepted.first)), from_inet_address(accepted.second));
             })
        // method socket.connect(address)
        .def("connect",
             [](socket& s, py::handle address) {
                 const inet_address peer = to_inet_address(address);
                 nogil release;
                 s.connect(peer);
             })
        // method socket.send(bytes) -> int
        .def("send", &send_bytes)
        // method socket.sendall(bytes) -> int (the same function on the device)
        .def("sendall", &send_bytes)
        // method socket.recv(bufsize) -> bytes
        .def("recv", &recv_bytes)
        // method socket.sendto(bytes, address) -> int
        .def("sendto",
             [](socket& s, py::handle buffer, py::handle address) {
                 const readable_bytes bytes(buffer);
                 // A Sigfox socket refuses sendto whatever the address (no driver).
                 const inet_address peer = s.family() == family::sigfox ? inet_address{} : to_inet_address(address);
                 nogil release;
                 return s.sendto(bytes.data(), bytes.size(), peer);
             })
        // method socket.recvfrom(bufsize) -> (bytes, (ip, port))
        .def("recvfrom",
             [](socket& s, std::int64_t n) {
                 const std::size_t size = std::min(to_allocation_size(n), socket::max_recv_size);
                 py::bytes out = new_bytes(size);
                 char* data = bytes_data(out);
                 inet_address from;
                 std::size_t got = 0;
                 {
                     nogil release;
                     got = s.recvfrom(data, size, from);
                 }
                 shrink_bytes(out, got);
                 if (s.family() == family::lora) {
                     return py::tuple(py::make_tuple(std::move(out), from.port));  // LoRa reports a bare int port
                 }
                 return py::tuple(py::make_tuple(std::move(out), from_inet_address(from)));
             })
        // method socket.setsockopt(level, optname, value)
        .def("setsockopt",
             [](socket& s, std::int64_t level, std::int64_t option, py::handle value) {
                 if (PyBool_Check(value.ptr())) {
                     s.setsockopt(level, option, value.ptr() == Py_True ? 1 : 0);
                 } else if (PyLong_Check(value.ptr())) {
                     s.setsockopt(level, option, truncated_int32(value));
                 } else {
                     const readable_bytes bytes(value);
                     s.setsockopt(level, option, bytes.data(), bytes.size());
                 }
             })
        // method socket.settimeout(value): None blocks, 0 is non-blocking, else seconds
        .def("settimeout", [](socket& s, std::optional<double> seconds) { s.settimeout(timeout::from_seconds(seconds)); })
        // method socket.setblocking(flag)
        .def("setblocking",
             [](socket& s, py::handle flag) {
                 s.settimeout(PyObject_IsTrue(flag.ptr()) ? timeout::blocking() : timeout::non_blocking());
             })
        // method socket.fileno() -> int (-1 once closed)
        .def("fileno", [](const socket& s) { return s.fileno(); })
        // ready_events(wanted) -> the ready poll bits of a radio socket, None for one with a descriptor
        .def("ready_events",
             [](const socket& s, int wanted) {
                 std::error_code ec;
                 const auto ready = s.ready_events(wanted, ec);
                 throw_if(ec, "poll");
                 return ready;
             })
        // method socket.do_handshake()
        .def("do_handshake", [](socket& s) { s.do_handshake(); })
        // stream method read([n]) -> bytes or None
        .def("read", [](socket& s) { return read_stream(s, -1); })
        .def("read", &read_stream)
        // stream method readinto(buf[, nbytes]) -> int or None
        .def("readinto", [](socket& s, py::handle buffer) { return readinto_stream(s, buffer, std::nullopt); })
        .def("readinto", [](socket& s, py::handle buffer, std::int64_t n) { return readinto_stream(s, buffer, n); })
        // stream method readline([limit]) -> bytes or None
        .def("readline", [](socket& s) { return readline_stream(s, -1); })
        .def("readline", &readline_stream)
        // stream method write(buf[, max_len]) / write(buf, off, max_len) -> int or None
        .def("write", [](socket& s, py::handle buffer) { return write_stream(s, buffer, 0, SIZE_MAX); })
        .def("write",
             [](socket& s, py::handle buffer, std::int64_t max_len) {
                 return write_stream(s, buffer, 0, static_cast<std::size_t>(max_len));
             })
        .def("write",
             [](socket& s, py::handle buffer, std::int64_t offset, std::int64_t max_len) {
                 return write_stream(s, buffer, static_cast<std::size_t>(offset), static_cast<std::size_t>(max_len));
             })
        .def("__repr__", [](const socket& s) {
            return fmt::format("<socket fd={} timeout={} domain={} type={} proto={}>", s.fileno(),
                               s.gettimeout().device_value(), s.family(), s.type(), s.proto());
        });
}

}  // namespace usocket::bindings
