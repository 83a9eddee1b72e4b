"""Babel extraction for `tipbot/messages.py`: every module-level string is a message.

`messages.py` holds plain English constants so that it reads like a script of all the bot says;
wrapping each one in a marker would make it harder to read and to merge. This extractor (named in
`babel.cfg`) yields every upper-case string constant, each `Command(...)` description and each
`Plural(...)` pair and each `N_(...)` (the values of the dict constants), with its line
number, so `pybabel extract` misses none of them.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

Extracted = tuple[int, str | None, str | tuple[str, ...], list[str]]


def extract_constants(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    tree = ast.parse(fileobj.read())
    known: dict[str, str] = {}  # constants seen so far, for `A = "..." + B + "..."`
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()]
            if not names or node.value is None:
                continue
            text = _constant(node.value, known)
            if text is not None:
                known.update(dict.fromkeys(names, text))
                yield node.value.lineno, None, text, []
            else:
                yield from _calls(node.value)


def _calls(value: ast.expr) -> Iterator[Extracted]:
    known: dict[str, str] = {}
    for call in ast.walk(value):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            continue
        args = [_constant(arg, known) for arg in call.args]
        if call.func.id == "Command" and len(args) == 2 and args[1] is not None:
            yield call.lineno, None, args[1], []
        elif call.func.id == "N_" and len(args) == 1 and args[0] is not None:
            yield call.lineno, None, args[0], []
        elif call.func.id == "Plural" and len(args) == 2 and None not in args:
            yield call.lineno, "ngettext", (str(args[0]), str(args[1])), []


def _constant(value: ast.expr, known: Mapping[str, str]) -> str | None:
    """A string literal, or literals and earlier constants joined with `+` (as ABOUT is)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.Name):
        return known.get(value.id)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        left, right = _constant(value.left, known), _constant(value.right, known)
        if left is not None and right is not None:
            return left + right
    return None
