// usocket/usocket.hpp: umbrella header of the usocket C++ library.
#pragma once

#include "usocket/address.hpp"
#include "usocket/board.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "usocket/socket.hpp"
#include "usocket/stack.hpp"
#include "usocket/timeout.hpp"
#include "usocket/version.hpp"
