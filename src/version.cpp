// version.cpp: the version string CMake passes in from pyproject.toml.
#include "usocket/version.hpp"

namespace usocket {

std::string_view version() noexcept { return USOCKET_VERSION; }

}  // namespace usocket
