"""What the API reads from the record store: current resources and their versions, a service
user's record for the policy (remembered while it is unchanged), a partner's organisations,
and search candidates from the search index."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from fhircare.api.policy_table import CRISIS_CATEGORIES
from fhircare.api.record import ServiceUserRecord, build_record
from fhircare.store.schema import resource_versions, resources, search_index

ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
#: the resource types the policy reads a service user's record from
_RECORD_TYPES = ("Patient", "Consent", "RelatedPerson", "Flag", "CareTeam", "CarePlan", "EpisodeOfCare", "Encounter")


@dataclass(frozen=True)
class Stored:
    """One version of a stored resource."""

    resource_type: str
    resource_id: str
    service_user_id: str | None
    version: int
    updated_at: datetime
    content: bytes

    @property
    def ref(self) -> str:
        return f"{self.resource_type}/{self.resource_id}"


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_CURRENT = (
    resources.c.resource_type,
    resources.c.resource_id,
    resources.c.service_user_id,
    resources.c.version,
    resources.c.updated_at,
    resources.c.content,
)


def _stored(row: Any) -> Stored:
    return Stored(row[0], row[1], row[2], row[3], utc(row[4]), row[5])


def current(conn: Connection, resource_type: str, resource_id: str) -> Stored | None:
    row = conn.execute(
        select(*_CURRENT).where(resources.c.resource_type == resource_type, resources.c.resource_id == resource_id)
    ).first()
    return None if row is None else _stored(row)


def versions(conn: Connection, resource_type: str, resource_id: str, version: int | None = None) -> list[Stored]:
    """Every version of a resource (newest first), or the one asked for."""
    owner = conn.execute(
        select(resources.c.service_user_id).where(
            resources.c.resource_type == resource_type, resources.c.resource_id == resource_id
        )
    ).first()
    if owner is None:
        return []
    query = select(resource_versions.c.version, resource_versions.c.recorded_at, resource_versions.c.content).where(
        resource_versions.c.resource_type == resource_type, resource_versions.c.resource_id == resource_id
    )
    if version is not None:
        query = query.where(resource_versions.c.version == version)
    rows = conn.execute(query.order_by(resource_versions.c.version.desc()))
    return [Stored(resource_type, resource_id, owner[0], r[0], utc(r[1]), r[2]) for r in rows]


def by_refs(conn: Connection, refs: Iterable[str]) -> list[Stored]:
    """The current resources these ``Type/id`` name (those that exist)."""
    by_type: dict[str, list[str]] = {}
    for ref in dict.fromkeys(refs):
        rtype, _, rid = ref.partition("/")
        by_type.setdefault(rtype, []).append(rid)
    found: list[Stored] = []
    for rtype, ids in by_type.items():
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(*_CURRENT).where(
                    resources.c.resource_type == rtype, resources.c.resource_id.in_(ids[start : start + 500])
                )
            )
            found.extend(_stored(r) for r in rows)
    return found


def of_service_user(conn: Connection, service_user_id: str) -> list[Stored]:
    rows = conn.execute(
        select(*_CURRENT)
        .where(resources.c.service_user_id == service_user_id)
        .order_by(resources.c.resource_type, resources.c.resource_id)
    )
    return [_stored(r) for r in rows]


class RecordCache:
    """Service users' records as the policy reads them, remembered while every resource
    they are read from keeps its content hash (checked on every use: a load in another
    process is seen at once)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._records: OrderedDict[str, tuple[bytes, ServiceUserRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn: Connection, service_user_id: str) -> ServiceUserRecord:
        rows = conn.execute(
            select(resources.c.resource_type, resources.c.resource_id, resources.c.content_hash, resources.c.content)
            .where(resources.c.service_user_id == service_user_id, resources.c.resource_type.in_(_RECORD_TYPES))
            .order_by(resources.c.resource_type, resources.c.resource_id)
        ).all()
        digest = hashlib.blake2b("".join(f"{r[0]}/{r[1]}:{r[2]};" for r in rows).encode(), digest_size=16).digest()
        with self._lock:
            cached = self._records.get(service_user_id)
            if cached is not None and cached[0] == digest:
                self._records.move_to_end(service_user_id)
                return cached[1]
        record = build_record(service_user_id, (orjson.loads(r[3]) for r in rows), CRISIS_CATEGORIES)
        with self._lock:
            self._records[service_user_id] = (digest, record)
            while len(self._records) > self._size:
                self._records.popitem(last=False)
        return record


def organisations_of(conn: Connection, ods_code: str, identifier: str | None) -> frozenset[str]:
    """``Organization/<id>`` of a partner (by ODS code, or the identifier the extract knows
    it by) and of the organisations part of it (the teams of a trust)."""
    matches: list[ColumnElement[bool]] = [and_(search_index.c.system == ODS_SYSTEM, search_index.c.value == ods_code)]
    if identifier is not None:
        system, _, value = identifier.partition("|")
        matches.append(and_(search_index.c.system == system, search_index.c.value == value))
    found = {
        f"Organization/{r[0]}"
        for r in conn.execute(
            select(search_index.c.resource_id).where(
                search_index.c.resource_type == "Organization", search_index.c.param == "identifier", or_(*matches)
            )
        )
    }
    if found:
        found |= {
            f"Organization/{r[0]}"
            for r in conn.execute(
                select(search_index.c.resource_id).where(
                    search_index.c.resource_type == "Organization",
                    search_index.c.param == "partof",
                    search_index.c.value.in_(sorted(found)),
                )
            )
        }
    return frozenset(found)


def candidates(
    conn: Connection,
    resource_type: str,
    conditions: Sequence[ColumnElement[bool]],
    *,
    after: str | None,
    limit: int,
) -> list[Stored]:
    """Current resources of a type meeting every condition, in id order after ``after``."""
    query = select(*_CURRENT).where(resources.c.resource_type == resource_type, *conditions)
    if after is not None:
        query = query.where(resources.c.resource_id > after)
    return [_stored(r) for r in conn.execute(query.order_by(resources.c.resource_id).limit(limit))]


def referring(conn: Connection, resource_type: str, param: str, targets: Iterable[str]) -> list[str]:
    """``Type/id`` of resources of ``resource_type`` whose ``param`` names one of ``targets``."""
    wanted = sorted(set(targets))
    out: list[str] = []
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(search_index.c.resource_id)
            .where(
                search_index.c.resource_type == resource_type,
                search_index.c.param == param,
                search_index.c.value.in_(wanted[start : start + 500]),
            )
            .distinct()
        )
        out.extend(f"{resource_type}/{r[0]}" for r in rows)
    return out
