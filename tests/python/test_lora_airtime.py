# test_lora_airtime.py: LoRa time on air (radio.md 1.1-1.4, pitfalls 6; pycom-api.md 4.9).
"""The simulator's time on air against an independent, exact implementation of the
SX127x datasheet formula (radio.md 1.1), over the whole SF6-12 x 125/250/500 kHz x CR
4/5-4/8 x 0-255 byte x header x CRC space, plus the published values of radio.md 1.3
and pycom-api.md 4.9.

``_core.lora_time_on_air_us`` is the exact airtime in integer microseconds;
``_core.lora_firmware_airtime_ms`` is what the Pycom firmware reports (``lora.airtime()``,
``stats().tx_time_on_air``): ``floor(ms + 0.999)`` computed in doubles, with the driver's
unsigned-wrap bug when the payload-symbol numerator is negative (radio.md 1.2, pitfall 7).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from usocket_emu import _core

SFS = range(6, 13)
BANDWIDTHS = (125_000, 250_000, 500_000)
CODING_RATES = (1, 2, 3, 4)
PAYLOADS = range(256)
HEADER_CRC = ((False, True), (False, False), (True, True), (True, False))


def ldro(sf, bw):
    """Low-data-rate optimisation: symbol time above 16 ms (radio.md 1.1, pitfall 3)."""
    return (bw == 125_000 and sf in (11, 12)) or (bw == 250_000 and sf == 12)


def numerator(pl, sf, crc_on, implicit_header):
    return 8 * pl - 4 * sf + 28 + 16 * int(crc_on) - 20 * int(implicit_header)


def exact_toa_us(pl, sf, bw, cr, preamble=8, implicit_header=False, crc_on=True, de=None):
    """radio.md 1.1, exactly, as a Fraction of microseconds."""
    if de is None:
        de = int(ldro(sf, bw))
    tsym_us = Fraction(2 ** sf * 1_000_000, bw)
    num = numerator(pl, sf, crc_on, implicit_header)
    den = 4 * (sf - 2 * de)
    blocks = math.ceil(Fraction(num, den))          # ceil before multiplying (pitfall 1)
    n_payload = 8 + max(blocks * (cr + 4), 0)       # clamp the product
    return (preamble + Fraction(17, 4) + n_payload) * tsym_us


def firmware_model_ms(pl, sf, bw, cr, preamble=8, implicit_header=False, crc_on=True):
    """Pycom drivers/sx127x SX1276GetTimeOnAir: the numerator is uint32 arithmetic (it wraps
    when negative), the rest is double, and the uint32 result keeps the low 32 bits."""
    de = ldro(sf, bw)
    num = numerator(pl, sf, crc_on, implicit_header) % 2 ** 32
    tmp = math.ceil(num / float(4 * (sf - 2 * de))) * (cr + 4)
    ts = 1 / (bw / (1 << sf))
    n_payload = 8 + (tmp if tmp > 0 else 0)
    t_on_air = (preamble + 4.25) * ts + n_payload * ts
    return math.floor(t_on_air * 1e3 + 0.999) % 2 ** 32


def ceil_div(a, b):
    return -(-a // b)


def all_cases():
    for sf in SFS:
        for bw in BANDWIDTHS:
            for cr in CODING_RATES:
                for ih, crc in HEADER_CRC:
                    for pl in PAYLOADS:
                        yield pl, sf, bw, cr, ih, crc


# --- the exact microsecond airtime over the whole parameter space ---------------------------

@pytest.mark.parametrize("preamble", [8, 6, 12])
def test_exact_airtime_matches_the_formula_over_the_whole_space(preamble):
    mismatches = []
    count = 0
    for pl, sf, bw, cr, ih, crc in all_cases():
        expected = exact_toa_us(pl, sf, bw, cr, preamble, ih, crc)
        assert expected.denominator == 1  # always whole microseconds (a multiple of Tsym/4)
        got = _core.lora_time_on_air_us(pl, sf, bw, cr, preamble, ih, crc)
        count += 1
        if got != expected:
            mismatches.append(((pl, sf, bw, cr, ih, crc), int(expected), got))
    assert count == 7 * 3 * 4 * 256 * 4 == 86016
    assert mismatches[:10] == [] and len(mismatches) == 0


@pytest.mark.parametrize("preamble", [0, 1, 5, 16, 32, 255])
def test_exact_airtime_with_other_preambles(preamble):
    for pl, sf, bw, cr, ih, crc in all_cases():
        if pl % 5:
            continue
        assert _core.lora_time_on_air_us(pl, sf, bw, cr, preamble, ih, crc) == exact_toa_us(
            pl, sf, bw, cr, preamble, ih, crc), (pl, sf, bw, cr, preamble, ih, crc)


def test_defaults_are_preamble_8_explicit_header_crc_on():
    for pl, sf, bw, cr in ((0, 7, 125_000, 1), (20, 12, 125_000, 4), (51, 9, 500_000, 2), (255, 12, 250_000, 3)):
        assert _core.lora_time_on_air_us(pl, sf, bw, cr) == _core.lora_time_on_air_us(pl, sf, bw, cr, 8, False, True)
        assert _core.lora_time_on_air_us(pl, sf, bw, cr) == exact_toa_us(pl, sf, bw, cr)
        assert _core.lora_firmware_airtime_ms(pl, sf, bw, cr) == _core.lora_firmware_airtime_ms(pl, sf, bw, cr, 8, False, True)


def test_every_airtime_is_a_multiple_of_a_quarter_symbol():
    for sf in SFS:
        for bw in BANDWIDTHS:
            quarter_us = 2 ** sf * 1_000_000 // bw // 4
            for pl in (0, 1, 13, 100, 255):
                assert _core.lora_time_on_air_us(pl, sf, bw, 1) % quarter_us == 0


def test_ldro_is_on_for_sf11_sf12_at_125_khz_and_sf12_at_250_khz_only():
    """Each combination is told apart by a payload whose airtime differs with DE 0 and 1."""
    on = set()
    for sf in SFS:
        for bw in BANDWIDTHS:
            pl = next(p for p in range(1, 256)
                      if exact_toa_us(p, sf, bw, 1, de=0) != exact_toa_us(p, sf, bw, 1, de=1))
            got = _core.lora_time_on_air_us(pl, sf, bw, 1)
            assert got in (exact_toa_us(pl, sf, bw, 1, de=0), exact_toa_us(pl, sf, bw, 1, de=1))
            if got == exact_toa_us(pl, sf, bw, 1, de=1):
                on.add((sf, bw))
    assert on == {(11, 125_000), (12, 125_000), (12, 250_000)}
    # pitfall 3: SF11/250 is not optimised (LMIC's SF >= 11 rule would give about 370.7 ms)
    assert _core.lora_time_on_air_us(20, 11, 250_000, 1) == 329_728


# --- published values ---------------------------------------------------------------------

GOLDEN = [  # radio.md 1.3: PL, SF, BW kHz, CR, CRC, exact ms, ceil ms
    (10, 7, 125, 1, True, "41.216", 42),
    (14, 7, 125, 1, True, "46.336", 47),
    (13, 9, 125, 1, True, "164.864", 165),
    (20, 12, 125, 4, True, "1712.128", 1713),
    (255, 7, 125, 1, True, "399.616", 400),
    (23, 12, 125, 1, True, "1482.752", 1483),
    (17, 12, 125, 1, False, "1155.072", 1156),
    (20, 12, 250, 1, True, "659.456", 660),
]


@pytest.mark.parametrize("pl,sf,bw_khz,cr,crc,exact_ms,ceil_ms", GOLDEN)
def test_golden_airtime_table(pl, sf, bw_khz, cr, crc, exact_ms, ceil_ms):
    exact_us = int(Fraction(exact_ms) * 1000)
    assert _core.lora_time_on_air_us(pl, sf, bw_khz * 1000, cr, 8, False, crc) == exact_us
    assert exact_toa_us(pl, sf, bw_khz * 1000, cr, 8, False, crc) == exact_us
    assert _core.lora_firmware_airtime_ms(pl, sf, bw_khz * 1000, cr, 8, False, crc) == ceil_ms


def test_join_accept_with_crc_wrongly_on_would_be_longer():
    # radio.md 1.3 row 7 / pitfall 4
    assert _core.lora_time_on_air_us(17, 12, 125_000, 1, 8, False, True) == 1_318_912


@pytest.mark.parametrize("pl,sf,ms", [(4, 7, 31), (13, 7, 47), (4, 12, 828), (255, 7, 400),
                                      (3 + 13, 7, 52), (3 + 13, 12, 1319)])
def test_pycom_api_4_9_examples(pl, sf, ms):
    assert _core.lora_firmware_airtime_ms(pl, sf, 125_000, 1) == ms


@pytest.mark.parametrize("pl,sf,exact_us", [(24, 10, 370_688), (25, 10, 411_648), (66, 9, 390_144),
                                            (67, 9, 410_624), (138, 8, 399_872), (139, 8, 410_112)])
def test_dwell_time_cross_check(pl, sf, exact_us):
    # radio.md 1.4: the largest PL within 400 ms per SF at 125 kHz, CR 4/5
    assert _core.lora_time_on_air_us(pl, sf, 125_000, 1) == exact_us


@pytest.mark.parametrize("pl,sf,bw,cr,ih,exact_us", [
    (20, 6, 500_000, 1, True, 7_072),        # pitfall 8, LoRaSim experiment 2
    (20, 7, 500_000, 1, False, 14_144),      # radio.md 4.4 experiment 3
    (20, 8, 500_000, 1, False, 25_728),
    (20, 12, 125_000, 1, False, 1_318_912),  # experiment 4
    (20, 12, 125_000, 4, False, 1_712_128),  # experiments 0 and 1
])
def test_lorasim_experiment_airtimes(pl, sf, bw, cr, ih, exact_us):
    assert _core.lora_time_on_air_us(pl, sf, bw, cr, 8, ih, True) == exact_us


# --- what the firmware reports -----------------------------------------------------------

def test_firmware_ms_is_the_ceiling_of_the_exact_time_when_the_numerator_is_not_negative():
    checked = 0
    for pl, sf, bw, cr, ih, crc in all_cases():
        if numerator(pl, sf, crc, ih) < 0:
            continue
        exact_us = _core.lora_time_on_air_us(pl, sf, bw, cr, 8, ih, crc)
        got = _core.lora_firmware_airtime_ms(pl, sf, bw, cr, 8, ih, crc)
        assert got == ceil_div(exact_us, 1000), (pl, sf, bw, cr, ih, crc)
        checked += 1
    assert checked == 86016 - 576


def test_firmware_ms_wraps_for_negative_numerators():
    wrapped = [c for c in all_cases() if numerator(c[0], c[1], c[5], c[4]) < 0]
    assert len(wrapped) == 576
    for pl, sf, bw, cr, ih, crc in wrapped:
        got = _core.lora_firmware_airtime_ms(pl, sf, bw, cr, 8, ih, crc)
        assert got > 10_000_000, (pl, sf, bw, cr, ih, crc)
        assert got == firmware_model_ms(pl, sf, bw, cr, 8, ih, crc), (pl, sf, bw, cr, ih, crc)
    # the documented examples: an empty payload at SF12/125 CRC on (radio.md 1.2, pitfall 7:
    # "~4e8 ms"), and at SF7 with implicit header and CRC off
    assert _core.lora_firmware_airtime_ms(0, 12, 125_000, 1) == 412_317_623
    assert _core.lora_firmware_airtime_ms(0, 7, 125_000, 1, 8, True, False) > 10_000_000
    # ... while the exact airtime is the clamped 8 payload symbols
    assert _core.lora_time_on_air_us(0, 12, 125_000, 1) == (8 + 4.25 + 8) * 32_768


def test_firmware_model_agrees_everywhere():
    for pl, sf, bw, cr, ih, crc in all_cases():
        if pl % 3:
            continue
        assert _core.lora_firmware_airtime_ms(pl, sf, bw, cr, 8, ih, crc) == firmware_model_ms(pl, sf, bw, cr, 8, ih, crc)


@pytest.mark.parametrize("preamble", [6, 12, 32])
def test_firmware_ms_with_other_preambles(preamble):
    for pl, sf, bw, cr, ih, crc in all_cases():
        if pl % 7 or numerator(pl, sf, crc, ih) < 0:
            continue
        assert _core.lora_firmware_airtime_ms(pl, sf, bw, cr, preamble, ih, crc) == ceil_div(
            int(exact_toa_us(pl, sf, bw, cr, preamble, ih, crc)), 1000)
