"""LoRa.join()/add_channel()/remove_channel() argument rules (pycom-api.md 4.4, 4.5)."""

import pytest

from usocket_emu.device._lorawan_args import (
    ABP, AS923, AU915, CN470, EU433, EU868, IN865, OTAA, US915, check_channel_drs, check_channel_index, parse_join,
)

MAC = bytes.fromhex("70b3d54990112233")
APP_EUI, APP_KEY = bytes(range(8)), bytes(range(16))


def test_otaa_with_the_three_and_the_two_tuple():
    r = parse_join(EU868, MAC, OTAA, (b"\x01" * 8, APP_EUI, APP_KEY), None, 0)
    assert (r.dev_eui, r.app_eui, r.app_key, r.dr, r.timeout_ms) == (b"\x01" * 8, APP_EUI, APP_KEY, 5, 0)
    r = parse_join(EU868, MAC, OTAA, [APP_EUI, APP_KEY], None, None)
    assert (r.dev_eui, r.timeout_ms) == (MAC, None)  # the 2-tuple joins with LoRa.mac(); None blocks


def test_short_keys_read_zeros_and_are_noted_long_ones_are_cut():
    r = parse_join(EU868, MAC, OTAA, (b"\x01", APP_EUI + b"extra", "key"), None, 0)
    assert r.dev_eui == b"\x01" + bytes(7) and r.app_eui == APP_EUI and r.app_key == b"key" + bytes(13)
    assert r.short_keys == ["dev_eui", "app_key"]


def test_abp_takes_exactly_three_items_and_a_32_bit_address():
    r = parse_join(EU868, MAC, ABP, (-1, APP_KEY, APP_KEY), None, 0)
    assert (r.dev_addr, r.nwk_s_key, r.app_s_key) == (0xFFFFFFFF, APP_KEY, APP_KEY)
    with pytest.raises(ValueError, match="requested length 3 but object has length 2"):
        parse_join(EU868, MAC, ABP, (1, APP_KEY), None, 0)
    with pytest.raises(TypeError):
        parse_join(EU868, MAC, ABP, 5, None, 0)


def test_activation_must_be_otaa_or_abp():
    with pytest.raises(ValueError, match="invalid activation type 2"):
        parse_join(EU868, MAC, 2, (APP_EUI, APP_KEY), None, 0)


@pytest.mark.parametrize(("region", "default", "allowed", "refused"), [
    (AS923, 2, [2], [0, 3]), (AU915, 6, [0, 6], [4]), (US915, 4, [0, 4], [1, 5]),
    (EU868, 5, [0, 5], [6]), (EU433, 5, [3], [6]), (CN470, 5, [0], [7]), (IN865, 5, [0, 6, 15], []),
])
def test_join_data_rates_per_region(region, default, allowed, refused):
    assert parse_join(region, MAC, OTAA, (APP_EUI, APP_KEY), None, 0).dr == default
    for dr in allowed:
        assert parse_join(region, MAC, OTAA, (APP_EUI, APP_KEY), dr, 0).dr == dr
    for dr in refused:
        with pytest.raises(ValueError, match=f"invalid join data rate {dr}"):
            parse_join(region, MAC, OTAA, (APP_EUI, APP_KEY), dr, 0)


def test_channel_index_limits():
    assert check_channel_index(EU868, 15) == 15
    for region, limit in ((EU868, 16), (US915, 72), (AU915, 72), (CN470, 96), (AS923, 16), (IN865, 16)):
        with pytest.raises(ValueError, match=f"channel {limit} out of range"):
            check_channel_index(region, limit)
    assert check_channel_index(EU433, 200) == 200  # the binding does not check EU433


def test_channel_data_rates():
    assert check_channel_drs(EU868, 0, 5) == (0, 5)
    for bad in ((3, 2), (-1, 2), (0, 7)):
        with pytest.raises(ValueError, match=r"invalid argument\(s\) value"):
            check_channel_drs(EU868, *bad)
    with pytest.raises(ValueError):
        check_channel_drs(US915, 0, 5)
