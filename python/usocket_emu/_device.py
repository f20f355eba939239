"""One emulated device: its flash, its persistent state, its threads and its boots.

A device's main thread boots it: boot.py then main.py run in a fresh module namespace; when
main.py ends the device idles (its IRQ thread and timers go on). ``machine.reset()``,
``machine.deepsleep()``, a watchdog or ``sys.exit()`` halt every thread of the device; the
main thread then waits the emulated delay and boots again, keeping what a real device keeps
(NVS, RTC, flash) and losing the rest.
"""

import builtins
import hashlib
import os
import posixpath
import random
import threading
import traceback
import types

from . import _core, _source
from ._console import Console
from ._errors import DeviceHalt
from ._importer import DeviceImporter
from ._irq import IrqThread
from ._state import DeviceState
from ._threads import ThreadSet
from .device._args import check_wait_us

__all__ = ["Device", "DeviceConfig"]

PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET, BROWN_OUT_RESET = range(6)
PWRON_WAKE, PIN_WAKE, RTC_WAKE, ULP_WAKE = range(4)

#: Emulated time from a reset or a deep-sleep wake-up to boot.py (a model figure: ROM,
#: bootloader and firmware start take about half a second on a LoPy4). Keeps a script that
#: resets itself at once from spinning without time passing.
REBOOT_TIME_US = 500_000

#: Where the device's filesystem is mounted (the firmware's /flash).
FLASH = "/flash"

class DeviceConfig:
    """The device's config block: the identities burnt into a real board."""

    def __init__(self, seed, name, wifi_mac=None, lpwan_mac=None, sigfox_id=None, sigfox_pac=None):
        digest = hashlib.sha256(f"usocket-emu/{seed}/{name}".encode()).digest()
        # 30:AE:A4 is Espressif's OUI; 70:B3:D5:49:9 is Pycom's LoRa MAC block.
        self.wifi_mac = bytes(wifi_mac) if wifi_mac is not None else b"\x30\xae\xa4" + digest[:3]
        self.lpwan_mac = (
            bytes(lpwan_mac) if lpwan_mac is not None else b"\x70\xb3\xd5\x49" + bytes([0x90 | (digest[3] & 0x0F)]) + digest[4:7]
        )
        if len(self.wifi_mac) != 6 or len(self.lpwan_mac) != 8:
            raise ValueError("wifi_mac must be 6 bytes and lpwan_mac 8 bytes")
        # Sigfox.id() and Sigfox.pac(): the same digest's next bytes, so the MACs stay as they were.
        self.sigfox_id = bytes(sigfox_id) if sigfox_id is not None else digest[7:11]
        self.sigfox_pac = bytes(sigfox_pac) if sigfox_pac is not None else digest[11:19]
        if len(self.sigfox_id) != 4 or len(self.sigfox_pac) != 8:
            raise ValueError("sigfox_id must be 4 bytes and sigfox_pac 8 bytes")

#: Boards whose LoRa and Sigfox share one SX1276 (pycom-api.md 1, 4.10).
SHARED_SX1276_BOARDS = ("LoPy4", "FiPy")


class Device:
    """A device of a World. Scripts see it through their modules; tests through this."""

    def __init__(self, world, name, flash_dir, source_paths, *, board, region, position_m,
                 strict_firmware, keys, config, state_dir):
        self.world = world
        self.core = world._core
        self.name = name
        self.board = board
        self.board_profile = _core.Stack(board).constants()  # validates the board name early
        self.region = region if "AF_LORA" in self.board_profile else None  # LoRa boards only
        self.position_m = tuple(float(v) for v in position_m)
        self.strict_firmware = bool(strict_firmware)
        self.keys = dict(keys or {})
        self.config = config
        self.flash_dir = flash_dir
        self._source_paths = source_paths  # host file in flash -> the user's original file
        self.device_id = self.core.add_device()
        self.state = DeviceState(state_dir)
        self.rng = random.Random(f"usocket-emu/{world.seed}/{name}")
        self.console = Console(name, world._printer)
        self.stdout = self.console
        self.threads = ThreadSet(self.core, self.device_id, self.strict_firmware)
        self.exit_exception = None  # the first exception that ended boot.py or main.py
        self.boots = 0
        self.reboots = 0
        self._boot_time_us = 0
        self._pending_reboot = None
        self._last_exception = None
        self._device_files = set()  # what tracebacks show
        self._lock = threading.Lock()
        self._main_thread = None
        self._lifecycle = None
        self._sleep_waker = None  # the mailbox a pin-wakeable deep sleep waits on
        #: Levels that something outside the device drives its pins to (drive_pin); the
        #: outside world keeps them over resets.
        self.pin_levels = {}
        #: The firmware's RTC_DATA_ATTR variables other than RTC memory (machine's expected
        #: wake-up time): kept over deep sleep and soft resets, cleared by other resets.
        self.rtc_slow = {}
        self._new_boot_namespace()

    # --- what tests read ------------------------------------------------------------

    @property
    def output(self):
        """Everything the device printed so far."""
        return self.console.text()

    @property
    def died(self):
        """True if boot.py or main.py ended with an uncaught exception."""
        return self.exit_exception is not None

    def __repr__(self):
        return f"<Device {self.name!r} {self.board} boots={self.boots}>"

    # --- time -----------------------------------------------------------------------

    def now_us(self):
        return self.core.now_us()

    def uptime_us(self):
        """Emulated time since this boot."""
        return self.core.now_us() - self._boot_time_us

    def rtc_us(self):
        """The RTC: microseconds since 1970 (it starts at 0 on a cold boot)."""
        now = self.core.now_us()
        if self.state.rtc_offset_us is None:
            self.state.rtc_offset_us = -now
        return self.state.rtc_offset_us + now

    def set_rtc_us(self, epoch_us):
        self.state.rtc_offset_us = int(epoch_us) - self.core.now_us()

    def sleep_us(self, duration_us):
        """An emulator wait of the calling device thread; DeviceHalt if the device resets."""
        self.core.sleep_for(check_wait_us(duration_us))

    # --- the filesystem ---------------------------------------------------------------

    def resolve_path(self, path):
        """A device path made absolute against the device's current directory."""
        return posixpath.normpath(posixpath.join(self.cwd, path)) if path else self.cwd

    def host_path(self, device_path, must_exist=False):
        """The host path of an absolute device path, or None outside /flash."""
        path = posixpath.normpath(device_path)
        if path == FLASH:
            host = self.flash_dir
        elif path.startswith(FLASH + "/"):
            host = os.path.join(self.flash_dir, *path[len(FLASH) + 1:].split("/"))
        else:
            return None
        if must_exist and not os.path.exists(host):
            return None
        return host

    def compile_file(self, host_file):
        """Compiles a device source file; tracebacks name the user's own file."""
        with open(host_file, "rb") as f:
            source = f.read().decode("utf-8", "replace")
        filename = self._source_paths.get(host_file) or self._device_path_of(host_file)
        self._device_files.add(filename)
        return _source.compile_device_source(source, filename)

    def _device_path_of(self, host_file):
        rel = os.path.relpath(host_file, self.flash_dir)
        return FLASH + "/" + rel.replace(os.sep, "/")

    def sys_path(self):
        return self._sys_path

    # --- output -------------------------------------------------------------------------

    def print_exception(self, exc, file=None):
        """Prints ``exc`` with a traceback of the device's own frames only."""
        stream = self.console if file is None else file
        te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
        _keep_device_frames(te, self._device_files)
        stream.write("".join(te.format()))

    def log(self, event, **fields):
        self.core.log(event, self.name, fields)

    # --- threads and callbacks --------------------------------------------------------

    def run_device_code(self, function, *, in_callback=False, thread_function=None):
        """Runs device code on the calling device thread. False if it raised: the exception
        was printed as the firmware prints it. DeviceHalt goes through."""
        self.threads.enter_device_code()
        try:
            function()
            return True
        except (DeviceHalt, SystemExit) as exc:
            if isinstance(exc, DeviceHalt) or not in_callback:
                raise
            return True  # SystemExit in a handler is ignored, as on the device
        except BaseException as exc:  # noqa: BLE001 - device code may raise anything
            self._last_exception = exc
            if in_callback:
                self.console.write("Unhandled exception in callback handler\n")
            elif thread_function is not None:
                self.console.write(f"Unhandled exception in thread started by {thread_function!r}\n")
            self.print_exception(exc)
            return False
        finally:
            self.threads.leave_device_code()

    def start_thread(self, function, args, kwargs):
        """_thread.start_new_thread: ``function(*args, **kwargs)`` on a new device thread."""
        def body():
            try:
                self.run_device_code(lambda: function(*args, **kwargs), thread_function=function)
            except SystemExit:
                pass  # _thread.exit()
        thread = self.threads.start(body, f"{self.name}:thread")
        return thread.ident

    def new_lock(self):
        """A lock whose waits are emulator waits (a mailbox holding one token)."""
        box = _core.Mailbox(self.core, 1)
        box.post(1)
        return box

    # --- pins -------------------------------------------------------------------------

    def drive_pin(self, pin, level):
        """Drives pin ``pin`` ('P10', or its expansion-board name 'G17') from outside the
        device, as a button or a sensor would; ``None`` stops driving it. An input pin then
        reads ``level``, its callback runs on the IRQ thread for the edge this makes, and a
        sleeping device that machine.pin_sleep_wakeup() armed on this pin wakes up."""
        from .device.machine import pin_name  # the board's pin map
        name = pin_name(self.board, pin)
        with self._lock:
            if level is None:
                self.pin_levels.pop(name, None)
            else:
                self.pin_levels[name] = 1 if level else 0
            listener, waker = self.pin_listener, self._sleep_waker
        if listener is not None:
            listener(name)
        if waker is not None:
            waker.post(1)

    # --- resets -----------------------------------------------------------------------

    def reboot(self, reset_cause, wake_reason=(PWRON_WAKE, None), delay_us=0, wake_check=None):
        """Resets the device: halts all its threads (this one included; never returns) and
        boots it again after ``delay_us`` plus REBOOT_TIME_US of emulated time.

        A deep sleep that pins can end passes ``wake_check()`` -> the names of the pins that
        wake the device now, or None; it is asked when the sleep starts and whenever
        drive_pin() changes a level, and a pin wake-up boots with (PIN_WAKE, names).
        ``delay_us=None``: no timer; the device sleeps until a pin wakes it (for ever if none
        does: it just idles, so World.run() can end)."""
        with self._lock:
            if self._pending_reboot is None:
                delay = None if delay_us is None else int(delay_us)
                if delay is None and wake_check is None:
                    wake_check = _no_pin_wakes
                self._pending_reboot = (reset_cause, wake_reason, delay, wake_check)
        self.core.halt_device(self.device_id)
        main = self._main_thread
        if main is not None and main is not threading.current_thread():
            self.threads.interrupt(main)
        raise DeviceHalt

    # --- boots ----------------------------------------------------------------------------

    def _new_boot_namespace(self):
        """What a boot starts from: RAM is wiped, so every module is built anew."""
        self.cwd = FLASH
        self.main_script = "main.py"  # machine.main() in boot.py picks another
        self._sys_path = ["", FLASH, FLASH + "/lib"]
        self.modules = {}
        self.importer = DeviceImporter(self)
        self.builtins = dict(vars(builtins))
        self.builtins.update(
            {
                "__import__": self.importer,
                "print": self._print,
                "open": self._open,
                "input": self._input,
                "const": _const,
                _source.CONTAINS_HELPER: _source.contains,
            }
        )
        self.irq = IrqThread(self)
        self.stack = _core.Stack(self.board, self.strict_firmware)
        self.stack.attach_to_device(self.core, self.device_id)
        self.stack.ip_interface_up = self.state.settings.get("wifi_on_boot", True)
        self._lifecycle = _core.Mailbox(self.core, 1)
        self.pin_listener = None  # machine's pins of this boot: pin_listener(name) on drive_pin()
        self.reset_hooks = []  # run when this boot ends in a reset (machine stops its alarms)
        # LoPy4/FiPy: "lora" / "sigfox" -> takes the one SX1276 away from that user, for the
        # other one's init (network.LoRa and network.Sigfox share it).
        self.lpwan_users = {}
        # ... and take turns on it for each transmission: a LoRaWAN cycle, a raw LoRa frame,
        # a Sigfox message (pycom-api.md 4.10). A reset gives the next boot a fresh chip.
        self.sx1276 = _core.RadioMutex(self.core) if self.board in SHARED_SX1276_BOARDS else None

    def discard_namespace(self):
        """Forgets this boot's modules as a reset wipes RAM. Module globals hold reference
        cycles (functions point back at them), so they are cleared explicitly: sockets kept
        in globals close now, as a reset closes them, not at some later garbage collection."""
        modules = list(self.modules.values()) + list(self.importer.built_modules())
        self.modules.clear()
        for module in modules:
            module.__dict__.clear()

    def _print(self, *args, sep=" ", end="\n", file=None, flush=False):  # noqa: ARG002
        stream = self.console if file is None else file
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        stream.write(sep.join(str(a) for a in args) + end)

    def _open(self, *args, **kwargs):
        return self.importer.import_module("uos")._open(*args, **kwargs)

    def _input(self, prompt=""):
        self.console.write(str(prompt))
        raise EOFError  # the emulated console has no keyboard

    def start(self):
        """Starts the device's main thread (boot.py, main.py); called by World.run."""
        self._main_thread = self.threads.start(self._main, f"{self.name}:main")

    def _main(self):
        try:
            self._boot_loop()
        except Exception as exc:  # noqa: BLE001 - an emulator bug must not pass silently
            self.console.write(f"usocket-emu: internal error in device {self.name!r}:\n")
            self.console.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            if self.exit_exception is None:
                self.exit_exception = exc
            self.log("crash", script="<emulator>", exception=type(exc).__name__)

    def _boot_loop(self):
        while True:
            self._boot()
            with self._lock:
                pending, self._pending_reboot = self._pending_reboot, None
            if pending is None:
                return  # the world stopped
            stuck = self.threads.stop_others()
            if stuck:
                self.log("threads_stuck", count=len(stuck))
            self.core.resume_device(self.device_id)
            if self.core.device_halted(self.device_id):
                return  # the whole world halted meanwhile
            cause, wake, delay_us, wake_check = pending
            for hook in self.reset_hooks:
                hook()
            if cause == SOFT_RESET:
                wake = self.state.wake_reason  # mpsleep_init0() runs on hard boots only
            elif cause != DEEPSLEEP_RESET:
                # mptask.c: rtc_init0() unless waking from deep sleep; the bootloader reloads
                # RTC slow memory (RTC_DATA_ATTR) on every other hard reset
                self.state.rtc_offset_us = None
                self.state.rtc_memory = b""
                self.rtc_slow.clear()
            if cause != SOFT_RESET:
                self.state.rtc_synced = False  # machrtc.c keeps it in RAM
            self.reboots += 1
            self.log("reset", reset_cause=cause, wake_reason=wake[0], delay_us=-1 if delay_us is None else delay_us)
            self.discard_namespace()
            self._new_boot_namespace()
            if wake_check is not None:
                wake = self._sleep_until_woken(wake, delay_us, wake_check)
                delay_us = 0
            self.state.reset_cause = cause
            self.state.wake_reason = wake
            self.core.sleep_for(delay_us + self.world.reboot_time_us)

    def _sleep_until_woken(self, wake, delay_us, wake_check):
        """Deep sleep until the timer (``delay_us``, None: none) or a pin wakes the device."""
        box = _core.Mailbox(self.core, 1)
        deadline = None if delay_us is None else self.core.now_us() + delay_us
        with self._lock:
            self._sleep_waker = box
        try:
            while True:
                pins = wake_check()
                if pins:
                    return (PIN_WAKE, list(pins))
                if box.take(deadline) is None:
                    return wake
        finally:
            with self._lock:
                self._sleep_waker = None

    def _boot(self):
        self.boots += 1
        self._boot_time_us = self.core.now_us()
        self.rtc_us()  # a cold boot starts the RTC at 1970
        self.log("boot", boot=self.boots, reset_cause=self.state.reset_cause,
                 wake_reason=self.state.wake_reason[0])
        try:
            self._apply_boot_settings()
            self._run_script("boot.py")
            self._run_script(self.main_script)
            self.log("main_end", died=self.died)
            self._lifecycle.take()  # the REPL: nothing more runs on this thread
        except DeviceHalt:
            pass
        self.state.save()

    def _apply_boot_settings(self):
        """What the firmware's start (mptask.c) does with the pycom settings before boot.py,
        whether or not a script imports the modules involved."""
        from .device.pycom import setting
        if self.stack.ip_interface_up:
            self.importer.builtin_module("network")  # mptask_config_wifi
        if setting(self, "wdt_on_boot"):
            self.importer.builtin_module("machine").WDT(0, setting(self, "wdt_on_boot_timeout"))

    def _run_script(self, script):
        """Runs a /flash script as __main__; sys.exit() in it is a soft reset."""
        host_file = self.host_path(self.resolve_path(script))
        if host_file is None or not os.path.isfile(host_file):
            return
        # pyexec runs boot.py and main.py in the same globals (the __main__ module of this
        # boot), so what boot.py defines main.py sees, as on the device.
        module = self.modules.get("__main__")
        if module is None:
            module = types.ModuleType("__main__")
            module.__dict__["__builtins__"] = self.builtins
            self.modules["__main__"] = module
        module.__file__ = script
        try:
            ok = self.run_device_code(lambda: exec(self.compile_file(host_file), module.__dict__))  # noqa: S102
        except SystemExit:
            # sys.exit() in boot.py or main.py: the firmware's PYEXEC_FORCED_EXIT, a soft reset
            self.reboot(SOFT_RESET)
        if not ok and self.exit_exception is None:
            self.exit_exception = self._last_exception
            self.log("crash", script=script, exception=type(self.exit_exception).__name__)


def _no_pin_wakes():
    return None


def _const(value):
    """micropython.const, which MicroPython's compiler also knows without an import."""
    return value


def _keep_device_frames(te, device_files):
    """Tracebacks show the script's own frames, never the emulator's or the host's."""
    seen = set()
    while te is not None and id(te) not in seen:
        seen.add(id(te))
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename in device_files])
        te = te.__cause__ or te.__context__
