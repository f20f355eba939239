"""The argument rules of LoRa.join(), add_channel() and remove_channel() (pycom-api.md 4.4,
4.5), as modlora.c checks them, apart from the MAC that carries them out."""

from ._args import int32, read_buffer

__all__ = ["JoinRequest", "check_channel_index", "check_channel_drs", "parse_join"]

OTAA, ABP = 0, 1
AS923, AU915, CN470, EU433, EU868, IN865, US915 = 0, 1, 2, 4, 5, 7, 8

#: join(dr=None): the data rate each region joins at (modlora.c lora_join).
DEFAULT_JOIN_DR = {AS923: 2, AU915: 6, US915: 4, EU868: 5, EU433: 5, CN470: 5, IN865: 5}
#: The join data rates each region accepts; IN865 checks none (absent here).
ALLOWED_JOIN_DRS = {AS923: {2}, AU915: {0, 6}, US915: {0, 4}, EU868: set(range(6)),
                    EU433: set(range(6)), CN470: set(range(6))}
#: add_channel/remove_channel: the index must be below this (EU433 is not checked).
MAX_CHANNELS = {EU868: 16, AS923: 16, IN865: 16, US915: 72, AU915: 72, CN470: 96}
#: The DRs add_channel accepts per region (the SO_DR range: 0..4 in US915, else 0..6).
MAX_CHANNEL_DR = {US915: 4}

#: Key sizes the firmware copies out of the auth buffers, whatever their length.
EUI_SIZE, KEY_SIZE = 8, 16


class JoinRequest:
    """What join() asks of the MAC, its arguments checked."""

    __slots__ = ("activation", "dev_eui", "app_eui", "app_key", "dev_addr", "nwk_s_key", "app_s_key",
                 "dr", "timeout_ms", "short_keys")

    def __init__(self):
        self.dev_eui = self.app_eui = self.app_key = None
        self.dev_addr = self.nwk_s_key = self.app_s_key = None
        self.short_keys = []  # names of auth buffers shorter than the firmware reads


def _fixed(buffer, size, name, request):
    """The firmware memcpy()s `size` bytes without a length check: a shorter buffer reads
    what follows it in RAM. We read zeros instead, and note it (the world logs it)."""
    data = read_buffer(buffer)
    if len(data) < size:
        request.short_keys.append(name)
    return (data + bytes(size))[:size]


def _sequence(value, length):
    """mp_obj_get_array_fixed_n: a tuple or list of exactly `length` items."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"object '{type(value).__name__}' isn't a tuple or list")
    if len(value) != length:
        raise ValueError(f"requested length {length} but object has length {len(value)}")
    return value


def parse_join(region, lpwan_mac, activation, auth, dr, timeout):
    """join(activation, *, auth, dr=None, timeout=None)'s checks in the firmware's order."""
    activation = int32(activation)
    if activation not in (OTAA, ABP):
        raise ValueError(f"invalid activation type {activation}")
    request = JoinRequest()
    request.activation = activation
    if activation == OTAA:
        if not isinstance(auth, (tuple, list)):
            raise TypeError(f"object '{type(auth).__name__}' isn't a tuple or list")
        if len(auth) == 3:
            dev_eui, app_eui, app_key = auth
            request.dev_eui = _fixed(dev_eui, EUI_SIZE, "dev_eui", request)
        elif len(auth) == 2:
            app_eui, app_key = auth
            request.dev_eui = bytes(lpwan_mac)  # the 2-tuple joins with LoRa.mac()
        else:
            raise ValueError(f"requested length 3 but object has length {len(auth)}")
        request.app_eui = _fixed(app_eui, EUI_SIZE, "app_eui", request)
        request.app_key = _fixed(app_key, KEY_SIZE, "app_key", request)
    else:
        dev_addr, nwk_s_key, app_s_key = _sequence(auth, 3)
        request.dev_addr = int(dev_addr) & 0xFFFFFFFF if isinstance(dev_addr, int) else int32(dev_addr)
        request.nwk_s_key = _fixed(nwk_s_key, KEY_SIZE, "nwk_s_key", request)
        request.app_s_key = _fixed(app_s_key, KEY_SIZE, "app_s_key", request)
    if dr is None:
        request.dr = DEFAULT_JOIN_DR[region]
    else:
        request.dr = int32(dr)
        allowed = ALLOWED_JOIN_DRS.get(region)
        if allowed is not None and request.dr not in allowed:
            raise ValueError(f"invalid join data rate {request.dr}")
    # Milliseconds: None blocks (INT32_MAX in the firmware), 0 or less returns at once.
    request.timeout_ms = None if timeout is None else int32(timeout)
    return request


def check_channel_index(region, index):
    """add_channel/remove_channel: the index against the region's channel count."""
    index = int32(index)
    limit = MAX_CHANNELS.get(region)
    if limit is not None and not 0 <= index < limit:
        raise ValueError(f"channel {index} out of range")
    return index


def check_channel_drs(region, dr_min, dr_max):
    """add_channel's data rates: valid for the region and dr_min <= dr_max."""
    dr_min, dr_max = int32(dr_min), int32(dr_max)
    top = MAX_CHANNEL_DR.get(region, 6)
    if not (0 <= dr_min <= dr_max <= top):
        raise ValueError("invalid argument(s) value")
    return dr_min, dr_max
