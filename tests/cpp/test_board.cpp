// tests/cpp/test_board.cpp: usocket/board.hpp: the spec §0 board matrix as data.
#include "usocket/board.hpp"

#include <optional>
#include <string_view>
#include <vector>

#include "support.hpp"

using usocket::board;

namespace {

struct expected_board {
    board id;
    std::string_view name;
    bool has_lora;
    bool has_sigfox;
    bool has_raw_sockets;
};

// Spec §0: LoPy LoRa only, LoPy4 and FiPy both radios, SiPy Sigfox only, WiPy neither;
// SOCK_RAW exists exactly on the boards with a radio.
const std::vector<expected_board> matrix = {
    {board::lopy, "LoPy", true, false, true},
    {board::lopy4, "LoPy4", true, true, true},
    {board::fipy, "FiPy", true, true, true},
    {board::sipy, "SiPy", false, true, true},
    {board::wipy, "WiPy", false, false, false},
};

}  // namespace

TEST_CASE("profile_of gives each board's radios and name", "[board]") {
    for (const auto& want : matrix) {
        CAPTURE(want.name);
        const usocket::board_profile& p = usocket::profile_of(want.id);
        CHECK(p.id == want.id);
        CHECK(p.name == want.name);
        CHECK(p.has_lora == want.has_lora);
        CHECK(p.has_sigfox == want.has_sigfox);
        CHECK(p.has_raw_sockets == want.has_raw_sockets);
        // The same profile object every time: it is static data.
        CHECK(&usocket::profile_of(want.id) == &p);
    }
}

TEST_CASE("board_from_name finds boards case-insensitively", "[board]") {
    CHECK(usocket::board_from_name("LoPy4") == board::lopy4);
    CHECK(usocket::board_from_name("lopy4") == board::lopy4);
    CHECK(usocket::board_from_name("LOPY4") == board::lopy4);
    CHECK(usocket::board_from_name("sipy") == board::sipy);
    CHECK(usocket::board_from_name("FiPy") == board::fipy);
    for (const auto& want : matrix) {
        CAPTURE(want.name);
        CHECK(usocket::board_from_name(want.name) == want.id);
    }
}

TEST_CASE("board_from_name rejects unknown names", "[board]") {
    CHECK_FALSE(usocket::board_from_name("").has_value());
    CHECK_FALSE(usocket::board_from_name("ESP32").has_value());
    CHECK_FALSE(usocket::board_from_name("LoPy5").has_value());
    CHECK_FALSE(usocket::board_from_name("lopy4 ").has_value());
}
