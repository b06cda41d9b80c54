"""Rules of a SearchParameter that no element states: a derived parameter is its parent's
kind of search (same type, a base its parent has), and a composite one combines; and a
CapabilityStatement declares each search parameter as the type its definition gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.structure import objects_in, strings_in


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


def check_capability_statement(
    statement: dict[str, Any],
    loc: str,
    sink: IssueSink,
    fetch: Callable[[str, str], dict[str, Any] | None],
) -> None:
    """A search parameter a server declares is of the type its definition says: a client
    that searches a token parameter as a date finds nothing, or the wrong things."""
    for r, rest in enumerate(objects_in(statement.get("rest"))):
        for t, resource in enumerate(objects_in(rest.get("resource"))):
            for n, declared in enumerate(objects_in(resource.get("searchParam"))):
                definition, kind = declared.get("definition"), declared.get("type")
                if not isinstance(definition, str) or not isinstance(kind, str):
                    continue
                parameter = fetch(definition, "SearchParameter")
                if parameter is None or not isinstance(defined := parameter.get("type"), str) or defined == kind:
                    continue
                version = parameter.get("version")
                url = f"{parameter.get('url', definition)}|{version}" if isinstance(version, str) else definition
                sink.error(
                    "business-rule",
                    f"{loc}.rest[{r}].resource[{t}].searchParam[{n}]",
                    f"Type mismatch - SearchParameter '{url}' type is {defined}, but type here is {kind}",
                )
