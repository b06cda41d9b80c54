"""FHIR JSON out: a resource as served (its version and last change in ``meta``), Bundles
(searchset and history) with paging links that keep every parameter, OperationOutcomes,
and the response that carries them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.responses import Response

from fhircare.api.reads import Stored
from fhircare.api.views import REDACTED

Json = dict[str, Any]
FHIR_JSON = "application/fhir+json"
#: on every answer: an HTTP cache may reuse it only after asking the API again (which decides
#: with today's consents and audits the read; If-None-Match still saves the body), and a
#: shared cache keeps none. Without it, Last-Modified let a client's cache reuse a resource
#: on its own heuristic for hours or days after the consent allowing it was withdrawn, with
#: no AuditEvent for those reads
CACHE_CONTROL = {"Cache-Control": "private, no-cache"}


def instant(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: how a narrowed resource's label reads in the JSON sent (compact, as orjson writes it)
_REDACTED = orjson.dumps({"code": REDACTED["code"]})[1:-1]


def is_narrowed(sent: bytes) -> bool:
    """Is this resource, as sent, narrowed for its reader (labelled REDACTED by a view)?"""
    return _REDACTED in sent


def etag(version: int, sent: bytes | None = None) -> str:
    """``W/"version"`` for a resource sent whole. One narrowed for its reader (labelled
    REDACTED) is cut by today's consent and record, which can change while the version does
    not (a crisis contact marked not to be involved is removed): its tag also carries a
    digest of what was sent, so If-None-Match never keeps what the reader may no longer see."""
    if sent is not None and is_narrowed(sent):
        return f'W/"{version}-{hashlib.blake2b(sent, digest_size=8).hexdigest()}"'
    return f'W/"{version}"'


def served(stored: Stored, visible: Json) -> Json:
    """The resource as sent: what the caller may see, with its version and last change."""
    out = dict(visible)
    meta = dict(out.get("meta") or {})
    meta["versionId"] = str(stored.version)
    meta["lastUpdated"] = instant(stored.updated_at)
    out["meta"] = meta
    return out


def fhir_response(
    body: Json | bytes | None, status: int = 200, *, headers: Mapping[str, str] | None = None, pretty: bool = False
) -> Response:
    """FHIR JSON; ``body`` may be JSON already (bytes), or hold some (``orjson.Fragment``)."""
    if body is None:
        content = b""
    elif pretty:  # fragments are copied as they are: parse the whole to indent it all
        whole = body if isinstance(body, bytes) else orjson.dumps(body)
        content = orjson.dumps(orjson.loads(whole), option=orjson.OPT_INDENT_2)
    else:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(
        content=content, status_code=status, media_type=FHIR_JSON, headers={**CACHE_CONTROL, **(headers or {})}
    )


def resource_headers(stored: Stored, sent: bytes | None = None) -> dict[str, str]:
    """A read's headers (a 304 "unchanged" answer's too)."""
    return {
        **CACHE_CONTROL,
        "ETag": etag(stored.version, sent),
        "Last-Modified": format_datetime(stored.updated_at, usegmt=True),
    }


def matches_etag(header: str | None, tag: str) -> bool:
    """If-None-Match names this tag (weak or strong, or ``*``)."""
    if not header:
        return False
    wanted = {tag, tag.removeprefix("W/")}
    return any(given.strip() in wanted or given.strip() == "*" for given in header.split(","))


def outcome(severity: str, code: str, text: str, expression: str | None = None) -> Json:
    issue: Json = {"severity": severity, "code": code, "details": {"text": text}}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def link(base_url: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    query = urlencode(list(params), safe="|:/,")
    return f"{base_url}/{path}" + (f"?{query}" if query else "")


def searchset(
    base_url: str,
    path: str,
    given: Sequence[tuple[str, str]],
    matches: Sequence[tuple[Stored, bytes]],
    includes: Sequence[tuple[Stored, bytes]],
    *,
    next_url: str | None,
    total: int | None,
    self_url: str | None = None,
) -> Json:
    """A searchset Bundle: ``self`` with the parameters as given (the search as understood)
    unless ``self_url`` is given (a posted search's, sealed), ``next`` as ``paging.PageLinks``
    wrote it."""
    links = [{"relation": "self", "url": self_url or link(base_url, path, given)}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    bundle: Json = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    bundle["link"] = links
    entries = [
        {"fullUrl": f"{base_url}/{s.ref}", "resource": orjson.Fragment(v), "search": {"mode": "match"}}
        for s, v in matches
    ]
    entries += [
        {"fullUrl": f"{base_url}/{s.ref}", "resource": orjson.Fragment(v), "search": {"mode": "include"}}
        for s, v in includes
    ]
    if entries:
        bundle["entry"] = entries
    return bundle


def history(base_url: str, path: str, versions: Sequence[tuple[Stored, bytes]]) -> Json:
    entries = []
    for stored, sent in versions:
        entries.append(
            {
                "fullUrl": f"{base_url}/{stored.ref}",
                "resource": orjson.Fragment(sent),
                "request": {"method": "POST" if stored.version == 1 else "PUT", "url": stored.ref},
                "response": {
                    "status": "201 Created" if stored.version == 1 else "200 OK",
                    "etag": etag(stored.version, sent),
                    "lastModified": instant(stored.updated_at),
                },
            }
        )
    bundle: Json = {
        "resourceType": "Bundle",
        "type": "history",
        "total": len(entries),
        "link": [{"relation": "self", "url": f"{base_url}/{path}"}],
    }
    if entries:
        bundle["entry"] = entries
    return bundle
