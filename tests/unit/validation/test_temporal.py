"""Ordering FHIR dates and times (invariants such as per-1 compare them). A value of the
wrong JSON type (a mutated resource with a number for a date) orders as undecidable: the
structural checks report it; the comparison must not crash the validator (it did, with an
AttributeError, on mutated CareTeams)."""

from __future__ import annotations

import pytest

from fhircare.validation.temporal import compare_datetimes


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2024-01-01", "2024-01-02", -1),
        ("2024-01-02T10:00:00Z", "2024-01-02T11:00:00+01:00", 0),
        ("2024", "2024-05-01", None),  # precision: undecidable
        (20240101, "2024-01-01", None),
        ("2024-01-01", 5, None),
        (None, "2024-01-01", None),
        (["2024"], "2024-01-01", None),
    ],
)
def test_ordering(a: object, b: object, expected: int | None) -> None:
    assert compare_datetimes(a, b) == expected  # type: ignore[arg-type]
