# test_pycom_network_uos.py: the device's pycom, network (WLAN, Server) and uos modules.
"""NVS and boot settings across resets, the RGB LED, the WLAN's NIC and sockets, uname per
board, urandom, and the /flash filesystem with the device's errno numbers.

Expected values come from the firmware source: modpycom.c (messages, u32 NVS ints, str
read-back), modwlan.c / modnetwork.c (constants, singleton, 'Network card not available'),
moduos.c (uname fields), MicroPython 1.11 extmod/vfs.c and Pycom vfs_littlefs.c (errnos).
"""

from __future__ import annotations

import os

import pytest
from runtime_support import run_script

from usocket_emu import World


def lines(out):
    return out.splitlines()


# --- pycom ------------------------------------------------------------------------------


def test_nvs_values_and_types_survive_a_soft_reset():
    dev, out, _ = run_script("""
        import pycom, sys
        if pycom.nvs_get('boot', 0) == 0:
            pycom.nvs_set('boot', 1)
            pycom.nvs_set('neg', -1)
            pycom.nvs_set('s', 'héllo')
            pycom.nvs_set('b', b'raw')
            pycom.nvs_set('big', 2**32 + 5)
            sys.exit()
        for k in ('neg', 's', 'b', 'big'):
            v = pycom.nvs_get(k)
            print(k, type(v).__name__, repr(v))
    """)
    assert dev.boots == 2
    assert lines(out) == ["neg int 4294967295", "s str 'héllo'", "b str 'raw'", "big int 5"]
    assert dev.state.nvs["s"] == "héllo".encode()


def test_nvs_errors_carry_the_firmware_messages():
    _, out, _ = run_script("""
        import pycom
        def attempt(f, *a):
            try:
                print(repr(f(*a)))
            except Exception as e:
                print(type(e).__name__, e.args)
        attempt(pycom.nvs_get, 'missing')
        attempt(pycom.nvs_get, 'missing', 7)
        attempt(pycom.nvs_set, 'a' * 16, 1)
        attempt(pycom.nvs_set, 'a' * 15, 1)
        attempt(pycom.nvs_set, 'k', 1.5)
        attempt(pycom.nvs_set, 'k', 'x' * 1984)
        attempt(pycom.nvs_erase, 'missing')
        pycom.nvs_set('gone', 3)
        pycom.nvs_erase('gone')
        attempt(pycom.nvs_get, 'gone', None)
        pycom.nvs_erase_all()
        attempt(pycom.nvs_get, 'a' * 15, 'erased')
    """)
    assert lines(out) == [
        "ValueError ('No matching object for the provided key',)",
        "7",
        "ValueError ('Key is too long',)",
        "None",
        "ValueError ('Value must be string, bytes or integer',)",
        "ValueError ('value too long (max: 1984)',)",
        "KeyError ('key not found',)",
        "None",
        "'erased'",
    ]


def test_nvs_fills_up_at_the_partition_capacity():
    _, out, _ = run_script("""
        import pycom
        n = 0
        try:
            while True:
                pycom.nvs_set('k%d' % n, n)
                n += 1
        except OSError as e:
            print(n, e.args)
        pycom.nvs_set('k0', 99)  # overwriting needs no new room
        print(pycom.nvs_get('k0'))
    """)
    assert lines(out) == ["755 ('No free space available',)", "99"]  # 6 pages * 126 entries - 1


def test_rgbled_needs_the_heartbeat_off_and_logs_the_colour():
    _, out, events = run_script("""
        import pycom
        print(pycom.heartbeat())
        try:
            pycom.rgbled(0xff0000)
        except OSError as e:
            print(e.args)
        pycom.heartbeat(False)
        pycom.rgbled(0x00ff00)
        print(hex(pycom.rgbled()))
    """)
    assert lines(out) == ["True", "('the requested operation is not possible',)", "0xff00"]
    assert [e["color"] for e in events if e["event"] == "rgbled"] == [0x00FF00]


def test_heartbeat_on_boot_takes_effect_at_the_next_boot():
    _, out, _ = run_script("""
        import pycom, sys
        print(pycom.heartbeat(), pycom.heartbeat_on_boot())
        if pycom.heartbeat_on_boot():
            pycom.heartbeat_on_boot(False)
            print('still', pycom.heartbeat())
            sys.exit()
    """)
    assert lines(out) == ["True True", "still True", "False False"]


def test_wifi_on_boot_false_leaves_no_network_card_after_a_reset():
    dev, out, _ = run_script("""
        import pycom, socket, sys
        try:
            socket.socket().close()
            print('socket ok')
        except OSError as e:
            print('socket', e.args)
        if pycom.nvs_get('step', 0) == 0:
            pycom.nvs_set('step', 1)
            pycom.wifi_on_boot(False)
            print(pycom.wifi_on_boot())
            sys.exit()
    """)
    assert lines(out) == ["socket ok", "False", "socket ('Network card not available',)"]
    assert dev.state.settings["wifi_on_boot"] is False


def test_station_mode_on_boot_without_an_ssid_has_no_network_card_even_without_import_network():
    # mptask configures Wi-Fi at boot: a station with no network to join is no IP card,
    # whether or not the script ever imports network.
    _dev, out, _ = run_script("""
        import pycom, socket, sys
        try:
            socket.socket().close()
            print('socket ok')
        except OSError as e:
            print('socket', e.args)
        if pycom.nvs_get('step', 0) == 0:
            pycom.nvs_set('step', 1)
            pycom.wifi_mode_on_boot(1)  # WLAN.STA
            pycom.wifi_ssid_sta(None)
            sys.exit()
    """)
    assert lines(out) == ["socket ok", "socket ('Network card not available',)"]


def test_wifi_on_boot_with_reconfig_applies_at_once():
    _, out, _ = run_script("""
        import pycom, socket
        pycom.wifi_on_boot(False, True)
        try:
            socket.socket()
        except OSError as e:
            print(e.args)
        pycom.wifi_on_boot(True, True)
        socket.socket().close()
        print('back')
    """)
    assert lines(out) == ["('Network card not available',)", "back"]


def test_boot_settings_validate_and_persist():
    _, out, _ = run_script("""
        import pycom, sys
        if pycom.nvs_get('step', 0) == 0:
            pycom.nvs_set('step', 1)
            try:
                pycom.wdt_on_boot_timeout(4999)
            except ValueError as e:
                print(e.args)
            pycom.wdt_on_boot_timeout(60000)
            pycom.wdt_on_boot(True)
            pycom.wifi_ssid_sta('home')
            pycom.wifi_mode_on_boot(9)  # ignored, as modpycom.c does
            sys.exit()
        print(pycom.wdt_on_boot_timeout(), pycom.wdt_on_boot(), pycom.wifi_ssid_sta(),
              pycom.wifi_pwd_sta(), pycom.wifi_mode_on_boot(), pycom.lte_modem_en_on_boot())
    """, until_s=30)  # the watchdog on boot would reset it every minute from then on
    assert lines(out) == ["('WDT on boot timeout must be >= 5000 ms',)", "60000 True home None 2 False"]


@pytest.mark.parametrize(("board", "psram"), [("LoPy4", "int"), ("LoPy", "'NO_EXT_RAM'")])
def test_constants_and_free_heap(board, psram):
    _, out, _ = run_script("""
        import pycom
        heap = pycom.get_free_heap()
        print(pycom.FACTORY, pycom.OTA_0, pycom.FAT, pycom.LittleFS, len(heap),
              'int' if isinstance(heap[1], int) else repr(heap[1]))
    """, board=board)
    assert out == f"0 1 0 1 2 {psram}\n"


# --- network ----------------------------------------------------------------------------


def test_boot_wlan_is_the_default_access_point_and_a_singleton():
    dev, out, _ = run_script("""
        import network
        w = network.WLAN()
        print(w is network.WLAN(), w.mode() == network.WLAN.AP, w.ssid(), w.isconnected())
        print(w.ifconfig())
        print(w.ifconfig(id=1))
        print(w.auth(), w.channel(), w.antenna() == w.MAN_ANT)
        print(network.WLAN.STA, network.WLAN.AP, network.WLAN.STA_AP, network.WLAN.WEP,
              network.WLAN.WPA, network.WLAN.WPA2, network.WLAN.WPA2_ENT, network.WLAN.INT_ANT,
              network.WLAN.EXT_ANT)
    """)
    mac = dev.config.wifi_mac
    assert lines(out) == [
        f"True True lopy4-wlan-{mac[4]:02x}{mac[5]:02x} False",
        "('0.0.0.0', '0.0.0.0', '0.0.0.0', '0.0.0.0')",
        "('192.168.4.1', '255.255.255.0', '192.168.4.1', '0.0.0.0')",
        "(3, 'www.pycom.io') 6 True",
        "1 2 3 1 2 3 5 0 1",
    ]


def test_deinit_removes_the_network_card_and_a_station_connect_brings_it_back():
    _, out, events = run_script("""
        import network, socket
        def try_socket():
            try:
                socket.socket().close()
                return 'ok'
            except OSError as e:
                return e.args
        w = network.WLAN()
        w.deinit()
        print(try_socket())
        w = network.WLAN(mode=network.WLAN.STA)
        print(try_socket(), w.isconnected(), w.ssid())
        w.connect('home', auth=(network.WLAN.WPA2, 'password'), timeout=5000)
        print(try_socket(), w.isconnected(), w.ssid(), w.ifconfig()[:3])
        w.disconnect()
        print(try_socket(), w.isconnected())
    """)
    assert lines(out) == [
        "('Network card not available',)",
        "('Network card not available',) False None",
        "ok True home ('127.0.0.1', '255.0.0.0', '127.0.0.1')",
        "('Network card not available',) False",
    ]
    assert [e["ssid"] for e in events if e["event"] == "wlan_connect"] == ["home"]


def test_wlan_argument_errors():
    _, out, _ = run_script("""
        import network
        w = network.WLAN()
        def attempt(f, *a, **k):
            try:
                print(repr(f(*a, **k)))
            except Exception as e:
                print(type(e).__name__, e.args)
        attempt(w.connect, 'x')                                  # AP mode
        attempt(w.scan)                                          # AP mode
        attempt(network.WLAN, 1, mode=network.WLAN.STA)
        attempt(network.WLAN, mode=network.WLAN.AP)
        attempt(network.WLAN, mode=network.WLAN.AP, ssid='ap', auth=(network.WLAN.WPA2, 'short'))
        attempt(network.WLAN, mode=7)
        w.init(mode=network.WLAN.STA)
        attempt(w.connect, 'x', auth=(network.WLAN.WPA2,))
        attempt(w.connect, 'x' * 33)
        attempt(w.ifconfig, id=2)
        attempt(w.ifconfig, config='static')
        attempt(w.channel, 3)
    """)
    assert lines(out) == [
        "OSError ('the requested operation is not possible',)",
        "OSError ('the requested operation is not possible',)",
        "OSError ('resource not available',)",
        "ValueError ('AP SSID not given',)",
        "ValueError ('invalid key length',)",
        "ValueError ('invalid argument(s) value',)",
        "ValueError ('invalid authentication tuple',)",
        "ValueError ('invalid argument(s) value',)",
        "OSError ('resource not available',)",
        "ValueError ('invalid argument(s) value',)",
        "OSError ('Wifi is not in promiscuous mode!',)",
    ]


def test_mac_scan_and_static_ifconfig():
    dev, out, _ = run_script("""
        import network
        w = network.WLAN(mode=network.WLAN.STA)
        m = w.mac()
        print(m.sta_mac == m[0], m.ap_mac == m[1])
        print(w.scan())
        w.connect('home', auth=(None, 'pw'))
        nets = w.scan()
        print(len(nets), nets[0].ssid, nets[0].channel, nets[0].rssi, nets[0] == tuple(nets[0]))
        w.ifconfig(config=('10.0.0.5', '255.255.255.0', '10.0.0.1', '8.8.8.8'))
        print(w.ifconfig())
        w.ifconfig(config='dhcp')
        print(w.ifconfig()[0])
    """)
    assert lines(out) == [
        "True True", "[]", "1 home 6 -45 True",
        "('10.0.0.5', '255.255.255.0', '10.0.0.1', '8.8.8.8')", "127.0.0.1",
    ]


def test_mac_comes_from_the_config_block():
    world = World(time="virtual", seed=1)
    with world:
        dev = world.add_device("d", script="import network\nprint(network.WLAN().mac())\n",
                               wifi_mac=b"\x30\xae\xa4\x01\x02\xff")
        world.run()
        assert dev.output == "(sta_mac=b'0\\xae\\xa4\\x01\\x02\\xff', ap_mac=b'0\\xae\\xa4\\x01\\x02\\x00')\n"


def test_server_state():
    _, out, _ = run_script("""
        import network
        s = network.Server()
        print(s.isrunning(), s.timeout())
        s.deinit()
        print(s.isrunning())
        s.init(login=('me', 'secret'), timeout=60)
        print(s.isrunning(), s.timeout(), s is network.Server())
        try:
            s.timeout(1)
        except ValueError as e:
            print(e.args)
        network.WLAN().deinit()
        print(s.isrunning())
    """)
    assert lines(out) == ["True 300", "False", "True 60 True", "('invalid argument(s) value',)", "False"]


# --- uos --------------------------------------------------------------------------------


@pytest.mark.parametrize(("board", "extra"), [
    ("LoPy", {"lorawan": "1.0.2"}),
    ("LoPy4", {"lorawan": "1.0.2", "sigfox": "1.0.1"}),
    ("FiPy", {"lorawan": "1.0.2", "sigfox": "1.0.1"}),
    ("SiPy", {"sigfox": "1.0.1"}),
    ("WiPy", {}),
])
def test_uname_fields_per_board(board, extra):
    _, out, _ = run_script("""
        import os
        u = os.uname()
        print(len(u), u.sysname, u.nodename, u.release, u.machine, u[0] == u.sysname)
        print(getattr(u, 'lorawan', '-'), getattr(u, 'sigfox', '-'))
    """, board=board)
    assert lines(out) == [
        f"{5 + len(extra)} {board} {board} 1.20.2.r6 {board} with ESP32 True",
        f"{extra.get('lorawan', '-')} {extra.get('sigfox', '-')}",
    ]


def test_urandom_is_deterministic_per_seed():
    script = "import uos\nprint(uos.urandom(8), len(uos.urandom(100)), uos.urandom(0))\n"
    first = run_script(script, seed=3)[1]
    again = run_script(script, seed=3)[1]
    other = run_script(script, seed=4)[1]
    assert first == again
    assert first != other
    assert first.split()[1:] == ["100", "b''"]


def test_file_round_trips_in_text_and_binary_modes():
    _, out, _ = run_script("""
        with open('data.txt', 'w') as f:
            print(f.write('héllo\\nworld\\n'))
        f = open('data.txt')
        print(repr(f.read(2)), repr(f.readline()), f.tell(), repr(f.readlines()))
        f.close()
        print([line for line in open('data.txt')])
        with open('bin', 'wb') as f:
            f.write('ab')          # str has the buffer protocol on the device
            f.write(b'\\x00\\xff')
            f.write(bytearray(b'z'))
        with open('bin', 'rb') as f:
            print(f.read(), f.seek(1), f.read(2))
            buf = bytearray(3)
            f.seek(0)
            print(f.readinto(buf), buf)
        with open('bin', 'a') as f:
            f.seek(0)
            f.write('!')
        with open('bin', 'r+b') as f:
            f.write(b'A')
        print(open('bin', 'rb').read())
        f = open('bin')
        f.close()
        f.close()
        try:
            f.read()
        except OSError as e:
            print(e.args)
    """)
    assert lines(out) == [
        "13",  # bytes written: é is two
        "'hé' 'llo\\n' 7 ['world\\n']",
        "['héllo\\n', 'world\\n']",
        "b'ab\\x00\\xffz' 1 b'b\\x00'",
        "3 bytearray(b'ab\\x00')",
        "b'Ab\\x00\\xffz!'",
        "(9,)",
    ]


def test_filesystem_errors_have_the_device_errno_numbers():
    _, out, _ = run_script("""
        import uos, errno
        def attempt(f, *a):
            try:
                r = f(*a)
                print('ok' if r is None else repr(r))
            except OSError as e:
                print(e.args[0], type(e).__name__, isinstance(e, OSError))
        uos.mkdir('d')
        open('d/f', 'w').close()
        attempt(open, 'missing.txt')          # ENOENT
        attempt(uos.mkdir, 'd')               # EEXIST
        attempt(open, 'd')                    # EISDIR
        attempt(uos.remove, 'd')              # ENOTEMPTY
        attempt(uos.listdir, 'd/f')           # ENOTDIR
        attempt(open, 'd/f', 'x')             # EEXIST
        attempt(open, 'nodir/f', 'w')         # ENOENT
        attempt(open, '/etc/passwd')          # ENODEV: no such mount
        attempt(uos.remove, '/')              # EPERM: the root itself
        attempt(uos.stat, 'missing')          # ENOENT
        attempt(uos.chdir, 'nowhere')         # ENOENT
        print(errno.ENOENT, errno.EEXIST, errno.EISDIR)
    """)
    assert lines(out) == [
        "2 OSError True", "17 OSError True", "21 OSError True", "90 OSError True",
        "20 OSError True", "17 OSError True", "2 OSError True", "19 OSError True",
        "1 OSError True", "2 OSError True", "2 OSError True", "2 17 21",
    ]


def test_errors_are_not_host_subclasses():
    _, out, _ = run_script("""
        try:
            open('missing')
        except OSError as e:
            print(e.args, isinstance(e, FileNotFoundError), e.args[0] == 2)
    """)
    assert out == "(2,) False True\n"


def test_directories_rename_remove_stat_and_the_root():
    dev, out, _ = run_script("""
        import os
        print(os.listdir('/'), os.getcwd())
        os.mkdir('/flash/lib')
        with open('/flash/lib/a.py', 'w') as f:
            f.write('x = 1\\n')
        print(os.listdir('lib'), os.listdir(b'lib'), list(os.ilistdir('lib')))
        print(os.stat('lib'), os.stat('lib/a.py')[0], os.stat('lib/a.py')[6], os.stat('/'))
        os.chdir('lib')
        print(os.getcwd(), os.listdir())
        os.rename('a.py', 'b.py')
        open('c.py', 'w').close()
        os.rename('c.py', 'b.py')        # replaces a file, as lfs_rename does
        print(os.listdir(), os.stat('b.py')[6])
        os.chdir('..')
        print(os.getcwd())
        os.chdir('/')
        print(os.getcwd(), os.listdir())
        os.chdir('/flash')
        os.remove('lib/b.py')
        os.rmdir('lib')
        print('lib' in os.listdir())
        st = os.statvfs('/flash')
        print(st[0], st[2], st[3] <= st[2], st[9], os.statvfs('/')[2])
    """)
    assert lines(out) == [
        "['flash'] /flash",
        "['a.py'] [b'a.py'] [('a.py', 32768, 0, 6)]",
        "(16384, 0, 0, 0, 0, 0, 0, 0, 0, 0) 32768 6 (16384, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
        "/flash/lib ['a.py']",
        "['b.py'] 0",
        "/flash",
        "/ ['flash']",
        "False",
        "4096 1024 True 255 0",
    ]


def test_device_code_cannot_escape_the_flash_folder(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("host secret")
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", script="""
import os
def attempt(f, *a):
    try:
        r = f(*a)
        print('LEAK', r)
    except OSError as e:
        print(e.args[0])
attempt(open, '../../../../../../../../%s')
attempt(open, '/flash/../%s')
attempt(open, 'link/secret.txt')
attempt(open, 'file_link')
attempt(os.listdir, 'link')
attempt(os.remove, 'file_link')
""" % (str(outside).lstrip("/"), str(outside).lstrip("/")))
        os.symlink(tmp_path, os.path.join(dev.flash_dir, "link"))
        os.symlink(outside, os.path.join(dev.flash_dir, "file_link"))
        world.run()
        out = dev.output
    assert "LEAK" not in out
    assert lines(out) == ["19", "19", "2", "2", "2", "2"]
    assert outside.read_text() == "host secret"


def test_files_cross_between_the_world_and_the_device():
    script = "import json\nprint(json.loads(open('cfg.json').read())['k'])\nopen('out.txt', 'w').write('héllo')\n"
    with World(time="virtual", seed=1) as world:
        dev = world.add_device("d", script=script, files={"cfg.json": '{"k": 42}'})
        world.run()
        assert dev.output == "42\n"
        with open(os.path.join(dev.flash_dir, "out.txt"), "rb") as f:
            assert f.read() == "héllo".encode()


def test_wdt_on_boot_starts_the_watchdog_before_boot_py():
    dev, out, events = run_script("""
        import machine, pycom, sys, time
        print('boot', machine.reset_cause())
        if machine.reset_cause() == machine.PWRON_RESET:
            pycom.wdt_on_boot_timeout(5000)
            pycom.wdt_on_boot(True)
            sys.exit()
        if machine.reset_cause() == machine.SOFT_RESET:
            time.sleep(60)  # nobody feeds the watchdog started at boot
        pycom.wdt_on_boot(False)  # for the next boot: this boot's watchdog still runs
    """, until_s=100)
    assert lines(out) == ["boot 0", "boot 4", "boot 2", "boot 2"]
    boots = [e["t_us"] for e in events if e["event"] == "boot"]
    resets = [(e["t_us"], e["reset_cause"]) for e in events if e["event"] == "reset"]
    assert resets == [(0, 4), (boots[1] + 5_000_000, 2), (boots[2] + 5_000_000, 2)]


def test_too_many_arguments_get_micropythons_argcheck_message():
    _, out, _ = run_script("""
        import pycom, os
        for call in (lambda: pycom.heartbeat(True, 1), lambda: pycom.wifi_mode_on_boot(1, 2),
                     lambda: os.dupterm(None, 1)):
            try:
                call()
            except TypeError as e:
                print(e.args[0])
    """)
    assert lines(out) == ["function expected at most 1 arguments, got 2"] * 3
