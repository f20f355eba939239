// usocket/board.hpp: the Pycom boards as data, chosen at run time.
#pragma once

#include <optional>
#include <string_view>

namespace usocket {

/// The boards the emulator can be.
enum class board { lopy, lopy4, fipy, sipy, wipy };

/// What a board has (spec §0 board matrix).
struct board_profile {
    board id;
    std::string_view name;     ///< os.uname().sysname, e.g. "LoPy4"
    bool has_lora;             ///< network.LoRa, AF_LORA
    bool has_sigfox;           ///< network.Sigfox, AF_SIGFOX
    bool has_raw_sockets;      ///< SOCK_RAW constant (LoRa or Sigfox boards)
};

/// The profile of a board.
const board_profile& profile_of(board b) noexcept;

/// Looks a board up by its name, case-insensitively ("LoPy4", "lopy4").
std::optional<board> board_from_name(std::string_view name) noexcept;

}  // namespace usocket
