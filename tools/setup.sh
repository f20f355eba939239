#!/usr/bin/env bash
# Installs everything usocket-emu needs on Debian 12 (run as root): the Debian packages,
# a virtual environment in .venv, and the package itself with its test tools from PyPI.
# `tools/setup.sh --fuzz` adds the fuzzing tools (clang, libFuzzer, atheris).
# Safe to run again: it installs only what is missing and rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3 python3-dev python3-venv g++ cmake ninja-build libboost-dev libfmt-dev catch2 libssl-dev tshark)
# --fuzz: also what tools/fuzz.sh needs: clang with libFuzzer and its sanitizer runtimes
# (Debian 12 ships them in libclang-rt-14-dev), and atheris for the scenario fuzzer.
fuzz=false
if [[ "${1:-}" == --fuzz ]]; then
    fuzz=true
    packages+=(clang libclang-rt-14-dev)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check pybind11 scikit-build-core pytest hypothesis cryptography
if $fuzz; then
    .venv/bin/python -m pip install -q --disable-pip-version-check atheris
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation ".[test]"
