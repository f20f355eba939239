"""lora.compliance_test(): the firmware's LoRaWAN certification support on FPort 224
(modlora.c), driven by a test network through its on_uplink callback."""

import pytest
from runtime_support import NTP_EPOCH_S

from usocket_emu import World

APP_EUI = "70b3d57ed0000001"
APP_KEY = "2b7e151628aed2a6abf7158809cf4f3c"
MAC = bytes.fromhex("70b3d54990112233")
START = b"\x01\x01\x01\x01"

PRELUDE = f"""
from network import LoRa
import socket, time, ubinascii
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
app_eui = ubinascii.unhexlify('{APP_EUI}')
app_key = ubinascii.unhexlify('{APP_KEY}')
"""

#: Enables the test, joins, then sends `n` blocking uplinks on port 2 at SO_DR 5, printing
#: the test state after each and anything received.
TESTEE = PRELUDE + """
print(lora.compliance_test())
lora.compliance_test(True)
lora.join(activation=LoRa.OTAA, auth=(app_eui, app_key))
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.bind(2)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
for i in range(N):
    try:
        s.send(b'u%d' % i)
    except OSError as e:
        print('send', i, e.args[0])
        break
    t = lora.compliance_test()
    s.setblocking(False)
    got = s.recvfrom(64)
    s.setblocking(True)
    print(i, t.running, t.state, t.tx_confirmed, t.downlink_counter, t.link_check, t.nbr_gateways,
          lora.has_joined(), got, lora.events() & LoRa.RX_PACKET_EVENT)
    time.sleep(5)
"""


def run_test_session(commands, n):
    """Answers uplink i with commands[i] on FPort 224 (None: no downlink)."""
    with World(time="virtual", seed=3, ntp_epoch_s=NTP_EPOCH_S) as world:
        net = world.network("EU868")
        seen = []

        @net.on_uplink
        def drive(uplink):
            index = len(seen)
            seen.append(uplink)
            if index < len(commands) and commands[index] is not None:
                net.queue_downlink(uplink.dev_eui, 224, commands[index])

        dev = world.add_device("node", lpwan_mac=MAC, script=TESTEE.replace("range(N)", f"range({n})"))
        world.run(until_s=200)
        return dev, seen, world.events("lorawan_compliance")


def test_the_compliance_test_runs_through_the_certification_commands():
    commands = [START, b"\x02", b"\x03", b"\x04\xaa\xbb", b"\x05", None, b"\x00"]
    dev, ups, log = run_test_session(commands, 8)
    assert dev.exit_exception is None, dev.output
    lines = dev.output.splitlines()
    assert lines[0] == ("(enabled=False, running=False, state=0, tx_confirmed=False, downlink_counter=0, "
                        "link_check=False, demod_margin=0, nbr_gateways=0)")
    assert lines[1:] == [
        # 01 01 01 01 starts it: running, state 1, counters cleared (the start is not counted).
        "0 True 1 False 0 False 0 True (b'', 0) 0",
        "1 True 1 True 1 False 0 True (b'', 0) 0",   # 2: confirmed uplinks on (state back to 1)
        "2 True 1 False 2 False 0 True (b'', 0) 0",  # 3: confirmed off
        # 4: the echo lands in the receive queue, without RX_PACKET_EVENT and with the port
        # the last downlink left (none yet: 0); the state stays 4.
        "3 True 4 False 3 False 0 True (b'\\x04\\xaa\\xbb', 0) 0",
        "4 True 5 False 4 False 0 True (b'', 0) 0",  # 5: a LinkCheckReq goes in the next uplink
        "5 True 5 False 4 True 1 True (b'', 0) 0",   # its LinkCheckAns: one gateway
        "6 False 0 False 0 True 1 True (b'', 0) 0",  # 0: stopped, counter cleared
        "7 False 0 False 0 True 1 True (b'', 0) 0",
    ]
    # While it runs every uplink goes to FPort 224, confirmed when the network said so; the
    # script's own payload is sent. Before the start and after the stop: the socket's port.
    assert [(u.fcnt, u.port, u.confirmed, u.payload) for u in ups] == [
        (0, 2, False, b"u0"), (1, 224, False, b"u1"), (2, 224, True, b"u2"), (3, 224, False, b"u3"),
        (4, 224, False, b"u4"), (5, 224, False, b"u5"), (6, 224, False, b"u6"), (7, 2, False, b"u7")]
    assert [c[0] for c in ups[5].mac_commands] == [0x02]  # LinkCheckReq
    assert [(e["state"], e["running"]) for e in log] == [(1, True), (1, True), (1, True), (4, True),
                                                         (5, True), (0, False)]


def test_command_6_drops_the_join_and_sends_fail_with_enetdown():
    dev, ups, _ = run_test_session([START, b"\x06"], 3)
    assert dev.exit_exception is None, dev.output
    assert dev.output.splitlines()[1:] == [
        "0 True 1 False 0 False 0 True (b'', 0) 0",
        "1 True 6 False 1 False 0 False (b'', 0) 0",
        "send 2 115",
    ]
    assert len(ups) == 2


def test_not_enabled_the_test_port_is_ignored():
    with World(time="virtual", seed=3, ntp_epoch_s=NTP_EPOCH_S) as world:
        net = world.network("EU868")
        net.on_uplink(lambda u: net.queue_downlink(u.dev_eui, 224, START))
        dev = world.add_device("node", lpwan_mac=MAC, script=TESTEE.replace("lora.compliance_test(True)", "")
                               .replace("range(N)", "range(2)"))
        world.run(until_s=100)
        ups = net.uplinks()
        assert world.events("lorawan_compliance") == []
    assert [u.port for u in ups] == [2, 2]
    assert dev.output.splitlines()[1].startswith("0 False 1 False 0")  # a join sets state 1


def test_compliance_test_setter_and_its_arguments():
    with World(time="virtual", seed=3, ntp_epoch_s=NTP_EPOCH_S) as world:
        dev = world.add_device("node", lpwan_mac=MAC, script="""
from network import LoRa
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
print(lora.compliance_test(1, 7, 'yes'))
print(tuple(lora.compliance_test()))
lora.init(mode=LoRa.LORAWAN, region=LoRa.EU868)
print(tuple(lora.compliance_test()))      # lora_obj keeps it across inits
lora.compliance_test(False)
print(tuple(lora.compliance_test()))
for bad in ((1, 2, 3, 4), (1, 'x')):
    try:
        lora.compliance_test(*bad)
    except TypeError as e:
        print('TypeError', e)
try:
    lora.compliance_test(1, 2**40)
except OverflowError as e:
    print('OverflowError', e)
""")
        world.run(until_s=5)
    assert dev.exit_exception is None, dev.output
    assert dev.output.splitlines() == [
        "None",
        "(True, False, 7, False, 0, True, 0, 0)",
        "(True, False, 7, False, 0, True, 0, 0)",
        "(False, False, 7, False, 0, True, 0, 0)",
        "TypeError function expected at most 3 arguments, got 4",
        "TypeError can't convert str to int",
        "OverflowError overflow converting long int to machine word",
    ]


