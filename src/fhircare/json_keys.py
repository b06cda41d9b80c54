"""JSON objects that repeat a key. orjson (like most parsers) keeps the last value of a
repeated key without a word, so ``{"flag": true, ..., "flag": false}`` reads as false:
a FHIR resource that says two things (validation), or an extract row whose do-not-involve
flag is lost (found by a trial of a new layout). Both readers compare the keys the text
writes with the keys parsed, which costs one regular-expression scan of the text, and
name the first repeated key only when they differ."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

#: a JSON string, with the colon that makes it a key (a string followed by ':' is always a
#: key in valid JSON)
_STRING_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"(\s*:)?')


def shape(value: Any) -> tuple[int, int]:
    """(deepest nesting, number of object keys) of parsed JSON, without recursion."""
    deepest = 0
    keys = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        if type(node) is dict:
            keys += len(node)
            stack.extend((v, depth + 1) for v in node.values() if type(v) is dict or type(v) is list)
        elif type(node) is list:
            stack.extend((v, depth + 1) for v in node if type(v) is dict or type(v) is list)
    return deepest, keys


def repeats_a_key(data: bytes, keys: int) -> bool:
    """Whether the JSON text ``data`` (UTF-8, or any encoding in which '"', '\\' and ':'
    are their ASCII bytes) writes more keys than the ``keys`` its parse holds."""
    written = _STRING_TOKEN.findall(data)
    return len(written) - written.count(b"") != keys


def repeated_key(text: str) -> str:
    """The first key an object of the JSON ``text`` repeats ('?' if none is found)."""
    repeated: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        names = [k for k, _ in items]
        for k in names:
            if names.count(k) > 1 and not repeated:
                repeated.append(k)
        return dict(items)

    with contextlib.suppress(ValueError, RecursionError):
        json.loads(text, object_pairs_hook=pairs)
    return repeated[0] if repeated else "?"
