# test_version.py: __version__ flows from pyproject.toml.
"""The package version has a single source: pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _pyproject_version() -> str:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)["project"]["version"]


def test_version_matches_pyproject(usocket_emu):
    assert usocket_emu.__version__ == _pyproject_version()


def test_version_is_a_dotted_str(usocket_emu):
    version = usocket_emu.__version__
    assert isinstance(version, str)
    assert all(part.isdigit() for part in version.split(".")[:3])
