// usocket/sim/power_units.hpp: dBm <-> mW, for summing received powers.
#pragma once

#include <cmath>

namespace usocket::sim {

inline double dbm_to_mw(double dbm) noexcept { return std::pow(10.0, dbm / 10.0); }
inline double mw_to_dbm(double mw) noexcept { return 10.0 * std::log10(mw); }

}  // namespace usocket::sim
