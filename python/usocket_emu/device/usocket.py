"""usocket / socket: the device's sockets over its own network stack."""

from .._usocket import make_usocket


def build(dev):
    return make_usocket(dev.board, dev.strict_firmware, stack=dev.stack)
