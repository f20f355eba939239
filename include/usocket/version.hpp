// usocket/version.hpp: the library's version, single-sourced from pyproject.toml.
#pragma once

#include <string_view>

namespace usocket {

/// The version of usocket-emu this library was built as, e.g. "0.1.0".
std::string_view version() noexcept;

}  // namespace usocket
