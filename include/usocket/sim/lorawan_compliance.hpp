// usocket/sim/lorawan_compliance.hpp: the firmware's LoRaWAN certification support, the
// test protocol of the LoRa Alliance's "LoRaWAN 1.0 End Device Certification" on FPort 224,
// as Pycom firmware 1.20.2 runs it (modlora.c: lora_compliance_test(), McpsIndication(),
// MlmeConfirm(), lorawan_send(); pycom-api.md 3.4, 3.7 and 4.5).
//
// A script enables it with lora.compliance_test(True); a test network then starts it with
// the downlink 01 01 01 01 on FPort 224. While it runs, every uplink goes to FPort 224
// (confirmed when the network asked so) and each FPort-224 downlink is a command (its first
// byte): 0 stop, 1 run, 2/3 confirmed uplinks on/off, 4 echo, 5 link check, 6 rejoin.
// Nothing here knows of frames or radios: the MAC feeds it and carries out its actions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace usocket::sim {

/// The certification test port (LoRaWAN 1.0.2 section 4.3.2: FPort 224 is reserved for it).
inline constexpr int compliance_test_port = 224;

/// lora.compliance_test()'s attrtuple, in its field order (modlora.c ComplianceTest).
struct lorawan_compliance {
    bool enabled = false;
    bool running = false;
    int state = 0;  ///< uint8_t in the firmware
    bool tx_confirmed = false;
    int downlink_counter = 0;  ///< uint16_t in the firmware
    bool link_check = false;
    int demod_margin = 0;
    int nbr_gateways = 0;
};

/// What an FPort-224 downlink asks of the MAC besides the state changes.
struct compliance_actions {
    bool flush_receive_queue = false;  ///< the test starts: xQueueReset(xRxQueue)
    std::optional<bool> adr;           ///< MIB_ADR: on for the test, back to the setting after
    std::optional<bool> duty_cycle;    ///< LoRaMacTestSetDutyCycleOn(false) / (true)
    bool echo = false;                 ///< the payload goes to the receive queue, no RX event
    bool request_link_check = false;   ///< MLME_LINK_CHECK: a LinkCheckReq in the next uplink
    bool leave_network = false;        ///< has_joined() becomes false (command 6)
};

/// McpsIndication() for a downlink on FPort 224 with `payload` (its FRMPayload in clear).
/// `echo_fits`: the payload fits the MAC's current DR (ValidatePayloadLength); a command-4
/// frame that does not fit is neither counted nor echoed. `configured_adr`: LoRa(adr=...).
compliance_actions compliance_downlink(lorawan_compliance& test, const std::vector<std::uint8_t>& payload,
                                       bool echo_fits, bool configured_adr);

/// lora.compliance_test(enable[, state[, link_check]]); returns the ADR to set when it
/// disables the test (the configured one), nothing otherwise.
std::optional<bool> set_compliance(lorawan_compliance& test, bool enable, std::optional<int> state,
                                   std::optional<bool> link_check, bool configured_adr);

/// MlmeConfirm(MLME_JOIN): a new session stops the test.
void compliance_joined(lorawan_compliance& test);

/// MlmeConfirm(MLME_LINK_CHECK): the answer is kept while the test runs.
void compliance_link_check(lorawan_compliance& test, int margin_db, int gateway_count);

}  // namespace usocket::sim
