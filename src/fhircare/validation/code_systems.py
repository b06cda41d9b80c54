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
