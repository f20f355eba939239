// usocket/sim/event_log.hpp: the world's JSON-lines event log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace usocket::sim {

/// One field value of a logged event (std::monostate is JSON null: "not applicable").
using log_value = std::variant<std::int64_t, double, bool, std::string, std::monostate>;
/// Extra fields of a logged event, in the order they are written.
using log_fields = std::vector<std::pair<std::string, log_value>>;

/// {"t_us": .., "event": .., "device": .., <fields>} as one line of JSON (no newline).
std::string format_log_line(std::int64_t t_us, std::string_view event, std::string_view device,
                            const log_fields& fields);

/// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace usocket::sim
