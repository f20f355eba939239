// convert.cpp: argument conversions with MicroPython's exception types.
#include "convert.hpp"

#include <string>

namespace py = pybind11;

namespace usocket::bindings {

std::string type_name(py::handle obj) { return py::str(py::type::handle_of(obj).attr("__name__")); }

readable_bytes::readable_bytes(py::handle obj) {
    if (PyUnicode_Check(obj.ptr())) {
        Py_ssize_t size = 0;
        data_ = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
        if (data_ == nullptr) {
            throw py::error_already_set();
        }
        size_ = static_cast<std::size_t>(size);
        return;
    }
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        throw py::type_error("object with buffer protocol required");
    }
    has_view_ = true;
    data_ = static_cast<const char*>(view_.buf);
    size_ = static_cast<std::size_t>(view_.len);
}

readable_bytes::~readable_bytes() {
    if (has_view_) {
        PyBuffer_Release(&view_);
    }
}

writable_bytes::writable_bytes(py::handle obj) {
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_WRITABLE) != 0) {
        PyErr_Clear();
        throw py::type_error("object with buffer protocol required");
    }
}

writable_bytes::~writable_bytes() { PyBuffer_Release(&view_); }

std::string_view to_text(py::handle obj) {
    if (PyUnicode_Check(obj.ptr())) {
        Py_ssize_t size = 0;
        const char* data = PyUnicode_AsUTF8AndSize(obj.ptr(), &size);
        if (data == nullptr) {
            throw py::error_already_set();
        }
        return {data, static_cast<std::size_t>(size)};
    }
    if (PyBytes_Check(obj.ptr())) {
        return {PyBytes_AS_STRING(obj.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(obj.ptr()))};
    }
    throw py::type_error("can't convert '" + type_name(obj) + "' object to str implicitly");
}

inet_address to_inet_address(py::handle address) {
    if (!PyTuple_Check(address.ptr()) && !PyList_Check(address.ptr())) {
        throw py::type_error("object '" + type_name(address) + "' isn't a tuple or list");
    }
    const py::sequence items = py::reinterpret_borrow<py::sequence>(address);
    if (items.size() != 2) {
        throw py::value_error("tuple/list has wrong length");
    }
    const std::string_view host = to_text(items[0]);
    const py::object port_obj = items[1];
    if (!PyLong_Check(port_obj.ptr())) {
        throw py::type_error("can't convert " + type_name(port_obj) + " to int");
    }
    return make_inet_address(host, port_obj.cast<std::int64_t>());
}

py::tuple from_inet_address(const inet_address& address) {
    return py::make_tuple(address.ip_string(), address.port);
}

std::size_t to_allocation_size(std::int64_t n) {
    if (n < 0) {
        throw std::bad_alloc();  // vstr_init_len() of a negative size: MemoryError on the device
    }
    return static_cast<std::size_t>(n);
}

py::bytes new_bytes(std::size_t size) {
    PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(size));
    if (raw == nullptr) {
        throw py::error_already_set();
    }
    return py::reinterpret_steal<py::bytes>(raw);
}

char* bytes_data(py::bytes& b) noexcept { return PyBytes_AS_STRING(b.ptr()); }

void shrink_bytes(py::bytes& b, std::size_t size) {
    if (static_cast<Py_ssize_t>(size) == PyBytes_GET_SIZE(b.ptr())) {
        return;
    }
    PyObject* raw = b.release().ptr();
    if (_PyBytes_Resize(&raw, static_cast<Py_ssize_t>(size)) != 0) {
        throw py::error_already_set();
    }
    b = py::reinterpret_steal<py::bytes>(raw);
}

}  // namespace usocket::bindings
