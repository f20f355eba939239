"""Each device has its own modules; the host keeps CPython's."""

import sys

from runtime_support import run_script, write_tree
from usocket_emu import World


def _two_devices(tmp_path, files_a, files_b, until_s=None):
    a = write_tree(str(tmp_path / "a"), files_a)
    b = write_tree(str(tmp_path / "b"), files_b)
    with World(time="virtual", seed=3) as world:
        da = world.add_device("a", a)
        db = world.add_device("b", b)
        world.run(until_s=until_s)
        return da.output, db.output


def test_two_devices_importing_a_helper_of_the_same_name_share_nothing(tmp_path):
    helper = "count = 0\ndef bump():\n    global count\n    count += 1\n    return count\n"
    main = "import helper\nimport time\nfor _ in range(3):\n    time.sleep(1)\n    print(helper.bump(), helper.NAME)\n"
    out_a, out_b = _two_devices(
        tmp_path,
        {"lib/helper.py": helper + "NAME = 'A'\n", "main.py": main},
        {"helper.py": helper + "NAME = 'B'\n", "main.py": main},
    )
    assert out_a == "1 A\n2 A\n3 A\n"
    assert out_b == "1 B\n2 B\n3 B\n"


def test_built_in_modules_are_per_device_objects(tmp_path):
    main = "import network, usocket, sys\nprint(id(network) == id(sys.modules.get('x', network)))\n"
    script = "import usocket, socket, utime, time\nprint(usocket is socket, utime is time)\n"
    _dev, out, _ = run_script(script)
    assert out == "True True\n"
    with World(seed=1) as world:
        a = world.add_device("a", script="import usocket\nusocket.MARK = 'a'\nprint(usocket.MARK)\n")
        b = world.add_device("b", script="import usocket\nprint(getattr(usocket, 'MARK', None))\n")
        world.run()
        assert a.output == "a\n" and b.output == "None\n"
    del main


def test_the_host_sys_modules_stays_cpythons():
    before = set(sys.modules)
    run_script("import network, machine, pycom, utime, usocket, uos, json, struct\nprint('ok')\n")
    leaked = {name for name in set(sys.modules) - before
              if name in ("network", "machine", "pycom", "utime", "usocket", "uos", "ujson", "ustruct")}
    assert leaked == set()
    import json
    import struct
    assert json.__name__ == "json" and struct.calcsize("P") == struct.calcsize("@P")


def test_weak_links_look_on_the_path_first(tmp_path):
    files = {"time.py": "def sleep(s):\n    print('my sleep', s)\n",
             "main.py": "import time, utime\ntime.sleep(5)\nprint(utime.ticks_ms())\n"}
    flash = write_tree(str(tmp_path / "dev"), files)
    with World(seed=1) as world:
        dev = world.add_device("d", flash)
        world.run()
        assert dev.output == "my sleep 5\n0\n"


def test_built_in_modules_win_over_the_path(tmp_path):
    files = {"usocket.py": "raise RuntimeError('shadow')\n",
             "main.py": "import usocket\nprint(hasattr(usocket, 'socket'))\n"}
    flash = write_tree(str(tmp_path / "dev"), files)
    with World(seed=1) as world:
        dev = world.add_device("d", flash)
        world.run()
        assert dev.output == "True\n"


def test_unknown_module_raises_the_devices_import_error():
    _dev, out, _ = run_script("try:\n    import requests\nexcept ImportError as e:\n    print(e)\n")
    assert out == "no module named 'requests'\n"


def test_packages_and_relative_imports_in_lib(tmp_path):
    files = {
        "lib/pkg/__init__.py": "from .core import value\n",
        "lib/pkg/core.py": "value = 42\n",
        "main.py": "import pkg\nfrom pkg.core import value\nprint(pkg.value, value)\n",
    }
    flash = write_tree(str(tmp_path / "dev"), files)
    with World(seed=1) as world:
        dev = world.add_device("d", flash)
        world.run()
        assert dev.output == "42 42\n"


def test_host_modules_the_device_also_has():
    _dev, out, _ = run_script("import math, ure, ucollections\nprint(math.sqrt(16), ure.match('a+', 'aaa').group(0))\n")
    assert out == "4.0 aaa\n"


def test_boot_py_runs_before_main_py_in_the_same_device(tmp_path):
    files = {"boot.py": "import pycom\nprint('boot')\nX = 1\n", "main.py": "print('main', 'X' in globals())\n"}
    flash = write_tree(str(tmp_path / "dev"), files)
    with World(seed=1) as world:
        dev = world.add_device("d", flash)
        world.run()
        # pyexec runs boot.py and main.py in the same __main__ globals
        assert dev.output == "boot\nmain True\n"


def test_device_functions_do_not_show_the_emulators_factory_in_their_names():
    from usocket_emu.device import BUILTINS

    with World(seed=1) as world:
        dev = world.add_device("d", script="".join(f"import {name}\n" for name in BUILTINS) + "import uio\n")
        world.run()
        assert not dev.died, dev.output
        leaks = []
        for module in dev.importer.built_modules():
            for name, value in vars(module).items():
                members = vars(value).items() if isinstance(value, type) else [(name, value)]
                for member_name, member in members:
                    qualname = getattr(getattr(member, "__func__", member), "__qualname__", "")
                    if "<locals>" in qualname:
                        leaks.append(f"{module.__name__}.{member_name}: {qualname}")
        assert leaks == []
