"""The values the walk remembers once found clean against an element, and their keys.

Real data repeats them: every care plan's categories and every DIALOG item are the same few
Codings, a patient's ethnic category and NHS number verification status the same few
extensions, an activity's schedule ("weekly") the same few Timings. A key holds everything the
value's own check depends on, and exists only for values whose check depends on nothing
around them (no id, no extension, no Reference): the engine then skips a value it has found
clean against the same element before (Validator.item). Strings are short and arrays small,
so what is remembered stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Key = tuple[Any, ...]


def plain_coding_key(value: dict[str, Any]) -> Key | None:
    """A Coding holding only short strings and booleans (the commonest value checked: a
    fast key of its own). Any property may be there: one R4 does not define is reported,
    and so never remembered."""
    if "id" in value or "extension" in value:
        return None
    key = tuple(value.items())
    if len(key) > 5:
        return None
    for _, part in key:
        if type(part) is str:
            if len(part) > 1024:
                return None
        elif type(part) is not bool:
            return None
    return key


def plain_extension_key(value: dict[str, Any]) -> Key | None:
    """A simple extension: a url and one value of a type whose check depends on nothing
    around it and which comes again (a code, boolean, uri, Coding or CodeableConcept: not a
    Reference, Attachment or '#' canonical, nor free text or dates)."""
    url = value.get("url")
    if len(value) != 2 or type(url) is not str or len(url) > 1024:
        return None
    # the one property besides the url (unpacked, not searched for: a generator costs more)
    (first, first_part), (second, second_part) = value.items()
    name, part = (second, second_part) if first == "url" else (first, first_part)
    if name in _PLAIN_SCALAR_VALUES:
        key = part if type(part) is bool or (type(part) is str and len(part) <= 1024) else None
    elif name in _PLAIN_CODED_VALUES and type(part) is dict:
        key = _frozen(part, 0)
    else:
        return None
    return None if key is None else (url, name, key)


def plain_timing_key(value: dict[str, Any]) -> Key | None:
    """A Timing: its own values all the way down."""
    frozen = _frozen(value, 0)
    return frozen if type(frozen) is tuple else None


def _frozen(value: Any, depth: int) -> Any:
    """``value`` as a hashable key, each number tagged with its JSON type (1, 1.0 and true
    are equal in Python, not in FHIR); None for anything with an id or extension, a long
    string, a long array or deep nesting."""
    kind = type(value)
    if kind is str:
        return value if len(value) <= 1024 else None
    if kind is bool or kind is int or kind is float:
        return (kind, value)
    if depth > 3:
        return None
    if kind is dict:
        if "id" in value or "extension" in value or "modifierExtension" in value:
            return None
        items = []
        for name, part in value.items():
            if type(part) is str and len(part) <= 1024:
                items.append((name, part))  # the commonest part (a system, a code), with no call
                continue
            frozen = _frozen(part, depth + 1)
            if frozen is None:
                return None
            items.append((name, frozen))
        return tuple(items)
    if kind is list and len(value) <= 8:
        parts = []
        for part in value:
            frozen = _frozen(part, depth + 1)
            if frozen is None:
                return None
            parts.append(frozen)
        return (list, tuple(parts))
    return None


_PLAIN_SCALAR_VALUES = frozenset({"valueCode", "valueBoolean", "valueUri"})
_PLAIN_CODED_VALUES = frozenset({"valueCoding", "valueCodeableConcept"})

#: datatype → the key of a value of it that may be remembered (None: not this one)
REMEMBERED: dict[str, Callable[[dict[str, Any]], Key | None]] = {
    "Coding": plain_coding_key,
    "Extension": plain_extension_key,
    "Timing": plain_timing_key,
}
