"""network.LoRa in raw LoRa mode (Pycom modlora.c, firmware 1.20.2; pycom-api.md section 4).

One LoRa object per device boot (a singleton, as the firmware's module-level state). It
validates its arguments in the firmware's order with the firmware's messages, keeps the
configuration, and drives the device's radio (``_core.LoRaRadio``, C++) on the world's
shared medium. AF_LORA sockets reach the same radio through the device's stack once the
object exists (the NIC registration of modlora.c).

In LoRaWAN mode (``mode=LoRa.LORAWAN``) a ``_core.LoRaWANMac`` drives the air instead of
the raw task; it shares the raw radio's receive queue, events and stats, as the firmware's
one LoRa state does. join() hands the script's keys to the world's network server for the
region (``World._lorawan_network``), which in its default mode accepts every device with
the keys its script uses.
"""

from .. import _core
from .._errors import OSError
from .._scenario import LORA_REGIONS
from ._args import attrtuple, check_at_most, check_int, check_wait_us, int32, read_buffer
from ._lorawan_args import check_channel_drs, check_channel_index, parse_join

__all__ = ["build_lora_class"]

# Class constants (pycom-api.md 4.1).
LORA, LORAWAN = 0, 1
OTAA, ABP = 0, 1
ALWAYS_ON, TX_ONLY, SLEEP = 0, 1, 2
BW_125KHZ, BW_250KHZ, BW_500KHZ = 0, 1, 2
CODING_4_5, CODING_4_6, CODING_4_7, CODING_4_8 = 1, 2, 3, 4
RX_PACKET_EVENT, TX_PACKET_EVENT, TX_FAILED_EVENT = 1, 2, 4
CLASS_A, CLASS_C = 0, 2
AS923, AU915, CN470, EU433, EU868, IN865, US915 = 0, 1, 2, 4, 5, 7, 8

#: Region names of the config block (and of add_device(region=...)) to LoRaMac codes.
REGION_CODES = {"AS923": AS923, "AU915": AU915, "CN470": CN470, "EU433": EU433,
                "EU868": EU868, "IN865": IN865, "US915": US915}
_REGION_NAMES = {code: name for name, code in REGION_CODES.items()}

#: Frequencies init() accepts per region, in Hz, bounds included (modlora.c lora_validate_frequency).
FREQUENCY_RANGES_HZ = {
    AS923: (915_000_000, 928_000_000), AU915: (915_000_000, 928_000_000),
    US915: (902_000_000, 928_000_000), EU868: (863_000_000, 870_000_000),
    IN865: (865_000_000, 867_000_000), EU433: (433_000_000, 435_000_000),
    CN470: (470_000_000, 510_000_000),
}
#: The frequency when none is given; CN470 falls through to IN865's (a firmware bug).
DEFAULT_FREQUENCY_HZ = {AS923: 923_000_000, AU915: 915_000_000, US915: 915_000_000,
                        EU868: 868_000_000, EU433: 433_175_000, IN865: 865_000_000,
                        CN470: 865_000_000}
DEFAULT_TX_POWER_DBM = {AS923: 20, AU915: 20, US915: 20, IN865: 20, EU868: 14, CN470: 14, EU433: 12}
TX_POWER_RANGE_DBM = (2, 20)  # in every region (modlora.c)
SF_RANGE = (6, 12)            # the firmware's LORA_SPREADING_FACTOR_MIN/MAX [DOC says 7]
BANDWIDTH_HZ = {BW_125KHZ: 125_000, BW_250KHZ: 250_000, BW_500KHZ: 500_000}

_INT, _BOOL, _OBJ = "int", "bool", "obj"  # how mp_arg_parse_all converts an argument

#: init()'s keyword-only arguments in the firmware's table order, with defaults.
_INIT_ARGS = (
    ("mode", _INT, LORA), ("frequency", _OBJ, None), ("tx_power", _OBJ, None),
    ("bandwidth", _INT, BW_125KHZ), ("sf", _INT, 7), ("preamble", _INT, 8),
    ("coding_rate", _INT, CODING_4_5), ("power_mode", _INT, ALWAYS_ON),
    ("tx_iq", _BOOL, False), ("rx_iq", _BOOL, False), ("adr", _BOOL, False),
    ("public", _BOOL, True), ("tx_retries", _INT, 2), ("device_class", _INT, CLASS_A),
    ("region", _OBJ, None),
)
_INIT_NAMES = frozenset(name for name, _, _ in _INIT_ARGS)

#: join(timeout=None) waits INT32_MAX ms (modlora.c), polling every 50 ms.
JOIN_FOREVER_MS = (1 << 31) - 1
JOIN_POLL_MS = 50
#: LORA_NVM, the NVS namespace nvram_save() writes (DeviceState.extra keeps it).
NVRAM_KEY = "lora_nvm"

STATS_FIELDS = ("rx_timestamp", "rssi", "snr", "sfrx", "sftx", "tx_trials", "tx_power",
                "tx_time_on_air", "tx_counter", "tx_frequency")
#: lora.compliance_test()'s fields (modlora.c lora_compliance_info_fields).
COMPLIANCE_FIELDS = ("enabled", "running", "state", "tx_confirmed", "downlink_counter", "link_check",
                     "demod_margin", "nbr_gateways")
#: The test's state at power-on (lora_obj is zeroed).
COMPLIANCE_OFF = (False, False, 0, False, 0, False, 0, 0)


def _parse_init_args(args, kwargs):
    """mp_arg_parse_all over _INIT_ARGS: every argument keyword-only."""
    if args:
        raise TypeError("extra positional arguments given")
    for name in kwargs:
        if name not in _INIT_NAMES:
            raise TypeError(f"unexpected keyword argument '{name}'")
    parsed = {}
    for name, kind, default in _INIT_ARGS:
        value = kwargs.get(name, default)
        if name in kwargs:
            if kind == _INT:
                value = int32(value)
            elif kind == _BOOL:
                value = bool(value)
        parsed[name] = value
    return parsed


def _board_regions(board):
    return {REGION_CODES[name] for name, boards in LORA_REGIONS.items() if board in boards}


def _validate(config, board, config_block_region):
    """lora_init_helper's checks, in its order; returns the complete configuration."""
    if not 0 <= config["mode"] <= LORAWAN:
        raise ValueError(f"invalid mode {config['mode']}")
    region = config["region"]
    if region is None:
        if config_block_region is None:
            raise ValueError("no region specified and no default found in config block")
        region = config_block_region
    else:
        region = int32(region)
        if region not in _board_regions(board):
            raise ValueError(f"invalid region {region}")
    config["region"] = region
    frequency = config["frequency"]
    if frequency is None:
        frequency = DEFAULT_FREQUENCY_HZ[region]
    else:
        frequency = int32(frequency) & 0xFFFFFFFF  # stored as uint32
        low, high = FREQUENCY_RANGES_HZ[region]
        if not low <= frequency <= high:
            raise ValueError(f"frequency {frequency} out of range")
    config["frequency"] = frequency
    tx_power = config["tx_power"]
    if tx_power is None:
        tx_power = DEFAULT_TX_POWER_DBM[region]
    else:
        tx_power = int32(tx_power)
        if not TX_POWER_RANGE_DBM[0] <= tx_power <= TX_POWER_RANGE_DBM[1]:
            raise ValueError(f"Tx power {tx_power} out of range")
    config["tx_power"] = tx_power
    if config["bandwidth"] not in BANDWIDTH_HZ:
        raise ValueError(f"bandwidth {config['bandwidth']} not supported")
    if not SF_RANGE[0] <= config["sf"] <= SF_RANGE[1]:
        raise ValueError(f"spreading factor {config['sf']} out of range")
    config["preamble"] &= 0xFF  # not validated: stored as uint8
    if not CODING_4_5 <= config["coding_rate"] <= CODING_4_8:
        raise ValueError(f"coding rate {config['coding_rate']} out of range")
    if not ALWAYS_ON <= config["power_mode"] <= SLEEP:
        raise ValueError(f"invalid power mode {config['power_mode']}")
    if config["device_class"] not in (CLASS_A, CLASS_C):
        raise ValueError(f"invalid device_class {config['device_class']}")
    config["tx_retries"] &= 0xFF
    return config


def build_lora_class(dev):
    """The device's network.LoRa class (LoRa boards only)."""
    board = dev.board
    config_block_region = REGION_CODES.get(dev.region) if dev.region is not None else None
    medium = dev.world._lora_medium
    Stats = attrtuple("stats", STATS_FIELDS, "network")  # noqa: N806 - a class
    ComplianceTest = attrtuple("compliance", COMPLIANCE_FIELDS, "network")  # noqa: N806
    state = {"radio": None, "config": None, "callback_token": None, "battery_level": 0, "mac": None,
             "compliance": COMPLIANCE_OFF}

    def radio():
        if state["radio"] is None:
            r = _core.LoRaRadio(medium, dev.name, dev.position_m, dev._boot_time_us)
            r.share_chip(dev.sx1276)
            dev.reset_hooks.append(r.close)  # a reset takes the radio off the air
            state["radio"] = r

            def give_up_radio():
                # Sigfox reconfigured the chip: LoRa hears nothing and cannot send until a
                # LoRa init programs it again (the init restores the configured power mode).
                r.power_mode = SLEEP
                dev.log("lora_radio_taken", by="sigfox")

            dev.lpwan_users["lora"] = give_up_radio
        return state["radio"]

    def close_mac():
        mac, state["mac"] = state["mac"], None
        if mac is not None:
            state["compliance"] = mac.compliance_test()  # lora_obj keeps it across inits
            dev.stack.set_lorawan_mac(None)
            mac.close()

    def apply(config):
        """Programs the radio with a validated configuration (lora_init_helper's tail).
        Every init drops the join: LoRaWAN mode gets a fresh MAC."""
        state["config"] = config
        lorawan = config["mode"] == LORAWAN
        r = radio()
        close_mac()
        r.set_mac_mode(lorawan)
        r.configure(frequency_hz=config["frequency"], tx_power_dbm=config["tx_power"],
                    bandwidth_hz=BANDWIDTH_HZ[config["bandwidth"]], sf=config["sf"],
                    preamble=config["preamble"], coding_rate=config["coding_rate"],
                    tx_iq=config["tx_iq"], rx_iq=config["rx_iq"], public=config["public"],
                    power_mode=config["power_mode"])
        dev.stack.set_lora_radio(r, config["region"])
        if lorawan:
            mac = _core.LoRaWANMac(medium, r, dev.name, dev.position_m, region=config["region"],
                                   adr=config["adr"], public=config["public"], tx_retries=config["tx_retries"],
                                   device_class=config["device_class"],
                                   duty_cycle_enforced=dev.world.duty_cycle)
            mac.share_chip(dev.sx1276)
            mac.set_battery_level(state["battery_level"])
            mac.carry_compliance(state["compliance"])
            state["mac"] = mac
            dev.stack.set_lorawan_mac(mac)
            if not state.get("close_hooked"):
                dev.reset_hooks.append(close_mac)  # a reset ends the MAC with the radio
                state["close_hooked"] = True
        dev.log("lora_init", mode="LORAWAN" if lorawan else "LORA", region=_REGION_NAMES[config["region"]],
                frequency_hz=config["frequency"], sf=config["sf"],
                bandwidth_hz=BANDWIDTH_HZ[config["bandwidth"]], tx_power_dbm=config["tx_power"])

    def reinit_with(name, value):
        """A setter: the current configuration with one value changed, validated, applied."""
        config = dict(state["config"])
        config[name] = value
        apply(_validate(config, board, config_block_region))

    class LoRa:
        """LoRa(id=0, *, mode=LoRa.LORA, frequency=None, tx_power=None, bandwidth=LoRa.BW_125KHZ,
        sf=7, preamble=8, coding_rate=LoRa.CODING_4_5, power_mode=LoRa.ALWAYS_ON, tx_iq=False,
        rx_iq=False, adr=False, public=True, tx_retries=2, device_class=LoRa.CLASS_A, region=None)

        The device's one LoRa radio. Without keywords, LoRa() returns it unchanged once it
        was initialised."""

        LORA, LORAWAN = LORA, LORAWAN
        OTAA, ABP = OTAA, ABP
        ALWAYS_ON, TX_ONLY, SLEEP = ALWAYS_ON, TX_ONLY, SLEEP
        BW_125KHZ, BW_250KHZ, BW_500KHZ = BW_125KHZ, BW_250KHZ, BW_500KHZ
        CODING_4_5, CODING_4_6, CODING_4_7, CODING_4_8 = CODING_4_5, CODING_4_6, CODING_4_7, CODING_4_8
        RX_PACKET_EVENT, TX_PACKET_EVENT, TX_FAILED_EVENT = RX_PACKET_EVENT, TX_PACKET_EVENT, TX_FAILED_EVENT
        CLASS_A, CLASS_C = CLASS_A, CLASS_C
        AS923, AU915, CN470, EU433, EU868, IN865, US915 = AS923, AU915, CN470, EU433, EU868, IN865, US915
        timeout = TimeoutError

        def __new__(cls, *args, **kwargs):
            if len(args) > 1:
                raise TypeError("extra positional arguments given")
            lora_id = kwargs.pop("id", args[0] if args else 0)
            if check_int(lora_id) != 0:
                raise OSError("resource not available")
            if kwargs or state["config"] is None:
                apply(_validate(_parse_init_args((), kwargs), board, config_block_region))
            return instance

        def __init__(self, *args, **kwargs):
            pass  # __new__ did it all, as make_new does

        def __repr__(self):
            return "<LoRa>"

        def init(self, *args, **kwargs):
            """init(*, mode=..., ...): re-initialises with these keywords (the rest default)."""
            apply(_validate(_parse_init_args(args, kwargs), board, config_block_region))

        # --- getters and setters: a setter re-runs init with the current configuration ---

        def frequency(self, frequency=None):
            if frequency is None:
                return state["config"]["frequency"]
            reinit_with("frequency", frequency)
            return None

        def tx_power(self, tx_power=None):
            if tx_power is None:
                stats = Stats(radio().stats())
                if state["mac"] is not None and stats.tx_trials > 0:
                    # LoRaWAN: once an uplink completed, the stack has overwritten the stored
                    # value with its TX power index (0 = max EIRP; pycom-api.md 4.3).
                    return stats.tx_power
                return state["config"]["tx_power"]
            reinit_with("tx_power", tx_power)
            return None

        def bandwidth(self, bandwidth=None):
            if bandwidth is None:
                return state["config"]["bandwidth"]
            reinit_with("bandwidth", int32(bandwidth))
            return None

        def sf(self, sf=None):
            if sf is None:
                return state["config"]["sf"]
            reinit_with("sf", int32(sf))
            return None

        def preamble(self, preamble=None):
            if preamble is None:
                return state["config"]["preamble"]
            reinit_with("preamble", int32(preamble))
            return None

        def coding_rate(self, coding_rate=None):
            if coding_rate is None:
                return state["config"]["coding_rate"]
            reinit_with("coding_rate", int32(coding_rate))
            return None

        def power_mode(self, power_mode=None):
            if power_mode is None:
                return state["config"]["power_mode"]
            power_mode = int32(power_mode)
            if not ALWAYS_ON <= power_mode <= SLEEP:
                raise ValueError(f"invalid power mode {power_mode}")
            state["config"]["power_mode"] = power_mode
            radio().power_mode = power_mode  # ALWAYS_ON listens (raw mode); SLEEP fails sends
            return None

        # --- the rest of the class, in the firmware's table order ----------------------

        def join(self, activation, *, auth, dr=None, timeout=None):
            """join(activation, *, auth, dr=None, timeout=None): OTAA with (dev_eui, app_eui,
            app_key) or (app_eui, app_key), ABP with (dev_addr, nwk_swkey, app_swkey).
            timeout in ms: None waits until joined, 0 or less returns at once, else
            TimeoutError('timed out') if not joined by then."""
            mac = state["mac"]
            if mac is None:
                raise OSError("the requested operation is not possible")
            region = state["config"]["region"]
            request = parse_join(region, dev.config.lpwan_mac, activation, auth, dr, timeout)
            if request.short_keys:
                dev.log("lorawan_short_key", keys=",".join(request.short_keys))
            network = dev.world._lorawan_network(region)
            if request.activation == OTAA:
                accepted = network.offer_otaa(request.dev_eui, request.app_eui, request.app_key)
                mac.join_otaa(request.dev_eui, request.app_eui, request.app_key, request.dr)
            else:
                accepted = network.offer_abp(request.dev_addr, request.nwk_s_key, request.app_s_key)
                mac.join_abp(request.dev_addr, request.nwk_s_key, request.app_s_key)
            if accepted and state["config"]["device_class"] == CLASS_C:
                # As the keys, the class the script uses goes into the default network's
                # device profile: it sends class C downlinks at once on RX2.
                network.set_class_c(request.dev_eui if request.activation == OTAA else request.dev_addr, True)
            timeout_ms = JOIN_FOREVER_MS if request.timeout_ms is None else request.timeout_ms
            # modlora.c polls the joined flag every 50 ms until the timeout runs out.
            while timeout_ms > 0 and not mac.joined():
                dev.sleep_us(JOIN_POLL_MS * 1000)
                timeout_ms -= JOIN_POLL_MS
                if timeout_ms <= 0 and not mac.joined():
                    mac.stop_join()  # 1.20.2.r6 also stops the retry timer
                    raise TimeoutError("timed out")
            return None

        def join_multicast_group(self, mcAddress, mcNwkKey, mcAppKey):  # noqa: N803 - the firmware's names
            """join_multicast_group(mcAddress, mcNwkKey, mcAppKey) -> bool: downlinks to the
            multicast DevAddr, with its session keys, are received too (class C, or in RX
            windows). False while an uplink cycle runs (the MAC is busy)."""
            address = int32(mcAddress) & 0xFFFFFFFF
            # The firmware copies 16 bytes whatever the buffer's size: a short key reads past
            # its end on the device; here the missing bytes are zeros.
            keys = [read_buffer(k)[:16].ljust(16, b"\0") for k in (mcNwkKey, mcAppKey)]
            mac = state["mac"]
            if mac is None:
                return True  # raw mode: linked into a MAC that never receives
            return mac.join_multicast_group(address, keys[0], keys[1])

        def leave_multicast_group(self, mcAddress):  # noqa: N803
            """leave_multicast_group(mcAddress) -> bool: False for a group never joined."""
            address = int32(mcAddress) & 0xFFFFFFFF
            mac = state["mac"]
            return mac is not None and mac.leave_multicast_group(address)

        def compliance_test(self, *args):
            """compliance_test() -> (enabled, running, state, tx_confirmed, downlink_counter,
            link_check, demod_margin, nbr_gateways); compliance_test(enable[, state[,
            link_check]]) sets it. A test network starts the test with 01 01 01 01 on FPort
            224; while it runs every uplink goes to FPort 224."""
            check_at_most(args, 3)
            mac = state["mac"]
            if not args:
                return ComplianceTest(mac.compliance_test() if mac is not None else state["compliance"])
            enable = bool(args[0])
            test_state = int32(args[1]) if len(args) > 1 else None
            link_check = bool(args[2]) if len(args) > 2 else None
            if mac is not None:
                mac.set_compliance(enable, test_state, link_check)
            else:
                state["compliance"] = _core.lorawan_compliance_set(state["compliance"], enable, test_state, link_check)
            return None

        def has_joined(self):
            mac = state["mac"]
            return mac is not None and mac.joined()

        def airtime(self, payload_len):
            """airtime(len) -> ms on air of a frame of len bytes with the current settings."""
            return radio().airtime_ms(int32(payload_len) & 0xFF)  # the driver takes a uint8_t

        def stats(self):
            """stats() -> (rx_timestamp, rssi, snr, sfrx, sftx, tx_trials, tx_power,
            tx_time_on_air, tx_counter, tx_frequency)"""
            return Stats(radio().stats())

        def callback(self, trigger, handler=None, arg=None):
            """callback(trigger, handler=None, arg=None): handler(arg) runs on the IRQ thread
            for each event in trigger; arg defaults to this object. No handler: off."""
            old = state["callback_token"]
            if trigger is not None and handler is not None:
                trigger = int32(trigger)
                target = self if arg is None else arg
                token = dev.irq.register_source(lambda: handler(target))
                radio().set_callback(trigger, dev.irq.mailbox, token)
                state["callback_token"] = token
            else:
                radio().set_callback(0, None, 0)
                state["callback_token"] = None
            if old is not None:
                dev.irq.unregister_source(old)
            return None

        def events(self):
            """events() -> the event bits since the last call (whatever the trigger)."""
            return radio().take_events()

        def ischannel_free(self, rssi_threshold, time_ms):
            """ischannel_free(rssi_threshold, time_ms) -> True if the RSSI on the current
            frequency stays below rssi_threshold (dBm) for time_ms."""
            threshold = int32(rssi_threshold)
            duration_us = check_wait_us(int32(time_ms) * 1000)
            return radio().channel_free(threshold, duration_us)

        def add_channel(self, index, *, frequency, dr_min, dr_max):
            """add_channel(index, *, frequency, dr_min, dr_max): the MAC ignores what its
            region refuses, as the firmware does."""
            region = state["config"]["region"]
            index = check_channel_index(region, index)
            frequency = int32(frequency) & 0xFFFFFFFF
            dr_min, dr_max = check_channel_drs(region, dr_min, dr_max)
            if state["mac"] is not None:
                state["mac"].add_channel(index, frequency, dr_min, dr_max)
            return None

        def remove_channel(self, index):
            """remove_channel(index): default channels of EU-like plans stay (silently)."""
            index = check_channel_index(state["config"]["region"], index)
            if state["mac"] is not None:
                state["mac"].remove_channel(index)
            return None

        def set_battery_level(self, level):
            """set_battery_level(level): 0 external power, 1..254 level, 255 unknown."""
            state["battery_level"] = int32(level) & 0xFF
            if state["mac"] is not None:
                state["mac"].set_battery_level(state["battery_level"])
            return None

        def nvram_save(self):
            """nvram_save(): keeps the LoRaWAN session in NVS (survives deep sleep and, with
            --state, runs). A saved state of another region is erased first."""
            saved = dev.state.extra.get(NVRAM_KEY)
            region = state["config"]["region"]
            if saved is not None and saved.get("region") != region:
                dev.state.extra.pop(NVRAM_KEY, None)
            mac = state["mac"]
            if mac is None:
                return None
            dev.state.extra[NVRAM_KEY] = {"region": region, "joined": mac.joined(), "mac": mac.save_state().hex()}
            dev.state.save()
            return None

        def nvram_restore(self):
            """nvram_restore(): a saved joined session of this region comes back (has_joined()
            is then True) and its joined flag is cleared until the next nvram_save()."""
            saved = dev.state.extra.get(NVRAM_KEY)
            region = state["config"]["region"]
            if saved is None:
                return None
            if saved.get("region") != region:
                dev.state.extra.pop(NVRAM_KEY, None)  # another region's state is erased
                dev.state.save()
                return None
            mac = state["mac"]
            if mac is None or not saved.get("joined"):
                return None
            blob = bytes.fromhex(saved["mac"])
            if mac.restore_state(blob):
                saved["joined"] = False
                dev.state.save()
                # The session a script restores is one it uses: the default network (new in
                # every run) learns it as the keys of a join.
                session = mac.session()
                dev.world._lorawan_network(region).offer_abp(session["dev_addr"], session["nwk_s_key"],
                                                            session["app_s_key"])
            return None

        def nvram_erase(self):
            """nvram_erase(): wipes the saved LoRaWAN state."""
            if dev.state.extra.pop(NVRAM_KEY, None) is not None:
                dev.state.save()
            return None

        def mac(self):
            """mac() -> the 8-byte LPWAN MAC of the config block."""
            return bytes(dev.config.lpwan_mac)

        def reset(self):
            """reset(): resets the radio and re-runs init with the current configuration."""
            apply(dict(state["config"]))
            radio().reset()
            return None

    for name, function in list(vars(LoRa).items()):
        if callable(function) and not name.startswith("__") and not isinstance(function, type):
            function.__module__ = "network"
            function.__qualname__ = f"LoRa.{name}"
    LoRa.__module__ = "network"
    instance = object.__new__(LoRa)
    return LoRa
