"""Named Python hooks: the mapping language's escape hatch, not its norm.

A column spec may name a hook (``{column: NHS_NO, hook: digits-only}``): a function
given the column's raw value and the whole row, returning the raw value to convert in its
place. Use one only where no declarative form can say what a trust's export needs.

Hooks are found by name among fhircare's built-in ones and the functions installed
Python packages declare in the ``fhircare.mapping_hooks`` entry point group, e.g. in a
trust's own package::

    [project.entry-points."fhircare.mapping_hooks"]
    pas-episode-key = "my_trust_hooks:episode_key"

A mapping file can therefore call only code that was installed on purpose as a hook,
never an arbitrary function named in the file. A hook that raises is a problem on the
row ("hook NAME failed"), never a crash, and its message is not shown (it may quote data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

Hook = Callable[[object, Mapping[str, object]], object]

ENTRY_POINT_GROUP = "fhircare.mapping_hooks"


def digits_only(value: object, row: Mapping[str, object]) -> object:
    """Only the digits of a value: ``"999 000 0018"`` or ``"999-000-0018"`` → ``"9990000018"``."""
    if not isinstance(value, str):
        return value
    return "".join(char for char in value if char.isascii() and char.isdigit())


def upper_case(value: object, row: Mapping[str, object]) -> object:
    """A value in upper case (postcodes written ``cf10 1aa``)."""
    return value.upper() if isinstance(value, str) else value


BUILT_IN: dict[str, Hook] = {"digits-only": digits_only, "upper-case": upper_case}


def find_hook(name: str) -> Hook | None:
    """The hook of this name: built in, or declared by an installed package."""
    found = BUILT_IN.get(name)
    if found is not None:
        return found
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            loaded = entry.load()
            return loaded if callable(loaded) else None
    return None


def known_hooks() -> list[str]:
    return sorted({*BUILT_IN, *(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))})
