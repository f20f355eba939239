#!/usr/bin/env bash
# The Python test suite against the extension of the sanitizer build (build/asan, built by
# .ci/run with -fsanitize=address,undefined): every call the tests make into the C++ core
# runs under AddressSanitizer and UndefinedBehaviorSanitizer, and any report fails the run.
#
# How: a copy of python/usocket_emu with the sanitized _core goes first on the path
# (`python -S` keeps site-packages' own copy and any editable-install finder out), and
# libasan is preloaded because CPython itself is not built with it. Pass pytest's `-s` when
# a test dies: pytest's capture of file descriptor 2 swallows the sanitizer's report. Leak detection is off:
# CPython frees little at exit and LeakSanitizer would report its arenas; leaks of the
# core are covered by the Catch2 suite, which .ci/run runs with detect_leaks=1.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build/asan}
shopt -s nullglob
sos=("$build"/bindings/_core*.so)
if ((${#sos[@]} != 1)); then
    echo "test_sanitized_python: no sanitized extension in $build/bindings (build it first)" >&2
    exit 2
fi
pkg="$build/python"
rm -rf "$pkg"
mkdir -p "$pkg"
cp -r python/usocket_emu "$pkg/"
rm -f "$pkg"/usocket_emu/_core*.so
cp "${sos[0]}" "$pkg/usocket_emu/"

site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
export PYTHONPATH="$PWD/$pkg:$PWD/tests/python:$site"
# libstdc++ too, right after libasan: ASan finds the real __cxa_throw when it starts, and
# CPython does not load libstdc++ until the extension comes.
export LD_PRELOAD
LD_PRELOAD="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libstdc++.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_init_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export USOCKET_SANITIZED=1  # tests that move a lot of data move less (test_resources.py)

.venv/bin/python -S -c "import usocket_emu._core as c, sys; \
    sys.exit(0 if c.__file__.startswith('$PWD/$pkg/') else 'not the sanitized core: ' + c.__file__)"
echo "test_sanitized_python: pytest with $build's extension under ASan and UBSan"
.venv/bin/python -S -m pytest -q -p no:cacheprovider "${@:2}" tests/python
