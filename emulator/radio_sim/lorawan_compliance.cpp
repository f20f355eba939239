// lorawan_compliance.cpp: the certification test's state machine (lorawan_compliance.hpp).
#include "usocket/sim/lorawan_compliance.hpp"

namespace usocket::sim {

namespace {

/// The test's start command (i): 01 01 01 01 on FPort 224.
bool is_start_command(const std::vector<std::uint8_t>& payload) {
    return payload.size() == 4 && payload[0] == 1 && payload[1] == 1 && payload[2] == 1 && payload[3] == 1;
}

enum command : std::uint8_t { stop = 0, run = 1, confirmed_on = 2, confirmed_off = 3, echo = 4, link_check = 5,
                              rejoin = 6 };

}  // namespace

compliance_actions compliance_downlink(lorawan_compliance& test, const std::vector<std::uint8_t>& payload,
                                       bool echo_fits, bool configured_adr) {
    compliance_actions out;
    bool do_echo = true;
    if (test.enabled && test.running) {
        // Every test-port frame counts, except an echo request too long to send back.
        if (!payload.empty() && payload[0] == echo && !echo_fits) {
            do_echo = false;
        } else {
            test.downlink_counter = (test.downlink_counter + 1) & 0xFFFF;
        }
    }
    if (payload.empty() || !test.enabled) {
        return out;
    }
    if (!test.running) {
        if (is_start_command(payload)) {
            test.tx_confirmed = false;
            test.downlink_counter = 0;
            test.link_check = false;
            test.demod_margin = 0;
            test.nbr_gateways = 0;
            test.running = true;
            test.state = run;
            out.flush_receive_queue = true;
            out.adr = true;
            out.duty_cycle = false;
        }
        return out;
    }
    test.state = payload[0];
    switch (payload[0]) {
    case stop:
        test.tx_confirmed = false;
        test.downlink_counter = 0;
        test.running = false;
        out.adr = configured_adr;
        out.duty_cycle = true;  // the firmware turns the MAC's duty cycle on here
        break;
    case run:
        test.running = true;
        break;
    case confirmed_on:
        test.tx_confirmed = true;
        test.state = run;
        break;
    case confirmed_off:
        test.tx_confirmed = false;
        test.state = run;
        break;
    case echo:
        if (do_echo) {
            out.echo = true;
        } else {
            test.state = run;
        }
        break;
    case link_check:
        out.request_link_check = true;
        break;
    case rejoin:
        out.leave_network = true;
        break;
    default:
        break;  // other commands only set the state
    }
    return out;
}

std::optional<bool> set_compliance(lorawan_compliance& test, bool enable, std::optional<int> state,
                                   std::optional<bool> link_check, bool configured_adr) {
    std::optional<bool> adr;
    test.enabled = enable;
    if (!enable) {
        test.tx_confirmed = false;
        test.downlink_counter = 0;
        test.running = false;
        adr = configured_adr;
    }
    if (state) {
        test.state = *state & 0xFF;
        if (link_check) {
            test.link_check = *link_check;
        }
    }
    return adr;
}

void compliance_joined(lorawan_compliance& test) {
    test.state = run;
    test.running = false;
    test.downlink_counter = 0;
}

void compliance_link_check(lorawan_compliance& test, int margin_db, int gateway_count) {
    if (test.running) {
        test.link_check = true;
        test.demod_margin = margin_db;
        test.nbr_gateways = gateway_count;
    }
}

}  // namespace usocket::sim
