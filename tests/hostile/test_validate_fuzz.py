"""A bounded-time fuzz test of the JSON reader: whatever the bytes, parse_resource returns a
resource or an InputError (never raises), and a resource it returns is a JSON object with a
resourceType within the depth limit."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.errors import InputError
from fhircare.validation.inputs import ReadLimits, parse_resource

LIMITS = ReadLimits(max_depth=20, max_number_digits=30)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=40,
)


def _check(data: bytes) -> None:
    parsed = parse_resource(data, file="fuzz.json", limits=LIMITS)
    if isinstance(parsed, InputError):
        assert parsed.message and str(parsed).startswith("fuzz.json")
    else:
        assert isinstance(parsed, dict) and isinstance(parsed["resourceType"], str)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes(data: bytes) -> None:
    _check(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.integers(min_value=0, max_value=40), st.binary(max_size=3))
def test_resources_cut_nested_and_spliced(value: object, cut: int, junk: bytes) -> None:
    data = json.dumps({"resourceType": "Patient", "x": value}).encode()
    _check(data)
    _check(data[: len(data) - cut] + junk)
    _check(b"[" * cut + data + b"]" * cut)
    _check(data.replace(b'"x"', b'"resourceType"', 1))
