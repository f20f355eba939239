"""MicroPython source quirks that real scripts rely on (spec §1.4)."""

from runtime_support import run_script, write_tree
from usocket_emu import World
from usocket_emu._source import expand_indentation_tabs


def test_tabs_count_to_the_next_multiple_of_8_and_mix_with_spaces(tmp_path):
    # 8 spaces, then a TAB: both are column 8, as in nanogateway.py line 420.
    source = "def f(x):\n        if x:\n\t    return 'tab-and-4'\n\treturn 'tab'\nprint(f(1), f(0))\n"
    flash = write_tree(str(tmp_path / "dev"), {"main.py": source})
    with World(seed=1) as world:
        dev = world.add_device("d", flash)
        world.run()
        assert dev.output == "tab-and-4 tab\n", dev.output


def test_tab_expansion_leaves_strings_alone():
    source = 'x = """\n\tkeep\n"""\nif x:\n\ty = 1\n'
    assert expand_indentation_tabs(source) == 'x = """\n\tkeep\n"""\nif x:\n        y = 1\n'


def test_str_in_bytes_tests_the_utf8_bytes():
    _dev, out, _ = run_script("""
        data = b'{"tmst": 1}'
        print('tmst' in data, 'nope' in data, 'tmst' not in data, b'tm' in data, 1 in [1])
        print('é' in 'é'.encode(), 'a' in bytearray(b'abc'), 'x' in 'xyz')
    """)
    assert out == "True False False True True\nTrue True True\n"


def test_const_needs_no_import():
    _dev, out, _ = run_script("X = const(3)\nfrom micropython import const as c\nprint(X, c(4))\n")
    assert out == "3 4\n"


def test_print_goes_to_the_device_console_with_sep_end_and_file():
    _dev, out, _ = run_script("""
        import sys
        print(1, 2, sep='-', end='!\\n')
        print('to stdout', file=sys.stdout)
        sys.stdout.write('raw\\n')
        print('flush', flush=True)
    """)
    assert out == "1-2!\nto stdout\nraw\nflush\n"
