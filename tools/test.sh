#!/usr/bin/env bash
# The whole test suite: sets everything up, builds the C++ library, its Catch2 tests and
# the C++ examples with plain CMake and runs them with ctest, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh

cmake -S . -B build/cpp -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/cpp
ctest --test-dir build/cpp --output-on-failure -j2

.venv/bin/python -m pytest -q "$@"
