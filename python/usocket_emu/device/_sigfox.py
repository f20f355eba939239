"""network.Sigfox: the device side (Pycom modsigfox_api.c, modsigfox.c; pycom-api.md 5.1-5.2).

One Sigfox object per device boot (a singleton, as the firmware's ``sigfox_obj``), on the
boards that have the radio (SiPy, LoPy4, FiPy). It parses its arguments as
``mp_arg_parse_all`` does with the firmware's table, validates them in
``sigfox_init_helper``'s order with its messages, and answers the methods that read the
config block (mac, id, pac), the zone tables (frequencies, config, info), the Sigfox NVM
calibration (rssi_offset, freq_offset: NVS, so they survive resets and, with --state, runs)
and the library's settings (public_key, version).

Behaviour comes from the last open-source ``esp32/sigfox/modsigfox.c`` and
``manufacturer_api.c`` (pycom-api.md section 0 says why); 1.20's bindings table
(``esp32/mods/modsigfox_api.c``) is open and gives the argument table and method set.

The radio is not here. Everything the Sigfox library and its radio own (the RSSI of the
last downlink, the FCC/LBT counters of info(), the macro-channel reset, sequence numbers,
the air, AF_SIGFOX sockets) is ``_core.SigfoxRadio`` (C++), made by :func:`make_radio`
and registered with the device's stack as the NIC of AF_SIGFOX sockets.

On the LoPy4 and FiPy, Sigfox and LoRa share the SX1276: initialising Sigfox takes the
radio (the LoRa radio stops listening; a LoRa init takes it back), as on the board, where
the last of the two to configure the chip owns it.
"""

from .. import _core
from .._errors import OSError
from ._args import check_int, int32
from .uos import SIGFOX_VERSION

__all__ = ["build_sigfox_class", "make_radio"]

# Class constants (modsigfox_api.c sigfox_locals_dict_table; modsigfox.h enums).
SIGFOX, FSK = 0, 1
RCZ1, RCZ2, RCZ3, RCZ4 = 0, 1, 2, 3
ZONE_NAMES = {RCZ1: "RCZ1", RCZ2: "RCZ2", RCZ3: "RCZ3", RCZ4: "RCZ4"}

#: Boards whose Sigfox radio is the CC1125, which also does point-to-point FSK; the
#: SX1276 boards (LoPy4, FiPy) build without FSK (``#if !defined(FIPY) && !defined(LOPY4)``).
FSK_BOARDS = ("SiPy",)
#: modsigfox.c FSK_FREQUENCY_MIN / FSK_FREQUENCY_MAX, bounds included.
FSK_FREQUENCY_RANGE_HZ = (863_000_000, 928_000_000)

#: modsigfox.c rcz_frequencies: (uplink, downlink) in Hz per zone, what frequencies() returns.
ZONE_FREQUENCIES_HZ = {
    RCZ1: (868_130_000, 869_525_000),
    RCZ2: (902_200_000, 905_200_000),
    RCZ3: (923_200_000, 922_200_000),
    RCZ4: (920_800_000, 922_300_000),
}
#: modsigfox.c rcz_config_words: what SIGFOX_API_set_std_config gets when the library opens
#: in a zone, and config() then returns. The Sigfox library header's RC2_SM_CONFIG and
#: RC4_SM_CONFIG (short-message macro channels) and RC3 (3 carrier-sense retries before the
#: first frame, 0x1388 = 5000 ms at most between frames). RCZ1 has none.
DEFAULT_CONFIG_WORDS = {
    RCZ2: (0x00000001, 0x00000000, 0x00000000),
    RCZ3: (0x00000003, 0x00001388, 0x00000000),
    RCZ4: (0x00000000, 0x40000000, 0x00000000),
}
#: The frequency-hopping (FCC) zones: reset() and the macro-channel rules apply to them.
FH_ZONES = (RCZ2, RCZ4)
#: Micro channels of an FCC macro channel, all free after SIGFOX_API_reset (Sigfox's FCC
#: rules: 6 hopping channels, none reused within 20 s; 2 messages of 3 frames use them up,
#: hence the firmware's "reset after every 2 packets").
FH_MICRO_CHANNELS = 6

#: The NVS namespace "SFX_NVM" of manufacturer_api.c (keys SFX_RSSI, SFX_FREQ; the radio's
#: SFX_PN, SFX_SEQ, SFX_FH belong here too). DeviceState.extra keeps it.
NVM_KEY = "sigfox_nvm"
#: manufacturer_api.c MANUF_API_get_rssi adds 100 "for backend compatibility";
#: sigfox_rssi() takes it off again.
RSSI_BACKEND_OFFSET_DB = 100
#: What MANUF_API_get_rssi computes from its ``static int RSSI = 0`` before a downlink set
#: it, in dBm before the two offsets of 100: the SX1276 boards use the register value as is,
#: the CC1125 (SiPy) subtracts its RSSI offset of 102 dB.
NO_DOWNLINK_RSSI_DBM = {"SiPy": -102, "LoPy4": 0, "FiPy": 0}

#: sigfox_test_mode: modes up to SFX_TEST_MODE_TX_SYNTH (5) go to the library;
#: E_MODSIGOFX_TEST_MODE_MANUAL_TX (8) sends 20 fixed frames; the rest is ValueError.
TEST_MODE_TX_SYNTH = 5
TEST_MODE_MANUAL_TX = 8

_INT16_MIN, _INT16_MAX = -(1 << 15), (1 << 15) - 1
_INT, _OBJ = "int", "obj"  # how mp_arg_parse_all converts an argument (MP_ARG_INT, MP_ARG_OBJ)


def _int16(value):
    """A uint16 NVS word read back as the int16 the firmware declares."""
    value &= 0xFFFF
    return value - 0x10000 if value > _INT16_MAX else value


def _int8(value):
    """The (sfx_s8) cast of MANUF_API_get_rssi."""
    value &= 0xFF
    return value - 0x100 if value > 0x7F else value


def _init_table(board):
    """modsigfox_api.c sigfox_init_args: (name, kind, default, keyword-only); ``frequency``
    exists only where FSK does."""
    table = [("id", _INT, 0, False), ("mode", _INT, SIGFOX, False), ("rcz", _INT, RCZ1, False)]
    if board in FSK_BOARDS:
        table.append(("frequency", _OBJ, None, True))
    return tuple(table)


def _parse_args(args, kwargs, table):
    """mp_arg_parse_all (MicroPython 1.11 py/argcheck.c): positional arguments fill the
    table in order, the rest come from keywords; values convert as they are read."""
    parsed = {}
    kws_found = 0
    for i, (name, kind, default, kw_only) in enumerate(table):
        if i < len(args):
            if kw_only:
                raise TypeError("extra positional arguments given")
            value = args[i]
        elif name in kwargs:
            kws_found += 1
            value = kwargs[name]
        else:
            parsed[name] = default
            continue
        parsed[name] = int32(value) if kind == _INT else value
    if len(args) > len(table):
        raise TypeError("extra positional arguments given")
    if kws_found < len(kwargs):
        raise TypeError("extra keyword arguments given")
    return parsed


def _fixed_words(value):
    """mp_obj_get_array_fixed_n(value, 3) then mp_obj_get_int_truncated on each, as sfx_u32."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"object '{type(value).__name__}' is not a tuple or list")
    if len(value) != 3:
        raise ValueError("tuple/list has wrong length")
    return tuple(check_int(word) & 0xFFFFFFFF for word in value)




def make_radio(dev):
    """The device's Sigfox library and radio (``_core.SigfoxRadio``) on the world's Sigfox
    medium, with its ID from the config block and its NVM: the frequency calibration and
    the sequence number, which the library keeps in flash (SFX_SEQ) so that it goes on
    across resets, deep sleep and, with --state, runs."""
    medium = dev.world._sigfox_medium_with_station()
    device_id = int.from_bytes(dev.config.sigfox_id, "big")
    radio = _core.SigfoxRadio(medium, dev.name, dev.position_m, device_id)
    radio.share_chip(dev.sx1276)
    words = dev.state.extra.setdefault(NVM_KEY, {"rssi_offset": 0, "freq_offset": 0})
    radio.set_freq_offset_hz(words["freq_offset"])
    radio.sequence_number = words.get("sequence_number", 0)

    def keep_sequence_number():
        words["sequence_number"] = radio.sequence_number

    def end_of_boot():
        keep_sequence_number()
        dev.stack.set_sigfox_radio(None)
        radio.close()  # a reset takes the radio off the air

    dev.state.save_hooks[NVM_KEY] = keep_sequence_number
    dev.reset_hooks.append(end_of_boot)
    return radio


def build_sigfox_class(dev):
    """The device's network.Sigfox class (Sigfox boards only)."""
    board = dev.board
    fsk_allowed = board in FSK_BOARDS
    init_table = _init_table(board)
    # The module-level state of modsigfox.c and manufacturer_api.c, for this boot.
    state = {
        "initialised": False,   # sigfox_obj.state != E_SIGFOX_STATE_NOINIT
        "mode": SIGFOX,
        "zone": RCZ1,           # sfx_rcz_id: the last SIGFOX-mode zone (FSK init keeps it)
        "frequency": 0,         # sigfox_obj.frequency: FSK only
        "config_words": (0, 0, 0),  # rcz_current_config_words
        "public_key": False,    # usePublicKey: RAM, False at boot
        "radio": None,
    }

    def radio():
        if state["radio"] is None:
            state["radio"] = make_radio(dev)
        return state["radio"]

    def nvm():
        """The SFX_NVM words (MANUF_API_nvs_open creates missing ones as 0)."""
        return dev.state.extra.setdefault(NVM_KEY, {"rssi_offset": 0, "freq_offset": 0})

    def set_nvm(name, value):
        nvm()[name] = _int16(value)  # MANUF_API_set_nv_mem takes a sfx_u16
        dev.state.save()

    def init_helper(parsed):
        """sigfox_init_helper: the checks in its order, then the init command."""
        mode = parsed["mode"] & 0xFF   # uint8_t mode = args[0].u_int
        zone = parsed["rcz"] & 0xFF    # uint8_t rcz = args[1].u_int
        frequency = 0
        if mode > (FSK if fsk_allowed else SIGFOX):
            raise ValueError("invalid mode")
        if mode == SIGFOX:
            if zone > RCZ4:
                raise ValueError("invalid RCZ")
            if fsk_allowed and parsed["frequency"] is not None:
                raise ValueError("frequency is only valid in FSK mode")
        else:
            frequency = int32(parsed["frequency"])  # mp_obj_get_int: None is a TypeError
            low, high = FSK_FREQUENCY_RANGE_HZ
            if not low <= frequency & 0xFFFFFFFF <= high:
                raise ValueError(f"frequency {frequency} out of range")
            frequency &= 0xFFFFFFFF
        words = None
        if mode == SIGFOX and zone != RCZ1:
            words = DEFAULT_CONFIG_WORDS[zone]
        if dev.sx1276 is not None:
            take_lora = dev.lpwan_users.get("lora")
            if take_lora is not None:
                take_lora()  # the SX1276 is reconfigured for Sigfox
        if not radio().open(mode, zone, frequency, words):
            raise OSError("the requested operation failed")
        # mod_network_register_nic: AF_SIGFOX sockets find the radio from here on.
        dev.stack.set_sigfox_radio(radio())
        if mode == SIGFOX:
            state["zone"] = zone
            if words is not None:
                state["config_words"] = words
        state.update(mode=mode, frequency=frequency, initialised=True)
        dev.log("sigfox_init", mode="SIGFOX" if mode == SIGFOX else "FSK",
                rcz=ZONE_NAMES[state["zone"]], frequency_hz=frequency)

    class Sigfox:
        """Sigfox(id=0, mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1[, *, frequency=None])

        The device's one Sigfox radio. Sigfox() with no keyword returns it unchanged once
        it was initialised; any keyword (id= too) re-initialises it. frequency exists on
        the SiPy only, for FSK mode."""

        SIGFOX = SIGFOX
        RCZ1, RCZ2, RCZ3, RCZ4 = RCZ1, RCZ2, RCZ3, RCZ4

        def __new__(cls, *args, **kwargs):
            parsed = _parse_args(args, kwargs, init_table)
            if parsed["id"] != 0:
                raise OSError("resource not available")
            if kwargs or not state["initialised"]:
                init_helper(parsed)
            return instance

        def __init__(self, *args, **kwargs):
            pass  # __new__ did it all, as make_new does

        def __repr__(self):
            return "<Sigfox>"

        def init(self, *args, **kwargs):
            """init(mode=Sigfox.SIGFOX, rcz=Sigfox.RCZ1[, *, frequency]): re-initialises;
            what is not given takes its default."""
            init_helper(_parse_args(args, kwargs, init_table[1:]))

        def mac(self):
            """mac() -> the 8-byte LPWAN MAC of the config block (LoRa.mac() is the same)."""
            return bytes(dev.config.lpwan_mac)

        def id(self):  # noqa: A003 - the firmware's name
            """id() -> the 4-byte Sigfox ID of the config block (hexlify: the backend's ID)."""
            return bytes(dev.config.sigfox_id)

        def pac(self):
            """pac() -> the 8-byte PAC of the config block."""
            return bytes(dev.config.sigfox_pac)

        def test_mode(self, *args):
            """test_mode(mode, config): an RF test of the Sigfox library. The emulator
            checks the mode as the firmware does and transmits nothing."""
            _check_between(args, 2, 2)
            mode, config = args
            mode = int32(mode) & 0xFFFFFFFF
            config = int32(config) & 0xFFFFFFFF
            if mode > TEST_MODE_TX_SYNTH and mode != TEST_MODE_MANUAL_TX:
                raise ValueError("invalid test mode")
            radio().test_mode(mode, config)
            dev.log("sigfox_test_mode", mode=mode, config=config)

        def cw(self, *args):
            """cw(frequency, start): starts or stops an unmodulated carrier (not emitted)."""
            _check_between(args, 2, 2)
            frequency, start = args
            frequency = int32(frequency) & 0xFFFFFFFF
            start = bool(start)
            radio().cw(frequency, start)
            dev.log("sigfox_cw", frequency_hz=frequency, start=start)

        def frequencies(self):
            """frequencies() -> (uplink_hz, downlink_hz) of the zone."""
            return ZONE_FREQUENCIES_HZ[state["zone"]]

        def config(self, *args):
            """config() -> the zone's 3 config words (None in RCZ1); config((w0, w1, w2))
            sets them (OSError in RCZ1)."""
            _check_between(args, 0, 1)
            zone = state["zone"]
            if not args:
                return None if zone == RCZ1 else state["config_words"]
            if zone == RCZ1:
                raise OSError("configuration not possible for RCZ1")
            words = _fixed_words(args[0])
            if not radio().set_config_words(words):
                raise OSError("the requested operation failed")
            state["config_words"] = words
            return None

        def public_key(self, *args):
            """public_key() -> True if frames use the public key; public_key(b) sets it."""
            _check_between(args, 0, 1)
            if not args:
                return state["public_key"]
            state["public_key"] = bool(args[0])
            radio().set_public_key(state["public_key"])
            return None

        def version(self):
            """version() -> the Sigfox library's version string."""
            return SIGFOX_VERSION

        def rssi(self):
            """rssi() -> the RSSI of the last downlink in dBm, as the firmware computes it
            (with rssi_offset); before any downlink the library's initial value."""
            rssi_dbm = radio().last_downlink_rssi_dbm()
            if rssi_dbm is None:
                rssi_dbm = NO_DOWNLINK_RSSI_DBM[board]
            reported = _int8(rssi_dbm + RSSI_BACKEND_OFFSET_DB + nvm()["rssi_offset"])
            return reported - RSSI_BACKEND_OFFSET_DB

        def rssi_offset(self, *args):
            """rssi_offset() -> the RSSI calibration in NVS; rssi_offset(v) sets it."""
            _check_between(args, 0, 1)
            if not args:
                return nvm()["rssi_offset"]
            set_nvm("rssi_offset", int32(args[0]))
            return None

        def freq_offset(self, *args):
            """freq_offset() -> the frequency calibration in NVS (Hz); freq_offset(v) sets
            it, -32768 to 32767."""
            _check_between(args, 0, 1)
            if not args:
                return nvm()["freq_offset"]
            value = int32(args[0])
            if not _INT16_MIN <= value <= _INT16_MAX:
                raise ValueError("the freq offset is out of range (-32768 < freq_offset < 32767)")
            set_nvm("freq_offset", value)
            radio().set_freq_offset_hz(nvm()["freq_offset"])
            return None

        def info(self):
            """info() -> None in RCZ1; (fcc_channel_not_default, free_micro_channels) in
            RCZ2/RCZ4; (frames_sent, carrier_sense_attempts) in RCZ3 (bits as masked)."""
            zone = state["zone"]
            if zone == RCZ1:
                return None
            info = radio().info_byte()
            if info is None:
                raise OSError("the requested operation failed")
            if zone == RCZ3:  # LBT
                return (info & 0b00000111, info & 0b11111000)
            return (info & 0b00001111, info & 0b11110000)

        def reset(self):
            """reset(): RCZ2/RCZ4 go back to the default macro channel; else nothing."""
            if state["zone"] in FH_ZONES:
                radio().reset_macro_channel()
            return None

    if fsk_allowed:
        Sigfox.FSK = FSK

    for name, function in list(vars(Sigfox).items()):
        if callable(function) and not name.startswith("__") and not isinstance(function, type):
            function.__module__ = "network"
            function.__qualname__ = f"Sigfox.{name}"
    Sigfox.__module__ = "network"
    instance = object.__new__(Sigfox)
    return Sigfox


def _check_between(args, least, most):
    """mp_arg_check_num for a method of ``least``..``most`` arguments after self (self
    counts in the messages): MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN, or _3 when equal."""
    if least == most and len(args) != least:
        raise TypeError(f"function takes {least + 1} positional arguments but {len(args) + 1} were given")
    if len(args) > most:
        raise TypeError(f"function expected at most {most + 1} arguments, got {len(args) + 1}")
    if len(args) < least:
        raise TypeError(f"function missing {least - len(args)} required positional arguments")
