"""The host side of the class C example: builds the world of lorawan_class_c.toml, tells
its network that the valve is a class C device (as a network server's device profile
would), and sends it commands long after its only uplink: open 50 % at 2 minutes, close
at 5 minutes. Run: python examples/python/lorawan_class_c/control_room.py"""

import pathlib
import sys

from usocket_emu import World
from usocket_emu._scenario import load_scenario

HERE = pathlib.Path(__file__).resolve().parent


def main(output=sys.stdout):
    scenario = load_scenario(HERE / "lorawan_class_c.toml")
    spec = scenario.world
    with World(time=spec.time, seed=spec.seed, ntp_epoch_s=spec.ntp_epoch_s, radio=scenario.radio,
               network=scenario.network, output=output) as world:
        for gateway in scenario.gateways:
            gateway.add_to(world)
        valve = scenario.devices[0].add_to(world)
        network = world.network("EU868")
        network.set_class_c(valve)
        for at_s, command in ((120, b"\x32"), (300, b"\x00")):
            world.run(until_s=at_s)
            print(f"control room: command {command.hex()} queued at {world.now_s:.0f} s", file=output)
            network.queue_downlink(valve, 7, command)
        world.run(until_s=spec.until_s)
        for d in network.downlinks(valve, join_accepts=False):
            print(f"control room: {d.payload.hex()} went out at {d.t_s:.3f} s, {d.window} "
                  f"({d.frequency_hz} Hz, DR{d.dr})", file=output)
        print(f"control room: the valve sent {len(network.uplinks(valve))} uplink in all", file=output)


if __name__ == "__main__":
    main()
