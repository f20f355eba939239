// The certification test's state machine (lorawan_compliance.hpp), command by command.
#include <catch2/catch.hpp>

#include "usocket/sim/lorawan_compliance.hpp"

using namespace usocket::sim;

namespace {

using bytes = std::vector<std::uint8_t>;

const bytes start{1, 1, 1, 1};

lorawan_compliance running_test() {
    lorawan_compliance t;
    t.enabled = true;
    const auto a = compliance_downlink(t, start, true, false);
    REQUIRE(t.running);
    REQUIRE(a.flush_receive_queue);
    return t;
}

}  // namespace

TEST_CASE("the test starts only when enabled and only with 01 01 01 01", "[compliance]") {
    lorawan_compliance off;
    const auto none = compliance_downlink(off, start, true, false);
    CHECK_FALSE(off.running);
    CHECK_FALSE(none.flush_receive_queue);
    CHECK_FALSE(none.adr.has_value());

    lorawan_compliance t;
    t.enabled = true;
    t.link_check = true;
    t.demod_margin = 9;
    compliance_downlink(t, bytes{1, 1, 1}, true, false);
    CHECK_FALSE(t.running);
    const auto a = compliance_downlink(t, start, true, false);
    CHECK(t.running);
    CHECK(t.state == 1);
    CHECK(t.downlink_counter == 0);
    CHECK_FALSE(t.link_check);
    CHECK(t.demod_margin == 0);
    CHECK(a.flush_receive_queue);
    CHECK(a.adr == std::optional<bool>{true});
    CHECK(a.duty_cycle == std::optional<bool>{false});
}

TEST_CASE("commands while the test runs", "[compliance]") {
    lorawan_compliance t = running_test();
    compliance_downlink(t, bytes{2}, true, false);
    CHECK(t.tx_confirmed);
    CHECK(t.state == 1);
    compliance_downlink(t, bytes{3}, true, false);
    CHECK_FALSE(t.tx_confirmed);
    CHECK(compliance_downlink(t, bytes{4, 9}, true, false).echo);
    CHECK(t.state == 4);
    CHECK(t.downlink_counter == 3);
    // An echo too long for the current DR is neither counted nor sent back.
    CHECK_FALSE(compliance_downlink(t, bytes{4, 9}, false, false).echo);
    CHECK(t.state == 1);
    CHECK(t.downlink_counter == 3);
    CHECK(compliance_downlink(t, bytes{5}, true, false).request_link_check);
    compliance_link_check(t, 12, 2);
    CHECK(t.link_check);
    CHECK(t.demod_margin == 12);
    CHECK(t.nbr_gateways == 2);
    CHECK(compliance_downlink(t, bytes{6}, true, false).leave_network);
    CHECK(t.state == 6);
    compliance_downlink(t, bytes{99}, true, false);
    CHECK(t.state == 99);  // unknown commands only set the state
    CHECK(t.downlink_counter == 6);
    compliance_downlink(t, bytes{}, true, false);
    CHECK(t.downlink_counter == 7);  // an empty test frame is counted too
    const auto stop = compliance_downlink(t, bytes{0}, true, true);
    CHECK_FALSE(t.running);
    CHECK(t.downlink_counter == 0);
    CHECK(stop.adr == std::optional<bool>{true});         // back to LoRa(adr=True)
    CHECK(stop.duty_cycle == std::optional<bool>{true});  // the firmware turns it on here
}

TEST_CASE("compliance_test(enable, state, link_check) and a join", "[compliance]") {
    lorawan_compliance t = running_test();
    compliance_downlink(t, bytes{2}, true, false);
    CHECK_FALSE(set_compliance(t, true, 300, true, false).has_value());
    CHECK(t.state == 300 % 256);
    CHECK(t.link_check);
    CHECK(t.running);
    const auto adr = set_compliance(t, false, std::nullopt, std::nullopt, true);
    CHECK(adr == std::optional<bool>{true});
    CHECK_FALSE(t.enabled);
    CHECK_FALSE(t.running);
    CHECK_FALSE(t.tx_confirmed);
    CHECK(t.downlink_counter == 0);
    // link_check is taken only with a state, as the firmware's argument count decides.
    set_compliance(t, true, std::nullopt, false, false);
    CHECK(t.link_check);

    lorawan_compliance j = running_test();
    compliance_joined(j);
    CHECK_FALSE(j.running);
    CHECK(j.state == 1);
    compliance_link_check(j, 5, 1);
    CHECK_FALSE(j.link_check);  // kept only while the test runs
}
