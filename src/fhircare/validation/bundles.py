"""Bundle-level rules the element walk cannot see: fullUrls, ids, links, search results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.primitives import as_read
from fhircare.validation.references import BundleIndex, parse_reference
from fhircare.validation.xhtml import Anchors

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
    elif bundle.get("type") == "document" and entries:
        _check_document_links(bundle, entries, loc, sink)
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


# -- documents: every entry is part of what the Composition says ----------------------------

#: properties whose URIs name no other entry (code systems, profiles, extension urls, identity)
_NOT_LINKS = frozenset({"system", "url", "fullUrl", "profile", "id", "div"})


def _check_document_links(bundle: dict[str, Any], entries: list[Any], loc: str, sink: IssueSink) -> None:
    """A document is its Composition and what it refers to, directly or through other
    entries: an entry nothing leads to from the Composition is not part of the document a
    reader sees (R4 Bundle, documents), as the HL7 validator finds. An entry that only
    refers to the document (and so is reached backwards) may be a Provenance; anything
    else is warned of, as there."""
    index = BundleIndex.of(bundle)
    held = [
        (i, e, e["resource"])
        for i, e in enumerate(entries)
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    position = {id(resource): n for n, (_, _, resource) in enumerate(held)}
    anchors: dict[int, Anchors] = {}  # per entry linked into by 'url#fragment', built once
    targets: list[set[int]] = []
    for i, entry, resource in held:
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        found: set[int] = set()
        for text, is_reference, narrative_link, where in _links_in(resource, f"{loc}.entry[{i}].resource"):
            ref, _, fragment = text.partition("#")
            if not ref:
                continue
            parsed = parse_reference(ref)
            if not is_reference and parsed.kind not in ("urn", "absolute"):
                continue
            resolved = index.resolve(parsed, full_url)
            for target in resolved:
                n = position.get(id(target))
                if n is not None:
                    found.add(n)
            if fragment and len(resolved) == 1:
                target = resolved[0]
                if id(target) not in anchors:
                    anchors[id(target)] = Anchors.of(target)
                count = anchors[id(target)].count(fragment, names=False)
                _check_fragment(count, ref, fragment, narrative_link, where, loc, sink)
        targets.append(found)
    # from the Composition, and from a stylesheet the Bundle links to (part of how the
    # document is shown)
    starts = [0] if held else []
    for link in bundle.get("link", ()) if isinstance(bundle.get("link"), list) else ():
        if isinstance(link, dict) and link.get("relation") == "stylesheet" and isinstance(link.get("url"), str):
            starts += [n for n, (_, _, r) in enumerate(held) if f"{r.get('resourceType')}/{r.get('id')}" == link["url"]]
    visited: set[int] = set()
    _visit(starts, targets, visited)
    grew = True
    while grew:  # then backwards: an entry referring to what is reached, and what it leads to
        grew = False
        for n, (i, entry, resource) in enumerate(held):
            if n in visited or not (targets[n] & visited):
                continue
            if resource.get("resourceType") != "Provenance":
                sink.warning(
                    "invalid",
                    f"{loc}.entry[{i}]",
                    f"Entry {_quoted_full_url(entry)}isn't reachable by traversing forwards from the Composition. Only "
                    "Provenance is approved to be used this way (R4 section 3.3.1)",
                )
            _visit([n], targets, visited)
            grew = True
    for n, (i, entry, _) in enumerate(held):
        if n not in visited:
            sink.error(
                "informational",
                f"{loc}.entry[{i}]",
                f"Entry {_quoted_full_url(entry)}isn't reachable by traversing links (forward or backward) from the "
                "Composition",
            )


def _visit(starts: list[int], targets: list[set[int]], visited: set[int]) -> None:
    """Add to ``visited`` the entries ``starts`` lead to (themselves included)."""
    stack = list(starts)
    while stack:
        n = stack.pop()
        if n not in visited:
            visited.add(n)
            stack.extend(targets[n])


def _check_fragment(
    count: int, ref: str, fragment: str, narrative_link: bool, where: str, loc: str, sink: IssueSink
) -> None:
    """'entry#fragment' points at one element of that entry (``count``: the elements and
    narrative ids it names there): a narrative link to an id the entry lacks leads nowhere,
    and an id found twice leads to either (the HL7 validator's words, said of the Bundle)."""
    if count == 0 and narrative_link:
        sink.error("not-found", loc, f"Can't find '{ref}' in the bundle ({fragment})")
    elif count > 1:
        sink.error(
            "invalid", loc, f"Found {count} matches for fragment {fragment} in resource '{ref}' in the bundle ({where})"
        )


def _quoted_full_url(entry: dict[str, Any]) -> str:
    full_url = entry.get("fullUrl")
    return f"'{full_url}' " if isinstance(full_url, str) else ""


_NARRATIVE_LINK = "http://hl7.org/fhir/StructureDefinition/narrativeLink"


def _links_in(resource: dict[str, Any], where: str) -> list[tuple[str, bool, bool, str]]:
    """Every string in a resource that may name another entry, with its location: each
    Reference's reference (True), and any other URI-like value (False; it names an entry
    only by its exact fullUrl), and whether it is a narrativeLink's (whose fragment must be
    found). Not inside a Bundle the resource holds, whose entries are its own."""
    found: list[tuple[str, bool, bool, str]] = []
    stack: list[tuple[Any, str]] = [(resource, where)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, dict):
            if value is not resource and value.get("resourceType") == "Bundle":
                continue
            narrative_link = value.get("url") == _NARRATIVE_LINK
            for key, item in value.items():
                if isinstance(item, str):
                    if key == "reference":
                        found.append((item, True, False, f"{at}.{key}"))
                    elif key not in _NOT_LINKS and ":" in item:
                        found.append((item, False, narrative_link and key.startswith("value"), f"{at}.{key}"))
                elif isinstance(item, (dict, list)):
                    stack.append((item, f"{at}.{key}"))
        elif isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, str) and ":" in item:
                    found.append((item, False, False, f"{at}[{n}]"))
                elif isinstance(item, (dict, list)):
                    stack.append((item, f"{at}[{n}]"))
    return found
