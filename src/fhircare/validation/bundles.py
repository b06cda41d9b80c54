"""Bundle-level rules the element walk cannot see: fullUrls, ids, links."""

from __future__ import annotations

from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.references import parse_reference

_SINGLE_LINKS = ("self", "first", "previous", "prev", "next", "last")


def check_bundle(bundle: dict[str, Any], loc: str, sink: IssueSink) -> None:
    entries = bundle.get("entry")
    links = bundle.get("link")
    if isinstance(links, list):
        seen: set[str] = set()
        for i, link in enumerate(links):
            relation = link.get("relation") if isinstance(link, dict) else None
            if relation in _SINGLE_LINKS:
                if relation in seen:
                    sink.error(
                        "invalid",
                        f"{loc}.link[{i}]",
                        f"The link relationship type '{relation}' can only occur once",
                    )
                seen.add(relation)
    if not isinstance(entries, list):
        return
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        full_url = entry.get("fullUrl")
        resource = entry.get("resource")
        entry_loc = f"{loc}.entry[{i}]"
        if isinstance(full_url, str):
            if ":" not in full_url:
                sink.error("invalid", entry_loc, f"The fullUrl must be an absolute URL (not '{full_url}')")
            elif isinstance(resource, dict) and isinstance(resource.get("id"), str):
                parsed = parse_reference(full_url)
                if (
                    parsed.kind == "absolute"
                    and parsed.id
                    and parsed.type == resource.get("resourceType")
                    and parsed.id != resource["id"]
                ):
                    sink.error(
                        "invalid",
                        entry_loc,
                        f"The fullUrl '{full_url}' does not match the resource id '{resource['id']}'",
                    )
