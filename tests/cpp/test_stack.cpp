// tests/cpp/test_stack.cpp: usocket/stack.hpp: options, socket accounting, getaddrinfo, dnsserver.
#include "usocket/stack.hpp"

#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "usocket/socket.hpp"
#include "support.hpp"

using usocket::errc;
using usocket::failure;
using usocket_test::ip4;

TEST_CASE("a stack defaults to a lenient LoPy4", "[stack]") {
    const usocket::stack st;
    CHECK(st.options().board_id == usocket::board::lopy4);
    CHECK_FALSE(st.options().strict_firmware);
    CHECK(st.board().id == usocket::board::lopy4);
    CHECK(&st.board() == &usocket::profile_of(usocket::board::lopy4));
    CHECK(st.open_sockets() == 0);
    CHECK(usocket::firmware_max_sockets == 10);
}

TEST_CASE("a stack takes its board from the options", "[stack]") {
    const usocket::stack st(usocket::stack_options{usocket::board::sipy, true});
    CHECK(st.options().board_id == usocket::board::sipy);
    CHECK(st.options().strict_firmware);
    CHECK(st.board().name == "SiPy");
}

TEST_CASE("open_sockets counts what is open, across copies of the stack", "[stack][socket]") {
    usocket::stack st;
    const usocket::stack copy = st;  // copies share one stack
    {
        usocket::socket a(st);
        CHECK(st.open_sockets() == 1);
        CHECK(copy.open_sockets() == 1);
        usocket::socket b(st, usocket::family::inet, usocket::sock_type::dgram, usocket::ipproto::udp);
        CHECK(st.open_sockets() == 2);
        a.close();
        CHECK(st.open_sockets() == 1);
        a.close();  // idempotent: not counted twice
        CHECK(st.open_sockets() == 1);
    }
    CHECK(st.open_sockets() == 0);  // the destructor closed b
}

TEST_CASE("moving a socket moves its slot", "[stack][socket]") {
    usocket::stack st;
    usocket::socket a(st);
    const int fd = a.fileno();
    usocket::socket b(std::move(a));
    CHECK(b.fileno() == fd);
    CHECK(st.open_sockets() == 1);
    b = usocket::socket(st);  // the old b is closed by the assignment
    CHECK(st.open_sockets() == 1);
    b.close();
    CHECK(st.open_sockets() == 0);
}

TEST_CASE("a moved-from socket is a closed socket of its stack", "[stack][socket]") {
    // An API fuzz finding: one moved from (Python's _core.Socket.adopt) had no stack and
    // crashed the interpreter on its next use.
    usocket::stack st;
    usocket::socket a(st);
    usocket::socket b(std::move(a));
    usocket::socket c(st);
    c = std::move(b);
    for (usocket::socket* moved : {&a, &b}) {
        CHECK(moved->fileno() == -1);
        std::error_code ec;
        CHECK(moved->send("x", 1, ec) == 0);
        CHECK(ec == usocket::errc::ebadf);
        moved->close();
        *moved = usocket::socket::open(st, usocket::family::inet, usocket::sock_type::dgram, usocket::ipproto::udp, ec);
        CHECK_FALSE(ec);  // a place to open into again
        CHECK(moved->fileno() >= 0);
        moved->close();
    }
    CHECK(st.open_sockets() == 1);  // c
    usocket::socket& same = c;
    c = std::move(same);  // self-move: nothing happens
    CHECK(c.fileno() >= 0);
}

TEST_CASE("accepted sockets count as open sockets", "[stack][socket][inet]") {
    usocket::stack st;
    auto pair = usocket_test::connect_pair(st);  // the listener is gone once it accepted
    CHECK(st.open_sockets() == 2);
    pair.server.close();
    CHECK(st.open_sockets() == 1);
}

TEST_CASE("strict firmware: the eleventh socket is ENFILE", "[stack][socket]") {
    usocket::stack st(usocket::stack_options{usocket::board::lopy4, true});
    std::vector<usocket::socket> open;
    for (std::size_t i = 0; i < usocket::firmware_max_sockets; ++i) {
        open.emplace_back(st);
    }
    CHECK(st.open_sockets() == 10);

    std::error_code ec;
    usocket::socket extra = usocket::socket::open(st, usocket::family::inet, usocket::sock_type::stream,
                                                  usocket::ipproto::tcp, ec);
    CHECK(ec == errc::enfile);
    CHECK_FALSE(extra.is_open());
    CHECK(extra.fileno() == -1);
    CHECK(st.open_sockets() == 10);
    CHECK(usocket_test::thrown_code([&] { usocket::socket another(st); }) == errc::enfile);
    CHECK(st.open_sockets() == 10);

    SECTION("closing one frees a slot") {
        open.front().close();
        CHECK(st.open_sockets() == 9);
        usocket::socket again = usocket::socket::open(st, usocket::family::inet, usocket::sock_type::dgram,
                                                      usocket::ipproto::udp, ec);
        CHECK_FALSE(ec);
        CHECK(again.is_open());
        CHECK(st.open_sockets() == 10);
    }
}

TEST_CASE("lenient stacks have no ten-socket limit", "[stack][socket]") {
    usocket::stack st;
    std::vector<usocket::socket> open;
    for (std::size_t i = 0; i < usocket::firmware_max_sockets + 5; ++i) {
        open.emplace_back(st);
    }
    CHECK(st.open_sockets() == 15);
}

TEST_CASE("getaddrinfo answers one IPv4 stream entry", "[stack]") {
    const usocket::stack st;
    SECTION("a dotted IP is converted without a lookup") {
        const auto infos = st.getaddrinfo("127.0.0.1", 80);
        REQUIRE(infos.size() == 1);
        CHECK(infos[0].family == 2);
        CHECK(infos[0].socktype == 1);
        CHECK(infos[0].proto == 0);
        CHECK(infos[0].canonname.empty());
        CHECK(infos[0].address == usocket_test::loopback(80));
    }
    SECTION("a host name goes through the host's resolver, IPv4 only") {
        std::error_code ec;
        const auto infos = st.getaddrinfo("localhost", 8080, ec);
        REQUIRE_FALSE(ec);
        REQUIRE(infos.size() == 1);
        CHECK(infos[0].family == 2);
        CHECK(infos[0].socktype == 1);
        CHECK(infos[0].proto == 0);
        CHECK(infos[0].canonname.empty());
        CHECK(infos[0].address.ip == ip4{127, 0, 0, 1});
        CHECK(infos[0].address.port == 8080);
    }
}

TEST_CASE("getaddrinfo failures are the EAI_ codes", "[stack]") {
    const usocket::stack st;
    SECTION("a name that does not resolve is EAI_FAIL (202)") {
        std::error_code ec;
        const auto infos = st.getaddrinfo("nonexistent.invalid", 80, ec);
        CHECK(ec == errc::eai_fail);
        CHECK(infos.empty());
        CHECK(usocket_test::thrown_code([&] { st.getaddrinfo("nonexistent.invalid", 80); }) == errc::eai_fail);
    }
    SECTION("a port outside 0..65535 is EAI_SERVICE (201)") {
        std::error_code ec;
        st.getaddrinfo("127.0.0.1", 70000, ec);
        CHECK(ec == errc::eai_service);
        ec.clear();
        st.getaddrinfo("127.0.0.1", -1, ec);
        CHECK(ec == errc::eai_service);
        CHECK(usocket_test::thrown_code([&] { st.getaddrinfo("127.0.0.1", 70000); }) == errc::eai_service);
    }
}

TEST_CASE("dnsserver keeps two servers, index 0 or 1", "[stack]") {
    usocket::stack st;
    SECTION("both are dotted IPv4 strings") {
        for (const std::string& s : st.dns_servers()) {
            CAPTURE(s);
            CHECK(usocket::parse_device_ipv4(s).has_value());
            CHECK_FALSE(s.empty());
        }
    }
    SECTION("set then get") {
        std::error_code ec;
        st.set_dns_server(0, "8.8.8.8", ec);
        REQUIRE_FALSE(ec);
        st.set_dns_server(1, "1.1.1.1", ec);
        REQUIRE_FALSE(ec);
        CHECK(st.dns_server(0, ec) == std::make_pair(0, std::string("8.8.8.8")));
        CHECK_FALSE(ec);
        CHECK(st.dns_server(1, ec) == std::make_pair(1, std::string("1.1.1.1")));
        CHECK_FALSE(ec);
        CHECK(st.dns_servers()[0] == "8.8.8.8");
        CHECK(st.dns_servers()[1] == "1.1.1.1");
    }
    SECTION("copies of the stack see the change") {
        const usocket::stack copy = st;
        std::error_code ec;
        st.set_dns_server(1, "9.9.9.9", ec);
        REQUIRE_FALSE(ec);
        CHECK(copy.dns_servers()[1] == "9.9.9.9");
    }
    SECTION("index 2 and beyond is failure::index_out_of_range") {
        std::error_code ec;
        st.dns_server(2, ec);
        CHECK(ec == failure::index_out_of_range);
        ec.clear();
        st.set_dns_server(2, "8.8.8.8", ec);
        CHECK(ec == failure::index_out_of_range);
        ec.clear();
        st.dns_server(100, ec);
        CHECK(ec == failure::index_out_of_range);
    }
    SECTION("a host name is not an address: failure::invalid_arguments") {
        std::error_code ec;
        const auto before = st.dns_servers();
        st.set_dns_server(0, "example.com", ec);
        CHECK(ec == failure::invalid_arguments);
        CHECK(st.dns_servers() == before);
    }
}

TEST_CASE("set_interrupt_check accepts a check and an empty one", "[stack]") {
    usocket::stack st;
    int calls = 0;
    st.set_interrupt_check([&calls] {
        ++calls;
        return false;
    });
    st.set_interrupt_check({});
    CHECK(calls == 0);  // nothing blocked, nothing asked
    CHECK(usocket::stack::interrupt_poll_interval_ms == 50);
}
