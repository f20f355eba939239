"""AF_LORA sockets are the firmware's raw socket type: only its methods exist (spec 2.3)."""

from runtime_support import run_script

SCRIPT = """
from network import LoRa
import socket
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
for name in ('close', 'bind', 'send', 'recv', 'sendto', 'recvfrom', 'setsockopt', 'settimeout', 'setblocking'):
    getattr(s, name)
for name in ('listen', 'accept', 'connect', 'sendall', 'makefile', 'fileno', 'do_handshake', 'read',
             'readinto', 'readline', 'write', 'readall'):
    try:
        getattr(s, name)
        print(name, 'exists')
    except AttributeError as e:
        print(e)
print(isinstance(s, socket.socket), type(s).__name__)
"""


def test_a_lora_socket_has_only_the_raw_socket_methods():
    _dev, output, _events = run_script(SCRIPT)
    lines = output.splitlines()
    assert lines[:-1] == [f"'socket' object has no attribute '{name}'" for name in (
        "listen", "accept", "connect", "sendall", "makefile", "fileno", "do_handshake", "read", "readinto",
        "readline", "write", "readall")]
    assert lines[-1] == "False socket"


def test_with_works_in_the_default_profile_and_not_in_the_strict_one():
    script = """
from network import LoRa
import socket
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
try:
    with socket.socket(socket.AF_LORA, socket.SOCK_RAW) as s:
        print('in with')
    print(s.send(b'x'))
except Exception as e:
    print(type(e).__name__, e.args)
"""
    _dev, output, _ = run_script(script)
    assert output.splitlines() == ["in with", "OSError (9,)"]
    _dev, output, _ = run_script(script, strict_firmware=True)
    assert output.splitlines() == ["AttributeError (\"'socket' object has no attribute '__exit__'\",)"]


def test_a_socket_follows_the_radio_after_a_re_init():
    # The firmware's sockets share the module-level LoRa state: after init(region=US915), a
    # socket made under EU868 checks SO_DR against US915's range, and sends with the new
    # settings.
    script = """
from network import LoRa
import socket
lora = LoRa(mode=LoRa.LORA, region=LoRa.EU868)
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
s.setsockopt(socket.SOL_LORA, socket.SO_DR, 6)
lora.init(mode=LoRa.LORA, region=LoRa.US915, sf=9)
try:
    s.setsockopt(socket.SOL_LORA, socket.SO_DR, 5)
except OSError as e:
    print('SO_DR 5', e.args)
s.send(b'x')
print(lora.stats().sftx, lora.stats().tx_frequency)
"""
    _dev, output, events = run_script(script)
    assert output.splitlines() == ["SO_DR 5 (95,)", "9 915000000"]
    assert [e["sf"] for e in events if e["event"] == "lora_tx"] == [9]
