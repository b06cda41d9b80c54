"""FHIR primitive checks: lexical rules, JSON shapes, and the fast path's agreement with them."""

from __future__ import annotations

import base64
import string
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhircare.validation.primitives import (
    INT32_MAX,
    PRIMITIVE_CHECKS,
    PRIMITIVE_TYPES,
    QUICK_CHECKS,
    check_primitive,
    check_resource_id,
    lexical_severity,
)

# FHIR time zones run from -13:59 to +14:00, in whole minutes
zones = st.one_of(
    st.just(UTC),
    st.integers(-(13 * 60 + 59), 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)
aware_datetimes = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=zones)
timespecs = st.sampled_from(["seconds", "milliseconds", "microseconds"])


def fhir_datetime(moment: datetime, spec: str) -> str:
    text = moment.isoformat(timespec=spec)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- valid values pass ----------------------------------------------------------------


@given(st.dates())
def test_every_calendar_date_is_a_valid_date_and_datetime(day: date) -> None:
    text = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    for type_code in ("date", "dateTime"):
        assert check_primitive(type_code, text) is None
        assert check_primitive(type_code, text[:7]) is None  # year-month
        assert check_primitive(type_code, text[:4]) is None  # year


@given(aware_datetimes, timespecs)
def test_every_aware_datetime_is_a_valid_datetime_and_instant(moment: datetime, spec: str) -> None:
    text = fhir_datetime(moment, spec)
    assert check_primitive("dateTime", text) is None, text
    assert check_primitive("instant", text) is None, text


@given(st.times(), timespecs)
def test_every_time_of_day_is_a_valid_time(moment: time, spec: str) -> None:
    assert check_primitive("time", moment.isoformat(timespec=spec)) is None


@given(st.binary(min_size=1, max_size=64))
def test_encoded_bytes_are_valid_base64(data: bytes) -> None:
    assert check_primitive("base64Binary", base64.b64encode(data).decode()) is None


@pytest.mark.parametrize("type_code", ["string", "code", "uri", "id", "base64Binary", "date", "markdown"])
def test_no_primitive_is_an_empty_string(type_code: str) -> None:
    # FHIR JSON: a primitive is absent or has a value; "" is neither (the HL7 validator agrees)
    assert check_primitive(type_code, "") is not None


@pytest.mark.parametrize(("type_code", "limited"), [("string", True), ("markdown", True), ("xhtml", False)])
def test_strings_are_limited_to_one_mebi_characters_but_narrative_is_not(type_code: str, limited: bool) -> None:
    # R4: strings SHALL NOT exceed 1024*1024 characters; a narrative (xhtml) is no string:
    # the HL7 validator accepts the R4 example ValueSet c80-doc-typecodes, whose narrative
    # is 1.3 MB. Characters, not bytes: 'é' is one character
    at_limit = "é" * (1024 * 1024)
    assert check_primitive(type_code, at_limit) is None or type_code == "xhtml"
    over = at_limit + "é"
    problem = check_primitive(type_code, over)
    assert (problem is not None and "1 MB" in problem) is limited


# --- invalid values produce a message ---------------------------------------------------

years = st.integers(1, 9999).map(lambda y: f"{y:04d}")
impossible_month_days = st.one_of(
    st.tuples(st.just(2), st.integers(30, 31)),
    st.tuples(st.sampled_from([4, 6, 9, 11]), st.just(31)),
    st.tuples(st.integers(13, 99), st.integers(1, 28)),
    st.tuples(st.just(0), st.integers(1, 28)),
    st.tuples(st.integers(1, 12), st.just(0)),
    st.tuples(st.integers(1, 12), st.integers(32, 99)),
)


@given(years, impossible_month_days)
def test_impossible_dates_are_rejected(year: str, month_day: tuple[int, int]) -> None:
    month, day = month_day
    text = f"{year}-{month:02d}-{day:02d}"
    assert check_primitive("date", text)
    assert check_primitive("dateTime", text)
    assert check_primitive("dateTime", f"{text}T10:00:00Z")
    assert check_primitive("instant", f"{text}T10:00:00Z")


@given(st.integers(1, 9999).filter(lambda y: y % 4 != 0 or (y % 100 == 0 and y % 400 != 0)))
def test_february_29_only_in_leap_years(year: int) -> None:
    assert check_primitive("date", f"{year:04d}-02-29")


def test_month_13_and_leap_day() -> None:
    assert check_primitive("date", "2021-13-01") == "Not a valid date format: '2021-13-01'"
    assert check_primitive("date", "2024-02-29") is None
    assert check_primitive("date", "2023-02-29") is not None


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), timespecs)
def test_datetime_with_time_but_no_timezone_is_rejected(moment: datetime, spec: str) -> None:
    text = moment.isoformat(timespec=spec)
    assert check_primitive("dateTime", text) == "If a date has a time, it must have a timezone"
    assert check_primitive("instant", text)


@given(st.dates())
def test_an_instant_needs_a_time(day: date) -> None:
    assert check_primitive("instant", f"{day.year:04d}-{day.month:02d}-{day.day:02d}")


id_chars = string.ascii_letters + string.digits + "-."


@given(st.text(alphabet=id_chars, min_size=65, max_size=200))
def test_ids_over_64_chars_are_rejected(value: str) -> None:
    assert check_primitive("id", value) == f"Invalid id: Too long ({len(value)} chars)"
    assert check_resource_id(value)


@given(st.text(alphabet=id_chars, max_size=30), st.text(alphabet=id_chars, max_size=30))
def test_ids_with_underscore_are_rejected(head: str, tail: str) -> None:
    value = f"{head}_{tail}"
    assert check_primitive("id", value)
    assert check_resource_id(value)


@given(st.text(alphabet=id_chars, min_size=1, max_size=64))
def test_ids_from_the_allowed_alphabet_pass(value: str) -> None:
    assert check_primitive("id", value) is None
    assert check_resource_id(value) is None


code_words = st.text(alphabet=string.ascii_letters + string.digits + "-:/", min_size=1, max_size=10)


@given(code_words, code_words, st.sampled_from(["lead", "trail", "double", "tab", "newline"]))
def test_codes_with_bad_whitespace_are_rejected(a: str, b: str, where: str) -> None:
    value = {
        "lead": f" {a}",
        "trail": f"{a} ",
        "double": f"{a}  {b}",
        "tab": f"{a}\t{b}",
        "newline": f"{a}\n{b}",
    }[where]
    assert check_primitive("code", value)


@given(code_words, code_words)
def test_codes_with_single_inner_spaces_pass(a: str, b: str) -> None:
    assert check_primitive("code", f"{a} {b}") is None


non_strings = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.lists(st.text(), max_size=2),
    st.dictionaries(st.text(), st.text(), max_size=2),
)
string_types = sorted(PRIMITIVE_TYPES - {"boolean", "integer", "unsignedInt", "positiveInt", "decimal"})


@given(st.sampled_from(string_types), non_strings)
def test_string_types_reject_non_string_json(type_code: str, value: object) -> None:
    message = check_primitive(type_code, value)
    assert message is not None
    assert message.startswith("Error parsing JSON: the primitive value must be a string")


@pytest.mark.parametrize("type_code", ["integer", "unsignedInt", "positiveInt", "decimal"])
def test_numeric_types_reject_booleans_and_strings(type_code: str) -> None:
    assert (
        check_primitive(type_code, True) == "Error parsing JSON: the primitive value must be a number (found a boolean)"
    )
    assert check_primitive(type_code, "1")
    assert check_primitive(type_code, None)


def test_boolean_rejects_string_and_number() -> None:
    assert check_primitive("boolean", "true")
    assert check_primitive("boolean", 1)
    assert check_primitive("boolean", False) is None


@given(st.one_of(st.integers(max_value=-(2**31) - 1), st.integers(min_value=2**31)))
def test_integers_outside_32_bits_are_rejected(value: int) -> None:
    for type_code in ("integer", "unsignedInt", "positiveInt"):
        assert check_primitive(type_code, value) == f"The value '{value}' is outside the range of a 32-bit integer"


def test_integer_range_edges() -> None:
    assert check_primitive("integer", INT32_MAX) is None
    assert check_primitive("integer", -(2**31)) is None
    assert check_primitive("integer", 2**31)
    assert check_primitive("positiveInt", 0) == "The value '0' is not a valid positiveInt: must be one or more"
    assert check_primitive("positiveInt", 1) is None
    assert check_primitive("unsignedInt", 0) is None
    assert check_primitive("unsignedInt", -1)
    assert check_primitive("integer", 1.5)


@pytest.mark.parametrize(
    ("type_code", "value"),
    [("positiveInt", 0.0), ("unsignedInt", -1.0), ("integer", float(2**31)), ("integer", 3e9)],
)
def test_integral_floats_still_get_range_and_sign_checks(type_code: str, value: float) -> None:
    assert check_primitive(type_code, value) is not None


@given(st.binary(min_size=1, max_size=48), st.sampled_from(["drop", "bad-char", "inner-pad"]))
def test_bad_base64_is_rejected(data: bytes, how: str) -> None:
    good = base64.b64encode(data).decode().rstrip("=")
    if how == "drop":
        # a length of 1 mod 4 is never valid, padded or not
        bad = good + "A" * ((1 - len(good)) % 4)
    elif how == "bad-char":
        bad = good[:1] + "!" + good[1:]
    else:
        bad = "=" + good
    assert check_primitive("base64Binary", bad) is not None


def test_empty_string_is_not_a_string_value() -> None:
    assert check_primitive("string", "") == "@value cannot be empty"
    assert PRIMITIVE_CHECKS["string"]("") == "@value cannot be empty"
    assert PRIMITIVE_CHECKS["markdown"]("")


def test_uri_with_whitespace_and_bad_urns() -> None:
    assert check_primitive("uri", "http://a b")
    assert check_primitive("uri", "urn:oid:1.2.x")
    assert check_primitive("uri", "urn:uuid:not-a-uuid")
    assert check_primitive("uri", "urn:uuid:2b4a8c8e-4b77-4e6b-9b1a-3e2c6a1f0d11") is None
    assert check_primitive("canonical", "Patient")  # neither absolute nor a fragment
    assert check_primitive("canonical", "#frag") is None


# --- the fast path agrees with the general check -------------------------------------------

_SAMPLES = [
    "",
    " ",
    "a",
    "a b",
    "a  b",
    " a",
    "a_b",
    "2021",
    "2021-02",
    "2021-02-28",
    "2021-02-29",
    "2024-02-29",
    "2021-04-31",
    "2021-13-01",
    "0000",
    "1900-01-01",
    "2021-02-28T10:00:00Z",
    "2021-02-28T10:00:00",
    "2021-02-28T24:00:00Z",
    "2021-02-28T23:59:60+14:00",
    "2021-02-28T10:00:00-14:00",
    "2021-02-28T10:00:00.123+05:30",
    "10:00:00",
    "10:00",
    "urn:oid:1.2.3",
    "urn:oid:1.02",
    "urn:uuid:2b4a8c8e-4b77-4e6b-9b1a-3e2c6a1f0d11",
    "urn:uuid:2B4A8C8E",
    "http://example.org/a",
    "http://a b",
    "#frag",
    "a#b:c",
    "Patient/1",
    "YQ==",
    "YQ",
    "a" * 65,
    "<div>x</div>",
]
lexical_strings = st.one_of(
    st.sampled_from(_SAMPLES),
    st.text(max_size=20),
    st.text(alphabet="0123456789-:TZ+.", max_size=30),
    st.from_regex(
        r"(19|20)\d\d-(0\d|1[0-3])-([0-3]\d)(T([012]\d):[0-6]\d:[0-6]\d(\.\d{1,3})?(Z|[+-]1[0-5]:00)?)?", fullmatch=True
    ),
    st.from_regex(r"urn:(oid|uuid):[0-9a-fA-F.\-]{0,40}", fullmatch=True),
    st.from_regex(r"[a-z]{0,5}[:#]?[^\s]{0,10}", fullmatch=True),
)
other_json = st.one_of(
    st.booleans(),
    st.integers(-(2**33), 2**33),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
# mostly strings: that is where the fast path's own expressions can go wrong
any_json = st.one_of(lexical_strings, lexical_strings, lexical_strings, other_json)


@pytest.mark.parametrize("type_code", sorted(PRIMITIVE_TYPES))
@settings(max_examples=150)
@given(value=any_json)
def test_fast_path_agrees_with_general_check(type_code: str, value: object) -> None:
    fast = PRIMITIVE_CHECKS[type_code](value)
    general = check_primitive(type_code, value)
    # the fast path must never accept what the general check rejects (nor the reverse)
    assert (fast is None) == (general is None), (type_code, value, fast, general)


@pytest.mark.parametrize(
    ("type_code", "value"),
    [("date", "202\u0661-01-01"), ("dateTime", "20\u06f21-01-01T10:00:00Z"), ("instant", "202\u0661-01-01T10:00:00Z")],
)
def test_fast_path_rejects_non_ascii_digits(type_code: str, value: str) -> None:
    assert check_primitive(type_code, value) is not None
    assert PRIMITIVE_CHECKS[type_code](value) is not None


def test_every_primitive_type_has_a_fast_check() -> None:
    assert set(PRIMITIVE_CHECKS) == set(PRIMITIVE_TYPES)


@pytest.mark.parametrize("type_code", ["integer", "unsignedInt", "positiveInt"])
def test_integer_types_name_a_number_that_is_not_whole(type_code: str) -> None:
    # "must be a number (found a number)" told the reader nothing: say an integer was wanted
    assert check_primitive(type_code, 1.5) == "The value '1.5' is not a valid integer"
    assert check_primitive(type_code, 2.0) is None  # 2.0 is the JSON number 2
    assert check_primitive("decimal", 1.5) is None


# --- a string's whitespace, as the HL7 validator judges it --------------------------------

# the whitespace and near-whitespace characters the rules tell apart
edge_chars = " \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2007\u2009\u202f\u3000\u200bab"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Smith", None),
        ("Smith ", "value should not start or finish with whitespace"),
        ("\tAnn", "value should not start or finish with whitespace"),
        ("line one\r\n", "value should not start or finish with whitespace"),
        ("inner  spaces are fine", None),
        ("\u00a0Ann", None),  # a no-break space is not trimmed there
        ("\u00a0\u2003", "value should not be all whitespace"),
        (" ", None),  # blank: the HL7 validator only hints at it
        ("\u2009 ", None),
    ],
)
def test_strings_with_whitespace_at_their_ends_are_warned_of(value: str, expected: str | None) -> None:
    problem = check_primitive("string", value)
    assert problem == expected
    if problem is not None:
        assert lexical_severity(problem) == "warning"
        assert value.strip() not in problem or not value.strip()  # the value is not echoed
    # markdown may start or end as it likes
    assert check_primitive("markdown", value) is None


@settings(max_examples=400)
@given(value=st.text(alphabet=edge_chars, min_size=1, max_size=6))
def test_the_quick_string_check_never_passes_what_the_check_warns_of(value: str) -> None:
    if QUICK_CHECKS["string"](value):
        assert check_primitive("string", value) is None, repr(value)
    assert PRIMITIVE_CHECKS["string"](value) == check_primitive("string", value), repr(value)
