"""Rules of a CodeSystem's own definition that no invariant states (the HL7 validator's).

A property is found by its code (a concept's ``property.code``) or its URI: two properties
with the same one leave a concept's property meaning either. A concept code defined twice,
at any depth, is reported where it is defined again (csd-1 says only that the codes of the
code system are not unique).
"""

from __future__ import annotations

from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.structure import objects_in


def check_code_system_resource(code_system: dict[str, Any], loc: str, sink: IssueSink) -> None:
    if "supplements" in code_system and code_system.get("content") != "supplement":
        # a supplement adds to another code system's concepts (designations, properties); one
        # that claims to be the code system itself would define codes nobody defined
        text = "CodeSystem Supplements SHALL have a content value of 'supplement'"
        sink.error("business-rule", f"{loc}.content", text)
    defined = _check_property_definitions(code_system, loc, sink)
    codes: set[str] = set()
    count = 0  # concepts at any depth
    stack = [(f"{loc}.concept[{n}]", c) for n, c in enumerate(objects_in(code_system.get("concept")))]
    stack.reverse()
    while stack:
        where, concept = stack.pop()
        count += 1
        code = concept.get("code")
        if isinstance(code, str):
            if code in codes:
                sink.error("business-rule", where, f"The code '{code}' has already been defined")
            codes.add(code)
        children = [(f"{where}.concept[{n}]", c) for n, c in enumerate(objects_in(concept.get("concept")))]
        stack.extend(reversed(children))
        for n, prop in enumerate(objects_in(concept.get("property"))):
            _check_property_value(prop, defined, f"{where}.property[{n}]", sink)
    _check_count(code_system, count, loc, sink)


#: the properties FHIR defines for every code system (concept-properties), by code, with their type
_KNOWN_PROPERTIES = {
    "status": "code",
    "inactive": "boolean",
    "effectiveDate": "dateTime",
    "deprecationDate": "dateTime",
    "retirementDate": "dateTime",
    "notSelectable": "boolean",
    "parent": "code",
    "child": "code",
    "partOf": "code",
    "synonym": "code",
    "comment": "string",
    "itemWeight": "decimal",
}
_CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties#"
#: a concept property's value[x] key → the property type it is of
_VALUE_TYPES = {
    "valueCode": "code",
    "valueCoding": "Coding",
    "valueString": "string",
    "valueInteger": "integer",
    "valueBoolean": "boolean",
    "valueDateTime": "dateTime",
    "valueDecimal": "decimal",
}


def _check_property_definitions(code_system: dict[str, Any], loc: str, sink: IssueSink) -> dict[str, str | None]:
    """Each property defined once, by URI and by code; a property FHIR defines (its URI in
    concept-properties) keeps FHIR's code and type, and HL7's namespace holds no others:
    a reader takes a property by its URI to mean what FHIR says it means. Returns the
    declared type of each property, by code and by URI (the first definition of each)."""
    defined: dict[str, str | None] = {}
    own_url: str = code_system["url"] if isinstance(code_system.get("url"), str) else ""
    for n, prop in enumerate(objects_in(code_system.get("property"))):
        where = f"{loc}.property[{n}]"
        uri, code, kind = prop.get("uri"), prop.get("code"), prop.get("type")
        kind = kind if isinstance(kind, str) else None
        for key, what in ((uri, "URI"), (code, "code")):
            if not isinstance(key, str):
                continue
            if key in defined:
                sink.error("business-rule", where, f"A property is already defined with the {what} '{key}'")
            else:
                defined[key] = kind
        if not isinstance(uri, str):
            if isinstance(code, str) and code in _KNOWN_PROPERTIES:
                sink.warning(
                    "business-rule",
                    where,
                    f"This property has only the standard code ('{code}') but not the standard URI "
                    f"'{_CONCEPT_PROPERTIES}{code}', so it has no clearly defined meaning in the terminology ecosystem",
                )
                if kind is not None and kind != _KNOWN_PROPERTIES[code]:
                    sink.warning(
                        "business-rule",
                        where,
                        f"Wrong type '{kind}': The code '{code}' identifies a property that has the type "
                        f"'{_KNOWN_PROPERTIES[code]}'",
                    )
            continue
        if "://hl7.org/fhir" not in uri:
            continue
        known = uri.removeprefix(_CONCEPT_PROPERTIES) if uri.startswith(_CONCEPT_PROPERTIES) else None
        if known not in _KNOWN_PROPERTIES:
            # the base specification's own code systems, and a code system naming its own
            # properties, may: no one else may invent a property in HL7's namespace
            base_spec = own_url.startswith("http://hl7.org/fhir/") and "/" not in own_url[20:]
            if not base_spec and not (own_url and uri.startswith(own_url)):
                text = (
                    f"Unknown CodeSystem Property '{uri}'. If you are creating your own property, do not create it "
                    "in the HL7 namespace"
                )
                sink.error("business-rule", where, text)
            continue
        if isinstance(code, str) and code in _KNOWN_PROPERTIES and code != known:
            sink.error(
                "business-rule",
                where,
                f"The URI '{uri}' is normally assigned the code '{known}'. Using the code '{code}' will usually "
                "create confusion in ValueSet filters etc",
            )
        if kind is not None and kind != _KNOWN_PROPERTIES[known]:
            sink.error(
                "business-rule",
                where,
                f"Wrong type '{kind}': The URI '{uri}' identifies a property that has the type "
                f"'{_KNOWN_PROPERTIES[known]}'",
            )
    return defined


def _check_property_value(prop: dict[str, Any], defined: dict[str, str | None], where: str, sink: IssueSink) -> None:
    """A concept's property value is of the type its property is defined with."""
    code = prop.get("code")
    if not isinstance(code, str):
        return
    if code not in defined:
        sink.warning(
            "business-rule",
            where,
            f"The property '{code}' has no definition in CodeSystem.property. Many terminology tools won't know "
            "what to do with it",
        )
    value_key = next((k for k in prop if k.startswith("value") and k in _VALUE_TYPES), None)
    kind = _VALUE_TYPES[value_key] if value_key is not None else None
    declared = defined.get(code)
    if kind is not None and declared is not None and kind != declared:
        sink.error(
            "business-rule",
            where,
            f"The property '{code}' has the invalid type '{kind}', when it is defined to have the type '{declared}'",
        )


def _check_count(code_system: dict[str, Any], count: int, loc: str, sink: IssueSink) -> None:
    """What a code system says of how many concepts it has, against what it holds: a reader
    trusts ``content`` and ``count`` to know whether the list in hand is the whole system."""
    content, stated = code_system.get("content"), code_system.get("count")
    if content == "complete" and count == 0:
        sink.warning(
            "business-rule",
            loc,
            "When a CodeSystem has content = 'complete', it doesn't make sense for there to be no concepts defined",
        )
    if content == "not-present" and count:
        sink.error(
            "invalid", f"{loc}.concept[0]", "The code system says it has no content present, but concepts are found"
        )
    if type(stated) is not int or stated < 0:
        return
    if content == "complete" and count != stated:
        sink.error(
            "invalid",
            f"{loc}.count",
            f"The code system is complete, but the number of concepts ({count}) does not match the stated total "
            f"number ({stated})",
        )
    elif content in ("example", "fragment") and count >= stated:
        sink.warning(
            "invalid",
            f"{loc}.count",
            f"The code system is a fragment/example, but the number of concepts ({count}) exceeds or matches the "
            f"stated total number ({stated})",
        )
