#!/usr/bin/env bash
# The demo: sets everything up, then
#  1. runs an unchanged device script that talks TCP and UDP to local servers the demo
#     starts itself (real time);
#  2. runs a scenario of three boards with `usocket-emu run` in virtual time: deep sleep,
#     NVS, a periodic Timer.Alarm and _thread workers, minutes of device life at once;
#  3. plays ping-pong between two boards over raw LoRa, in virtual time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
echo "--- usocket-emu run examples/python/lorawan_otaa/lorawan_otaa.toml (LoRaWAN, virtual time, 600 emulated seconds)"
.venv/bin/usocket-emu run examples/python/lorawan_otaa/lorawan_otaa.toml
echo "--- examples/python/tcp_udp_demo.py (TCP and UDP, real time)"
.venv/bin/python examples/python/tcp_udp_demo.py "$@"
echo "--- usocket-emu run examples/python/farm/farm.toml (virtual time, 200 emulated seconds)"
.venv/bin/usocket-emu run examples/python/farm/farm.toml
echo "--- usocket-emu run --time virtual examples/python/lora_pingpong/ping.py examples/python/lora_pingpong/pong.py (raw LoRa ping-pong)"
.venv/bin/usocket-emu run --time virtual examples/python/lora_pingpong/ping.py examples/python/lora_pingpong/pong.py
