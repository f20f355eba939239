"""A device's console: what its scripts print, captured and optionally echoed."""

import threading

__all__ = ["Console", "HostPrinter"]


class HostPrinter:
    """Writes every device's console to one host stream, prefixing lines with the device's
    name when the world has several devices (``name | line``, like docker compose)."""

    def __init__(self, stream):
        self._stream = stream
        self._prefix_width = None  # None: no prefixes
        self._lock = threading.Lock()
        self._partial = {}  # device name -> text after its last newline

    def use_prefixes(self, width):
        """Prefixes every line with its device's name, padded to ``width``."""
        self._prefix_width = width

    def write(self, name, text):
        with self._lock:
            if self._prefix_width is None:
                self._stream.write(text)
                self._stream.flush()
                return
            pending = self._partial.pop(name, "") + text
            *lines, rest = pending.split("\n")
            for line in lines:
                self._stream.write(f"{name:<{self._prefix_width}} | {line}\n")
            if rest:
                self._partial[name] = rest
            self._stream.flush()

    def flush(self):
        """Writes what is left of unterminated lines."""
        with self._lock:
            if self._prefix_width is None:
                self._stream.flush()
                return
            for name, rest in self._partial.items():
                self._stream.write(f"{name:<{self._prefix_width}} | {rest}\n")
            self._partial.clear()
            self._stream.flush()


class Console:
    """A device's sys.stdout: a text stream whose output is kept and echoed."""

    encoding = "utf-8"

    def __init__(self, name, printer=None):
        self._name = name
        self._printer = printer
        self._chunks = []
        self._lock = threading.Lock()

    def write(self, text):
        if not isinstance(text, str):
            if isinstance(text, (bytes, bytearray, memoryview)):
                text = bytes(text).decode("utf-8", "replace")
            else:
                raise TypeError(f"object with buffer protocol required, not '{type(text).__name__}'")
        with self._lock:
            self._chunks.append(text)
        if self._printer is not None:
            self._printer.write(self._name, text)
        return len(text)

    def flush(self):
        pass

    def text(self):
        """Everything written so far."""
        with self._lock:
            joined = "".join(self._chunks)
            self._chunks = [joined]
            return joined
