"""Bundle-level rules the element walk cannot see: fullUrls, ids, links, search results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.primitives import as_read
from fhircare.validation.references import parse_reference

_SINGLE_LINKS = ("self", "first", "previous", "prev", "next", "last")
#: the Bundle types whose entries may leave out fullUrl (the server assigns the identity)
_FULL_URL_OPTIONAL = frozenset({"transaction", "batch", "transaction-response", "batch-response"})


def check_bundle(bundle: dict[str, Any], loc: str, sink: IssueSink, is_resource_type: Callable[[str], bool]) -> None:
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
    if bundle.get("type") == "searchset":
        _check_search_results(bundle, entries, loc, sink, is_resource_type)
    full_url_required = bundle.get("type") not in _FULL_URL_OPTIONAL
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        full_url = entry.get("fullUrl")
        resource = entry.get("resource")
        entry_loc = f"{loc}.entry[{i}]"
        if full_url is None and isinstance(resource, dict) and full_url_required:
            # the fullUrl is the resource's identity: what the other entries' references
            # resolve to (R4 Bundle, "fullUrl"; the HL7 validator's words)
            sink.error(
                "required",
                entry_loc,
                "Except for transactions and batches, each entry in a Bundle must have a fullUrl which is the "
                "identity of the resource in the entry",
            )
        read = as_read(full_url)  # a number read as its text, as the HL7 validator reads it
        if read is not None and ":" not in read:
            sink.error("invalid", entry_loc, f"The fullUrl must be an absolute URL (not '{read}')")
        elif isinstance(full_url, str) and isinstance(resource, dict) and isinstance(resource.get("id"), str):
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


# -- search results (what the partner API answers with) ------------------------------------

_NO_ID = "Search results must have ids"
_NO_MODE = "SearchSet bundles should have search modes on the entries"


def _searched_types(bundle: dict[str, Any], is_resource_type: Callable[[str], bool]) -> list[str] | None:
    """The resource types the self link searched for (``.../Patient?...`` or ``_type=``);
    None when the Bundle has no self link."""
    links = bundle.get("link")
    self_url = next(
        (
            link.get("url")
            for link in (links if isinstance(links, list) else ())
            if isinstance(link, dict) and link.get("relation") == "self"
        ),
        None,
    )
    if not isinstance(self_url, str):
        return None
    path, _, query = self_url.partition("?")
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last and is_resource_type(last):
        return [last]
    return [t for part in query.split("&") if part.startswith("_type=") for t in part[6:].split(",") if t]


def _check_search_results(
    bundle: dict[str, Any],
    all_entries: list[Any],
    loc: str,
    sink: IssueSink,
    is_resource_type: Callable[[str], bool],
) -> None:
    """As the HL7 validator checks a searchset: a match or an include has an id (a result
    no one can fetch again), a match is of a type the search asked for, an outcome is an
    OperationOutcome; with no search modes at all, only warnings."""
    types = _searched_types(bundle, is_resource_type)
    if types is None:
        sink.warning("invalid", loc, "SearchSet Bundles should have a self link that specifies what the search was")
        types = []
    entries = [(i, e) for i, e in enumerate(all_entries) if isinstance(e, dict)]  # indexes as given
    modes = [e.get("search", {}).get("mode") if isinstance(e.get("search"), dict) else None for _, e in entries]
    moded = any(isinstance(m, str) for m in modes)
    # with no modes, whether the results can be told apart (one type, the one searched for)
    unclear = not types
    result_types: set[Any] = set()
    for (i, entry), mode in zip(entries, modes, strict=True):
        where = f"{loc}.entry[{i}]"
        resource = entry.get("resource")
        if moded and not isinstance(mode, str):
            sink.warning("invalid", where, _NO_MODE)
        if not isinstance(resource, dict):
            sink.error("invalid", where, "SearchSet Bundle Entries must have resources")
            continue
        rt = resource.get("resourceType") if isinstance(resource.get("resourceType"), str) else None
        has_id = isinstance(resource.get("id"), str)
        if not moded:
            if rt != "OperationOutcome":
                result_types.add(rt)
            if types and rt not in types:
                unclear = True
                sink.warning(
                    "invalid",
                    where,
                    f"This is not a matching resource type for the specified search (is a search mode needed?) "
                    f"({rt} expecting [{', '.join(types)}])",
                )
            elif not has_id and rt != "OperationOutcome":
                sink.warning("invalid", f"{where}.resource", _NO_ID)
        elif mode in ("match", "include"):
            if not has_id:
                sink.error("invalid", f"{where}.resource", _NO_ID)
            if mode == "match" and types and rt not in types:
                sink.error(
                    "invalid",
                    f"{where}.resource",
                    f"This is not a matching resource type for the specified search ({rt} expecting "
                    f"[{', '.join(types)}])",
                )
        elif isinstance(mode, str) and rt != "OperationOutcome":
            sink.error("invalid", f"{where}.resource", f"This is not an OperationOutcome ({rt})")
    if not moded and entries:
        if unclear or len(result_types) > 1:
            sink.warning("invalid", loc, _NO_MODE)
        else:
            sink.info("invalid", loc, _NO_MODE)
