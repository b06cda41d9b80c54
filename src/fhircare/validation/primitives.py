"""FHIR R4 primitive types: JSON shape and lexical checks.

The regular expressions are the ones the R4 specification publishes for each
primitive (datatypes.html), compiled once. Each check returns ``None`` when the
value is acceptable or a message in the reference validator's wording.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import re
from collections.abc import Callable

from fhircare.validation.issues import IssueSink, Severity, read_location
from fhircare.validation.xhtml import active_content

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TZ = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"

DATE_RE = re.compile(rf"{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?")
DATETIME_RE = re.compile(rf"{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T{_TIME}{_TZ}?)?)?)?")
INSTANT_RE = re.compile(rf"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T{_TIME}{_TZ}")
TIME_RE = re.compile(_TIME)
CODE_RE = re.compile(r"[^\s]+( [^\s]+)*")
ID_RE = re.compile(r"[A-Za-z0-9\-\.]{1,64}")
OID_RE = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
UUID_RE = re.compile(r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
URI_RE = re.compile(r"\S*")
_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/=\s]*")

#: R4: "strings SHALL NOT exceed 1MB (1024*1024 characters) in size" (string, and markdown,
#: a string that may hold markdown; not a narrative's XHTML, nor base64 data)
MAX_STRING_CHARACTERS = 1024 * 1024
_LENGTH_LIMITED = frozenset({"string", "markdown"})
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

#: JSON shape of each primitive: "string", "boolean", "integer" or "number"
JSON_KIND: dict[str, str] = {
    "boolean": "boolean",
    "integer": "integer",
    "unsignedInt": "integer",
    "positiveInt": "integer",
    "decimal": "number",
}


PRIMITIVE_TYPES = frozenset(
    [
        "base64Binary",
        "boolean",
        "canonical",
        "code",
        "date",
        "dateTime",
        "decimal",
        "id",
        "instant",
        "integer",
        "markdown",
        "oid",
        "positiveInt",
        "string",
        "time",
        "unsignedInt",
        "uri",
        "url",
        "uuid",
        "xhtml",
    ]
)


#: R4 complex datatypes a choice element can take (the [x] suffixes besides primitives)
COMPLEX_TYPES = frozenset(
    [
        "Address",
        "Age",
        "Annotation",
        "Attachment",
        "CodeableConcept",
        "Coding",
        "ContactDetail",
        "ContactPoint",
        "Contributor",
        "Count",
        "DataRequirement",
        "Distance",
        "Dosage",
        "Duration",
        "Expression",
        "HumanName",
        "Identifier",
        "Money",
        "ParameterDefinition",
        "Period",
        "Quantity",
        "Range",
        "Ratio",
        "Reference",
        "RelatedArtifact",
        "SampledData",
        "Signature",
        "Timing",
        "TriggerDefinition",
        "UsageContext",
        "Meta",
    ]
)
CHOICE_SUFFIXES = frozenset({t[:1].upper() + t[1:] for t in PRIMITIVE_TYPES} | COMPLEX_TYPES)


def choice_type(suffix: str) -> str:
    """The type a choice property's suffix names: 'Quantity' → Quantity, 'String' → string."""
    lowered = suffix[:1].lower() + suffix[1:]
    return lowered if lowered in PRIMITIVE_TYPES else suffix


def is_primitive(type_code: str) -> bool:
    return (bool(type_code) and type_code[0].islower()) or type_code.startswith("http://hl7.org/fhirpath/System.")


def _valid_calendar_date(text: str) -> bool:
    """The regex accepts 2021-02-31; the calendar does not."""
    if len(text) < 10:
        return True
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    return day <= calendar.monthrange(year, month)[1]


def _check_date(value: str) -> str | None:
    if not DATE_RE.fullmatch(value) or not _valid_calendar_date(value):
        return f"Not a valid date format: '{value}'"
    return None


def _check_datetime(value: str) -> str | None:
    if not DATETIME_RE.fullmatch(value) or not _valid_calendar_date(value):
        if "T" in value and DATETIME_RE.fullmatch(value + "Z"):
            return "If a date has a time, it must have a timezone"
        return f"Not a valid date/time ({value})"
    if "T" in value and not re.search(_TZ + "$", value):
        return "If a date has a time, it must have a timezone"
    return None


def _check_instant(value: str) -> str | None:
    if not INSTANT_RE.fullmatch(value) or not _valid_calendar_date(value):
        return f"Not a valid instant ({value})"
    return None


def _check_time(value: str) -> str | None:
    return None if TIME_RE.fullmatch(value) else f"Not a valid time ({value})"


def _check_code(value: str) -> str | None:
    return None if CODE_RE.fullmatch(value) else f"The code '{value}' is not valid (whitespace rules)"


def _check_id(value: str) -> str | None:
    if ID_RE.fullmatch(value):
        return None
    if len(value) > 64:
        return f"Invalid id: Too long ({len(value)} chars)"
    return f"Invalid id: Invalid Characters ('{value}')"


def _check_oid(value: str) -> str | None:
    if not OID_RE.fullmatch(value):
        return f"OIDs must start with urn:oid: and be valid ({value})"
    digits = value[8:]
    # as the HL7 validator has it: roots this short are almost never real namespaces
    if digits.rfind(".") < 4 and not digits.startswith("1.3"):
        return f"OIDs must be valid ({digits})"
    return None


def _check_uuid(value: str) -> str | None:
    return None if UUID_RE.fullmatch(value) else f"UUIDs must be valid and lowercase ({value})"


def _check_uri(value: str) -> str | None:
    if not URI_RE.fullmatch(value):
        return f"URI values cannot have whitespace ('{value}')"
    if value.startswith("urn:oid:"):
        return _check_oid(value)
    if value.startswith("urn:uuid:"):
        return _check_uuid(value)
    return None


#: example.org and acme.com (with any subdomain) and example.com itself, as the HL7 validator has them
_EXAMPLE_URL = re.compile(r"https?://(([^/]*\.)?(example\.org|acme\.com)|example\.com)(/|:|$)")


def example_url_problem(value: str) -> str | None:
    """Example URLs (example.org, acme.com) cannot be resolved by anyone: not for real data."""
    # every URL the expression matches holds "example." or "acme.com": most URLs are
    # settled by the substring test, without the regex
    if ("example." in value or "acme.com" in value) and _EXAMPLE_URL.match(value):
        return f"Example URLs are not allowed in this context ({value})"
    return None


def _check_canonical(value: str) -> str | None:
    problem = _check_uri(value)
    if problem is None and not value.startswith("#") and ":" not in value:
        return f"Canonical URLs must be absolute URLs if they are not fragment references ({value})"
    return problem


def _check_base64(value: str) -> str | None:
    if not _BASE64_CHARS.fullmatch(value):
        return f"The value '{value[:40]}' is not a valid Base64 value"
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return f"The value '{value[:40]}' is not a valid Base64 value"
    return None


class Advice(str):
    """A finding about a primitive's form that is a warning, not an error: the value is
    still the value it says (a name with a trailing space), but it is not as it should be."""


class WrongJsonKind(str):
    """A finding that the JSON value is of another kind than its type's (42 where a string
    is due, "3" where a number is): an error of the JSON, before the value's own form."""


#: what the HL7 validator trims from a string's ends before comparing (trimProhibitedWS)
_PROHIBITED_AT_ENDS = " \t\n\r"
#: whitespace as the HL7 validator counts it (Utilities.isWhitespace): ASCII 9-13 and space,
#: NEL, the no-break spaces and the Unicode space and line separators
_HL7_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B))
)
#: Java's own (Character.isWhitespace): the no-break spaces are not, separators 1C-1F are; a
#: string of nothing but these is blank to the HL7 validator, which only hints at it
_JAVA_WHITESPACE = (_HL7_WHITESPACE - set("\x85\xa0\u2007\u202f")) | set("\x1c\x1d\x1e\x1f")
_ANY_WHITESPACE = _HL7_WHITESPACE | _JAVA_WHITESPACE
ALL_WHITESPACE = Advice("value should not be all whitespace")
WHITESPACE_AT_ENDS = Advice("value should not start or finish with whitespace")


def _check_string(value: str) -> str | None:
    """R4 string: "SHOULD not contain leading or trailing whitespace" (datatypes.html), so a
    warning, as the HL7 validator gives it. The value is not echoed: strings carry names and
    free text. A blank value (Java's whitespace only) is left alone, as there (it only hints)."""
    if not value:
        return "@value cannot be empty"
    if value[0] not in _ANY_WHITESPACE and value[-1] not in _PROHIBITED_AT_ENDS:
        return None
    if all(c in _JAVA_WHITESPACE for c in value):
        return None
    if all(c in _HL7_WHITESPACE for c in value):
        return ALL_WHITESPACE
    if value[0] in _PROHIBITED_AT_ENDS or value[-1] in _PROHIBITED_AT_ENDS:
        return WHITESPACE_AT_ENDS
    return None


def _check_markdown(value: str) -> str | None:
    return None if value else "@value cannot be empty"


def plain_string(value: str) -> bool:
    """Would _check_string find nothing to say? True is certain; False sends the value to
    the check. (CPython's strip returns the very string when there is nothing to strip.)"""
    return value != "" and value.strip(_PROHIBITED_AT_ENDS) is value and not value.isspace()


_LEXICAL: dict[str, Callable[[str], str | None]] = {
    "xhtml": active_content,
    "date": _check_date,
    "dateTime": _check_datetime,
    "instant": _check_instant,
    "time": _check_time,
    "code": _check_code,
    "id": _check_id,
    "oid": _check_oid,
    "uuid": _check_uuid,
    "uri": _check_uri,
    "url": _check_uri,
    "canonical": _check_canonical,
    "base64Binary": _check_base64,
    "string": _check_string,
    "markdown": _check_markdown,
}


def check_primitive(type_code: str, value: object) -> str | None:
    """Check a primitive's JSON value; returns a message or None."""
    kind = JSON_KIND.get(type_code, "string")
    if kind == "boolean":
        return None if isinstance(value, bool) else _wrong_kind("boolean", value)
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 1.0 is an integer in JSON; its range and sign still count
        if isinstance(value, float):
            # a number, but not a whole one: say what was wrong with it, as the HL7 validator does
            return f"The value '{value}' is not a valid integer"
        if isinstance(value, bool) or not isinstance(value, int):
            return _wrong_kind("number", value)
        if not INT32_MIN <= value <= INT32_MAX:
            return f"The value '{value}' is outside the range of a 32-bit integer"
        if type_code == "unsignedInt" and value < 0:
            return f"The value '{value}' is not a valid unsignedInt: must be zero or more"
        if type_code == "positiveInt" and value < 1:
            return f"The value '{value}' is not a valid positiveInt: must be one or more"
        return None
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _wrong_kind("number", value)
        return None
    if not isinstance(value, str):
        return _wrong_kind("string", value)
    if not value:
        return "@value cannot be empty"  # of any primitive written as a JSON string
    if len(value) > MAX_STRING_CHARACTERS and type_code in _LENGTH_LIMITED:
        return "value is longer than permitted maximum length of 1 MB (1048576 characters)"
    check = _LEXICAL.get(type_code)
    return check(value) if check else None


def check_resource_id(value: object) -> str | None:
    if not isinstance(value, str):
        return "Invalid Resource id: must be a string"
    if len(value) > 64:
        return f"Invalid Resource id: Too long ({len(value)} chars)"
    if not ID_RE.fullmatch(value):
        return f"Invalid Resource id: Invalid Characters ('{value}')"
    return None


def _wrong_kind(kind: str, value: object) -> WrongJsonKind:
    return WrongJsonKind(f"Error parsing JSON: the primitive value must be a {kind} (found {_json_kind(value)})")


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _checker(type_code: str) -> Callable[[object], str | None]:
    """A check for one primitive type, with the common well-formed case up front.

    Every primitive value of every resource passes through here, so a string that
    already matches its type's expression returns at once; anything else takes the
    general path, which finds the right message.
    """
    lexical = _LEXICAL.get(type_code)
    pattern = _FAST_PATTERNS.get(type_code)
    kind = JSON_KIND.get(type_code, "string")

    if kind != "string":
        return lambda value: check_primitive(type_code, value)
    if pattern is not None:
        fullmatch = pattern.fullmatch

        def check_pattern(value: object) -> str | None:
            if type(value) is str and len(value) < 4096 and fullmatch(value):
                return None
            return check_primitive(type_code, value)

        return check_pattern
    if lexical is None:

        def check_text(value: object) -> str | None:
            if type(value) is str and 0 < len(value) < 4096:
                return None
            return check_primitive(type_code, value)

        return check_text
    return lambda value: check_primitive(type_code, value)


def _string_check(value: object) -> str | None:
    # the commonest primitive by far, so checked without the general dispatch
    if type(value) is str and len(value) < 4096 and plain_string(value):
        return None
    return check_primitive("string", value)


def _markdown_check(value: object) -> str | None:
    if type(value) is str and 0 < len(value) < 4096:
        return None
    return check_primitive("markdown", value)


def _boolean_check(value: object) -> str | None:
    return None if type(value) is bool else check_primitive("boolean", value)


#: well-formed values of these types need no more than this expression
_FAST_PATTERNS = {
    "code": CODE_RE,
    "id": ID_RE,
    "instant": re.compile(rf"(19|20)[0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T{_TIME}{_TZ}"),
    # dates up to the 28th are valid in every month: later days take the calendar check
    "date": re.compile(r"(19|20)[0-9][0-9](-(0[1-9]|1[0-2])(-(0[1-9]|1[0-9]|2[0-8]))?)?"),
    "dateTime": re.compile(rf"(19|20)[0-9][0-9](-(0[1-9]|1[0-2])(-(0[1-9]|1[0-9]|2[0-8])(T{_TIME}{_TZ})?)?)?"),
    "uri": re.compile(r"(?!urn:(oid|uuid):)[^\s]+"),
    "url": re.compile(r"(?!urn:(oid|uuid):)[^\s]+"),
    # not '#id': a contained definition must be there, which the walk checks (engine)
    "canonical": re.compile(r"(?!urn:(oid|uuid):)[^\s#]*[:][^\s]*"),
}

#: type code → check of a value of that primitive type (None when acceptable)
PRIMITIVE_CHECKS: dict[str, Callable[[object], str | None]] = {t: _checker(t) for t in PRIMITIVE_TYPES}
PRIMITIVE_CHECKS["string"] = _string_check
PRIMITIVE_CHECKS["markdown"] = _markdown_check
PRIMITIVE_CHECKS["boolean"] = _boolean_check

#: type code → a quick test (callable from C, but for a string's ends) that a JSON string
#: shorter than 4096 characters passes its type's check in PRIMITIVE_CHECKS (returns None)
#: — the check's own first test, so the walk can settle the common well-formed value
#: without calling the check
QUICK_CHECKS: dict[str, Callable[[str], object]] = {t: p.fullmatch for t, p in _FAST_PATTERNS.items()}
QUICK_CHECKS["string"] = plain_string
QUICK_CHECKS["markdown"] = bool


def lexical_severity(problem: str) -> Severity:
    """How a lexical check's finding is reported: an Advice is a warning."""
    return "warning" if type(problem) is Advice else "error"


_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


def as_read(value: object) -> str | None:
    """The text a JSON primitive is read as, whatever its JSON kind (42 → '42', true →
    'true'), as the HL7 validator's reader reads it once it has reported a wrong kind; None
    for an object, an array or null. What a check of a value's text uses, so that a number
    where text is due is checked as that text, not passed over."""
    if type(value) is str:
        return value
    if type(value) in (int, float, bool):
        return json.dumps(value)
    return None


def _check_as_read(type_code: str, value: object) -> str | None:
    """What a value of the wrong JSON kind is found to be once read as its text: a number
    where text is due, text where an integer is due (other kinds are read as nothing more)."""
    kind = JSON_KIND.get(type_code, "string")
    if kind == "string":
        text = as_read(value)
        return None if text is None else check_primitive(type_code, text)
    if kind == "integer" and type(value) is str:
        if _INTEGER_TEXT.fullmatch(value):
            return check_primitive(type_code, int(value))
        return f"The value '{value}' is not a valid integer"
    return None


def report_lexical(
    sink: IssueSink, problem: str, type_code: str | None, value: object, loc: str, in_list: bool = False
) -> None:
    """Report what a primitive's check found at ``loc``. A JSON value of the wrong kind is
    reported where the HL7 validator's JSON reader reports it (issues.read_location), and
    then read as that reader reads it, as its text, whose form is checked in turn: a
    dateTime of 42 is also 'Not a valid date/time format', a canonical of 42 not absolute,
    as both validators say (the number was most likely meant as text)."""
    if type(problem) is WrongJsonKind:
        sink.error("invalid", read_location(loc, in_list), problem)
        follow = _check_as_read(type_code, value) if type_code is not None else None
        if follow:
            sink.add(lexical_severity(follow), "invalid", loc, follow)
        return
    sink.add(lexical_severity(problem), "invalid", loc, problem)


def well_formed(type_code: str, value: object) -> bool:
    """True only when PRIMITIVE_CHECKS[type_code] would find nothing wrong with ``value``
    (False says nothing: the check then decides). Strings of the quick-checked types,
    booleans and 32-bit integers; URL types are left out (the example-URL rule is not here)."""
    if type(value) is str:
        quick = QUICK_CHECKS.get(type_code)
        return quick is not None and type_code not in _URL_TYPES and len(value) < 4096 and bool(quick(value))
    if type(value) is bool:
        return type_code == "boolean"
    if type(value) is int:
        return type_code == "integer" and INT32_MIN <= value <= INT32_MAX
    return False


_URL_TYPES = frozenset({"uri", "url", "canonical"})

#: the same for URL types where example URLs are errors: the type's expression behind a
#: lookahead refusing what example_url_problem refuses (its expression, anchored the same)
QUICK_CHECKS_NO_EXAMPLES: dict[str, Callable[[str], object]] = {
    t: re.compile(f"(?!{_EXAMPLE_URL.pattern})(?:{_FAST_PATTERNS[t].pattern})").fullmatch
    for t in ("uri", "url", "canonical")
}
