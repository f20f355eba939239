// tests/cpp/test_error.cpp: usocket/error.hpp: device errno values and names, host mapping, categories.
#include "usocket/error.hpp"

#include <cerrno>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "support.hpp"

using usocket::errc;
using usocket::failure;

TEST_CASE("errc values are firmware 1.20's newlib numbers (spec 1.1)", "[error]") {
    const std::vector<std::pair<errc, int>> table = {
        {errc::eperm, 1},          {errc::enoent, 2},        {errc::eio, 5},
        {errc::ebadf, 9},          {errc::eagain, 11},       {errc::enomem, 12},
        {errc::eacces, 13},        {errc::eexist, 17},       {errc::enodev, 19},
        {errc::eisdir, 21},        {errc::einval, 22},       {errc::enfile, 23},
        {errc::eopnotsupp, 95},    {errc::econnreset, 104},  {errc::enobufs, 105},
        {errc::enoprotoopt, 109},  {errc::econnrefused, 111}, {errc::eaddrinuse, 112},
        {errc::econnaborted, 113}, {errc::enetdown, 115},    {errc::etimedout, 116},
        {errc::ehostunreach, 118}, {errc::einprogress, 119}, {errc::ealready, 120},
        {errc::emsgsize, 122},     {errc::eisconn, 127},     {errc::enotconn, 128},
        {errc::eai_noname, 200},   {errc::eai_service, 201}, {errc::eai_fail, 202},
        {errc::eai_memory, 203},   {errc::eai_family, 204},
    };
    for (const auto& [e, value] : table) {
        CAPTURE(value);
        CHECK(static_cast<int>(e) == value);
        const std::error_code ec = make_error_code(e);
        CHECK(ec.value() == value);
        CHECK(ec.category() == usocket::device_category());
        CHECK_FALSE(ec.message().empty());
    }
}

TEST_CASE("errc converts implicitly to an error_code of the device category", "[error]") {
    const std::error_code ec = errc::eagain;
    CHECK(ec.value() == 11);
    CHECK(ec.category() == usocket::device_category());
    CHECK(ec == errc::eagain);
    CHECK(ec != errc::ebadf);
    CHECK(std::string_view(usocket::device_category().name()).size() > 0);
}

TEST_CASE("errno_name gives the names uerrno exports and nothing for the others", "[error]") {
    SECTION("named numbers print symbolically: [Errno 11] EAGAIN") {
        const std::vector<std::pair<int, std::string_view>> named = {
            {1, "EPERM"},          {2, "ENOENT"},        {5, "EIO"},           {9, "EBADF"},
            {11, "EAGAIN"},        {12, "ENOMEM"},       {13, "EACCES"},       {17, "EEXIST"},
            {19, "ENODEV"},        {21, "EISDIR"},       {22, "EINVAL"},       {122, "EMSGSIZE"},
            {95, "EOPNOTSUPP"},    {112, "EADDRINUSE"},  {115, "ENETDOWN"},    {113, "ECONNABORTED"},
            {104, "ECONNRESET"},   {105, "ENOBUFS"},     {128, "ENOTCONN"},    {116, "ETIMEDOUT"},
            {111, "ECONNREFUSED"}, {118, "EHOSTUNREACH"}, {120, "EALREADY"},   {119, "EINPROGRESS"},
            {200, "EAI_NONAME"},   {201, "EAI_SERVICE"}, {202, "EAI_FAIL"},    {203, "EAI_MEMORY"},
            {204, "EAI_FAMILY"},
        };
        for (const auto& [value, name] : named) {
            CAPTURE(value);
            CHECK(usocket::errno_name(value) == name);
        }
    }
    SECTION("ENFILE and ENOPROTOOPT are not named, so they print bare (OSError: 23)") {
        CHECK(usocket::errno_name(23).empty());
        CHECK(usocket::errno_name(109).empty());
    }
    SECTION("numbers that are no errno at all have no name") {
        CHECK(usocket::errno_name(0).empty());
        CHECK(usocket::errno_name(-1).empty());
        CHECK(usocket::errno_name(9999).empty());
    }
}

TEST_CASE("errc_from_host maps Linux errno values to the same-named device values", "[error]") {
    const std::vector<std::pair<int, errc>> table = {
        {EPERM, errc::eperm},
        {ENOENT, errc::enoent},
        {EINTR, errc::eintr},
        {EIO, errc::eio},
        {EBADF, errc::ebadf},
        {EAGAIN, errc::eagain},
        {EWOULDBLOCK, errc::eagain},
        {ENOMEM, errc::enomem},
        {EACCES, errc::eacces},
        {EFAULT, errc::efault},
        {EEXIST, errc::eexist},
        {ENODEV, errc::enodev},
        {EISDIR, errc::eisdir},
        {EINVAL, errc::einval},
        {ENFILE, errc::enfile},
        {EMFILE, errc::emfile},
        {ENOSYS, errc::enosys},
        {EOPNOTSUPP, errc::eopnotsupp},
        {ECONNRESET, errc::econnreset},
        {ENOBUFS, errc::enobufs},
        {EAFNOSUPPORT, errc::eafnosupport},
        {EPROTOTYPE, errc::eprototype},
        {ENOTSOCK, errc::enotsock},
        {ENOPROTOOPT, errc::enoprotoopt},
        {ECONNREFUSED, errc::econnrefused},
        {EADDRINUSE, errc::eaddrinuse},
        {ECONNABORTED, errc::econnaborted},
        {ENETUNREACH, errc::enetunreach},
        {ENETDOWN, errc::enetdown},
        {ETIMEDOUT, errc::etimedout},
        {EHOSTDOWN, errc::ehostdown},
        {EHOSTUNREACH, errc::ehostunreach},
        {EINPROGRESS, errc::einprogress},
        {EALREADY, errc::ealready},
        {EDESTADDRREQ, errc::edestaddrreq},
        {EMSGSIZE, errc::emsgsize},
        {EPROTONOSUPPORT, errc::eprotonosupport},
        {EADDRNOTAVAIL, errc::eaddrnotavail},
        {ENETRESET, errc::enetreset},
        {EISCONN, errc::eisconn},
        {ENOTCONN, errc::enotconn},
    };
    for (const auto& [host, device] : table) {
        CAPTURE(host);
        CHECK(usocket::errc_from_host(host) == device);
    }
    // The numbers that differ between Linux and newlib are the point of the mapping.
    CHECK(static_cast<int>(usocket::errc_from_host(EADDRINUSE)) == 112);
    CHECK(static_cast<int>(usocket::errc_from_host(ENOTCONN)) == 128);
    CHECK(static_cast<int>(usocket::errc_from_host(ETIMEDOUT)) == 116);
}

TEST_CASE("errc_from_host maps EPIPE to ENOTCONN: lwIP has no EPIPE", "[error]") {
    // Writing to a closed connection is ERR_CLSD on lwIP, which err_to_errno() makes ENOTCONN.
    CHECK(usocket::errc_from_host(EPIPE) == errc::enotconn);
}

TEST_CASE("failure values have their own category with a message each", "[error]") {
    const std::vector<failure> all = {
        failure::timed_out,
        failure::network_card_not_available,
        failure::incorrect_socket_type,
        failure::connection_failed,
        failure::invalid_arguments,
        failure::invalid_argument_value,
        failure::invalid_argument_num_type,
        failure::index_out_of_range,
        failure::interrupted,
    };
    CHECK(static_cast<int>(failure::timed_out) == 1);
    std::set<std::string> messages;
    for (const failure f : all) {
        CAPTURE(static_cast<int>(f));
        const std::error_code ec = f;
        CHECK(ec.category() == usocket::failure_category());
        CHECK(ec.value() == static_cast<int>(f));
        CHECK(ec == make_error_code(f));
        CHECK_FALSE(ec.message().empty());
        messages.insert(ec.message());
    }
    CHECK(messages.size() == all.size());
    CHECK(usocket::failure_category() != usocket::device_category());
    CHECK(std::string_view(usocket::failure_category().name()).size() > 0);
    // Same number, different category: a timeout is not EPERM.
    CHECK(make_error_code(failure::timed_out) != make_error_code(errc::eperm));
}

TEST_CASE("throw_if throws std::system_error carrying the code, only when it is set", "[error]") {
    CHECK_NOTHROW(usocket::throw_if(std::error_code{}, "connect"));

    try {
        usocket::throw_if(make_error_code(errc::econnreset), "connect");
        FAIL("throw_if did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == errc::econnreset);
        CHECK(std::string(e.what()).find("connect") != std::string::npos);
    }

    CHECK(usocket_test::thrown_code([] { usocket::throw_if(make_error_code(failure::timed_out), "recv"); }) ==
          failure::timed_out);
}
