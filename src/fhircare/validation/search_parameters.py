"""Rules of a SearchParameter that no element states: a derived parameter is its parent's
kind of search (same type, a base its parent has), and a composite one combines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.structure import strings_in


def check_search_parameter(
    parameter: dict[str, Any],
    loc: str,
    sink: IssueSink,
    fetch: Callable[[str, str], dict[str, Any] | None],
) -> None:
    """As the HL7 validator checks them: a server that searches by the derived parameter as
    its parent would (a token search where the parent is a string one) finds other things."""
    components = parameter.get("component")
    if parameter.get("type") == "composite" and not (isinstance(components, list) and len(components) >= 2):
        sink.error(
            "business-rule",
            loc,
            "When the SearchParameter has a type of 'composite', then the SearchParameter must define two or "
            "more components",
        )
    derived_from = parameter.get("derivedFrom")
    if not isinstance(derived_from, str):
        return
    parent = fetch(derived_from, "SearchParameter")
    if parent is None:
        return  # nothing to compare with (the HL7 validator only says so: a warning)
    own_type, parent_type = parameter.get("type"), parent.get("type")
    if isinstance(own_type, str) and isinstance(parent_type, str) and own_type != parent_type:
        sink.error(
            "business-rule",
            loc,
            f"The type {own_type} is different to the type {parent_type} in the derivedFrom SearchParameter "
            f"{derived_from}",
        )
    parent_bases = strings_in(parent.get("base"))
    for base in strings_in(parameter.get("base")):
        if base not in parent_bases:
            sink.error(
                "business-rule",
                loc,
                f"The resource type {base} is not listed as a base in the SearchParameter this is derived from "
                f"({derived_from})",
            )
