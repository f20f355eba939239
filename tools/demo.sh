#!/usr/bin/env bash
# The demo: sets everything up, then runs an unchanged device script that talks TCP and
# UDP to a local server the demo starts itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec .venv/bin/python examples/python/tcp_udp_demo.py "$@"
