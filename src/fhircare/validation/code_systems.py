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
    named: set[str] = set()  # property URIs and codes, as the HL7 validator keeps them
    for n, prop in enumerate(objects_in(code_system.get("property"))):
        for key, what in (("uri", "URI"), ("code", "code")):
            value = prop.get(key)
            if not isinstance(value, str):
                continue
            if value in named:
                sink.error(
                    "business-rule", f"{loc}.property[{n}]", f"A property is already defined with the {what} '{value}'"
                )
            else:
                named.add(value)
    codes: set[str] = set()
    stack = [(f"{loc}.concept[{n}]", c) for n, c in enumerate(objects_in(code_system.get("concept")))]
    stack.reverse()
    while stack:
        where, concept = stack.pop()
        code = concept.get("code")
        if isinstance(code, str):
            if code in codes:
                sink.error("business-rule", where, f"The code '{code}' has already been defined")
            codes.add(code)
        children = [(f"{where}.concept[{n}]", c) for n, c in enumerate(objects_in(concept.get("concept")))]
        stack.extend(reversed(children))
    _check_count(code_system, _count_concepts(code_system), loc, sink)


def _count_concepts(parent: dict[str, Any]) -> int:
    return sum(1 + _count_concepts(c) for c in objects_in(parent.get("concept")))


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
