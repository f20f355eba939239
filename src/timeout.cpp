// timeout.cpp: settimeout()'s conversion from seconds, in one place.
#include "usocket/timeout.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace usocket {

timeout timeout::from_seconds(std::optional<double> seconds) noexcept {
    if (!seconds) {
        return blocking();
    }
    // modusocket.c: `int32_t timeout = 1000 * mp_obj_get_float(x)`, then lwipsocket.c
    // treats < 0 as blocking and 0 as non-blocking. Out-of-range values saturate.
    const double ms = 1000.0 * *seconds;
    if (std::isnan(ms)) {
        return non_blocking();
    }
    constexpr double int32_max = static_cast<double>(std::numeric_limits<std::int32_t>::max());
    constexpr double int32_min = static_cast<double>(std::numeric_limits<std::int32_t>::min());
    const auto truncated = static_cast<std::int64_t>(ms > int32_max ? int32_max : (ms < int32_min ? int32_min : ms));
    if (truncated < 0) {
        return blocking();
    }
    return timeout(truncated);
}

std::optional<double> timeout::seconds() const noexcept {
    if (is_blocking()) {
        return std::nullopt;
    }
    return static_cast<double>(ms_) / 1000.0;
}

}  // namespace usocket
