# test_lora_socket.py: AF_LORA sockets in raw LoRa mode (pycom-api.md 2.2-2.4, 3).
"""Creation, bind, setsockopt, the send checks and their order, blocking / non-blocking /
timeout sends with the command queue of 7, receiving through the shared receive queue of 7,
and closed sockets. Errno numbers are firmware 1.20's (newlib): EBADF 9, EAGAIN 11,
EOPNOTSUPP 95, ENETDOWN 115, EMSGSIZE 122; a device OSError carries the errno in args[0].
"""

from __future__ import annotations

import textwrap

import pytest
from lora_support import BW_HZ, EAGAIN, EBADF, EMSGSIZE, ENETDOWN, EOPNOTSUPP, of, run_devices, run_one, toa_us

def with_socket(body, init="LoRa(mode=LoRa.LORA)"):
    """A script body that starts with ``lora = <init>`` and a LoRa socket ``s``."""
    return f"lora = {init}\ns = socket.socket(socket.AF_LORA, socket.SOCK_RAW)\n" + textwrap.dedent(body)


def osError(errno):  # noqa: N802 - reads like the device's exception
    return f"OSError ({errno},)"


# --- creation -----------------------------------------------------------------------------------

def test_socket_before_lora_needs_the_network_card():
    d, _ = run_one("""
        print(err(socket.socket, socket.AF_LORA, socket.SOCK_RAW))
        print(err(socket.socket, socket.AF_LORA))
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        print(type(s).__name__)
    """)
    assert d.lines == ["OSError ('Network card not available',)"] * 2 + ["socket"], d.output


def test_af_lora_defaults_to_sock_raw_and_rejects_other_types():
    d, events = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA)
        print(s.send(b'raw by default'))
        print(err(socket.socket, socket.AF_LORA, socket.SOCK_STREAM))
        print(err(socket.socket, socket.AF_LORA, socket.SOCK_DGRAM))
    """)
    assert d.lines == ["14", "OSError ('incorrect socket type',)", "OSError ('incorrect socket type',)"], d.output
    assert [e["size"] for e in of(events, "lora_tx", "d")] == [14]


def test_lora_socket_methods():
    # pycom-api.md 2.3: the LoRa raw socket's methods (what it lacks is not checked here)
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        print([hasattr(s, n) for n in ('close', 'bind', 'send', 'recv', 'sendto', 'recvfrom', 'setsockopt',
                                       'settimeout', 'setblocking')])
    """)
    assert d.lines == ["[" + ", ".join(["True"] * 9) + "]"], d.output


# --- bind and setsockopt -------------------------------------------------------------------------

def test_bind_ports():
    d, _ = run_one(with_socket("""
        for port in (0, 1, 2, 224, 225, 1000):
            print(port, err(s.bind, port))
        print(err(s.bind, ('', 5)))
        print(err(s.bind, ('fd00::1', 10)))
    """))
    assert d.lines == ["0 ok None", "1 ok None", "2 ok None", "224 ok None",
                       f"225 {osError(EOPNOTSUPP)}", f"1000 {osError(EOPNOTSUPP)}",
                       "ok None", "ok None"], d.output


@pytest.mark.parametrize("region,max_dr", [("EU868", 6), ("AS923", 6), ("AU915", 6), ("IN865", 6),
                                           ("EU433", 6), ("CN470", 6), ("US915", 4)])
def test_so_dr_range_per_region(region, max_dr):
    d, _ = run_one(with_socket(f"""
        print([err(s.setsockopt, socket.SOL_LORA, socket.SO_DR, dr) for dr in range(-1, {max_dr} + 3)])
    """), region=region, board="LoPy4")
    expected = [osError(EOPNOTSUPP)] + ["ok None"] * (max_dr + 1) + [osError(EOPNOTSUPP)] * 2
    assert d.lines == [repr(expected)], d.output


def test_setsockopt_level_options_and_confirmed():
    d, _ = run_one(with_socket("""
        print(err(s.setsockopt, socket.SOL_SOCKET, socket.SO_DR, 5))
        print(err(s.setsockopt, 0, socket.SO_CONFIRMED, True))
        print(err(s.setsockopt, socket.SOL_LORA, socket.SO_REUSEADDR, 1))
        print(err(s.setsockopt, socket.SOL_LORA, 12345, 1))
        print([err(s.setsockopt, socket.SOL_LORA, socket.SO_CONFIRMED, v) for v in (True, False, 1, 0, 256)])
        print(err(s.setsockopt, socket.SOL_LORA, socket.SO_DR, 5))
        print(s.send(b'still raw'))
    """))
    assert d.lines == [osError(EOPNOTSUPP)] * 4 + [repr(["ok None"] * 5), "ok None", "9"], d.output


def test_so_dr_follows_the_region_given_to_init():
    d, _ = run_one(with_socket("""
        print(err(s.setsockopt, socket.SOL_LORA, socket.SO_DR, 4), err(s.setsockopt, socket.SOL_LORA, socket.SO_DR, 5))
    """, init="LoRa(mode=LoRa.LORA, region=LoRa.US915)"), region="EU868")
    assert d.lines == [f"ok None {osError(EOPNOTSUPP)}"], d.output


# --- send: checks and their order ---------------------------------------------------------------

def test_send_checks_in_order():
    d, events = run_one(with_socket("""
        lora.power_mode(LoRa.SLEEP)
        print(err(s.send, b'x'))
        print(err(s.send, bytes(256)))          # SLEEP is checked before the size
        print(err(s.send, b''))                 # ... and before the empty payload
        lora.power_mode(LoRa.ALWAYS_ON)
        print(err(s.send, bytes(256)))
        print(err(s.send, b''))
        print(err(s.send, bytes(255)))
        s.close()
        lora.power_mode(LoRa.SLEEP)
        print(err(s.send, bytes(256)))          # closed comes first
    """))
    assert d.lines == [osError(ENETDOWN), osError(ENETDOWN), osError(ENETDOWN), osError(EMSGSIZE),
                       "ok 0", "ok 255", osError(EBADF)], d.output
    assert [e["size"] for e in of(events, "lora_tx")] == [255]  # b'' puts nothing on the air


def test_send_accepts_str_and_other_buffers():
    d, events = run_one(with_socket("""
        print(s.send('Ping'), s.send(bytearray(b'ab')), s.send(memoryview(b'xyz')), s.send('\\u00e9'))
    """))
    assert d.lines == ["4 2 3 2"], d.output
    assert [e["payload"] for e in of(events, "lora_tx", "d")] == ["50696e67", "6162", "78797a", "c3a9"]


def test_tx_only_mode_sends():
    d, events = run_one(with_socket("""
        print(s.send(b'tx only'))
    """, init="LoRa(mode=LoRa.LORA, power_mode=LoRa.TX_ONLY)"))
    assert d.lines == ["7"] and len(of(events, "lora_tx")) == 1


def test_sendto_is_not_supported():
    d, events = run_one(with_socket("""
        print(err(s.sendto, b'abc', ('', 2)))
        print(err(s.sendto, b'abc', ('1.2.3.4', 2)))
    """))
    assert d.lines == [osError(EOPNOTSUPP)] * 2, d.output
    assert of(events, "lora_tx") == []


# --- send: timing and the command queue ----------------------------------------------------------

@pytest.mark.parametrize("sf,bw,cr,size,power", [(7, 0, 1, 10, 14), (12, 0, 4, 20, 20), (9, 2, 2, 51, 2),
                                                 (12, 1, 1, 255, 14), (6, 1, 3, 1, 7)])
def test_blocking_send_takes_listen_before_talk_plus_time_on_air(sf, bw, cr, size, power):
    d, events = run_one(with_socket(f"""
        time.sleep(1)
        t0 = time.ticks_us()
        n = s.send(bytes(range({size})))
        t1 = time.ticks_us()
        print(n, time.ticks_diff(t1, t0), lora.events())
    """, init=f"LoRa(mode=LoRa.LORA, sf={sf}, bandwidth={bw}, coding_rate={cr}, tx_power={power})"))
    airtime = toa_us(size, sf, BW_HZ[bw], cr)
    assert d.lines == [f"{size} {1000 + airtime} 2"], d.output
    (tx,) = of(events, "lora_tx", "d")
    assert {k: tx[k] for k in ("frequency_hz", "sf", "bandwidth_hz", "coding_rate", "iq_inverted", "sync_word",
                               "tx_power_dbm", "airtime_us", "size", "payload")} == {
        "frequency_hz": 868_000_000, "sf": sf, "bandwidth_hz": BW_HZ[bw], "coding_rate": cr,
        "iq_inverted": False, "sync_word": 0x34, "tx_power_dbm": power, "airtime_us": airtime,
        "size": size, "payload": bytes(range(size)).hex()}


def test_tx_event_records_iq_and_private_sync_word():
    _d, events = run_one(with_socket("""
        s.send(b'p')
    """, init="LoRa(mode=LoRa.LORA, tx_iq=True, public=False, frequency=869525000)"))
    (tx,) = of(events, "lora_tx", "d")
    assert (tx["iq_inverted"], tx["sync_word"], tx["frequency_hz"]) == (True, 0x12, 869_525_000)


def test_a_send_with_a_timeout_still_waits_for_tx_done():
    # pycom-api.md 3.5: blocking / timeout>0 waits for TX-done without time limit
    d, _ = run_one(with_socket("""
        s.settimeout(0.1)
        t0 = time.ticks_us()
        print(s.send(b'x' * 20), time.ticks_diff(time.ticks_us(), t0))
    """, init="LoRa(mode=LoRa.LORA, sf=12)"))
    assert d.lines == [f"20 {1000 + toa_us(20, 12)}"], d.output


def test_non_blocking_sends_return_at_once_and_the_queue_holds_7():
    d, events = run_one(with_socket("""
        s.setblocking(False)
        t0 = time.ticks_us()
        for i in range(10):
            print(i, err(s.send, bytes([i]) * 10))
        print('elapsed', time.ticks_diff(time.ticks_us(), t0))
        time.sleep(30)
        print('counter', lora.stats().tx_counter)
        print(err(s.send, b'room again'))
    """, init="LoRa(mode=LoRa.LORA, sf=10)"))
    assert d.lines == [f"{i} ok 10" for i in range(8)] + [
        f"8 {osError(EAGAIN)}", f"9 {osError(EAGAIN)}", "elapsed 0", "counter 8", "ok 10"], d.output
    tx = of(events, "lora_tx", "d")
    assert [e["payload"] for e in tx[:8]] == [(bytes([i]) * 10).hex() for i in range(8)]
    assert len(tx) == 9
    airtime = toa_us(10, 10)
    for first, second in zip(tx, tx[1:8]):  # one after the other, never overlapping
        assert second["t_us"] >= first["t_us"] + airtime
    assert tx[7]["t_us"] < tx[0]["t_us"] + 8 * (airtime + 1000) + 8 * 3000


def test_once_a_frame_is_on_air_seven_more_wait_in_the_queue():
    d, events = run_one(with_socket("""
        s.setblocking(False)
        print(s.send(b'first'))
        time.sleep(0.1)                     # on air now (SF12: 1.2 s)
        print([err(s.send, bytes([i])) for i in range(9)])
    """, init="LoRa(mode=LoRa.LORA, sf=12)"))
    assert d.lines == ["5", repr(["ok 1"] * 7 + [osError(EAGAIN)] * 2)], d.output
    assert len(of(events, "lora_tx", "d")) == 8


def test_a_full_queue_with_a_timeout_raises_timeout_error():
    d, _ = run_one(with_socket("""
        s.setblocking(False)
        for _ in range(2):                  # fill the command queue, also once the first is on air
            while err(s.send, b'x' * 10) == 'ok 10':
                pass
            time.sleep(0.1)
        s.settimeout(0.01)
        t0 = time.ticks_us()
        try:
            print('sent', s.send(b'y'))
        except socket.timeout as e:
            print(type(e).__name__, e.args, time.ticks_diff(time.ticks_us(), t0))
    """, init="LoRa(mode=LoRa.LORA, sf=12)"))
    name, rest = d.lines[0].split(" ", 1)
    assert name == "TimeoutError" and rest.startswith("('timed out',) "), d.output
    assert 10_000 <= int(rest.rsplit(" ", 1)[1]) < 12_000


def test_a_blocking_send_waits_for_room_in_the_queue():
    d, events = run_one(with_socket("""
        s.setblocking(False)
        queued = 0
        while err(s.send, bytes([queued]) * 10) == 'ok 10':     # fill the command queue
            queued += 1
        s.setblocking(True)
        t0 = time.ticks_us()
        print(queued, s.send(b'last'), time.ticks_diff(time.ticks_us(), t0))
    """))
    queued, n, dt = (int(v) for v in d.lines[0].split())
    assert n == 4 and queued in (7, 8), d.output
    # it waited for every queued frame, then for its own
    assert dt >= queued * toa_us(10) + toa_us(4), d.output
    tx = of(events, "lora_tx", "d")
    assert len(tx) == queued + 1 and tx[-1]["payload"] == b"last".hex()


# --- receiving -----------------------------------------------------------------------------------

SENDER = with_socket("""
def at(t_s):
    time.sleep(t_s - time.ticks_ms() / 1000)
""")


def two(a_body, b_body, until_s=30, b_position=(100.0, 0.0), **b_keywords):
    results, events = run_devices({
        "a": (SENDER + textwrap.dedent(a_body), {"position_m": (0.0, 0.0)}),
        "b": (b_body, {"position_m": b_position, **b_keywords}),
    }, until_s=until_s)
    return results["a"], results["b"], events


def test_b_receives_what_a_sends_while_blocking_in_recv():
    a, b, events = two("""
        at(3)
        t0 = time.ticks_us()
        s.send(b'hello')
        print('sent', t0, time.ticks_us())
    """, """
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        print(s.recv(64), time.ticks_us())
        print(lora.events())
    """)
    _, t0, t1 = a.lines[0].split()
    data, t_rx = b.lines[0].split()
    assert data == "b'hello'" and b.lines[1] == "1", b.output
    assert int(t1) - int(t0) == 1000 + toa_us(5)
    assert int(t_rx) == int(t1)  # received when the frame ends
    (tx,) = of(events, "lora_tx", "a")
    (rx,) = of(events, "lora_rx", "b")
    assert (rx["frame"], rx["from"]) == (tx["frame"], "a")
    assert of(events, "lora_rx", "a") == []  # a device does not hear itself


def test_recv_keeps_the_rest_of_a_longer_frame_and_recvfrom_gives_port_0():
    a, b, _ = two("""
        at(1)
        s.send(b'0123456789')
        s.send(b'abc')
        s.send(b'last')
    """, """
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        time.sleep(5)
        print(s.recv(4))
        print(s.recv(4))
        print(s.recvfrom(100))
        print(s.recvfrom(100))
        print(s.recv(2), s.recv(10))
        s.setblocking(False)
        print(s.recv(10), s.recvfrom(10))
    """)
    assert b.lines == ["b'0123'", "b'4567'", "(b'89', 0)", "(b'abc', 0)", "b'la' b'st'", "b'' (b'', 0)"], b.output


def test_empty_receive_non_blocking_and_with_timeout():
    d, _ = run_one(with_socket("""
        s.setblocking(False)
        t0 = time.ticks_ms()
        print(repr(s.recv(10)), repr(s.recvfrom(10)), time.ticks_diff(time.ticks_ms(), t0))
        s.settimeout(0.5)
        for f in (s.recv, s.recvfrom):
            t0 = time.ticks_ms()
            try:
                f(10)
            except socket.timeout as e:
                print(type(e).__name__, e.args, isinstance(e, OSError), time.ticks_diff(time.ticks_ms(), t0))
        s.settimeout(0)
        print(repr(s.recv(10)))
        s.settimeout(0.0005)    # below 1 ms: non-blocking
        print(repr(s.recv(10)))
    """))
    assert d.lines == ["b'' (b'', 0) 0", "TimeoutError ('timed out',) True 500",
                       "TimeoutError ('timed out',) True 500", "b''", "b''"], d.output


def test_recv_with_a_timeout_gets_a_frame_arriving_in_time():
    a, b, _ = two("""
        at(2)
        s.send(b'in time')
    """, """
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        time.sleep(1)
        s.settimeout(5)
        print(s.recv(20))
    """)
    assert b.lines == ["b'in time'"], b.output


def test_the_receive_queue_holds_7_frames_and_drops_the_rest():
    a, b, events = two("""
        at(1)
        for i in range(9):
            s.send(b'frame %d' % i)
    """, """
        lora = LoRa(mode=LoRa.LORA)
        time.sleep(10)                 # the frames arrive before any socket exists
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s.setblocking(False)
        got = []
        while True:
            data = s.recv(64)
            if not data:
                break
            got.append(data)
        print(got)
        print(lora.events())
    """)
    assert b.lines == [repr([b"frame %d" % i for i in range(7)]), "1"], b.output
    tx = of(events, "lora_tx", "a")
    dropped = of(events, "lora_rx_dropped", "b")
    assert len(tx) == 9
    assert [(e["frame"], e["reason"]) for e in dropped] == [(tx[7]["frame"], "receive_queue_full"),
                                                            (tx[8]["frame"], "receive_queue_full")]
    assert [e["frame"] for e in of(events, "lora_rx", "b")][:7] == [e["frame"] for e in tx[:7]]


def test_all_sockets_share_one_receive_queue_that_close_and_init_do_not_flush():
    a, b, _ = two("""
        at(1)
        for i in range(4):
            s.send(b'f%d' % i)
    """, """
        lora = LoRa(mode=LoRa.LORA)
        s1 = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s2 = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s2.bind(7)                     # bind does not filter reception
        time.sleep(5)
        print(s1.recv(10), s2.recv(10))
        s1.close()
        print(s2.recv(10))
        lora.init(mode=LoRa.LORA)
        s3 = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        print(s3.recv(10))
    """)
    assert b.lines == ["b'f0' b'f1'", "b'f2'", "b'f3'"], b.output


def test_recv_from_a_callback_on_the_irq_thread():
    a, b, _ = two("""
        at(1)
        s.send(b'one')
        at(2)
        s.send(b'two')
    """, """
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s.setblocking(False)
        def on_rx(lo):
            ev = lo.events()
            if ev & LoRa.RX_PACKET_EVENT:
                print('rx', s.recv(64), time.ticks_ms() // 1000)
        lora.callback(LoRa.RX_PACKET_EVENT, on_rx)
        time.sleep(5)
        print('done')
    """)
    assert b.lines == ["rx b'one' 1", "rx b'two' 2", "done"], b.output


def test_select_reports_a_lora_socket_readable():
    a, b, _ = two("""
        at(2)
        s.send(b'poll me')
    """, """
        import select
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        print(select.select([s], [], [], 1)[0] == [])
        r, w, x = select.select([s], [], [], 5)
        print(r == [s], s.recv(10))
    """)
    assert b.lines == ["True", "True b'poll me'"], b.output


# --- closed sockets ------------------------------------------------------------------------------

def test_a_closed_socket_raises_ebadf():
    d, _ = run_one(with_socket("""
        print(s.close())
        print(err(s.send, b'x'))
        print(err(s.recv, 10))
        print(err(s.recvfrom, 10))
        print(err(s.sendto, b'x', ('', 2)))
        print(err(s.bind, 3))
        print(err(s.setsockopt, socket.SOL_LORA, socket.SO_DR, 3))
        print(err(s.settimeout, 1))
        print(err(s.setblocking, False))
        print(s.close())
    """))
    assert d.lines == ["None"] + [osError(EBADF)] * 8 + ["None"], d.output
