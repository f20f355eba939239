# test_lora_raw.py: network.LoRa in raw LoRa mode (pycom-api.md 1.2, 1.5, 4.1-4.3, 4.5, 4.9).
"""The LoRa object of a device script: constants, constructor and init() rules, regional
defaults, validation order and messages, getters and setters, airtime(), stats(), mac(),
events(), callbacks, ischannel_free(), set_battery_level() and reset().

Expected values come from the spec (firmware 1.20.2 modlora.c); airtimes come from
_core.lora_firmware_airtime_ms, which tests/python/test_lora_airtime.py checks against an
independent implementation of radio.md 1.1.
"""

from __future__ import annotations

import pytest
from lora_support import of, run_devices, run_one, toa_ms, toa_us
from runtime_support import run_script

# --- constants and boards -------------------------------------------------------------------------

def test_class_constants():
    d, _ = run_one("""
        print(LoRa.LORA, LoRa.LORAWAN, LoRa.OTAA, LoRa.ABP)
        print(LoRa.ALWAYS_ON, LoRa.TX_ONLY, LoRa.SLEEP)
        print(LoRa.BW_125KHZ, LoRa.BW_250KHZ, LoRa.BW_500KHZ)
        print(LoRa.CODING_4_5, LoRa.CODING_4_6, LoRa.CODING_4_7, LoRa.CODING_4_8)
        print(LoRa.RX_PACKET_EVENT, LoRa.TX_PACKET_EVENT, LoRa.TX_FAILED_EVENT)
        print(LoRa.CLASS_A, LoRa.CLASS_C, hasattr(LoRa, 'CLASS_B'))
        print(LoRa.AS923, LoRa.AU915, LoRa.CN470, LoRa.EU433, LoRa.EU868, LoRa.IN865, LoRa.US915)
        print([hasattr(LoRa, n) for n in ('CN779', 'KR920', 'US915_HYBRID', 'RU864')])
        print(LoRa.timeout is TimeoutError, LoRa.timeout is socket.timeout, issubclass(LoRa.timeout, OSError))
    """)
    assert d.lines == [
        "0 1 0 1",
        "0 1 2",
        "0 1 2",
        "1 2 3 4",
        "1 2 4",
        "0 2 False",
        "0 1 2 4 5 7 8",
        "[False, False, False, False]",
        "True True True",
    ], d.output
    assert d.exit_exception is None


def test_no_deinit_mesh_or_cli_methods_in_1_20_2():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        print([hasattr(lora, n) for n in ('deinit', 'mesh', 'cli')])
        print([hasattr(lora, n) for n in ('init', 'frequency', 'tx_power', 'bandwidth', 'sf', 'preamble',
              'coding_rate', 'power_mode', 'stats', 'mac', 'callback', 'events', 'ischannel_free',
              'set_battery_level', 'airtime', 'reset', 'has_joined')])
    """)
    assert d.lines == ["[False, False, False]", "[" + ", ".join(["True"] * 17) + "]"], d.output


def test_lora_socket_constants_on_lora_boards():
    d, _ = run_one("""
        print(socket.AF_LORA, socket.SOCK_RAW, socket.SOL_LORA, socket.SO_CONFIRMED, socket.SO_DR)
    """)
    assert d.lines == ["160 3 1048325 983042 983043"]


@pytest.mark.parametrize("board", ["LoPy", "LoPy4", "FiPy"])
def test_lora_boards_have_network_lora(board):
    _dev, out, _ = run_script("""
        import network, socket
        print(hasattr(network, 'LoRa'), hasattr(socket, 'AF_LORA'))
        from network import LoRa
        print(LoRa.__name__, LoRa(mode=LoRa.LORA) is LoRa())
    """, until_s=10, board=board)
    assert out == "True True\nLoRa True\n"


@pytest.mark.parametrize("board", ["SiPy", "WiPy"])
def test_boards_without_lora_have_no_network_lora_and_no_af_lora(board):
    dev, out, _ = run_script("""
        import network, socket
        print(hasattr(network, 'LoRa'), hasattr(socket, 'AF_LORA'), hasattr(socket, 'SOL_LORA'))
        try:
            network.LoRa
        except AttributeError:
            print('AttributeError')
        try:
            socket.AF_LORA
        except AttributeError:
            print('AttributeError')
        from network import LoRa
    """, until_s=10, board=board)
    assert out.splitlines()[:3] == ["False False False", "AttributeError", "AttributeError"]
    assert isinstance(dev.exit_exception, ImportError)


# --- the constructor ---------------------------------------------------------------------------

def test_everything_but_id_is_keyword_only():
    d, _ = run_one("""
        print(err(LoRa, LoRa.LORAWAN))
        print(err(LoRa, 1))
        lora = LoRa(0, mode=LoRa.LORA, sf=8)
        print(lora.sf())
        try:
            lora.init(LoRa.LORA)
        except TypeError:
            print('TypeError')
        print(lora.init(mode=LoRa.LORA, sf=9), lora.sf())
    """)
    assert d.lines == [
        "OSError ('resource not available',)",
        "OSError ('resource not available',)",
        "8",
        "TypeError",
        "None 9",
    ], d.output


def test_unknown_keyword_is_a_type_error():
    d, _ = run_one("""
        try:
            LoRa(mode=LoRa.LORA, spreading_factor=7)
        except TypeError:
            print('TypeError')
    """)
    assert d.lines == ["TypeError"]


def test_the_object_is_a_singleton():
    d, _ = run_one("""
        a = LoRa(mode=LoRa.LORA)
        b = LoRa()
        c = LoRa(mode=LoRa.LORA, sf=9)
        print(a is b, b is c, LoRa() is LoRa())
    """)
    assert d.lines == ["True True True"]


def test_lora_without_keywords_first_initialises_with_defaults_then_returns_it_unchanged():
    d, _ = run_one("""
        lora = LoRa()
        print(lora.frequency(), lora.sf(), lora.has_joined())
        lora.sf(10)
        lora.frequency(868100000)
        print(LoRa().sf(), LoRa().frequency())
        LoRa(mode=LoRa.LORA)        # keywords: re-initialised, the others take their defaults
        print(lora.sf(), lora.frequency())
    """)
    assert d.lines == ["868000000 7 False", "10 868100000", "7 868000000"], d.output


def test_raw_mode_defaults_in_eu868():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        print(lora.frequency(), lora.tx_power(), lora.bandwidth(), lora.sf(), lora.preamble(),
              lora.coding_rate(), lora.power_mode(), lora.has_joined())
    """)
    assert d.lines == ["868000000 14 0 7 8 1 0 False"]


REGION_DEFAULTS = [  # pycom-api.md 4.2: default frequency and tx_power per region
    ("AS923", 0, 923_000_000, 20),
    ("AU915", 1, 915_000_000, 20),
    ("CN470", 2, 865_000_000, 14),   # falls through to IN865's frequency (a firmware bug)
    ("EU433", 4, 433_175_000, 12),
    ("EU868", 5, 868_000_000, 14),
    ("IN865", 7, 865_000_000, 20),
    ("US915", 8, 915_000_000, 20),
]


@pytest.mark.parametrize("region,code,frequency,tx_power", REGION_DEFAULTS)
def test_defaults_per_region_from_the_config_block(region, code, frequency, tx_power):
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        print(lora.frequency(), lora.tx_power())
    """, region=region, board="LoPy4")
    assert d.lines == [f"{frequency} {tx_power}"], d.output


def test_defaults_per_region_given_to_init():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        for region in (LoRa.AS923, LoRa.AU915, LoRa.CN470, LoRa.EU433, LoRa.EU868, LoRa.IN865, LoRa.US915):
            lora.init(mode=LoRa.LORA, region=region)
            print(region, lora.frequency(), lora.tx_power())
    """, region="EU868", board="LoPy4")
    assert d.lines == [f"{code} {f} {p}" for _, code, f, p in REGION_DEFAULTS], d.output


def test_no_region_in_the_config_block():
    d, _ = run_one("""
        print(err(LoRa))
        print(err(LoRa, 0))
        print(err(lambda: LoRa(mode=LoRa.LORA)))
        lora = LoRa(mode=LoRa.LORA, region=LoRa.US915)
        print(lora.frequency(), lora.tx_power())
    """, region=None)
    message = "ValueError ('no region specified and no default found in config block',)"
    assert d.lines == [message, message, message, "915000000 20"], d.output


@pytest.mark.parametrize("board", ["LoPy", "FiPy"])
def test_eu433_and_cn470_only_on_the_lopy4(board):
    d, _ = run_one("""
        print(err(lambda: LoRa(mode=LoRa.LORA, region=LoRa.EU433)))
        print(err(lambda: LoRa(mode=LoRa.LORA, region=LoRa.CN470)))
        print(err(lambda: LoRa(mode=LoRa.LORA, region=LoRa.IN865)))
    """, board=board)
    assert d.lines[:2] == ["ValueError ('invalid region 4',)", "ValueError ('invalid region 2',)"], d.output
    assert d.lines[2].startswith("ok ") and len(d.lines) == 3, d.output


# --- validation: messages and order ---------------------------------------------------------------

@pytest.mark.parametrize("kwargs,message", [
    ("mode=2", "invalid mode 2"),
    ("mode=5", "invalid mode 5"),
    ("region=3", "invalid region 3"),
    ("region=6", "invalid region 6"),
    ("region=9", "invalid region 9"),
    ("frequency=1", "frequency 1 out of range"),
    ("frequency=862999999", "frequency 862999999 out of range"),
    ("frequency=870000001", "frequency 870000001 out of range"),
    ("frequency=915000000", "frequency 915000000 out of range"),
    ("tx_power=21", "Tx power 21 out of range"),
    ("tx_power=1", "Tx power 1 out of range"),
    ("bandwidth=3", "bandwidth 3 not supported"),
    ("sf=13", "spreading factor 13 out of range"),
    ("sf=5", "spreading factor 5 out of range"),
    ("coding_rate=5", "coding rate 5 out of range"),
    ("coding_rate=0", "coding rate 0 out of range"),
    ("power_mode=3", "invalid power mode 3"),
    ("device_class=1", "invalid device_class 1"),
    # the order of the checks: the first failing one speaks
    ("mode=2, region=3, frequency=1", "invalid mode 2"),
    ("region=3, frequency=1", "invalid region 3"),
    ("frequency=1, tx_power=21", "frequency 1 out of range"),
    ("tx_power=21, bandwidth=3", "Tx power 21 out of range"),
    ("bandwidth=3, sf=13", "bandwidth 3 not supported"),
    ("sf=13, coding_rate=5", "spreading factor 13 out of range"),
    ("coding_rate=5, power_mode=3", "coding rate 5 out of range"),
    ("power_mode=3, device_class=1", "invalid power mode 3"),
    ("sf=13, power_mode=3, device_class=1, tx_power=21", "Tx power 21 out of range"),
])
def test_init_validation_messages_and_order(kwargs, message):
    d, _ = run_one(f"""
        print(err(lambda: LoRa({kwargs})))
        lora = LoRa(mode=LoRa.LORA)
        print(err(lambda: lora.init({kwargs})))
    """)
    assert d.lines == [f"ValueError ({message!r},)"] * 2, d.output


@pytest.mark.parametrize("kwargs", [
    "sf=6", "sf=12", "tx_power=2", "tx_power=20", "frequency=863000000", "frequency=870000000",
    "bandwidth=2", "coding_rate=4", "power_mode=2", "device_class=2", "preamble=0", "preamble=65",
    "tx_iq=True, rx_iq=True, public=False, adr=True, tx_retries=5",
])
def test_init_accepts_values_at_the_limits(kwargs):
    d, _ = run_one(f"""
        print(err(lambda: LoRa(mode=LoRa.LORA, {kwargs}) is LoRa()))
    """)
    assert d.lines == ["ok True"], d.output


REGION_RANGES = [  # pycom-api.md 4.2, bounds included
    ("AS923", 915_000_000, 928_000_000),
    ("AU915", 915_000_000, 928_000_000),
    ("US915", 902_000_000, 928_000_000),
    ("EU868", 863_000_000, 870_000_000),
    ("IN865", 865_000_000, 867_000_000),
    ("EU433", 433_000_000, 435_000_000),
    ("CN470", 470_000_000, 510_000_000),
]


@pytest.mark.parametrize("region,low,high", REGION_RANGES)
def test_frequency_range_per_region(region, low, high):
    d, _ = run_one(f"""
        for f in ({low - 1}, {low}, {high}, {high + 1}):
            print(err(lambda: LoRa(mode=LoRa.LORA, frequency=f) and LoRa().frequency()))
    """, region=region, board="LoPy4")
    assert d.lines == [
        f"ValueError ('frequency {low - 1} out of range',)",
        f"ok {low}", f"ok {high}",
        f"ValueError ('frequency {high + 1} out of range',)",
    ], d.output


def test_tx_power_range_does_not_depend_on_the_region():
    d, _ = run_one("""
        for region in (LoRa.EU868, LoRa.US915, LoRa.EU433):
            print(err(lambda: LoRa(mode=LoRa.LORA, region=region, tx_power=20) and LoRa().tx_power()),
                  err(lambda: LoRa(mode=LoRa.LORA, region=region, tx_power=2) and LoRa().tx_power()),
                  err(lambda: LoRa(mode=LoRa.LORA, region=region, tx_power=21)))
    """, board="LoPy4")
    assert d.lines == ["ok 20 ok 2 ValueError ('Tx power 21 out of range',)"] * 3, d.output


# --- getters and setters ------------------------------------------------------------------------

def test_setters_return_none_and_getters_read_back():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        print(lora.frequency(868500000), lora.tx_power(10), lora.bandwidth(LoRa.BW_250KHZ), lora.sf(9),
              lora.preamble(12), lora.coding_rate(LoRa.CODING_4_7), lora.power_mode(LoRa.TX_ONLY))
        print(lora.frequency(), lora.tx_power(), lora.bandwidth(), lora.sf(), lora.preamble(),
              lora.coding_rate(), lora.power_mode())
        lora.power_mode(LoRa.SLEEP)
        print(lora.power_mode())
        lora.power_mode(LoRa.ALWAYS_ON)
        print(lora.power_mode())
    """)
    assert d.lines == ["None None None None None None None", "868500000 10 1 9 12 3 1", "2", "0"], d.output


def test_a_setter_keeps_the_rest_of_the_configuration():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA, sf=9, tx_power=5, coding_rate=LoRa.CODING_4_8, preamble=10)
        lora.frequency(863500000)
        lora.bandwidth(LoRa.BW_500KHZ)
        print(lora.frequency(), lora.tx_power(), lora.bandwidth(), lora.sf(), lora.preamble(), lora.coding_rate())
    """)
    assert d.lines == ["863500000 5 2 9 10 4"], d.output


def test_setters_validate_like_init():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        print(err(lora.frequency, 1))
        print(err(lora.frequency, 902000000))
        print(err(lora.tx_power, 21))
        print(err(lora.bandwidth, 3))
        print(err(lora.sf, 13))
        print(err(lora.sf, 5))
        print(err(lora.coding_rate, 5))
        print(err(lora.power_mode, 3))
        print(lora.frequency(), lora.tx_power(), lora.bandwidth(), lora.sf(), lora.coding_rate(), lora.power_mode())
    """)
    assert d.lines == [
        "ValueError ('frequency 1 out of range',)",
        "ValueError ('frequency 902000000 out of range',)",
        "ValueError ('Tx power 21 out of range',)",
        "ValueError ('bandwidth 3 not supported',)",
        "ValueError ('spreading factor 13 out of range',)",
        "ValueError ('spreading factor 5 out of range',)",
        "ValueError ('coding rate 5 out of range',)",
        "ValueError ('invalid power mode 3',)",
        "868000000 14 0 7 1 0",
    ], d.output


# --- airtime() ------------------------------------------------------------------------------------

def test_airtime_published_values():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        print(lora.airtime(4), lora.airtime(13), lora.airtime(255), lora.airtime(10), lora.airtime(14), lora.airtime(16))
        lora.sf(12)
        print(lora.airtime(4), lora.airtime(16), lora.airtime(23))
        lora.coding_rate(LoRa.CODING_4_8)
        print(lora.airtime(20))
        lora.coding_rate(LoRa.CODING_4_5)
        lora.bandwidth(LoRa.BW_250KHZ)
        print(lora.airtime(20))
        lora.init(mode=LoRa.LORA, sf=9)
        print(lora.airtime(13))
    """)
    # pycom-api.md 4.9 examples and radio.md 1.3 ceil ms
    assert d.lines == ["31 47 400 42 47 52", "828 1319 1483", "1713", "660", "165"], d.output


@pytest.mark.parametrize("sf,bw,cr,preamble", [(7, 0, 1, 8), (12, 0, 4, 8), (6, 2, 2, 12), (11, 1, 3, 6),
                                               (12, 1, 1, 8), (11, 0, 1, 16), (9, 2, 4, 0)])
def test_airtime_for_the_current_settings(sf, bw, cr, preamble):
    sizes = (1, 2, 3, 7, 20, 51, 100, 222, 255)
    d, _ = run_one(f"""
        lora = LoRa(mode=LoRa.LORA, sf={sf}, bandwidth={bw}, coding_rate={cr}, preamble={preamble})
        print([lora.airtime(n) for n in {sizes!r}])
    """)
    bw_hz = {0: 125_000, 1: 250_000, 2: 500_000}[bw]
    assert d.lines == [str([toa_ms(n, sf, bw_hz, cr, preamble) for n in sizes])], d.output


def test_airtime_keeps_the_firmware_wrap_for_tiny_payloads_at_high_sf():
    # radio.md 1.2 / pitfall 7: a negative numerator wraps (uint32) and reports ~4e8 ms
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA, sf=12)
        print(lora.airtime(0), lora.airtime(1))
    """)
    assert d.lines == [f"{toa_ms(0, 12)} {toa_ms(1, 12)}"] and toa_ms(0, 12) > 10_000_000, d.output
    assert toa_ms(1, 12) == 828


# --- stats() --------------------------------------------------------------------------------------

def test_stats_before_any_traffic():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        s = lora.stats()
        print(s)
        print(tuple(s), len(s), isinstance(s, tuple))
        print(s.rx_timestamp, s.rssi, s.snr, s.sfrx, s.sftx, s.tx_trials, s.tx_power, s.tx_time_on_air,
              s.tx_counter, s.tx_frequency)
        print(type(s.snr).__name__, s[6], s[-1])
        lora.tx_power(20)
        print(lora.stats().tx_power)
    """)
    assert d.lines == [
        "(rx_timestamp=0, rssi=0, snr=0.0, sfrx=0, sftx=0, tx_trials=0, tx_power=14, tx_time_on_air=0, "
        "tx_counter=0, tx_frequency=0)",
        "(0, 0, 0.0, 0, 0, 0, 14, 0, 0, 0) 10 True",
        "0 0 0.0 0 0 0 14 0 0 0",
        "float 14 0",
        "20",
    ], d.output


def test_stats_after_sends():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA, frequency=868300000, sf=9)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        s.send(b'x' * 20)
        st = lora.stats()
        print(st.tx_counter, st.tx_time_on_air, lora.airtime(20), st.tx_frequency, st.sftx, st.tx_power)
        lora.sf(12)
        lora.frequency(869500000)
        s.send(b'y' * 3)
        st = lora.stats()
        print(st.tx_counter, st.tx_time_on_air, lora.airtime(3), st.tx_frequency, st.sftx)
        print(st.rssi, st.snr, st.sfrx, st.rx_timestamp)
    """)
    assert d.lines == [
        f"1 {toa_ms(20, 9)} {toa_ms(20, 9)} 868300000 9 14",
        f"2 {toa_ms(3, 12)} {toa_ms(3, 12)} 869500000 12",
        "0 0.0 0 0",
    ], d.output


# --- mac() ----------------------------------------------------------------------------------------

def test_mac_is_the_lpwan_mac_of_the_config_block():
    d, _ = run_one("""
        import ubinascii
        lora = LoRa(mode=LoRa.LORA)
        m = lora.mac()
        print(type(m).__name__, len(m), ubinascii.hexlify(m), m == lora.mac())
    """, lpwan_mac=bytes([0x70, 0xB3, 0xD5, 0x49, 0x91, 0x22, 0x33, 0x44]))
    assert d.lines == ["bytes 8 b'70b3d54991223344' True"], d.output


def test_default_mac_is_in_pycoms_block_and_per_device():
    results, _ = run_devices({
        name: ("""
            import ubinascii
            print(ubinascii.hexlify(LoRa(mode=LoRa.LORA).mac()))
        """, {}) for name in ("a", "b")}, until_s=5)
    a, b = results["a"].lines[0], results["b"].lines[0]
    assert a.startswith("b'70b3d549") and b.startswith("b'70b3d549") and len(a) == len(b) == 19
    assert a != b


# --- events() and callback() -------------------------------------------------------------------

def test_events_accumulate_and_clear_on_read():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        print(lora.events())
        s.send(b'abc')
        print(lora.events(), lora.events())
        s.send(b'abc')
        s.send(b'abc')
        print(lora.events(), lora.events())
    """)
    assert d.lines == ["0", "2 0", "2 0"], d.output


def test_events_accumulate_regardless_of_the_trigger():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        calls = []
        lora.callback(LoRa.RX_PACKET_EVENT, lambda arg: calls.append(arg))
        s.send(b'abc')
        time.sleep(0.1)
        print(calls, lora.events())
    """)
    assert d.lines == ["[] 2"], d.output


def test_callback_runs_handler_with_the_lora_object_on_the_irq_thread():
    d, _ = run_one("""
        import _thread
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        main = _thread.get_ident()
        def handler(arg):
            print('cb', arg is lora, _thread.get_ident() != main, arg.events(), time.ticks_diff(time.ticks_us(), t0))
        print(lora.callback(trigger=LoRa.TX_PACKET_EVENT, handler=handler))
        s.setblocking(False)
        t0 = time.ticks_us()
        print('sent', s.send(b'0123456789'))
        time.sleep(1)      # the callback runs while the main thread sleeps
        print('woke')
    """)
    assert d.lines[:2] == ["None", "sent 10"], d.output
    assert d.lines[3] == "woke"
    cb, is_lora, other_thread, events, dt = d.lines[2].split()
    assert (cb, is_lora, other_thread, events) == ("cb", "True", "True", "2")
    assert 1000 + toa_us(10) <= int(dt) <= 1000 + toa_us(10) + 5000


def test_callback_arg_and_disabling():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        lora.callback(LoRa.TX_PACKET_EVENT | LoRa.RX_PACKET_EVENT, lambda a: print('cb', a), 'my-arg')
        s.send(b'1')
        time.sleep(0.1)
        print(lora.callback(LoRa.TX_PACKET_EVENT))   # no handler: disabled
        s.send(b'2')
        time.sleep(0.1)
        lora.callback(LoRa.TX_PACKET_EVENT, lambda a: print('cb again', a is lora))
        s.send(b'3')
        time.sleep(0.1)
        lora.callback(None, lambda a: print('never'))   # no trigger: disabled too
        s.send(b'4')
        time.sleep(0.1)
        print('done', lora.events())
    """)
    assert d.lines == ["cb my-arg", "None", "cb again True", "done 2"], d.output


# --- ischannel_free, set_battery_level, reset ------------------------------------------------------

def test_ischannel_free_takes_two_arguments_and_time():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        try:
            lora.ischannel_free(-85)
        except TypeError:
            print('TypeError')
        t0 = time.ticks_ms()
        print(lora.ischannel_free(-85, 100), time.ticks_diff(time.ticks_ms(), t0))
        t0 = time.ticks_ms()
        print(lora.ischannel_free(-100, 2500), time.ticks_diff(time.ticks_ms(), t0))  # above the noise floor
    """)
    assert d.lines == ["TypeError", "True 100", "True 2500"], d.output


def test_set_battery_level_returns_none():
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        print([lora.set_battery_level(v) for v in (0, 1, 128, 254, 255)])
    """)
    assert d.lines == ["[None, None, None, None, None]"]


def test_reset_keeps_the_configuration_and_the_radio_works_after_it():
    d, events = run_one("""
        lora = LoRa(mode=LoRa.LORA, sf=9, frequency=868100000)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        print(lora.reset())
        print(lora.sf(), lora.frequency())
        print(s.send(b'after reset'))
    """)
    assert d.lines == ["None", "9 868100000", "11"], d.output
    tx = of(events, "lora_tx", "d")
    assert [(e["sf"], e["frequency_hz"], e["size"]) for e in tx] == [(9, 868_100_000, 11)]


def test_init_logs_nothing_on_the_air():
    _d, events = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        lora.sf(12)
        time.sleep(1)
    """)
    assert of(events, "lora_tx") == []


def test_a_raising_callback_stops_the_irq_thread():
    # pycom-api.md 1.3: the firmware prints the error and delivers no further callbacks
    d, _ = run_one("""
        lora = LoRa(mode=LoRa.LORA)
        s = socket.socket(socket.AF_LORA, socket.SOCK_RAW)
        calls = []
        def handler(arg):
            calls.append(1)
            raise ValueError('boom')
        lora.callback(LoRa.TX_PACKET_EVENT, handler)
        s.send(b'1')
        time.sleep(0.1)
        s.send(b'2')
        time.sleep(0.1)
        print('calls', len(calls), lora.events())
    """)
    assert "Unhandled exception in callback handler" in d.output
    assert "ValueError: boom" in d.output
    assert d.lines[-1] == "calls 1 2", d.output
    assert d.exit_exception is None
