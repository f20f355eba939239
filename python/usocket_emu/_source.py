"""Compiling device source as MicroPython reads it.

Two MicroPython-isms that real Pycom scripts rely on change how source is compiled:

- a TAB in indentation advances to the next multiple of 8, so tabs and spaces may be mixed
  (CPython raises TabError);
- ``'abc' in some_bytes`` tests the UTF-8 bytes (CPython raises TypeError).

The first is handled by rewriting indentation when CPython refuses the file; the second by
compiling every ``in`` / ``not in`` comparison into a call of CONTAINS_HELPER, which device
builtins provide.
"""

import ast
import threading

__all__ = ["CONTAINS_HELPER", "compile_device_source", "contains", "expand_indentation_tabs"]

#: The builtin name that device code's ``in`` comparisons call.
CONTAINS_HELPER = "__usocket_emu_contains__"

#: MicroPython's tab stop in indentation (py/lexer.c).
TAB_STOP = 8

_BYTES_LIKE = (bytes, bytearray, memoryview)


def contains(item, container):
    """``item in container`` with MicroPython's ``str in bytes`` (the str's UTF-8 bytes)."""
    if isinstance(item, str) and isinstance(container, _BYTES_LIKE):
        return item.encode() in bytes(container)
    return item in container


def _end_of_line_string_state(line, open_quote):
    """The triple quote still open at the end of ``line`` (None if none), given the one
    open at its start."""
    i, n = 0, len(line)
    while i < n:
        if open_quote is not None:
            if line[i] == "\\":
                i += 2
                continue
            if line.startswith(open_quote, i):
                i += 3
                open_quote = None
                continue
            i += 1
            continue
        ch = line[i]
        if ch == "#":
            return None
        if ch in "'\"":
            if line.startswith(ch * 3, i):
                open_quote = ch * 3
                i += 3
                continue
            i += 1  # a one-line string: skip to its closing quote
            while i < n and line[i] != ch:
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        i += 1
    return open_quote


def expand_indentation_tabs(source):
    """Rewrites each line's indentation as spaces, a TAB reaching the next multiple of 8."""
    out = []
    open_quote = None
    for line in source.splitlines(keepends=True):
        if open_quote is None:
            body = line.lstrip(" \t\f")
            indent = line[: len(line) - len(body)]
            if "\t" in indent:
                column = 0
                for ch in indent:
                    if ch == "\t":
                        column = (column // TAB_STOP + 1) * TAB_STOP
                    elif ch == " ":
                        column += 1
                    else:  # a form feed resets the column, as in both lexers
                        column = 0
                line = " " * column + body
        open_quote = _end_of_line_string_state(line, open_quote)
        out.append(line)
    return "".join(out)


class _ContainsRewriter(ast.NodeTransformer):
    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.In, ast.NotIn)):
            return node
        call = ast.Call(
            func=ast.Name(id=CONTAINS_HELPER, ctx=ast.Load()),
            args=[node.left, node.comparators[0]],
            keywords=[],
        )
        result = call if isinstance(node.ops[0], ast.In) else ast.UnaryOp(op=ast.Not(), operand=call)
        return ast.fix_missing_locations(ast.copy_location(result, node))


def _parse(source, filename):
    try:
        return ast.parse(source, filename)
    except TabError:
        pass  # parsed again below, outside the handler: a real error is then reported alone
    except IndentationError as error:  # some Pythons report mixed tabs as IndentationError
        if "\t" not in source:
            raise
        try:
            return ast.parse(expand_indentation_tabs(source), filename)
        except SyntaxError:
            raise error from None
    return ast.parse(expand_indentation_tabs(source), filename)


_cache = {}
_cache_lock = threading.Lock()


def compile_device_source(source, filename):
    """Compiles device source (str) as MicroPython would accept it. Code objects are
    immutable, so one compilation serves every device and every boot."""
    key = (filename, source)
    with _cache_lock:
        code = _cache.get(key)
    if code is None:
        tree = _ContainsRewriter().visit(_parse(source, filename))
        code = compile(tree, filename, "exec", dont_inherit=True)
        with _cache_lock:
            _cache[key] = code
    return code
