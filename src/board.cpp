// board.cpp: the board matrix of spec §0 as a table.
#include "usocket/board.hpp"

#include <array>
#include <cctype>

namespace usocket {
namespace {

constexpr std::array<board_profile, 5> boards{{
    {board::lopy, "LoPy", true, false, true},
    {board::lopy4, "LoPy4", true, true, true},
    {board::fipy, "FiPy", true, true, true},
    {board::sipy, "SiPy", false, true, true},
    {board::wipy, "WiPy", false, false, false},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

}  // namespace

const board_profile& profile_of(board b) noexcept {
    for (const auto& p : boards) {
        if (p.id == b) {
            return p;
        }
    }
    return boards[1];
}

std::optional<board> board_from_name(std::string_view name) noexcept {
    for (const auto& p : boards) {
        if (equal_ignoring_case(p.name, name)) {
            return p.id;
        }
    }
    return std::nullopt;
}

}  // namespace usocket
