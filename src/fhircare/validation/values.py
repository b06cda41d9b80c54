"""Comparing instance values with fixed[x] and pattern[x] values, and min/max values."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fhircare.validation.temporal import compare_datetimes


def _num(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def equals_fixed(value: Any, fixed: Any) -> bool:
    """Exact match: every element of ``fixed`` and nothing else (FHIR fixed[x])."""
    if isinstance(fixed, dict):
        if not isinstance(value, dict):
            return False
        keys = {k for k in value if k != "id"}
        if keys != set(fixed):
            return False
        return all(equals_fixed(value[k], v) for k, v in fixed.items())
    if isinstance(fixed, list):
        return (
            isinstance(value, list)
            and len(value) == len(fixed)
            and all(equals_fixed(a, b) for a, b in zip(value, fixed, strict=True))
        )
    if isinstance(fixed, int | float) and not isinstance(fixed, bool):
        a, b = _num(value), _num(fixed)
        return a is not None and a == b
    return bool(value == fixed)


def matches_pattern(value: Any, pattern: Any) -> bool:
    """Pattern match: the value has at least what the pattern has (FHIR pattern[x])."""
    if type(pattern) is str:  # the usual leaf (a system, a code): equal or not
        return bool(value == pattern)
    # plain loops, not all()/any() over generators: slicing asks this of every repetition
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for k, v in pattern.items():
            if k not in value:
                return False
            if type(v) is str:
                if value[k] != v:  # the usual leaf, compared here rather than in a call
                    return False
            elif not matches_pattern(value[k], v):
                return False
        return True
    if isinstance(pattern, list):
        if not isinstance(value, list):
            return False
        # every pattern item must be matched by some instance item
        for p in pattern:
            for item in value:
                if matches_pattern(item, p):
                    break
            else:
                return False
        return True
    if isinstance(pattern, int | float) and not isinstance(pattern, bool):
        a, b = _num(value), _num(pattern)
        return a is not None and a == b
    return bool(value == pattern)


def fixed_mismatches(value: Any, fixed: Any, path: str = "") -> list[tuple[str, str]]:
    """Where a complex value departs from a fixed one: (relative path, problem)."""
    out: list[tuple[str, str]] = []
    if isinstance(fixed, dict) and isinstance(value, dict):
        for k in value:
            if k != "id" and k not in fixed:
                out.append((f"{path}.{k}" if path else k, "extra"))
        for k, v in fixed.items():
            if k not in value:
                out.append((f"{path}.{k}" if path else k, "missing"))
            else:
                out.extend(fixed_mismatches(value[k], v, f"{path}.{k}" if path else k))
    elif not equals_fixed(value, fixed):
        out.append((path, "differs"))
    return out


def compare_ordered(value: Any, bound: Any, type_code: str) -> int | None:
    """Order of value vs bound for minValue/maxValue; None when not comparable."""
    if type_code in ("date", "dateTime", "instant", "time"):
        if isinstance(value, str) and isinstance(bound, str):
            return compare_datetimes(value, bound)
        return None
    a, b = _num(value), _num(bound)
    if a is None or b is None:
        return None
    return (a > b) - (a < b)


#: UCUM prefixes for the units a profile's min/max Quantity usually names
_PREFIX: dict[str, int | Decimal] = {
    "": 1,
    "k": 1000,
    "h": 100,
    "da": 10,
    "d": Decimal("0.1"),
    "c": Decimal("0.01"),
    "m": Decimal("0.001"),
    "u": Decimal("0.000001"),
    "n": Decimal("1e-9"),
}
_BASE_UNITS = ("g", "m", "L", "l", "s", "mol")


def _scale(unit: str) -> tuple[str, Decimal] | None:
    for base in _BASE_UNITS:
        if unit.endswith(base):
            prefix = unit[: -len(base)]
            if prefix in _PREFIX:
                return base, Decimal(_PREFIX[prefix])
    return None


def quantity_in_unit(value: dict[str, Any], bound: dict[str, Any]) -> Decimal | None:
    """The value expressed in the bound's unit (same code, or a UCUM prefix apart)."""
    number = _num(value.get("value"))
    if number is None:
        return None
    have = value.get("code") or value.get("unit")
    want = bound.get("code") or bound.get("unit")
    if have == want or not want:
        return number
    if not isinstance(have, str) or not isinstance(want, str):
        return None
    a, b = _scale(have), _scale(want)
    if a is None or b is None or a[0] != b[0]:
        return None
    return number * a[1] / b[1]
