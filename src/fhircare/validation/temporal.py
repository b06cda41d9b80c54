"""Comparing FHIR date/dateTime/instant values with FHIRPath's precision rules."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

#: a full date, in ASCII digits (int() reads other scripts' digits too, which do not sort as these)
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch


def _parse(value: str) -> tuple[tuple[int, ...], datetime | None]:
    """(calendar parts as far as given, an aware datetime when a time with zone is given)."""
    date_part, _, time_part = value.partition("T")
    parts = tuple([int(p) for p in date_part.split("-") if p])  # a list, not a generator: faster
    if not time_part:
        return parts, None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return parts, None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return parts, moment


def compare_datetimes(a: str, b: str) -> int | None:
    """-1, 0 or 1; None when precision makes the order undecidable (FHIRPath's empty), or
    when either is not a string (a wrong JSON type, reported by the structural checks)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return None
    if _FULL_DATE(a) and _FULL_DATE(b):
        # the commonest pair (a period's start and end dates): fixed-width digits compare as
        # text exactly as the (year, month, day) numbers below would
        return 0 if a == b else (-1 if a < b else 1)
    try:
        pa, ma = _parse(a)
        pb, mb = _parse(b)
    except ValueError:
        return None
    if ma is not None and mb is not None:
        # aware datetimes compare as instants, as their difference would
        return 0 if ma == mb else (-1 if ma < mb else 1)
    if ma is not None:
        pa = (ma.year, ma.month, ma.day)
    if mb is not None:
        pb = (mb.year, mb.month, mb.day)
    common = min(len(pa), len(pb))
    if pa[:common] != pb[:common]:
        return -1 if pa[:common] < pb[:common] else 1
    if len(pa) == len(pb) and ma is None and mb is None:
        return 0
    return None


_DAYS_PER_UNIT = {
    "a": 365.25,
    "mo": 30.4375,
    "wk": 7,
    "d": 1,
    "h": 1 / 24,
    "min": 1 / 1440,
    "s": 1 / 86400,
}


def date_from_now(duration: dict[str, Any], *, past: bool, today: date | None = None) -> str | None:
    """Today minus (past) or plus a UCUM Duration, as a date; None for other units."""
    unit = duration.get("code") or duration.get("unit")
    amount = duration.get("value")
    if unit not in _DAYS_PER_UNIT or not isinstance(amount, int | float) or isinstance(amount, bool):
        return None
    days = timedelta(days=float(amount) * _DAYS_PER_UNIT[unit])
    base = today or datetime.now(UTC).date()
    return (base - days if past else base + days).isoformat()
