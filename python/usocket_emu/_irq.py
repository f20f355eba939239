"""A device's IRQ thread: where callbacks and Timer.Alarm handlers run (spec §1.3).

The firmware queues handlers (queue of 32) to one "IRQs" task that runs them one by one,
concurrently with the main script. A handler that raises (anything but SystemExit) prints
``Unhandled exception in callback handler`` and a traceback, and the task exits: no further
callback of any kind runs until the device resets.
"""

import itertools
import threading

from . import _core
from .device._args import check_wait_us

__all__ = ["IrqThread"]

#: Depth of the firmware's IRQ queue (esp32/util/mpirq.c, xQueueCreate(32, ...)).
IRQ_QUEUE_DEPTH = 32


class IrqThread:
    """The IRQ task of one boot of one device; started on first use."""

    def __init__(self, dev):
        self._dev = dev
        self._mailbox = _core.Mailbox(dev.core, IRQ_QUEUE_DEPTH)
        self._handlers = {}  # token -> (callable, one_shot)
        self._timers = {}  # token -> the emulator timer of an alarm
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self._thread = None
        self.dead = False

    def _ensure_started(self):
        with self._lock:
            if self._thread is None:
                self._thread = self._dev.threads.start(self._loop, f"{self._dev.name}:IRQs")

    def schedule(self, handler, arg):
        """Queues ``handler(arg)``; False when the queue is full or the IRQ task died."""
        if self.dead:
            return False
        token = next(self._tokens)
        with self._lock:
            self._handlers[token] = (lambda: handler(arg), True)
        self._ensure_started()
        if not self._mailbox.post(token):
            with self._lock:
                self._handlers.pop(token, None)
            return False
        return True

    def register_source(self, callback):
        """A token that runs ``callback()`` on this thread each time C++ posts it into
        ``mailbox`` (a radio's events). Returns the token; unregister_source() forgets it."""
        token = next(self._tokens)
        with self._lock:
            self._handlers[token] = (callback, False)
        self._ensure_started()
        return token

    def unregister_source(self, token):
        with self._lock:
            self._handlers.pop(token, None)

    @property
    def mailbox(self):
        """The IRQ queue C++ event sources post their tokens into."""
        return self._mailbox

    def start_alarm(self, callback, delay_us, period_us):
        """Runs ``callback()`` on this thread after ``delay_us``, then every ``period_us`` if
        positive. Returns a handle for stop_alarm()."""
        delay_us, period_us = check_wait_us(delay_us), check_wait_us(period_us)
        token = next(self._tokens)
        with self._lock:
            self._handlers[token] = (callback, period_us <= 0)
        self._ensure_started()
        if self.dead:
            return (None, token)  # nothing would run it: no timer keeps the world busy
        timer = self._dev.core.start_timer(self._mailbox, delay_us, max(period_us, 0), token)
        with self._lock:
            self._timers[token] = timer
        return (timer, token)

    def stop_alarm(self, handle):
        _timer, token = handle
        with self._lock:
            self._handlers.pop(token, None)
            timer = self._timers.pop(token, None)
        if timer is not None:
            self._dev.core.stop_timer(timer)

    def _die(self):
        """The task has exited: every alarm's timer stops, so the device can go idle."""
        self.dead = True
        with self._lock:
            timers, self._timers = list(self._timers.values()), {}
            self._handlers.clear()
        for timer in timers:
            self._dev.core.stop_timer(timer)
        self._dev.log("irq_thread_died")

    def _loop(self):
        while True:
            token = self._mailbox.take()
            with self._lock:
                entry = self._handlers.get(token)
                if entry is not None and entry[1]:
                    del self._handlers[token]
                    self._timers.pop(token, None)
            if entry is None:
                continue  # a cancelled alarm's last tick
            if not self._dev.run_device_code(entry[0], in_callback=True):
                self._die()
                return
