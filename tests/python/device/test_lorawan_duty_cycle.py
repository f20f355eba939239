"""World(duty_cycle=True): LoRaWAN MACs keep the EU868 sub-band limits the firmware leaves off."""

from runtime_support import NTP_EPOCH_S

from usocket_emu import World

SCRIPT = """
from network import LoRa
import socket, time, struct, ubinascii
lora = LoRa(mode=LoRa.LORAWAN, region=LoRa.EU868)
lora.join(activation=LoRa.ABP, auth=(0x26011BDA, bytes(16), bytes(16)))
s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
for i in range(3):
    s.send(bytes(10))
print(time.ticks_ms())
"""


def run(duty_cycle):
    with World(time="virtual", seed=2, ntp_epoch_s=NTP_EPOCH_S, duty_cycle=duty_cycle) as world:
        dev = world.add_device("node", script=SCRIPT)
        world.run(until_s=120)
        waits = [e for e in world.events() if e["event"] == "lorawan_duty_cycle_wait"]
        uplinks = world.network("EU868").uplinks()
        return int(dev.output.split()[-1]), waits, uplinks, dev


def test_duty_cycle_is_off_by_default_and_enforced_on_request():
    free_ms, free_waits, free_uplinks, dev = run(False)
    assert dev.exit_exception is None, dev.output
    limited_ms, limited_waits, limited_uplinks, dev = run(True)
    assert dev.exit_exception is None, dev.output
    assert free_waits == [] and len(free_uplinks) == 3
    # Three blocking sends of about 2.3 s each back to back, without limits...
    assert free_ms < 3 * 2400
    # ...but 1 % of the time on a g1 channel with them: each wait is logged.
    assert len(limited_waits) >= 1 and len(limited_uplinks) == 3
    assert limited_ms > free_ms
    first, second = limited_uplinks[0], limited_uplinks[1]
    assert second.t_s - first.t_s >= 4.0  # a 56 ms frame keeps a 1 % sub-band off ~5.6 s


def test_a_scenario_turns_it_on(tmp_path, capsys):
    from usocket_emu import cli

    (tmp_path / "main.py").write_text(SCRIPT)
    (tmp_path / "s.toml").write_text('[world]\ntime = "virtual"\nduty_cycle = true\n'
                                     '[[device]]\nname = "node"\ntarget = "main.py"\n')
    assert cli.main(["run", str(tmp_path / "s.toml")]) == 0
    out = capsys.readouterr().out
    assert int(out.splitlines()[0]) > 3 * 2400
