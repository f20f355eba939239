"""``python -m usocket_emu``: the usocket-emu command (see usocket_emu.cli)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
