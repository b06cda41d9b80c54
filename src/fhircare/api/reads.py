"""What the API reads from the record store: current resources and their versions, a service
user's record for the policy (remembered while it is unchanged), a partner's organisations,
and search candidates from the search index."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from fhircare.api.policy_table import CRISIS_CATEGORIES
from fhircare.api.record import ServiceUserRecord, build_record, references_of
from fhircare.store.schema import resource_versions, resources, search_index

ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
#: the resource types the policy reads a service user's record from
_RECORD_TYPES = ("Patient", "Consent", "RelatedPerson", "Flag", "CareTeam", "CarePlan", "EpisodeOfCare", "Encounter")
#: the rows of one service user's record (the types are constants, written into the SQL)
_OF_RECORD = (
    " FROM resources WHERE service_user_id = ? AND resource_type IN ("
    + ", ".join(f"'{t}'" for t in _RECORD_TYPES)
    + ")"
)


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


def utc(moment: datetime | str) -> datetime:
    """SQLite gives back naive datetimes (or, through its driver, their text): they were
    written in UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def driver_query(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of a plain SQL query (``?`` placeholders) run on the driver's own connection.

    For the two queries every request makes (a resource by key, a service user's content
    hashes): SQLAlchemy's statement handling costs several times what the database does
    for a primary-key or indexed lookup. Reads only; outside SQLAlchemy's transaction
    bookkeeping, each is one statement (SQLite: autocommit; PostgreSQL: the pool rolls
    the connection back when it is returned)."""
    driver = conn.connection.driver_connection
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = driver.execute(sql, params)  # type: ignore[union-attr]
    return list(cursor.fetchall())


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
    rows = driver_query(
        conn,
        "SELECT resource_type, resource_id, service_user_id, version, updated_at, content FROM resources"
        " WHERE resource_type = ? AND resource_id = ?",
        (resource_type, resource_id),
    )
    return _stored(rows[0]) if rows else None


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


_Digest = tuple[tuple[str, str, str], ...]
#: what a held-back record adds to its digest (a record held back is not the same record)
_HELD_BACK_ROW = ("service_users", "held back", "")
#: what the record is read from, by version, and whether it is held back (the latest extract
#: that held the service user rejected them: ``store.records.record_rejected``), in one
#: statement: every request runs it (a second round trip cost a read about a tenth more)
_DIGEST_SQL = (
    f"SELECT resource_type, resource_id, content_hash{_OF_RECORD}"
    f" UNION ALL SELECT '{_HELD_BACK_ROW[0]}', '{_HELD_BACK_ROW[1]}', '{_HELD_BACK_ROW[2]}'"
    " FROM service_users WHERE service_user_id = ? AND rejected_run = last_seen_run"
)


def _digest(rows: Iterable[Sequence[Any]]) -> _Digest:
    """Which versions of which resources a record is read from ((type, id, content hash))."""
    return tuple(sorted((r[0], r[1], r[2]) for r in rows))


class RecordCache:
    """Service users' records as the policy reads them, remembered while every resource
    they are read from keeps its content hash (checked on every use: a load in another
    process is seen at once)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._records: OrderedDict[str, tuple[_Digest, frozenset[str], ServiceUserRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conn: Connection, service_user_id: str) -> ServiceUserRecord:
        versions = driver_query(conn, _DIGEST_SQL, (service_user_id, service_user_id))
        held_back = _HELD_BACK_ROW in versions
        digest = _digest(versions)
        with self._lock:
            cached = self._records.get(service_user_id)
        if cached is not None:
            named, record = cached[1], cached[2]
            if cached[0] == digest + _digest(_named_rows(conn, service_user_id, named, content=False)):
                with self._lock:
                    self._records.move_to_end(service_user_id)
                return record
        rows = driver_query(
            conn, f"SELECT resource_type, resource_id, content_hash, content{_OF_RECORD}", (service_user_id,)
        )
        # what was read is what the record is built from: its digest names it
        digest = _digest([*rows, *([_HELD_BACK_ROW] if held_back else [])])
        record = build_record(service_user_id, (orjson.loads(r[3]) for r in rows), CRISIS_CATEGORIES)
        record.held_back = held_back
        # a consent's "related" data may name a resource of another type (a DocumentReference):
        # what it refers to is covered too, so its references are read (and watched) as well
        named = (
            frozenset(ref for p in record.provisions for meaning, ref in p.data if meaning == "related")
            - record.references.keys()
        )
        extra = _named_rows(conn, service_user_id, named, content=True)
        if extra:
            found = {f"{r[0]}/{r[1]}": frozenset(references_of(orjson.loads(r[3]))) for r in extra}
            record = replace(record, references={**record.references, **found})
        with self._lock:
            self._records[service_user_id] = (digest + _digest(extra), named, record)
            while len(self._records) > self._size:
                self._records.popitem(last=False)
        return record


def _named_rows(
    conn: Connection, service_user_id: str, refs: frozenset[str], *, content: bool
) -> list[tuple[Any, ...]]:
    """The service user's current resources among ``refs`` (type, id, hash[, content])."""
    if not refs:
        return []
    keys = [tuple(ref.split("/", 1)) for ref in sorted(refs) if "/" in ref]
    where = " OR ".join("(resource_type = ? AND resource_id = ?)" for _ in keys)
    columns = "resource_type, resource_id, content_hash" + (", content" if content else "")
    return driver_query(
        conn,
        f"SELECT {columns} FROM resources WHERE service_user_id = ? AND ({where})",
        (service_user_id, *(part for key in keys for part in key)),
    )


def organisations_of(conn: Connection, ods_code: str | None, identifier: str | None) -> frozenset[str]:
    """``Organization/<id>`` of a partner (by ODS code, or the identifier the extract knows
    it by) and of the organisations part of it (the teams of a trust)."""
    matches = []
    if ods_code is not None:
        matches.append(and_(search_index.c.system == ODS_SYSTEM, search_index.c.value == ods_code))
    if identifier is not None:
        system, _, value = identifier.partition("|")
        matches.append(and_(search_index.c.system == system, search_index.c.value == value))
    if not matches:
        return frozenset()
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
    conditions: Sequence[tuple[str, tuple[object, ...]]],
    *,
    after: str | None,
    limit: int,
) -> list[Stored]:
    """Current resources of a type meeting every condition (SQL on ``resources`` with
    ``?`` placeholders), in id order after ``after``."""
    where = ["resource_type = ?", *(f"({text})" for text, _ in conditions)]
    values: list[object] = [resource_type, *(v for _, vs in conditions for v in vs)]
    if after is not None:
        where.append("resource_id > ?")
        values.append(after)
    rows = driver_query(
        conn,
        "SELECT resource_type, resource_id, service_user_id, version, updated_at, content FROM resources"
        f" WHERE {' AND '.join(where)} ORDER BY resource_id LIMIT {int(limit)}",
        tuple(values),
    )
    return [_stored(r) for r in rows]


def timestamp_for(dialect: str) -> Callable[[datetime], object]:
    """How a timestamp is compared with ``resources.updated_at`` in plain SQL: SQLAlchemy
    keeps it as naive UTC text on SQLite, as a timestamp elsewhere."""
    if dialect != "sqlite":
        return lambda moment: moment
    return lambda moment: moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


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
