"""The type stubs of usocket_emu._core name exactly what the extension binds."""

import ast
import pathlib

import usocket_emu
from usocket_emu import _core

STUB = pathlib.Path(usocket_emu.__file__).with_name("_core.pyi")


def _stub_tree():
    return ast.parse(STUB.read_text())


def _public(names):
    return {n for n in names if not n.startswith("_")}


def test_stub_module_level_names_match_the_extension():
    tree = _stub_tree()
    stubbed = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stubbed.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            stubbed.add(node.target.id)
    bound = _public(dir(_core)) | {"__version__"}
    assert stubbed == bound


def test_stub_class_members_match_the_extension():
    for node in _stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        stubbed = _public(item.name for item in node.body if isinstance(item, ast.FunctionDef))
        bound = _public(vars(getattr(_core, node.name)))
        assert stubbed == bound, node.name


def test_stub_overload_counts_match_the_bound_signatures():
    # pybind11 lists each overload as "N. name(...)" in the docstring.
    for node in _stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_core, node.name)
        counts = {}
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                counts[item.name] = counts.get(item.name, 0) + 1
        for name, count in counts.items():
            if name.startswith("_") and name != "__init__":
                continue
            member = vars(cls)[name]
            if isinstance(member, property):
                continue
            doc = member.__doc__ or ""
            bound = sum(1 for line in doc.splitlines() if line[:1].isdigit() and ". " in line) or 1
            assert bound == count, f"{node.name}.{name}: {bound} bound, {count} in the stub"
