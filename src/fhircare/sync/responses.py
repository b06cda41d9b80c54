"""What a transaction-response says about each entry: the server's id for the resource,
its version, ETag and last-modified time. Pure.

Servers differ (tests/fhir-server/README.md): HAPI fills ``response.location``
(``Type/id/_history/version``) and ``etag``; others give only ``location``, or the
resource itself. The id and version come from whichever is there, in that order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from fhircare.mapping.fhir import Json

_LOCATION = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$")
_ETAG = re.compile(r'^(?:W/)?"([^"]+)"$')
_BARE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True)
class EntryResult:
    status: int
    server_id: str | None
    version: str | None
    etag: str | None
    last_modified: str | None
    outcome: Json | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def entity_tag(value: object) -> str | None:
    """An ETag as the server gave it, or a versionId given bare (``3``) as the entity tag
    ``W/"3"``: it is sent back in ifMatch, which takes an entity tag."""
    if not value:
        return None
    text = str(value)
    return f'W/"{text}"' if not _ETAG.match(text) and _BARE.match(text) else text


def _status(text: object) -> int:
    """A response status: "201 Created", "201", or a bare number (not FHIR's string)."""
    match = re.match(r"\s*(\d{3})", "" if text is None else str(text))
    return int(match.group(1)) if match else 0


def entry_result(entry: Json, resource_type: str) -> EntryResult:
    response = entry.get("response") or {}
    status = _status(response.get("status"))
    server_id = version = None
    location = str(response.get("location") or "").split("?")[0]
    match = _LOCATION.search(location)
    if match and match.group(1) == resource_type:
        server_id, version = match.group(2), match.group(3)
    resource = entry.get("resource")
    if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
        server_id = server_id or resource.get("id")
        version = version or (resource.get("meta") or {}).get("versionId")
    etag = entity_tag(response.get("etag"))
    if etag and version is None and (tag := _ETAG.match(str(etag))):
        version = tag.group(1)
    outcome = response.get("outcome") if isinstance(response.get("outcome"), dict) else None
    return EntryResult(status, server_id, version, etag, response.get("lastModified"), outcome)


def transaction_results(bundle: Json, resource_types: list[str]) -> list[EntryResult] | None:
    """One result per request entry (by position), or None when the answer is not a
    transaction-response with as many entries as the request had."""
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction-response":
        return None
    entries = bundle.get("entry") or []
    if len(entries) != len(resource_types):
        return None
    results = [entry_result(entry, rtype) for entry, rtype in zip(entries, resource_types, strict=True)]
    # an entry with no response at all (R4 makes it 1..1) was still kept: a transaction is all
    # or nothing, and a transaction-response is the answer to one committed. Its version is
    # not known (the next update reads it first)
    return [
        replace(result, status=200) if not entry.get("response") and result.status == 0 else result
        for entry, result in zip(entries, results, strict=True)
    ]


@dataclass(frozen=True)
class SearchAnswer:
    """What one identifier search of a batch found."""

    #: the ``match`` entries of the searchset's first page
    matches: list[Json]
    #: there are more pages (a ``next`` link, or a total beyond this page): absence on this
    #: page proves nothing (a server may ignore a parameter it does not support)
    more: bool


def batch_search_results(bundle: Json, count: int) -> list[SearchAnswer] | None:
    """What each search of a batch found (by position), or None when the answer is not a
    batch-response of ``count`` entries each holding a searchset."""
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "batch-response":
        return None
    entries = bundle.get("entry") or []
    if len(entries) != count:
        return None
    found: list[SearchAnswer] = []
    for entry in entries:
        if _status((entry.get("response") or {}).get("status")) != 200:
            return None
        answer = search_answer(entry.get("resource"))
        if answer is None:
            return None
        found.append(answer)
    return found


def search_answer(searchset: object) -> SearchAnswer | None:
    """What one search found (the first page of its searchset), or None when it is not a
    searchset or says the search failed."""
    if not _searchset(searchset):
        return None
    assert isinstance(searchset, dict)
    listed = [e for e in searchset.get("entry") or [] if isinstance(e, dict)]
    if any(_failed(e) for e in listed):
        return None  # the search did not run (R4: its OperationOutcome, search.mode outcome)
    matches = [
        e["resource"]
        for e in listed
        if isinstance(e.get("resource"), dict) and (e.get("search") or {}).get("mode", "match") == "match"
    ]
    total = searchset.get("total")
    more = any(isinstance(link, dict) and link.get("relation") == "next" for link in searchset.get("link") or [])
    return SearchAnswer(matches, more or (isinstance(total, int) and total > len(matches)))


def _searchset(resource: object) -> bool:
    """A searchset Bundle: a "200 OK" holding an OperationOutcome instead is a search that
    failed, not one that found nothing."""
    return (
        isinstance(resource, dict)
        and resource.get("resourceType") == "Bundle"
        and resource.get("type", "searchset") == "searchset"
    )


def _failed(entry: Json) -> bool:
    """An entry of a searchset saying the search failed: an OperationOutcome (search.mode
    outcome) with an error or a fatal issue. Warnings (a parameter ignored) are not."""
    resource = entry.get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
        return False
    return any(isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in resource.get("issue") or [])
