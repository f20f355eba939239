// event_log.cpp: JSON lines without a JSON library: the fields are flat scalars.
#include "usocket/sim/event_log.hpp"

#include <cmath>
#include <type_traits>

#include <fmt/format.h>

namespace usocket::sim {

std::string json_quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('"');
    for (const char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
            } else {
                out.push_back(c);
            }
        }
    }
    out.push_back('"');
    return out;
}

namespace {

std::string json_value(const log_value& value) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>) {
                return v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                if (!std::isfinite(v)) {
                    return "null";  // JSON has no NaN or infinity
                }
                // Shortest round-trip form; "2" becomes "2.0" so a reader still sees a float.
                std::string text = fmt::format("{}", v);
                if (text.find_first_of(".eE") == std::string::npos) {
                    text += ".0";
                }
                return text;
            } else if constexpr (std::is_same_v<T, std::string>) {
                return json_quote(v);
            } else if constexpr (std::is_same_v<T, std::monostate>) {
                return "null";
            } else {
                return fmt::format("{}", v);
            }
        },
        value);
}

}  // namespace

std::string format_log_line(std::int64_t t_us, std::string_view event, std::string_view device,
                            const log_fields& fields) {
    std::string line = fmt::format("{{\"t_us\": {}, \"event\": {}, \"device\": {}", t_us, json_quote(event),
                                   json_quote(device));
    for (const auto& [name, value] : fields) {
        line += fmt::format(", {}: {}", json_quote(name), json_value(value));
    }
    line += "}";
    return line;
}

}  // namespace usocket::sim
