"""API fuzzing (issue 7): hypothesis draws programs, random sequences of calls with random
argument types and values across usocket, network.LoRa and its sockets, network.Sigfox and
its sockets, on every board, in both time modes, and runs each one as a device script
(tests/python/fuzz_api_support.py). Nothing may crash or hang, and every failure must be
an exception the device raises: TypeError, ValueError, AttributeError, OverflowError,
TimeoutError('timed out'), or the device's OSError with one of its errno values or
messages. CI runs a bounded, derandomized budget (the same programs every run); the long
run is fuzz/api_long_run.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

import fuzz_api_support as fz
import support

#: Programs per time mode in CI: about 30 calls each, so some 2,000 calls per run.
VIRTUAL_EXAMPLES = 60
REAL_EXAMPLES = 15

FUZZ_SETTINGS = dict(deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.filter_too_much])


@settings(max_examples=VIRTUAL_EXAMPLES, **FUZZ_SETTINGS)
@given(fz.programs(time="virtual"))
def test_random_call_sequences_in_virtual_time(program):
    support.arm_watchdog()  # per program: the test as a whole runs longer
    fz.check(fz.run_program(program))


@settings(max_examples=REAL_EXAMPLES, **FUZZ_SETTINGS)
@given(fz.programs(time="real", max_calls=12))
def test_random_call_sequences_in_real_time(program):
    support.arm_watchdog()
    fz.check(fz.run_program(program))


# --- the checker itself: it must see what it is there to see ------------------------------

def _program(*calls, board="LoPy4", lora="LORAWAN", sigfox=0, time="virtual"):
    return fz.Program(time, board, False, lora, "EU868", sigfox, 1, tuple(calls))


def test_a_plain_program_runs_every_call_and_cleans_up():
    program = _program(("lsock", "send", [fz.V(b"hi")], []),
                       ("lora", "sf", [fz.V(13)], []),
                       ("fsock", "setsockopt", [fz.usock_const("SOL_SIGFOX"), fz.usock_const("SO_TX_REPEAT"),
                                                fz.V(3)], []),
                       ("tcp", "connect", [fz.T(fz.V("127.0.0.1"), ["port"])], []),
                       ("lora", "no_such_method", [], []))
    result = fz.run_program(program)
    assert fz.problems(result) == []
    assert result.done and result.open_sockets == 0
    keys = [o.key() for o in result.outcomes]
    # A LoRaWAN send before a join: ENETDOWN; sf(13) is out of range; SO_TX_REPEAT takes 0..2
    # (else EOPNOTSUPP, pycom-api.md 5.3);
    # nothing listens on the port (lwIP: ECONNRESET, pycom-api.md 2.5); no such method.
    assert keys == ["OSError errno=115", "ValueError", "OSError errno=95", "OSError errno=104", "AttributeError"]
    assert result.tail == ["after close tcp E OSError errno=9", "after close udp E OSError errno=9",
                           "after close lsock E OSError errno=9", "after close fsock E OSError errno=9"]


@pytest.mark.parametrize(("exception", "detail", "bad"), [
    ("ConnectionRefusedError", "errno=111", True),   # a host subclass leaked through
    ("OSError", "errno=61", True),                   # not an errno of the device's table
    ("OSError", "msg='[Errno 2] no such file'", True),
    ("OSError", "args=(111, 'refused')", True),      # the host's two-argument form
    ("TimeoutError", "args=()", True),
    ("RuntimeError", "", True),
    ("OSError", "errno=111", False),
    ("OSError", "msg='the requested operation failed'", False),
    ("TimeoutError", "args=('timed out',)", False),
    ("OverflowError", "", False),
])
def test_the_checker_refuses_what_a_device_never_raises(exception, detail, bad):
    program = _program(("tcp", "recv", [fz.V(1)], []))
    result = fz.Result(program, "", None, "done", [fz.Outcome("E", exception, detail)], True, [], 0, None)
    assert bool(fz.problems(result)) is bad


def test_the_checker_reports_a_hang_a_death_and_a_leak():
    program = _program(("tcp", "recv", [fz.V(1)], []), ("lora", "join", [], []))
    hung = fz.Result(program, "", None, "until", [fz.Outcome("pending"), None], False, [], 0, None)
    assert any("hang" in p for p in fz.problems(hung))
    joining = fz.Result(program, "", None, "until", [fz.Outcome("ok"), fz.Outcome("pending")], False, [], 0, None)
    assert fz.problems(joining) == []  # join() may outlast the budget: the firmware says so
    died = fz.Result(program, "", RuntimeError("boom"), "done", [fz.Outcome("ok"), fz.Outcome("ok")], True, [], 0,
                     None)
    assert any("device died" in p for p in fz.problems(died))
    leaked = fz.Result(program, "", None, "done", [fz.Outcome("ok"), fz.Outcome("ok")], True, [], 2, None)
    assert any("still open" in p for p in fz.problems(leaked))
