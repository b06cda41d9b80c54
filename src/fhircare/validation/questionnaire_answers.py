"""One answer of a QuestionnaireResponse against its Questionnaire item: type, options, limits.

The rules are the R4 specification's (Questionnaire.item.type, answerOption, answerValueSet,
maxLength) and those of the core extensions a Questionnaire uses to constrain answers
(minValue, maxValue, maxDecimalPlaces, minLength, regex, mimeType, maxSize, unitOption,
referenceResource, optionExclusive), reported in the HL7 validator's words and at its
locations: a value's own checks at ``...answer[0].value.ofType(integer)``, option
membership of a choice at the answer.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.references import parse_reference
from fhircare.validation.temporal import compare_datetimes

_EXT = "http://hl7.org/fhir/StructureDefinition/"
MIN_VALUE = _EXT + "minValue"
MAX_VALUE = _EXT + "maxValue"
MAX_DECIMALS = _EXT + "maxDecimalPlaces"
MIN_LENGTH = _EXT + "minLength"
REGEX = _EXT + "regex"
ENTRY_FORMAT = _EXT + "entryFormat"
MIME_TYPE = _EXT + "mimeType"
MAX_SIZE = _EXT + "maxSize"
MIN_OCCURS = _EXT + "questionnaire-minOccurs"
MAX_OCCURS = _EXT + "questionnaire-maxOccurs"
REFERENCE_RESOURCE = _EXT + "questionnaire-referenceResource"
UNIT_OPTION = _EXT + "questionnaire-unitOption"
OPTION_EXCLUSIVE = _EXT + "questionnaire-optionExclusive"

#: R4 item type → the answer value types it takes (value[x] suffixes, JSON spelling)
ANSWER_TYPES: dict[str, tuple[str, ...]] = {
    "boolean": ("boolean",),
    "decimal": ("decimal",),
    "integer": ("integer",),
    "date": ("date",),
    "dateTime": ("dateTime",),
    "time": ("time",),
    "string": ("string",),
    "text": ("string",),
    "url": ("uri",),
    "attachment": ("Attachment",),
    "reference": ("Reference",),
    "quantity": ("Quantity",),
    # choice and open-choice: a Coding, or a primitive picked from answerOption
    "choice": ("Coding", "date", "time", "integer", "string"),
    "open-choice": ("Coding", "date", "time", "integer", "string"),
}


@dataclass(slots=True)
class AnswerServices:
    """What answer checks need from the validator (no import of the engine)."""

    #: (Coding or code, value set canonical) → in it? None when it cannot be told offline
    in_value_set: Callable[[Any, str], bool | None]
    #: is there a ValueSet with this canonical?
    has_value_set: Callable[[str], bool]
    #: is this the name of an R4 resource type?
    is_resource_type: Callable[[str], bool]


def extensions(item: dict[str, Any], url: str) -> list[dict[str, Any]]:
    found = item.get("extension")
    return [e for e in found if isinstance(e, dict) and e.get("url") == url] if isinstance(found, list) else []


def ext_value(item: dict[str, Any], url: str) -> Any:
    """The value[x] of the first extension with ``url`` (None when absent)."""
    for ext in extensions(item, url):
        for key, value in ext.items():
            if key.startswith("value"):
                return value
    return None


def answer_value(answer: dict[str, Any], prefix: str = "value") -> tuple[str, str, Any] | None:
    """(key, type, value) of an answer's value[x] (or an enableWhen's answer[x]), or None."""
    n = len(prefix)
    for key, value in answer.items():
        if key.startswith(prefix) and len(key) > n and key[n].isupper():
            suffix = key[n:]
            lowered = suffix[:1].lower() + suffix[1:]
            return key, lowered if lowered in _PRIMITIVES else suffix, value
    return None


_PRIMITIVES = frozenset({"boolean", "decimal", "integer", "date", "dateTime", "time", "string", "uri"})


def _option_values(item: dict[str, Any], key: str) -> list[Any]:
    options = item.get("answerOption")
    if not isinstance(options, list):
        return []
    return [o[key] for o in options if isinstance(o, dict) and key in o]


def check_answer(
    item: dict[str, Any],
    answer: dict[str, Any],
    answer_count: int,
    answer_loc: str,
    sink: IssueSink,
    services: AnswerServices,
) -> None:
    """The answer's value against the item: its type, then what that type's rules say."""
    item_type = item.get("type")
    found = answer_value(answer)
    if found is None or not isinstance(item_type, str):
        return
    _, value_type, value = found
    value_loc = f"{answer_loc}.value.ofType({value_type})"
    allowed = ANSWER_TYPES.get(item_type)
    if allowed is None:
        return
    if value_type not in allowed:
        if len(allowed) == 1:
            text = f"Answer value must be of the type {allowed[0]} not {value_type}"
        else:
            text = f"Answer value must be one of the {len(allowed)} types {', '.join(allowed)} not {value_type}"
        sink.error("structure", value_loc, text)
        return
    if item_type in ("choice", "open-choice"):
        _check_choice(item, item_type == "open-choice", value_type, value, answer_count, answer_loc, sink, services)
        return
    check = _BY_TYPE.get(item_type)
    if check is not None:
        check(item, value, value_loc, sink, services)


# -- per type -------------------------------------------------------------------------


def _number(text: Any) -> Decimal | None:
    if isinstance(text, bool) or not isinstance(text, int | float | str):
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def _min_max(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, kind: str) -> None:
    for url, minimum in ((MIN_VALUE, True), (MAX_VALUE, False)):
        bound = ext_value(item, url)
        if bound is None:
            continue
        if kind == "number":
            a, b = _number(value), _number(bound)
            order = None if a is None or b is None else (a > b) - (a < b)
        elif kind == "time":
            order = (str(value) > str(bound)) - (str(value) < str(bound))
        else:
            order = compare_datetimes(str(value), str(bound))
        if order is None:
            continue
        if minimum and order < 0:
            sink.error("invariant", loc, f"The value {value} is less than the allowed minimum of {bound}")
        elif not minimum and order > 0:
            sink.error("invariant", loc, f"The value {value} is greater than the allowed maximum of {bound}")


def _in_options(item: dict[str, Any], key: str, value: Any, loc: str, sink: IssueSink, what: str) -> None:
    """A typed answer to an item with answerOption must be one of the options."""
    if not isinstance(item.get("answerOption"), list) or not item["answerOption"]:
        return
    options = _option_values(item, key)
    if not options:
        sink.error("invariant", loc, f"Option list has no option values of type {what}")
    elif value not in options:
        sink.error("invariant", loc, f"The {what} {value} is not in the set of permitted values")


def _integer(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    _min_max(item, value, loc, sink, "number")
    _in_options(item, "valueInteger", value, loc, sink, "integer")


def _decimal(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    _min_max(item, value, loc, sink, "number")
    places = ext_value(item, MAX_DECIMALS)
    text = str(value)
    if isinstance(places, int) and "." in text and len(text) - text.rindex(".") - 1 > places:
        sink.error("invariant", loc, f"The value {text} has too many decimal places (limit = {places})")


def _date(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    _min_max(item, value, loc, sink, "date")
    _in_options(item, "valueDate", value, loc, sink, "date")


def _date_time(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    _min_max(item, value, loc, sink, "date")


def _time(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    _min_max(item, value, loc, sink, "time")
    _in_options(item, "valueTime", value, loc, sink, "time")


def _string(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    if not isinstance(value, str):
        return
    min_length = ext_value(item, MIN_LENGTH)
    if isinstance(min_length, int) and len(value) < min_length:
        sink.error(
            "invariant", loc, f"The answer '{value}' is shorter then the required minimum length of {min_length}"
        )
    max_length = item.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        sink.error("invariant", loc, f"The answer '{value}' is longer then the allowed maximum length of {max_length}")
    regex = ext_value(item, REGEX)
    if isinstance(regex, str):
        _regex(item, value, regex, loc, sink)
    if "\r" in value or "\n" in value:
        sink.warning("invariant", loc, "The answer should not contain new line characters")
    vs = item.get("answerValueSet")
    if isinstance(vs, str):
        if not services.has_value_set(vs):
            sink.warning("invariant", loc, f"The value set '{vs}' could not be found")
        elif services.in_value_set(value, vs) is False:
            sink.error("invariant", loc, f"The value '{value}' is not in the list of allowed values (value set '{vs}')")
    _in_options(item, "valueString", value, loc, sink, "string")


def _regex(item: dict[str, Any], value: str, regex: str, loc: str, sink: IssueSink) -> None:
    try:
        # the whole answer must match (Java's String.matches); answers are short, so a
        # backtracking pattern cannot run long on them (strings are capped at 1 MB anyway)
        matched = re.fullmatch(regex, value[:4096]) is not None
    except re.error:
        return
    if matched:
        return
    entry_format = ext_value(item, ENTRY_FORMAT)
    if isinstance(entry_format, str):
        text = f"The answer '{value}' does not conform to the expected format '{entry_format}' (regex '{regex}')"
    else:
        text = f"The answer '{value}' does not conform to the required regex '{regex}'"
    sink.error("invariant", loc, text)


def _attachment(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    if not isinstance(value, dict):
        return
    allowed = [str(ext_value({"extension": [e]}, MIME_TYPE)) for e in extensions(item, MIME_TYPE)]
    if allowed:
        content_type = value.get("contentType")
        if not isinstance(content_type, str):
            sink.error("required", loc, "A mime type is required for this answer")
        elif not any(content_type.startswith(a) for a in allowed):
            sink.error(
                "required",
                loc,
                f"The mime type {content_type} is not valid for this answer (allowed = {', '.join(allowed)})",
            )
    max_size = ext_value(item, MAX_SIZE)
    data = value.get("data")
    if isinstance(max_size, int | float) and not isinstance(max_size, bool) and max_size > 0 and isinstance(data, str):
        try:
            size = len(base64.b64decode("".join(data.split()), validate=True))
        except (binascii.Error, ValueError):
            return
        if size >= max_size:
            sink.error("required", loc, f"The attachment is too large (allowed = {max_size}, found = {size})")


def _reference(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    ref = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(ref, str) or ref.startswith("#"):
        return
    rt = parse_reference(ref).type
    allowed = [str(ext_value({"extension": [e]}, REFERENCE_RESOURCE)) for e in extensions(item, REFERENCE_RESOURCE)]
    if allowed:
        if rt is None:
            sink.error("invariant", loc, "Unable to determine the resource type, so the resource type can't be checked")
        elif rt not in allowed:
            sink.error(
                "invariant",
                loc,
                f"The resource type '{rt}' in the reference {ref} is not allowed (allowed = {','.join(allowed)})",
            )
    elif rt is not None and not services.is_resource_type(rt):
        sink.error("invariant", loc, f"The resource type {rt} in the reference {ref} is not valid")


def _quantity(item: dict[str, Any], value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    if not isinstance(value, dict):
        return
    units = [ext_value({"extension": [e]}, UNIT_OPTION) for e in extensions(item, UNIT_OPTION)]
    units = [u for u in units if isinstance(u, dict)]
    if units and not any(
        (u.get("system") is None or u.get("system") == value.get("system"))
        and (u.get("code") is None or u.get("code") == value.get("code"))
        and (u.get("display") is None or u.get("display") == value.get("unit"))
        for u in units
    ):
        shown = ",".join(f"{u.get('system', '')}#{u.get('code', '')}" for u in units)
        sink.error(
            "invariant", loc, f"The value {_show_quantity(value)} has a unit that is not valid (allowed = {shown})"
        )
    for url, minimum in ((MIN_VALUE, True), (MAX_VALUE, False)):
        bound = ext_value(item, url)
        if not isinstance(bound, dict):
            continue
        if bound.get("code") != value.get("code") or bound.get("system") != value.get("system"):
            continue  # different units: comparing them needs UCUM conversion, not attempted here
        a, b = _number(value.get("value")), _number(bound.get("value"))
        if a is None or b is None:
            continue
        if minimum and a < b:
            shown, limit = _show_quantity(value), _show_quantity(bound)
            sink.error("invariant", loc, f"The quantity {shown} is less than the allowed minimum of {limit}")
        elif not minimum and a > b:
            shown, limit = _show_quantity(value), _show_quantity(bound)
            sink.error("invariant", loc, f"The quantity {shown} is greater than the allowed maximum of {limit}")


def _show_quantity(q: dict[str, Any]) -> str:
    unit = f" {q['unit']}" if isinstance(q.get("unit"), str) else ""
    return f"{q.get('comparator', '')}{q.get('value')}{unit}"


_BY_TYPE: dict[str, Callable[[dict[str, Any], Any, str, IssueSink, AnswerServices], None]] = {
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "dateTime": _date_time,
    "time": _time,
    "string": _string,
    "attachment": _attachment,
    "reference": _reference,
    "quantity": _quantity,
}


# -- choice ---------------------------------------------------------------------------


def _check_choice(
    item: dict[str, Any],
    open_choice: bool,
    value_type: str,
    value: Any,
    answer_count: int,
    answer_loc: str,
    sink: IssueSink,
    services: AnswerServices,
) -> None:
    options = item.get("answerOption") if isinstance(item.get("answerOption"), list) else []
    if value_type == "Coding":
        if options:
            _coding_option(item, value, answer_count, answer_loc, sink)
        elif isinstance(item.get("answerValueSet"), str):
            _coding_in_value_set(item["answerValueSet"], value, answer_loc, sink, services)
        return
    if not options:
        return
    key = "value" + value_type[:1].upper() + value_type[1:]
    typed = _option_values(item, key)
    if value_type == "string" and open_choice:
        # free text beside the options: fine, unless it repeats one of the coded options
        for coding in _option_values(item, "valueCoding"):
            if isinstance(coding, dict) and isinstance(value, str):
                names = [coding.get("display"), coding.get("code")]
                if any(isinstance(n, str) and n.lower() == value.lower() for n in names):
                    sink.warning(
                        "invariant",
                        answer_loc,
                        f"The string value '{value}' matches an entry in the list of valid Codings, "
                        "so this is probably an error",
                    )
                    return
        return
    if not typed:
        if not open_choice:
            sink.error("invariant", answer_loc, f"Option list has no option values of type {value_type}")
        return
    if value not in typed:
        sink.error("invariant", answer_loc, f"The {value_type} {value} is not in the set of permitted values")


def _coding_option(item: dict[str, Any], value: Any, answer_count: int, loc: str, sink: IssueSink) -> None:
    if not isinstance(value, dict):
        return
    system, code = value.get("system"), value.get("code")
    for option in item["answerOption"]:
        coding = option.get("valueCoding") if isinstance(option, dict) else None
        if isinstance(coding, dict) and coding.get("system") == system and coding.get("code") == code:
            if ext_value(option, OPTION_EXCLUSIVE) is True and answer_count > 1:
                sink.error(
                    "invariant",
                    loc,
                    f"Selected answer {system}#{code} is an exclusive option - "
                    "can't select anything else at the same time",
                )
            return
    if not _option_values(item, "valueCoding"):
        sink.error("invariant", loc, "Option list has no option values of type coding")
        return
    shown = f"{system if system is not None else 'null'}::{code if code is not None else 'null'}"
    sink.error("invariant", loc, f"The code {shown} is not in the set of permitted values")


def _coding_in_value_set(vs: str, value: Any, loc: str, sink: IssueSink, services: AnswerServices) -> None:
    if not isinstance(value, dict):
        return
    if not services.has_value_set(vs):
        sink.warning("code-invalid", loc, f"ValueSet {vs} not found by validator")
        return
    system, code = value.get("system"), value.get("code")
    if not isinstance(code, str) and not isinstance(system, str):
        return  # a display only: nothing to look up
    if not isinstance(system, str):
        # a code with no system has no meaning, so it is in no value set (as the HL7
        # validator finds): a DIALOG rating "4" whose system was lost is not a rating of 4
        sink.error(
            "code-invalid",
            loc,
            f"The code '{code}' in the system 'null' is not in the options value set ({vs}) specified by the "
            "questionnaire: the Coding has no system, and a code with no system has no defined meaning",
        )
        return
    answer = services.in_value_set(value, vs)
    if answer is None:
        sink.warning(
            "code-invalid",
            loc,
            f"The code provided {code} cannot be validated in the options value set ({vs}) in the "
            f"questionnaire because the system {system} could not be found",
        )
    elif answer is False:
        sink.error(
            "code-invalid",
            loc,
            f"The code '{code}' in the system '{system}' is not in the options value set ({vs}) "
            "specified by the questionnaire",
        )
