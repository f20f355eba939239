// tests/cpp/test_usocket.cpp: usocket/usocket.hpp: the umbrella header alone is enough to use the library.
#include "usocket/usocket.hpp"

#include "support.hpp"

TEST_CASE("the umbrella header declares the whole API", "[usocket]") {
    usocket::stack st;
    usocket::socket s(st, usocket::family::inet, usocket::sock_type::dgram, usocket::ipproto::udp);
    s.settimeout(usocket::timeout::from_seconds(0.0));
    CHECK(s.gettimeout().is_non_blocking());
    CHECK(usocket::make_inet_address("127.0.0.1", 1).port == 1);
    CHECK(usocket::profile_of(st.options().board_id).name == st.board().name);
    CHECK(usocket::errno_name(static_cast<int>(usocket::errc::ebadf)) == "EBADF");
    CHECK_FALSE(usocket::version().empty());
}
