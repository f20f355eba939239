// tests/cpp/sim/test_event_log.cpp: JSON lines of the world's event log.
#include "usocket/sim/event_log.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Pairs and tuples print in failure messages (same configuration in every sim test file).
#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER
#define CATCH_CONFIG_ENABLE_TUPLE_STRINGMAKER
#include <catch2/catch.hpp>

using usocket::sim::format_log_line;
using usocket::sim::json_quote;
using usocket::sim::log_fields;
using usocket::sim::log_value;

namespace {

/// One parsed JSON scalar: its kind and its text (strings decoded, numbers as written).
struct json_scalar {
    enum class kind { string, number, boolean, null } type;
    std::string text;
};

/// A strict parser for what the log writes: one flat JSON object of scalar values. It checks
/// the RFC 8259 grammar (string escapes, number syntax) and decodes strings to UTF-8, so a
/// test can compare what it logged with what a JSON reader would get back.
class flat_json_parser {
public:
    explicit flat_json_parser(std::string_view text) : text_(text) {}

    std::vector<std::pair<std::string, json_scalar>> parse_object() {
        std::vector<std::pair<std::string, json_scalar>> out;
        skip_ws();
        expect('{');
        skip_ws();
        if (peek() == '}') {
            ++pos_;
        } else {
            for (;;) {
                skip_ws();
                std::string key = parse_string();
                skip_ws();
                expect(':');
                skip_ws();
                out.emplace_back(std::move(key), parse_scalar());
                skip_ws();
                if (peek() == ',') {
                    ++pos_;
                    continue;
                }
                expect('}');
                break;
            }
        }
        skip_ws();
        if (pos_ != text_.size()) {
            fail("trailing characters");
        }
        return out;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw std::runtime_error("invalid JSON at " + std::to_string(pos_) + ": " + why + " in " + std::string(text_));
    }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void expect(char c) {
        if (peek() != c) {
            fail(std::string("expected '") + c + "'");
        }
        ++pos_;
    }
    void skip_ws() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) {
            ++pos_;
        }
    }
    bool consume(std::string_view word) {
        if (text_.substr(pos_, word.size()) == word) {
            pos_ += word.size();
            return true;
        }
        return false;
    }

    json_scalar parse_scalar() {
        const char c = peek();
        if (c == '"') {
            return {json_scalar::kind::string, parse_string()};
        }
        if (consume("true")) {
            return {json_scalar::kind::boolean, "true"};
        }
        if (consume("false")) {
            return {json_scalar::kind::boolean, "false"};
        }
        if (consume("null")) {
            return {json_scalar::kind::null, "null"};
        }
        return {json_scalar::kind::number, parse_number()};
    }

    std::string parse_number() {
        const std::size_t start = pos_;
        auto digits = [&] {
            const std::size_t from = pos_;
            while (peek() >= '0' && peek() <= '9') {
                ++pos_;
            }
            return pos_ - from;
        };
        if (peek() == '-') {
            ++pos_;
        }
        if (peek() == '0') {
            ++pos_;
        } else if (digits() == 0) {
            fail("bad number");
        }
        if (peek() == '.') {
            ++pos_;
            if (digits() == 0) {
                fail("no digits after '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') {
                ++pos_;
            }
            if (digits() == 0) {
                fail("no exponent digits");
            }
        }
        return std::string(text_.substr(start, pos_ - start));
    }

    unsigned hex4() {
        unsigned value = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = peek();
            ++pos_;
            value <<= 4U;
            if (c >= '0' && c <= '9') {
                value |= static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                value |= static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                value |= static_cast<unsigned>(c - 'A' + 10);
            } else {
                fail("bad \\u escape");
            }
        }
        return value;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    std::string parse_string() {
        expect('"');
        std::string out;
        for (;;) {
            if (pos_ >= text_.size()) {
                fail("unterminated string");
            }
            const char c = text_[pos_++];
            if (c == '"') {
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                fail("raw control character in a string");
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            const char e = peek();
            ++pos_;
            switch (e) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': append_utf8(out, hex4()); break;
            default: fail("bad escape");
            }
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

std::vector<std::pair<std::string, json_scalar>> parse(std::string_view line) {
    return flat_json_parser(line).parse_object();
}

/// The decoded value of one JSON string literal.
std::string unquote(const std::string& literal) {
    const auto fields = parse("{\"k\": " + literal + "}");
    REQUIRE(fields.size() == 1);
    REQUIRE(fields[0].second.type == json_scalar::kind::string);
    return fields[0].second.text;
}

/// The text one double field is written as.
std::string double_text(double v) {
    const std::string line = format_log_line(0, "e", "d", {{"x", v}});
    const auto fields = parse(line);
    REQUIRE(fields.size() == 4);
    return fields[3].second.text;
}

}  // namespace

TEST_CASE("event_log: the test's JSON parser rejects what it should", "[radio_sim][event_log]") {
    CHECK_THROWS(parse("{\"a\": 1"));
    CHECK_THROWS(parse("{\"a\": \"x\ny\"}"));
    CHECK_THROWS(parse("{\"a\": nan}"));
    CHECK_THROWS(parse("{\"a\": 1.}"));
    CHECK_THROWS(parse("{\"a\": \"\\x\"}"));
    CHECK_THROWS(parse("{\"a\": 1} x"));
    CHECK_NOTHROW(parse("{\"a\": -0.5e+10, \"b\": \"\\u00e9\", \"c\": null}"));
}

TEST_CASE("event_log: format_log_line writes t_us, event, device, then the fields in order", "[radio_sim][event_log]") {
    SECTION("without fields") {
        CHECK(format_log_line(1234, "boot", "lopy-1", {}) == R"({"t_us": 1234, "event": "boot", "device": "lopy-1"})");
    }
    SECTION("with one field of each type") {
        const log_fields fields{
            {"port", std::int64_t{2}},
            {"rssi", -87.5},
            {"confirmed", true},
            {"payload", std::string("abc")},
            {"ack", false},
        };
        CHECK(format_log_line(0, "tx", "node", fields) ==
              R"({"t_us": 0, "event": "tx", "device": "node", "port": 2, "rssi": -87.5, "confirmed": true, "payload": "abc", "ack": false})");
    }
    SECTION("field order is kept, not sorted, and duplicates are written as given") {
        const log_fields fields{{"z", std::int64_t{1}}, {"a", std::int64_t{2}}, {"m", std::int64_t{3}}, {"a", std::int64_t{4}}};
        const auto parsed = parse(format_log_line(5, "e", "d", fields));
        REQUIRE(parsed.size() == 7);
        const std::vector<std::string> names{"t_us", "event", "device", "z", "a", "m", "a"};
        for (std::size_t i = 0; i < names.size(); ++i) {
            CHECK(parsed[i].first == names[i]);
        }
        CHECK(parsed[6].second.text == "4");
    }
    SECTION("the line is one line") {
        const auto line = format_log_line(1, "a\nb", "c\rd", {{"e\n", std::string("f\n")}});
        CHECK(line.find('\n') == std::string::npos);
        CHECK(line.find('\r') == std::string::npos);
    }
}

TEST_CASE("event_log: integers are written exactly, the extremes included", "[radio_sim][event_log]") {
    const auto min = std::numeric_limits<std::int64_t>::min();
    const auto max = std::numeric_limits<std::int64_t>::max();
    const auto parsed = parse(format_log_line(max, "e", "d", {{"min", min}, {"zero", std::int64_t{0}}, {"neg", std::int64_t{-7}}}));
    REQUIRE(parsed.size() == 6);
    CHECK(parsed[0].second.type == json_scalar::kind::number);
    CHECK(parsed[0].second.text == "9223372036854775807");
    CHECK(parsed[3].second.text == "-9223372036854775808");
    CHECK(parsed[4].second.text == "0");
    CHECK(parsed[5].second.text == "-7");
    CHECK(format_log_line(-1, "e", "d", {}) == R"({"t_us": -1, "event": "e", "device": "d"})");
}

TEST_CASE("event_log: booleans are JSON literals, not numbers", "[radio_sim][event_log]") {
    const auto parsed = parse(format_log_line(0, "e", "d", {{"t", true}, {"f", false}}));
    REQUIRE(parsed.size() == 5);
    CHECK(parsed[3].second.type == json_scalar::kind::boolean);
    CHECK(parsed[3].second.text == "true");
    CHECK(parsed[4].second.type == json_scalar::kind::boolean);
    CHECK(parsed[4].second.text == "false");
}

TEST_CASE("event_log: doubles are valid JSON numbers that read back as the same double", "[radio_sim][event_log]") {
    const std::vector<double> values{0.1,     -87.5,   1.0 / 3.0, 1e300,  -1e-300, 5e-324,
                                     1.5e-7,  123456789.125,      1e21,   2.0,     -3.0,
                                     0.0,     1e16,    std::numeric_limits<double>::max()};
    for (const double v : values) {
        const std::string text = double_text(v);
        INFO("value " << v << " written as " << text);
        CHECK(std::strtod(text.c_str(), nullptr) == v);
        // A double stays a float for a JSON reader (Python's json gives int for "2").
        CHECK(text.find_first_of(".eE") != std::string::npos);
    }
    CHECK(double_text(-87.5) == "-87.5");
    CHECK(double_text(0.1) == "0.1");
    CHECK(double_text(2.0) == "2.0");
    CHECK(double_text(-3.0) == "-3.0");
    CHECK(double_text(0.0) == "0.0");
    const std::string neg_zero = double_text(-0.0);
    CHECK(neg_zero == "-0.0");
    CHECK(std::signbit(std::strtod(neg_zero.c_str(), nullptr)));
}

TEST_CASE("event_log: a monostate field is null", "[radio_sim][event_log]") {
    const std::string line = format_log_line(5, "device_added", "d", {{"region", std::monostate{}}});
    CHECK(line == R"({"t_us": 5, "event": "device_added", "device": "d", "region": null})");
}

TEST_CASE("event_log: NaN and infinities become null", "[radio_sim][event_log]") {
    const log_fields fields{
        {"nan", std::numeric_limits<double>::quiet_NaN()},
        {"inf", std::numeric_limits<double>::infinity()},
        {"ninf", -std::numeric_limits<double>::infinity()},
        {"after", std::int64_t{1}},
    };
    const std::string line = format_log_line(0, "e", "d", fields);
    CHECK(line == R"({"t_us": 0, "event": "e", "device": "d", "nan": null, "inf": null, "ninf": null, "after": 1})");
    const auto parsed = parse(line);
    REQUIRE(parsed.size() == 7);
    CHECK(parsed[3].second.type == json_scalar::kind::null);
    CHECK(parsed[4].second.type == json_scalar::kind::null);
    CHECK(parsed[5].second.type == json_scalar::kind::null);
}

TEST_CASE("event_log: json_quote escapes quotes, backslashes and control characters", "[radio_sim][event_log]") {
    CHECK(json_quote("") == R"("")");
    CHECK(json_quote("plain") == R"("plain")");
    CHECK(json_quote("say \"hi\"") == R"("say \"hi\"")");
    CHECK(json_quote("C:\\dir\\") == R"("C:\\dir\\")");
    CHECK(json_quote("a\nb\rc\td") == R"("a\nb\rc\td")");
    CHECK(json_quote(std::string_view("\0", 1)) == R"("\u0000")");
    CHECK(json_quote("\x01\x08\x0c\x1f") == R"("\u0001\u0008\u000c\u001f")");
    CHECK(json_quote("/") == R"("/")");
    CHECK(json_quote(" ~\x7f") == "\" ~\x7f\"");  // DEL and printable ASCII need no escape
}

TEST_CASE("event_log: json_quote passes UTF-8 through untouched", "[radio_sim][event_log]") {
    const std::string text = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x93\xA1";  // "héllo ✓ 📡"
    CHECK(json_quote(text) == "\"" + text + "\"");
    CHECK(unquote(json_quote(text)) == text);
}

TEST_CASE("event_log: every byte string below 0x80 round-trips through json_quote", "[radio_sim][event_log]") {
    std::string all;
    for (int c = 0; c < 0x80; ++c) {
        all.push_back(static_cast<char>(c));
    }
    const std::string quoted = json_quote(all);
    CHECK(unquote(quoted) == all);
    for (const char c : quoted) {
        CHECK(static_cast<unsigned char>(c) >= 0x20);  // no raw control character survives
    }
}

TEST_CASE("event_log: event, device and field names and string values are all escaped", "[radio_sim][event_log]") {
    const std::string line =
        format_log_line(7, "ev\"ent", "dev\\ice", {{"na\tme", std::string("va\"l\\ue\n")}, {"\xC3\xA9", std::string("\x01")}});
    CHECK(line ==
          R"({"t_us": 7, "event": "ev\"ent", "device": "dev\\ice", "na\tme": "va\"l\\ue\n", )"
          "\"\xC3\xA9\": \"\\u0001\"}");
    const auto parsed = parse(line);
    REQUIRE(parsed.size() == 5);
    CHECK(parsed[1].second.text == "ev\"ent");
    CHECK(parsed[2].second.text == "dev\\ice");
    CHECK(parsed[3].first == "na\tme");
    CHECK(parsed[3].second.text == "va\"l\\ue\n");
    CHECK(parsed[4].first == "\xC3\xA9");
    CHECK(parsed[4].second.text == "\x01");
}

TEST_CASE("event_log: a string value that looks like a number stays a string", "[radio_sim][event_log]") {
    const auto parsed = parse(format_log_line(0, "e", "d", {{"s", std::string("42")}, {"empty", std::string()}}));
    REQUIRE(parsed.size() == 5);
    CHECK(parsed[3].second.type == json_scalar::kind::string);
    CHECK(parsed[3].second.text == "42");
    CHECK(parsed[4].second.type == json_scalar::kind::string);
    CHECK(parsed[4].second.text.empty());
}
