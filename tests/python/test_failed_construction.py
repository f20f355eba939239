"""A socket whose construction failed stays a valid closed socket (no crash)."""

import pytest

from usocket_emu import make_usocket


def _instance_left_by(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_locals["self"]


def test_socket_whose_open_failed_is_closed_not_crashing():
    m = make_usocket(strict_firmware=True)
    held = [m.socket() for _ in range(10)]
    try:
        with pytest.raises(OSError) as info:
            m.socket()
        assert info.value.args == (23,)
        half = _instance_left_by(info.value)  # reachable through the traceback, as here
        info = None
        assert half.fileno() == -1
        assert repr(half).startswith("<socket fd=-1 ")
        with pytest.raises(OSError) as err:
            half.recv(1)
        assert err.value.args == (9,)
        half.close()
        assert m._stack.open_sockets == 10
    finally:
        for s in held:
            s.close()


def test_instance_made_without_init_is_a_closed_socket():
    m = make_usocket()
    s = m.socket.__new__(m.socket)
    assert s.fileno() == -1
    with pytest.raises(OSError) as err:
        s.send(b"x")
    assert err.value.args == (9,)
