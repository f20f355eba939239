"""Regression tests for what the fuzzers found (fuzz/regressions/, fuzz/README.md): each
input must now get the documented error, never an unexpected exception or a crash."""

from pathlib import Path

import pytest

from usocket_emu import World
from usocket_emu._scenario import ScenarioError, load_scenario

REGRESSIONS = Path(__file__).resolve().parents[2] / "fuzz" / "regressions"


@pytest.mark.parametrize("name", ["recursion-error-deep-nesting.toml", "overflow-error-huge-integer.toml"])
def test_scenario_findings_are_scenario_errors(name):
    with pytest.raises(ScenarioError) as info:
        load_scenario(REGRESSIONS / "fuzz_scenario" / name)
    assert "\n" not in str(info.value)


def test_a_huge_integer_is_not_a_finite_number(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[radio]\npath_loss_exponent = 999999999999999999999999999999" + "9" * 400 + "\n")
    with pytest.raises(ScenarioError, match="path_loss_exponent: must be a finite number"):
        load_scenario(path)


@pytest.mark.parametrize("cf_list", [[867_100_050], [2**62], [-868_100_000], [915_000_000]])
def test_a_cf_list_frequency_the_region_cannot_use_is_refused(cf_list):
    # fuzz_network_uplink: a frequency not a multiple of 100 Hz threw out of World.run() at the
    # first join accept; a huge one overflowed the medium's channel arithmetic.
    def make():
        with World(network={"cf_list_hz": cf_list}) as world:
            world.network("EU868")
    with pytest.raises(ValueError, match="cf_list_hz"):
        make()
