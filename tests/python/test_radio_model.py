"""World(radio=...): the medium's model settings, checked before any radio exists."""

import pytest

from usocket_emu import World


def test_defaults_are_the_lorasim_values():
    with World(time="virtual") as world:
        model = world.radio_model
    assert model["reference_distance_m"] == 40.0
    assert model["reference_path_loss_db"] == 127.41
    assert model["path_loss_exponent"] == 2.08
    assert model["shadowing_sigma_db"] == 0.0
    assert model["capture"] is True and model["inter_sf_interference"] is False
    assert model["capture_threshold_db"] == 6.0 and model["preamble_lock_grace_symbols"] == 3


def test_settings_reach_the_medium():
    with World(time="virtual", radio={"capture": False, "shadowing_sigma_db": 3.57, "path_loss_exponent": 3}) as world:
        model = world.radio_model
    assert (model["capture"], model["shadowing_sigma_db"], model["path_loss_exponent"]) == (False, 3.57, 3.0)


@pytest.mark.parametrize(("settings", "error", "message"), [
    ({"reference_distance_m": 0}, ValueError, "'reference_distance_m' must be a finite number above 0"),
    ({"minimum_distance_m": 0.0}, ValueError, "'minimum_distance_m' must be a finite number above 0"),
    ({"shadowing_sigma_db": -1}, ValueError, "'shadowing_sigma_db' must be a finite number of at least 0"),
    ({"capture_threshold_db": float("nan")}, ValueError, "'capture_threshold_db' must be a finite number"),
    ({"preamble_lock_grace_symbols": 2**40}, ValueError, "'preamble_lock_grace_symbols' must be from 0 to 255"),
    ({"preamble_lock_grace_symbols": 2.5}, TypeError, "'preamble_lock_grace_symbols' must be an integer"),
    ({"capture": 1}, TypeError, "'capture' must be true or false"),
    ({"path_loss_exponent": "2"}, TypeError, "'path_loss_exponent' must be a number"),
    ({"no_such_setting": 1}, ValueError, "unknown radio model setting 'no_such_setting'"),
])
def test_bad_settings_are_refused_with_a_clear_error(settings, error, message):
    with pytest.raises(error, match=message):
        World(time="virtual", radio=settings)


def test_radio_must_be_a_dict():
    with pytest.raises(TypeError, match="radio is a dict"):
        World(time="virtual", radio=[("capture", False)])
