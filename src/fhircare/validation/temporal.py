"""Comparing FHIR date/dateTime/instant values with FHIRPath's precision rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _parse(value: str) -> tuple[tuple[int, ...], datetime | None]:
    """(calendar parts as far as given, an aware datetime when a time with zone is given)."""
    date_part, _, time_part = value.partition("T")
    parts = tuple(int(p) for p in date_part.split("-") if p)
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
    """-1, 0 or 1; None when precision makes the order undecidable (FHIRPath's empty)."""
    try:
        pa, ma = _parse(a)
        pb, mb = _parse(b)
    except ValueError:
        return None
    if ma is not None and mb is not None:
        diff = ma - mb
        return 0 if diff == timedelta(0) else (-1 if diff < timedelta(0) else 1)
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
