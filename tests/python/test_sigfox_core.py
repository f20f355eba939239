"""usocket_emu._core's Sigfox bindings: radio, network and AF_SIGFOX sockets in virtual time."""

import errno
import threading

import pytest

from usocket_emu import _core, _errors

AF_SIGFOX, SOCK_RAW = 161, 3
SOL_SIGFOX, SO_RX = 0xFFF06, 0xF0004
NODE_ID = 0x001C2A3B


def _world():
    w = _core.World("virtual", 3)
    lora = _core.LoRaMedium(w)
    air = _core.SigfoxMedium(lora)
    net = _core.SigfoxNetwork(air)
    net.add_station("bs", (0.0, 0.0))
    return w, air, net


def _run_device(w, body):
    """Runs `body` on a device thread of `w` until nothing can happen; returns its result."""
    dev = w.add_device()
    w.reserve_thread(dev)
    out = {}

    def main():
        w.attach_thread(dev)
        try:
            out["value"] = body()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            out["error"] = e
        finally:
            w.detach_thread()

    t = threading.Thread(target=main)
    t.start()
    w.run()
    t.join(10)
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_blocking_socket_send_takes_the_device_time_and_the_network_records_it():
    w, air, net = _world()
    radio = _core.SigfoxRadio(air, "node", (100.0, 0.0), NODE_ID)
    assert radio.open(0, 0)
    assert radio.frequencies() == (868130000, 869525000)
    stack = _core.Stack("SiPy")
    stack.set_sigfox_radio(radio)
    assert stack.has_sigfox_radio

    def body():
        s = _core.Socket(stack)
        s.open(stack, AF_SIGFOX, SOCK_RAW, 0)
        n = s.send(b"hello world!")
        t = w.now_us()
        with pytest.raises(_errors.OSError) as too_long:
            s.send(b"x" * 13)
        with pytest.raises(_errors.OSError) as no_bind:
            s.bind(1)
        with pytest.raises(_errors.OSError) as no_sendto:
            s.sendto(b"x", ("1.2.3.4", 1))
        s.close()
        return n, t, too_long.value.errno, no_bind.value.errno, no_sendto.value.errno

    n, t, too_long, no_bind, no_sendto = _run_device(w, body)
    assert n == 12
    assert t == 2_000 + 3 * 2_080_000 + 2 * 1_001_000
    assert too_long == 122  # EMSGSIZE, firmware 1.20 numbering
    assert no_bind == errno.EOPNOTSUPP
    assert no_sendto == errno.EOPNOTSUPP
    [m] = net.messages()
    assert (m.device_id, m.sequence_number, m.payload, m.frames_received, m.stations) == (
        NODE_ID, 0, b"hello world!", 3, 1)
    assert not m.over_limit and m.best_station == "bs"
    assert radio.stats()["frames_sent"] == 3


def test_downlink_from_the_callback_reaches_recv_and_no_answer_is_enetdown():
    w, air, net = _world()
    radio = _core.SigfoxRadio(air, "node", (100.0, 0.0), NODE_ID)
    radio.open(0, 0)
    stack = _core.Stack("LoPy4")
    stack.set_sigfox_radio(radio)
    seen = []

    def answer(message):
        seen.append(message)
        return b"\x01\x02" if message.payload == b"ask" else None

    net.set_callback(answer)

    def body():
        s = _core.Socket(stack)
        s.open(stack, AF_SIGFOX, SOCK_RAW, 0)
        s.setsockopt(SOL_SIGFOX, SO_RX, True)
        s.send(b"ask")
        first = s.recv(1)
        rest = s.recv(64)
        with pytest.raises(_errors.OSError) as failed:
            s.send(b"silent")
        s.settimeout(0)
        empty = s.recv(8)
        s.close()
        return first, rest, failed.value.errno, empty

    first, rest, failed, empty = _run_device(w, body)
    assert first == b"\x01"
    assert rest == b"\x02" + bytes(6)
    assert failed == 115  # ENETDOWN
    assert empty == b""
    assert net.take_callback_error() is None
    assert [m.payload for m in seen if not m.oob] == [b"ask", b"silent"]
    messages = net.messages()
    assert messages[0].downlink_answered and messages[0].downlink_payload == b"\x01\x02" + bytes(6)
    assert radio.last_downlink_rssi_dbm() is not None


def test_queue_downlink_echo_and_limits_are_settable():
    _w, air, net = _world()
    with pytest.raises(ValueError):
        net.queue_downlink(NODE_ID, b"short")
    net.queue_downlink(NODE_ID, bytes(8))
    assert net.pending_downlinks(NODE_ID) == 1
    net.echo = True
    net.uplinks_per_day = 10
    assert (net.echo, net.uplinks_per_day, net.downlinks_per_day) == (True, 10, 4)
    radio = _core.SigfoxRadio(air, "n", (0.0, 0.0), 1)
    assert radio.open(0, 1)
    assert radio.info_byte() >> 4 == 6
    assert radio.zone == 1 and radio.mode == 0
    with pytest.raises(ValueError):
        radio.open(0, 4)
    assert _core.sigfox_uplink_frame_us(12, 600) == 346_667
    assert _core.sigfox_fsk_frame_us(64) == 500_000
