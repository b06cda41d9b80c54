"""AuditEvents of the partner API, stored as FHIR JSON with the columns they are searched by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Integer, Select, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from fhircare.store.schema import audit_event_patients, audit_event_policies, audit_events


@dataclass(frozen=True)
class AuditRow:
    id: str
    recorded_at: datetime
    client_id: str | None
    interaction: str
    outcome: str
    content: bytes
    patients: tuple[str, ...]
    #: the event's ``agent.policy``: the Consents and grounds its disclosures relied on
    policies: tuple[str, ...] = ()


def write(conn: Connection, rows: Sequence[AuditRow]) -> None:
    """Insert AuditEvents in the caller's transaction. Written with the driver's own
    ``executemany``: the API stores one per request, and SQLAlchemy's per-row statement
    handling would cost more than the database's insert does."""
    if not rows:
        return
    marker = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(
            "INSERT INTO audit_events (id, recorded_at, client_id, interaction, outcome, content)"
            f" VALUES ({', '.join([marker] * 6)})",
            [(r.id, _timestamp(conn, r.recorded_at), r.client_id, r.interaction, r.outcome, r.content) for r in rows],
        )
        links = [(r.id, p) for r in rows for p in dict.fromkeys(r.patients)]
        if links:
            cursor.executemany(
                f"INSERT INTO audit_event_patients (audit_id, patient) VALUES ({marker}, {marker})", links
            )
        grounds = [(r.id, p) for r in rows for p in dict.fromkeys(r.policies)]
        if grounds:
            cursor.executemany(
                f"INSERT INTO audit_event_policies (audit_id, policy) VALUES ({marker}, {marker})", grounds
            )
    finally:
        cursor.close()


def _timestamp(conn: Connection, moment: datetime) -> object:
    """A timestamp as the dialect stores it (SQLAlchemy's SQLite form is naive UTC text)."""
    if conn.dialect.name == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment


@dataclass(frozen=True)
class AuditQuery:
    """AuditEvent search: every given criterion must hold."""

    ids: tuple[str, ...] = ()
    #: patients (``Patient/<id>``) the event names: for each tuple (a ``patient`` parameter), any of them
    patients: tuple[tuple[str, ...], ...] = ()
    #: the verified client ids of the partners that asked: for each tuple (an ``agent`` parameter), any of them
    clients: tuple[tuple[str, ...], ...] = ()
    #: Consents (``Consent/<id>``) or access-policy grounds the disclosures relied on: for each
    #: tuple (a ``policy`` parameter), any of them
    policies: tuple[tuple[str, ...], ...] = ()
    outcome: tuple[str, ...] = ()
    interaction: tuple[str, ...] = ()
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None


def _select(query: AuditQuery, *columns: Any) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    if query.ids:
        conditions.append(audit_events.c.id.in_(query.ids))
    for any_of in query.patients:
        conditions.append(
            audit_events.c.id.in_(
                select(audit_event_patients.c.audit_id).where(audit_event_patients.c.patient.in_(any_of))
            )
        )
    for any_of in query.policies:
        conditions.append(
            audit_events.c.id.in_(
                select(audit_event_policies.c.audit_id).where(audit_event_policies.c.policy.in_(any_of))
            )
        )
    for any_of in query.clients:
        conditions.append(audit_events.c.client_id.in_(any_of))
    if query.outcome:
        conditions.append(audit_events.c.outcome.in_(query.outcome))
    if query.interaction:
        conditions.append(audit_events.c.interaction.in_(query.interaction))
    if query.recorded_from is not None:
        conditions.append(audit_events.c.recorded_at >= query.recorded_from)
    if query.recorded_to is not None:
        conditions.append(audit_events.c.recorded_at <= query.recorded_to)
    return select(*columns).where(and_(True, *conditions))


def search(conn: Connection, query: AuditQuery, *, after: str | None, limit: int) -> list[tuple[str, datetime, bytes]]:
    """``(id, recorded_at, content)`` in id order, after the id ``after``."""
    statement = _select(query, audit_events.c.id, audit_events.c.recorded_at, audit_events.c.content)
    if after is not None:
        statement = statement.where(audit_events.c.id > after)
    rows = conn.execute(statement.order_by(audit_events.c.id).limit(limit))
    return [(str(r[0]), r[1], bytes(r[2])) for r in rows]


def count(conn: Connection, query: AuditQuery) -> int:
    found: int = conn.execute(_select(query, func.count())).scalar_one()
    return found


@dataclass(frozen=True)
class ClientActivity:
    """What one client of the partner API did in a period, from its AuditEvents."""

    #: the verified client id; None for callers that could not be identified (a forged,
    #: expired or unreadable token)
    client_id: str | None
    requests: int
    #: requests refused or failed (AuditEvent.outcome other than 0)
    refused: int
    #: distinct patients its requests named (read, searched for, or shown)
    patients: int


def activity(conn: Connection, since: datetime) -> list[ClientActivity]:
    """Per client, since ``since``: requests, refusals and distinct patients named; the
    clients that named most patients first."""
    recent = audit_events.c.recorded_at >= since
    requests = {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in conn.execute(
            select(
                audit_events.c.client_id,
                func.count(),
                func.sum((audit_events.c.outcome != "0").cast(Integer)),
            )
            .where(recent)
            .group_by(audit_events.c.client_id)
        )
    }
    named = {
        row[0]: int(row[1])
        for row in conn.execute(
            select(audit_events.c.client_id, func.count(func.distinct(audit_event_patients.c.patient)))
            .select_from(audit_events.join(audit_event_patients, audit_event_patients.c.audit_id == audit_events.c.id))
            .where(recent)
            .group_by(audit_events.c.client_id)
        )
    }
    found = [
        ClientActivity(client, total, refused, named.get(client, 0)) for client, (total, refused) in requests.items()
    ]
    return sorted(found, key=lambda a: (-a.patients, -a.requests, a.client_id or ""))
