"""Device-module tests share the runtime tests' helpers (runtime_support.run_script)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "runtime"))
