#!/usr/bin/env bash
# tools/fuzz.sh: builds the libFuzzer targets of fuzz/ with clang and runs each one, then the
# scenario fuzzer, for SECONDS each (default 60: the CI run; `tools/fuzz.sh 1800` is the long
# run). Exits non-zero if any target found a crash (or failed to run).
#
#   tools/fuzz.sh [SECONDS] [TARGET...]      # TARGET: fuzz_mac, fuzz_scenario, ... (default: all)
#
# The seeds (fuzz/corpus/<target>/, plus the saved MAC states fuzz_seed_gen writes) are
# copied to a work folder, so the repository is never modified; corpora, crash inputs
# (artifacts/<target>/) and logs (logs/<target>.log) stay there. Environment:
#   FUZZ_BUILD_DIR  build folder (default build/fuzz)      FUZZ_JOBS   build jobs (default 1)
#   FUZZ_WORK       work folder (default: a new /tmp/usocket_fuzz.XXXXXX)
#   FUZZ_PARALLEL   targets run at once (default 1)        FUZZ_NICE   nice level (default 0)
#   FUZZ_NO_BUILD=1 use the existing build                 PYTHON      interpreter for fuzz_scenario.py
set -u

seconds=${1:-60}
shift $(( $# > 0 ? 1 : 0 ))
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build/fuzz}
jobs=${FUZZ_JOBS:-1}
parallel=${FUZZ_PARALLEL:-1}
nice_level=${FUZZ_NICE:-0}
python=${PYTHON:-}
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python=$root/.venv/bin/python; else python=python3; fi
fi

all_targets=(fuzz_lorawan_frame fuzz_lorawan_roundtrip fuzz_mac fuzz_mac_restore fuzz_network_uplink
             fuzz_sigfox fuzz_address fuzz_crypto fuzz_scenario)
targets=("$@")
(( ${#targets[@]} )) || targets=("${all_targets[@]}")

# -max_len per target: a LoRa frame is at most 255 bytes; the stateful targets read a
# sequence of steps; a saved US915 MAC state is about 1.4 kB.
max_len_of() {
    case "$1" in
        fuzz_lorawan_frame) echo 300 ;;
        fuzz_lorawan_roundtrip) echo 1024 ;;
        fuzz_mac_restore) echo 4096 ;;
        fuzz_address) echo 256 ;;
        *) echo 4096 ;;
    esac
}

if [[ "${FUZZ_NO_BUILD:-0}" != 1 ]]; then
    command -v clang++ >/dev/null || { echo "tools/fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }
    CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DUSOCKET_BUILD_FUZZ=ON -DUSOCKET_BUILD_TESTS=OFF \
        -DUSOCKET_BUILD_EXAMPLES=OFF -DUSOCKET_BUILD_BENCH=OFF -DUSOCKET_BUILD_PYTHON=OFF \
        -DCMAKE_BUILD_TYPE= "-DCMAKE_CXX_FLAGS=-O2 -g" >/dev/null || exit 2
    cmake --build "$build" -j"$jobs" --target fuzz_all || exit 2
fi

work=${FUZZ_WORK:-$(mktemp -d /tmp/usocket_fuzz.XXXXXX)}
mkdir -p "$work/corpus" "$work/logs"
cp -r "$root/fuzz/corpus/." "$work/corpus/"
mkdir -p "$work/corpus/fuzz_mac_restore"
"$build/fuzz/fuzz_seed_gen" "$work/corpus/fuzz_mac_restore" || exit 2
echo "tools/fuzz.sh: ${seconds} s per target, work folder $work"

run_one() {
    local t=$1 log="$work/logs/$1.log"
    mkdir -p "$work/artifacts/$t" "$work/corpus/$t"
    # Every input a fuzzer once crashed on runs first (fixed findings stay fixed).
    local regressions=()
    if [[ -d "$root/fuzz/regressions/$t" && "$t" != fuzz_scenario ]]; then
        while IFS= read -r f; do regressions+=("$f"); done < <(find "$root/fuzz/regressions/$t" -type f ! -name '*.cpp' ! -name '*.md')
    fi
    if (( ${#regressions[@]} )); then
        if ! "$build/fuzz/$t" -runs=1 "${regressions[@]}" >"$work/logs/$t.regressions.log" 2>&1; then
            echo 98 >"$work/logs/$t.rc"
            cp "$work/logs/$t.regressions.log" "$log"
            return 98
        fi
    fi
    if [[ "$t" == fuzz_scenario ]]; then
        nice -n "$nice_level" "$python" "$root/fuzz/fuzz_scenario.py" -max_total_time="$seconds" \
            -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 "$work/corpus/$t" >"$log" 2>&1
    else
        nice -n "$nice_level" "$build/fuzz/$t" -max_total_time="$seconds" -max_len="$(max_len_of "$t")" \
            -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" \
            "$work/corpus/$t" >"$log" 2>&1
    fi
    local rc=$?
    echo "$rc" >"$work/logs/$t.rc"
    return $rc
}

pids=()
for t in "${targets[@]}"; do
    run_one "$t" &
    pids+=($!)
    while (( $(jobs -rp | wc -l) >= parallel )); do
        wait -n
    done
done
wait

status=0
printf '%-24s %-6s %s\n' target result "final stats"
for t in "${targets[@]}"; do
    rc=$(cat "$work/logs/$t.rc" 2>/dev/null || echo 99)
    log="$work/logs/$t.log"
    if [[ "$t" == fuzz_scenario ]]; then
        stats=$(grep -E '^Done ' "$log" | tail -1)
    else
        stats=$(grep -E '^(#[0-9]+\s+DONE|Done [0-9]+ runs)' "$log" | tail -2 | tr '\n' ' ')
        stats+=" $(grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" | tr -s ' ' | tr '\n' ' ')"
    fi
    if [[ "$rc" == 0 ]]; then
        printf '%-24s %-6s %s\n' "$t" ok "$stats"
    else
        status=1
        printf '%-24s %-6s %s\n' "$t" FAILED "$stats (rc $rc, log $log)"
        ls "$work/artifacts/$t/" 2>/dev/null | sed 's/^/    artifact: /'
        grep -m3 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|FUZZ_CHECK failed|finding:' "$log" | sed 's/^/    /'
    fi
done
exit $status
