"""A LoPy4's or FiPy's LoRa and Sigfox share one SX1276 and take turns on it (pycom-api.md
4.10; modlora.c and modsigfox.c take xLoRaSigfoxSem): a LoRaWAN join's or uplink's cycle
holds it from its transmission to the end of its receive windows, a Sigfox message from its
first frame to the end of its downlink window, and a raw LoRa frame while it is on the air.
Whoever comes second waits and goes the moment the chip is free; nothing of one device
overlaps on the air. A SiPy has a chip of its own."""

from __future__ import annotations

import textwrap

import pytest

from usocket_emu import World, _core

TASK_TICK_US = 2_000
INTER_FRAME_TX_US = 1_001_000
RECEIVE_DELAY2_US = 2_000_000
SIGFOX_ID = "001c2a3b"

PRELUDE = """\
from network import LoRa, Sigfox
import socket, time

def timed(f, *args):
    start = time.ticks_us()
    result = f(*args)
    return result, time.ticks_diff(time.ticks_us(), start)

"""

#: Sigfox first (its init takes the chip from LoRa), then LoRaWAN by ABP.
LORAWAN_AND_SIGFOX = PRELUDE + """\
sfx = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
lora.join(activation=LoRa.ABP, auth=(0x26011234, bytes(range(16)), bytes(range(16, 32))))
ls = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
ss = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
"""


def sigfox_frame_us(payload_bytes):
    return _core.sigfox_uplink_frame_us(payload_bytes, 100)


def uplink_only_us(payload_bytes):
    """A blocking RCZ1 uplink-only send with the chip free: task tick, 3 frames, 2 gaps."""
    return TASK_TICK_US + 3 * sigfox_frame_us(payload_bytes) + 2 * INTER_FRAME_TX_US


def run(script, board="LoPy4", seed=2):
    w = World(time="virtual", seed=seed)
    dev = w.add_device("d", board=board, position_m=(50.0, 0.0), sigfox_id=bytes.fromhex(SIGFOX_ID),
                       script=textwrap.dedent(script))
    w.run()
    assert dev.exit_exception is None, dev.output
    return dev, w


def events(w, name, device="d"):
    return [e for e in w.events(name) if e["device"] == device]


def on_air_spans(w, device="d"):
    """(start_us, end_us, kind) of every frame the device put on the air, LoRa and Sigfox."""
    spans = [(e["t_us"], e["t_us"] + e["airtime_us"], "lora") for e in events(w, "lora_tx", device)]
    spans += [(e["t_us"], e["t_us"] + e["airtime_us"], "sigfox") for e in events(w, "sigfox_tx", device)]
    return sorted(spans)


def assert_no_overlap(w, device="d"):
    spans = on_air_spans(w, device)
    for (_, end_us, _), (next_start_us, _, _) in zip(spans, spans[1:]):
        assert end_us <= next_start_us, spans


@pytest.mark.parametrize("board", ["LoPy4", "FiPy"])
def test_a_sigfox_message_waits_for_the_lorawan_cycle_and_a_lorawan_uplink_for_the_message(board):
    dev, w = run(LORAWAN_AND_SIGFOX + """\
ls.setblocking(False)
print(ls.send(b'lorawan'))
print(timed(ss.send, b'sigfox'))
ss.setblocking(False)
print(ss.send(b'second'))
ls.setblocking(True)
print(timed(ls.send, b'after'))
""", board=board)
    [up0, up1] = events(w, "lorawan_uplink")
    [done0, done1] = events(w, "lorawan_uplink_done")
    tx = events(w, "sigfox_tx")
    assert len(tx) == 6
    # The cycle of 'lorawan' runs to the end of RX2: its frame, 2 s, the RX2 preamble wait.
    assert up0["t_us"] == 0 and done0["t_us"] > RECEIVE_DELAY2_US
    # 'sigfox' was taken off the queue at the task tick, waited, and went at the cycle's end.
    [wait0, wait1] = events(w, "sigfox_radio_wait")
    assert wait0["t_us"] == TASK_TICK_US
    assert tx[0]["t_us"] == done0["t_us"]
    out = dev.output.splitlines()
    assert out[0] == "7"
    waited_us = done0["t_us"] - TASK_TICK_US
    assert out[1] == f"(6, {uplink_only_us(6) + waited_us})"
    sigfox_end_us = tx[2]["t_us"] + tx[2]["airtime_us"]
    # 'after' asked for the chip before the task picked 'second': LoRaWAN goes first, at once.
    assert up1["t_us"] == sigfox_end_us
    assert wait1["t_us"] == sigfox_end_us + TASK_TICK_US
    assert tx[3]["t_us"] == done1["t_us"]
    assert out[2] == "6" and out[3].startswith("(5, ")
    assert_no_overlap(w)
    assert [u.fcnt for u in w.network().uplinks()] == [0, 1]
    assert [m.payload for m in w.sigfox.messages] == [b"sigfox", b"second"]
    assert not events(w, "lorawan_tx_wait")  # LoRaWAN never found Sigfox holding the chip


def test_a_lorawan_uplink_waits_for_the_whole_sigfox_message_and_its_downlink_window():
    dev, w = run(LORAWAN_AND_SIGFOX + """\
ss.setsockopt(socket.SOL_SIGFOX, socket.SO_RX, True)
ss.setblocking(False)
print(ss.send(b'ask'))
time.sleep_ms(10)  # the Sigfox task has it by now
print(timed(ls.send, b'waits'))
""")
    [up] = events(w, "lorawan_uplink")
    [wait] = events(w, "lorawan_tx_wait")
    assert wait["reason"] == "radio_shared" and wait["t_us"] == 10_000
    # No downlink was queued: the message ends when its 25 s window closes empty.
    [timeout] = events(w, "sigfox_downlink_timeout")
    assert up["t_us"] == timeout["t_us"]
    out = dev.output.splitlines()
    assert out[0] == "3"
    [done] = events(w, "lorawan_uplink_done")
    assert out[1] == f"(5, {done['t_us'] - 10_000})"
    assert_no_overlap(w)
    [m] = w.sigfox.messages
    assert m.downlink_requested and m.payload == b"ask"
    assert [u.fcnt for u in w.network().uplinks()] == [0]


def test_a_sigfox_message_waits_for_an_otaa_join_until_the_accept():
    dev, w = run(PRELUDE + """\
sfx = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
lora.join(activation=LoRa.OTAA, auth=(bytes(8), bytes(16)), timeout=0)
ss = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
print(timed(ss.send, b'x'))
print(lora.has_joined())
""")
    [request] = events(w, "lorawan_join_request")
    [joined] = events(w, "lorawan_joined")
    tx = events(w, "sigfox_tx")
    assert request["t_us"] == 0
    assert tx[0]["t_us"] == joined["t_us"] > 5_000_000  # the accept came in RX1, 5 s after
    assert dev.output.splitlines() == [f"(1, {uplink_only_us(1) + joined['t_us'] - TASK_TICK_US})", "True"]
    assert_no_overlap(w)


def test_a_raw_lora_frame_waits_for_the_sigfox_message():
    w = World(time="virtual", seed=2)
    listener = w.add_device("listener", board="LoPy", position_m=(0.0, 0.0), script=textwrap.dedent("""
        from network import LoRa
        import socket, time
        LoRa(mode=LoRa.LORA, region=LoRa.EU868)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s.settimeout(60)
        print(s.recv(64), time.ticks_us())
    """))
    dev = w.add_device("d", board="LoPy4", position_m=(20.0, 0.0), sigfox_id=bytes.fromhex(SIGFOX_ID),
                       script=PRELUDE + textwrap.dedent("""\
        Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
        LoRa(mode=LoRa.LORA, region=LoRa.EU868)  # LoRa programs the chip again after Sigfox's init
        ss = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
        ls = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        ss.setblocking(False)
        ss.send(b'first')
        time.sleep_ms(10)  # the Sigfox task has it by now
        print(timed(ls.send, b'raw'))
    """))
    w.run()
    assert dev.exit_exception is None, dev.output
    tx = events(w, "sigfox_tx")
    [raw] = events(w, "lora_tx")
    [wait] = events(w, "lora_radio_wait")
    sigfox_end_us = tx[2]["t_us"] + tx[2]["airtime_us"]
    assert wait["t_us"] == 10_000
    assert raw["t_us"] > sigfox_end_us  # after the message, then LoRa's listen before talk
    assert raw["t_us"] - sigfox_end_us < 10_000
    heard, at_us = listener.output.split()
    assert heard == "b'raw'" and int(at_us) == raw["t_us"] + raw["airtime_us"]
    assert dev.output.splitlines() == [f"(3, {raw['t_us'] + raw['airtime_us'] - 10_000})"]
    assert_no_overlap(w)


def test_a_sipy_has_a_chip_of_its_own_and_never_waits():
    dev, w = run(PRELUDE.replace("LoRa, ", "") + """\
Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
ss = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
print(timed(ss.send, b'alone'))
""", board="SiPy")
    assert dev.output.splitlines() == [f"(5, {uplink_only_us(5)})"]
    assert not w.events("sigfox_radio_wait")


def test_a_reset_while_sigfox_waits_frees_the_chip_for_the_next_boot():
    dev, w = run(PRELUDE + """\
import machine, pycom
try:
    boots = pycom.nvs_get('boots')
except ValueError:  # 1.20.2: no such key
    boots = 0
pycom.nvs_set('boots', boots + 1)
sfx = Sigfox(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1)
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
lora.join(activation=LoRa.ABP, auth=(0x26011234, bytes(range(16)), bytes(range(16, 32))))
ls = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
ss = socket.socket(socket.AF_SIGFOX, socket.SOCK_RAW)
if boots == 0:
    ls.setblocking(False)
    ls.send(b'cycle')
    ss.setblocking(False)
    ss.send(b'lost')
    time.sleep_ms(100)  # Sigfox waits for the LoRaWAN cycle
    machine.reset()
print(timed(ss.send, b'next boot'))
""")
    [wait] = events(w, "sigfox_radio_wait")
    assert wait["t_us"] == TASK_TICK_US
    assert dev.output.splitlines()[-1] == f"(9, {uplink_only_us(9)})"
    assert [m.payload for m in w.sigfox.messages] == [b"next boot"]
