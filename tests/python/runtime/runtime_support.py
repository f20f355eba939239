"""Helpers for the runtime tests: run device scripts in a virtual-time world."""

import os
import textwrap

from usocket_emu import World

#: NTP answers this at emulated time 0 in these tests (2023-11-14T22:13:20Z).
NTP_EPOCH_S = 1_700_000_000


def write_tree(root, files):
    """Writes {relative path: text} under root; returns root."""
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text) if not text.startswith("\t") else text)
    return root


def run_script(script, until_s=None, seed=1, **device):
    """Runs one device script; returns (device, output, events) after closing the world."""
    with World(time="virtual", seed=seed, ntp_epoch_s=NTP_EPOCH_S) as world:
        dev = world.add_device("d", script=textwrap.dedent(script), **device)
        world.run(until_s=until_s)
        return dev, dev.output, world.events()
