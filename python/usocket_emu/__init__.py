"""usocket-emu: run unchanged Pycom MicroPython device scripts on desktop CPython.

``World`` runs device scripts (one isolated module namespace per device) in real or
virtual time.

``from usocket_emu import usocket`` gives the default device's ``usocket`` module (a LoPy4
with the default profile); ``make_usocket()`` builds the module of another device.
"""

import sys

from ._core import __version__
from ._network import Downlink, Join, Network, Uplink
from ._sigfox_network import SigfoxBackend, SigfoxMessage
from ._usocket import make_usocket
from ._world import World

__all__ = ["Downlink", "Join", "Network", "SigfoxBackend", "SigfoxMessage", "Uplink", "World", "__version__",
           "make_usocket", "usocket"]

#: The default device's usocket module (LoPy4, default profile).
usocket = make_usocket()
sys.modules[__name__ + ".usocket"] = usocket
