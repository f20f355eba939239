"""gc (MicroPython 1.11 py/modgc.c, as in Pycom firmware 1.20.2).

collect, enable, disable, isenabled, mem_free, mem_alloc and threshold. The heap numbers are
the firmware's after boot, per board; the emulator cannot measure a script's allocations, so
they stay at their after-boot values.
"""

import gc as _host_gc
import types

from ._args import check_at_most, int32

__all__ = ["build", "heap_total_bytes", "BOOT_ALLOCATED_BYTES"]

# The MicroPython heap (esp32/mptask.c, TASK_Micropython): malloc'ed at boot, its size chosen
# by the ESP32 revision. Revision 1 chips, the ones with 4 MB PSRAM (LoPy4, FiPy, GPy), get
# GC_POOL_SIZE_BYTES_PSRAM = (2048 + 512) * 1024; revision 0 chips (LoPy, SiPy, WiPy 2.0)
# get GC_POOL_SIZE_BYTES = 67 * 1024.
GC_POOL_SIZE_BYTES = 67 * 1024
GC_POOL_SIZE_BYTES_PSRAM = (2048 + 512) * 1024

#: Boards with a revision 0 ESP32 and no PSRAM; the others (LoPy4, FiPy, GPy) have both.
NO_PSRAM_BOARDS = frozenset({"LoPy", "SiPy", "WiPy"})

# gc_init (py/gc.c, with MICROPY_ENABLE_FINALISER as Pycom builds it) carves the pool into an
# allocation table (2 bits per block), a finaliser table (1 bit per block) and 16-byte blocks
# (MICROPY_BYTES_PER_GC_BLOCK = 4 words). gc.mem_free() + gc.mem_alloc() is the block area.
_BYTES_PER_BLOCK = 16
_BLOCKS_PER_ATB = 4
_BLOCKS_PER_FTB = 8

#: What the firmware has allocated once boot.py may run (sys.path, the /flash mount, the
#: frozen _boot.py and _main.py, the network objects). An estimate: not measured on a device.
BOOT_ALLOCATED_BYTES = 8 * 1024


def _block_area(pool_bytes):
    atb_bytes = pool_bytes * 8 // (8 + 8 * _BLOCKS_PER_ATB // _BLOCKS_PER_FTB + 8 * _BLOCKS_PER_ATB * _BYTES_PER_BLOCK)
    return atb_bytes * _BLOCKS_PER_ATB * _BYTES_PER_BLOCK


def heap_total_bytes(board):
    """The GC heap's block area in bytes (gc_info's total) on a board; others count as LoPy4."""
    psram = board not in NO_PSRAM_BOARDS
    return _block_area(GC_POOL_SIZE_BYTES_PSRAM if psram else GC_POOL_SIZE_BYTES)


def build(dev):
    """The gc module of one device boot."""
    total = heap_total_bytes(getattr(dev, "board", None))
    state = {"enabled": True, "threshold_blocks": None}  # threshold None: disabled (-1)

    def collect():
        """collect(): run a garbage collection (the host's)."""
        _host_gc.collect()

    def enable():
        """enable(): automatic collection on."""
        state["enabled"] = True

    def disable():
        """disable(): automatic collection off (the emulator's heap does not run out)."""
        state["enabled"] = False

    def isenabled():
        return state["enabled"]

    def mem_free():
        """Bytes of heap free (after-boot value)."""
        return total - BOOT_ALLOCATED_BYTES

    def mem_alloc():
        """Bytes of heap allocated (after-boot value)."""
        return BOOT_ALLOCATED_BYTES

    def threshold(*amount):
        """threshold([amount]): get or set the allocation threshold; kept in 16-byte blocks,
        so it reads back rounded down; negative disables it (-1)."""
        check_at_most(amount, 1)
        if not amount:
            blocks = state["threshold_blocks"]
            return -1 if blocks is None else blocks * _BYTES_PER_BLOCK
        value = int32(amount[0])
        state["threshold_blocks"] = None if value < 0 else value // _BYTES_PER_BLOCK
        return None

    module = types.ModuleType("gc", "MicroPython gc: control the garbage collector.")
    for function in (collect, disable, enable, isenabled, mem_free, mem_alloc, threshold):
        function.__module__ = "gc"
        function.__qualname__ = function.__name__
        module.__dict__[function.__name__] = function
    return module
