"""The stored form of a mapped resource: canonical JSON, its hash, and where it belongs.

A mapped bundle refers between its entries by ``urn:uuid:`` fullUrls; stored resources
refer to each other as ``<Type>/<id>`` (their own, deterministic ids), a form that does not
depend on which bundle they arrived in. The sync turns those back into fullUrls or into
the target server's ids. Canonical JSON (sorted keys, no whitespace) makes the content
hash depend on the content alone, so "unchanged" is a byte comparison.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from fhircare.mapping.context import SHARED_RESOURCE_TYPES, business_identifier
from fhircare.mapping.fhir import Json

_URN_REFERENCE = re.compile(rb'"reference":"urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"')
_LOCAL_REFERENCE = re.compile(
    rb'"reference":"([A-Z][A-Za-z]+)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"'
)


@dataclass(frozen=True)
class StoredForm:
    """One resource as the store keeps it."""

    resource_type: str
    resource_id: str
    #: None for resources many service users share
    service_user_id: str | None
    identifier: tuple[str, str] | None
    content: bytes
    content_hash: str
    origin: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.resource_type, self.resource_id

    @property
    def is_shared(self) -> bool:
        return self.service_user_id is None


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def canonical_bytes(resource: Json, types_by_id: Mapping[str, str] | None = None) -> bytes:
    """Sorted-key JSON of ``resource``, its ``urn:uuid:`` references made ``<Type>/<id>``
    (the types from ``types_by_id``; a fullUrl it does not know is left as it is)."""
    data = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
    if types_by_id is None or b"urn:uuid:" not in data:
        return data

    def local(match: re.Match[bytes]) -> bytes:
        rid = match.group(1).decode()
        rtype = types_by_id.get(rid)
        return match.group(0) if rtype is None else b'"reference":"' + f"{rtype}/{rid}".encode() + b'"'

    return _URN_REFERENCE.sub(local, data)


def stored_forms(
    service_user_id: str, resources: Iterable[Json], origins: Iterable[dict[str, Any] | None] | None = None
) -> list[StoredForm]:
    """The stored forms of one service user's mapped resources (a bundle's entries)."""
    listed = list(resources)
    kept = list(origins) if origins is not None else [None] * len(listed)
    types_by_id = {r["id"]: r["resourceType"] for r in listed}
    forms = []
    for resource, origin in zip(listed, kept, strict=True):
        content = canonical_bytes(resource, types_by_id)
        rtype = resource["resourceType"]
        forms.append(
            StoredForm(
                resource_type=rtype,
                resource_id=resource["id"],
                service_user_id=None if rtype in SHARED_RESOURCE_TYPES else service_user_id,
                identifier=business_identifier(resource),
                content=content,
                content_hash=content_hash(content),
                origin=origin,
            )
        )
    return forms


def restamp(form: StoredForm, resource: Json) -> StoredForm:
    """``form`` holding ``resource`` (already in stored form) instead."""
    content = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
    return StoredForm(
        form.resource_type,
        form.resource_id,
        form.service_user_id,
        form.identifier,
        content,
        content_hash(content),
        form.origin,
    )


@functools.lru_cache(maxsize=1 << 16)
def references(content: bytes) -> tuple[tuple[str, str], ...]:
    """The ``(type, id)`` of every reference a stored resource makes to another fhircare
    resource, in order of appearance (duplicates kept). Remembered: a sync asks it of the
    same content several times (what to send, in which order, what it needs)."""
    return tuple((m.group(1).decode(), m.group(2).decode()) for m in _LOCAL_REFERENCE.finditer(content))


def rewrite_references(content: bytes, replace: Mapping[tuple[str, str], str]) -> bytes:
    """``content`` with each ``<Type>/<id>`` reference found in ``replace`` changed to its
    value (a fullUrl, or the target server's ``<Type>/<server id>``)."""
    if not replace:
        return content

    def swap(match: re.Match[bytes]) -> bytes:
        key = (match.group(1).decode(), match.group(2).decode())
        new = replace.get(key)
        return match.group(0) if new is None else b'"reference":"' + new.encode() + b'"'

    return _LOCAL_REFERENCE.sub(swap, content)
