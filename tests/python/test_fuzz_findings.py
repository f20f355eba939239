"""Regression tests for what the fuzzers found (fuzz/regressions/, fuzz/README.md): each
input must now get the documented error, never an unexpected exception or a crash."""

from pathlib import Path

import pytest

from usocket_emu import World
from usocket_emu._scenario import ScenarioError, load_scenario

REGRESSIONS = Path(__file__).resolve().parents[2] / "fuzz" / "regressions"


@pytest.mark.parametrize("name", ["recursion-error-deep-nesting.toml", "overflow-error-huge-integer.toml"])
def test_scenario_findings_are_scenario_errors(name):
    with pytest.raises(ScenarioError) as info:
        load_scenario(REGRESSIONS / "fuzz_scenario" / name)
    assert "\n" not in str(info.value)


def test_a_huge_integer_is_not_a_finite_number(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[radio]\npath_loss_exponent = 999999999999999999999999999999" + "9" * 400 + "\n")
    with pytest.raises(ScenarioError, match="path_loss_exponent: must be a finite number"):
        load_scenario(path)


@pytest.mark.parametrize("cf_list", [[867_100_050], [2**62], [-868_100_000], [915_000_000]])
def test_a_cf_list_frequency_the_region_cannot_use_is_refused(cf_list):
    # fuzz_network_uplink: a frequency not a multiple of 100 Hz threw out of World.run() at the
    # first join accept; a huge one overflowed the medium's channel arithmetic.
    def make():
        with World(network={"cf_list_hz": cf_list}) as world:
            world.network("EU868")
    with pytest.raises(ValueError, match="cf_list_hz"):
        make()


# --- tests/python/test_fuzz_api.py, fuzz/api_long_run.py --------------------------------

def _device_output(script, board="LoPy4"):
    import textwrap
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", board=board, script=textwrap.dedent(script))
        world.run(until_s=60)
        assert dev.exit_exception is None, dev.output
        return dev.output.splitlines()


def test_a_send_on_an_unconnected_udp_socket_goes_to_nobody_and_succeeds():
    # The host said EDESTADDRREQ (121 once translated), which no device raises: lwIP sends
    # the datagram to the pcb's remote address, 0.0.0.0 port 0, and returns its length.
    assert _device_output("""
        import usocket
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        print(s.send(b'abc'), s.write(bytearray(8), 0, 1), s.sendall(b'x'))
        s.close()
    """) == ["3 1 1"]


def test_a_huge_receive_size_is_a_memory_error_as_on_the_device():
    # MicroPython allocates the receive buffer first (vstr_init_len): a size that cannot be
    # allocated (-1 is SIZE_MAX) raises MemoryError before the socket is asked.
    assert _device_output("""
        import usocket
        from network import LoRa
        LoRa(mode=LoRa.LORA, region=LoRa.EU868)
        s = usocket.socket(usocket.AF_LORA, usocket.SOCK_RAW)
        for call in (s.recv, s.recvfrom):
            try:
                call(-1)
            except MemoryError:
                print('MemoryError')
        s.close()
    """) == ["MemoryError", "MemoryError"]


def test_an_inet_raw_socket_fails_as_lwip_does_when_it_cannot_make_one():
    # EPROTONOSUPPORT (123) was no errno of the device; lwip_socket() says ENOBUFS.
    assert _device_output("""
        import usocket
        try:
            usocket.socket(usocket.AF_INET, usocket.SOCK_RAW)
        except OSError as e:
            print(e.args)
    """) == ["(105,)"]


def test_a_device_socket_has_none_of_the_cores_own_methods():
    # The device's socket classes derived from _core.Socket showed its open(), adopt() and
    # ready_events(): a script could re-open a socket object. The firmware has none of them.
    out = _device_output("""
        import usocket
        from network import LoRa
        LoRa(mode=LoRa.LORA, region=LoRa.EU868)
        for s in (usocket.socket(), usocket.socket(usocket.AF_LORA, usocket.SOCK_RAW)):
            for name in ('open', 'adopt', 'ready_events', '_pybind11_conduit_v1_'):
                try:
                    getattr(s, name)
                    print('has', name)
                except AttributeError:
                    pass
                if name in dir(s) or hasattr(s, name):
                    print('lists', name)
            s.close()
        print('checked')
    """)
    assert out == ["checked"]


def test_adopting_a_socket_leaves_both_usable_never_a_crash():
    # fuzz/api_long_run.py: a worker died of a segfault; _core.Socket.adopt(s, s) and friends
    # left a socket with no stack, whose next use crashed the interpreter.
    import usocket_emu
    from usocket_emu import _core

    us = usocket_emu.make_usocket()
    s, t = us.socket(), us.socket(us.AF_INET, us.SOCK_DGRAM)
    _core.Socket.adopt(s, s)
    _core.Socket.adopt(s, t)  # s takes t's descriptor; t is closed
    _core.Socket.adopt(t, s)
    repr(s), repr(t)
    with pytest.raises(OSError) as info:
        s.send(b"x")
    assert info.value.args == (9,)
    assert t.send(b"x") == 1  # t holds the UDP socket now
    t.close()
    s.close()
    assert us._stack.open_sockets == 0
