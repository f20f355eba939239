"""micropython (MicroPython 1.11 py/modmicropython.c with Pycom firmware 1.20.2's configuration).

const, opt_level, mem_info, qstr_info, stack_use, heap_lock, heap_unlock, kbd_intr and
alloc_emergency_exception_buf: what esp32/mpconfigport.h enables (MICROPY_PY_MICROPYTHON_MEM_INFO,
MICROPY_STACK_CHECK, MICROPY_KBD_EXCEPTION, MICROPY_ENABLE_EMERGENCY_EXCEPTION_BUF with a size
of 0; not MICROPY_MEM_STATS, so no mem_total/mem_current/mem_peak). ``schedule`` is added by
the device runtime.

The numbers mem_info, qstr_info and stack_use print are the firmware's after boot, per board;
heap_lock does not make allocations fail (the host's heap cannot be locked).
"""

import sys
import types

from . import gc as _gc
from ._args import check_int, int32

__all__ = ["build"]

# esp32/mptask.h: the MicroPython task's stack, 8 KB (12 KB on PSRAM boards); TASK_Micropython
# sets mp_stack_set_limit(stack - 1024), which mem_info prints as "out of".
_STACK_BYTES = 8 * 1024
_STACK_BYTES_PSRAM = 12 * 1024
_STACK_MARGIN = 1024

#: Stack use of a call from a script's top level (an estimate, not measured on a device).
_STACK_USE = 736

# qstr_info after boot: the frozen pools (the firmware's own names) plus the pool the boot
# scripts add. Estimates in the shape py/qstr.c prints; not measured on a device.
_QSTR_POOLS = 5
_QSTR_COUNT = 96
_QSTR_DATA_BYTES = 1024
_QSTR_TOTAL_BYTES = 2464

# gc_dump_info's block statistics after boot (estimates; the totals come from gc.py).
_ONE_BLOCKS = 120
_TWO_BLOCKS = 42
_MAX_BLOCK = 64


def _console(dev):
    stdout = getattr(dev, "stdout", None)
    return stdout if stdout is not None else sys.stdout


def build(dev):
    """The micropython module of one device boot."""
    board = getattr(dev, "board", None)
    psram = board not in _gc.NO_PSRAM_BOARDS
    stack_limit = (_STACK_BYTES_PSRAM if psram else _STACK_BYTES) - _STACK_MARGIN
    heap_total = _gc.heap_total_bytes(board)
    state = {"opt_level": 0, "heap_locks": 0, "interrupt_char": 3, "emergency_buf": 0}

    def const(value, /):
        """const(expr): the value itself (the compiler folds it on the device)."""
        return value

    def opt_level(*level):
        """opt_level([level]): get or set the compiler's optimisation level (recorded only)."""
        if len(level) > 1:
            raise TypeError(f"function expected at most 1 arguments, got {len(level)}")
        if not level:
            return state["opt_level"]
        state["opt_level"] = int32(level[0])
        return None

    def mem_info(*verbose):
        """mem_info([verbose]): prints stack and heap use; with an argument also the heap map."""
        if len(verbose) > 1:
            raise TypeError(f"function expected at most 1 arguments, got {len(verbose)}")
        used = _gc.BOOT_ALLOCATED_BYTES
        free = heap_total - used
        out = _console(dev)
        out.write(f"stack: {_STACK_USE} out of {stack_limit}\n")
        out.write(f"GC: total: {heap_total}, used: {used}, free: {free}\n")
        out.write(
            f" No. of 1-blocks: {_ONE_BLOCKS}, 2-blocks: {_TWO_BLOCKS}, "
            f"max blk sz: {_MAX_BLOCK}, max free sz: {free // 16}\n"
        )
        if verbose:
            out.write("GC memory layout; from 3f800f50:\n")
        return None

    def qstr_info(*verbose):
        """qstr_info([verbose]): prints the interned strings' pool statistics."""
        if len(verbose) > 1:
            raise TypeError(f"function expected at most 1 arguments, got {len(verbose)}")
        _console(dev).write(
            f"qstr pool: n_pool={_QSTR_POOLS}, n_qstr={_QSTR_COUNT}, "
            f"n_str_data_bytes={_QSTR_DATA_BYTES}, n_total_bytes={_QSTR_TOTAL_BYTES}\n"
        )
        return None

    def stack_use():
        """stack_use() -> bytes of C stack in use."""
        return _STACK_USE

    def heap_lock():
        """heap_lock(): on the device, allocations then raise MemoryError; recorded only."""
        state["heap_locks"] += 1

    def heap_unlock():
        """heap_unlock(): undoes one heap_lock()."""
        state["heap_locks"] = max(0, state["heap_locks"] - 1)

    def kbd_intr(chr_code, /):
        """kbd_intr(chr): the character that raises KeyboardInterrupt (-1 disables it)."""
        state["interrupt_char"] = int32(chr_code)

    def alloc_emergency_exception_buf(size, /):
        """alloc_emergency_exception_buf(size): reserves memory for exceptions raised in IRQs."""
        state["emergency_buf"] = check_int(size)

    module = types.ModuleType("micropython", "MicroPython internals: const, memory and stack info.")
    for function in (
        const,
        opt_level,
        mem_info,
        qstr_info,
        stack_use,
        alloc_emergency_exception_buf,
        heap_lock,
        heap_unlock,
        kbd_intr,
    ):
        function.__module__ = "micropython"
        function.__qualname__ = function.__name__
        module.__dict__[function.__name__] = function
    return module
