"""Targets, the outbox of pending work per target, what each target holds, dead letters.

An outbox row is one unit of sending: a service user (one transaction of their records)
or one shared resource (an organisation, a member of staff, their role). Rows are never
sent twice in parallel: on PostgreSQL a worker claims a row with ``FOR UPDATE SKIP
LOCKED`` and keeps the lock until the server's answer is recorded (a worker that dies
releases it); on SQLite one sync process at a time holds the store (see ``locks``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from fhircare.store.schema import dead_letters, outbox, resources, target_resources, targets

SERVICE_USER = "service-user"
SHARED = "shared"

PENDING = "pending"
DONE = "done"
DEAD = "dead"
#: a dead row put back in the queue as a new pending row
RETRIED = "retried"


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    target_id: int
    kind: str
    group_key: str
    run_id: int | None
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class TargetHeld:
    """What a target server holds for one stored resource, as last recorded."""

    server_id: str
    server_version: str | None
    etag: str | None
    synced_hash: str


def _insert(conn: Connection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


# --- targets ----------------------------------------------------------------------------


def ensure_target(conn: Connection, base_url: str, now: datetime) -> int:
    """The id of the target with this base URL, registered on first use."""
    found = conn.execute(select(targets.c.id).where(targets.c.base_url == base_url)).scalar()
    if found is not None:
        return int(found)
    try:
        with conn.begin_nested():
            return int(
                conn.execute(
                    insert(targets).values(base_url=base_url, created_at=now).returning(targets.c.id)
                ).scalar_one()
            )
    except IntegrityError:  # registered by another process at the same moment
        return int(conn.execute(select(targets.c.id).where(targets.c.base_url == base_url)).scalar_one())


def find_target(conn: Connection, base_url: str) -> int | None:
    found = conn.execute(select(targets.c.id).where(targets.c.base_url == base_url)).scalar()
    return None if found is None else int(found)


def all_targets(conn: Connection) -> list[tuple[int, str]]:
    rows = conn.execute(select(targets.c.id, targets.c.base_url).order_by(targets.c.id))
    return [(int(r.id), r.base_url) for r in rows]


def touch_target(conn: Connection, target_id: int, now: datetime) -> None:
    conn.execute(update(targets).where(targets.c.id == target_id).values(last_sync_at=now))


# --- enqueueing ---------------------------------------------------------------------------


def enqueue(
    conn: Connection,
    target_ids: Iterable[int],
    kind: str,
    group_keys: Iterable[str],
    run_id: int | None,
    now: datetime,
) -> None:
    """Pending rows for these groups on these targets; a group already pending stays one row."""
    rows = [
        {
            "target_id": t,
            "kind": kind,
            "group_key": g,
            "status": PENDING,
            "run_id": run_id,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for t in target_ids
        for g in group_keys
    ]
    if not rows:
        return
    statement = _insert(conn, outbox).on_conflict_do_nothing(
        # the partial unique index's own predicate, as text: a bound value would not match it
        index_elements=[outbox.c.target_id, outbox.c.group_key],
        index_where=text(f"status = '{PENDING}'"),
    )
    conn.execute(statement, rows)


@dataclass(frozen=True)
class Reconciled:
    #: groups found not up to date on the target (queued unless already pending)
    queued: int
    #: (resource type, identifier system) of stored resources the target is not known to
    #: hold at all: only for those must the sync find out who holds an identifier
    unheld: frozenset[tuple[str, str]]


def reconcile(conn: Connection, target_id: int, now: datetime) -> Reconciled:
    """Enqueue every group holding a stored resource the target has not accepted in its
    current form. Run before each sync: whatever was enqueued or not (a store filled
    before the target was known, a crash between two writes), nothing is left behind.
    One pass over the stored resources (a covering index: their content is not read)."""
    held = target_resources.alias("held")
    stale = (
        select(
            resources.c.service_user_id,
            resources.c.resource_type,
            resources.c.resource_id,
            resources.c.identifier_system,
            held.c.resource_id.is_(None).label("unheld"),
        )
        .select_from(
            resources.outerjoin(
                held,
                and_(
                    held.c.target_id == target_id,
                    held.c.resource_type == resources.c.resource_type,
                    held.c.resource_id == resources.c.resource_id,
                ),
            )
        )
        .where(or_(held.c.synced_hash.is_(None), held.c.synced_hash != resources.c.content_hash))
    )
    shared: set[str] = set()
    own: set[str] = set()
    unheld: set[tuple[str, str]] = set()
    for row in conn.execute(stale):
        if row.service_user_id is None:
            shared.add(f"{row.resource_type}/{row.resource_id}")
        else:
            own.add(row.service_user_id)
        if row.unheld and row.identifier_system is not None:
            unheld.add((row.resource_type, row.identifier_system))
    parked = _parked(conn, target_id, shared | own)
    shared -= parked
    own -= parked
    enqueue(conn, [target_id], SHARED, sorted(shared), None, now)
    enqueue(conn, [target_id], SERVICE_USER, sorted(own), None, now)
    return Reconciled(len(shared) + len(own), frozenset(unheld))


def _parked(conn: Connection, target_id: int, groups: set[str]) -> set[str]:
    """Groups the target refused and nobody has retried, unchanged since: the target has
    not accepted them, but sending the same data again would only be refused again (and
    write a second dead letter for every sync). They go back in the queue when the data
    changes (a load queues them) or someone runs ``fhircare outbox retry``."""
    if not groups:
        return set()
    refused = {
        row.group_key: row.refused_at
        for row in conn.execute(
            select(dead_letters.c.group_key, func.max(dead_letters.c.created_at).label("refused_at"))
            .where(dead_letters.c.target_id == target_id, dead_letters.c.retried_at.is_(None))
            .group_by(dead_letters.c.group_key)
        )
        if row.group_key in groups
    }
    if not refused:
        return set()
    own_changes = select(resources.c.service_user_id.label("group_key"), func.max(resources.c.updated_at).label("at"))
    own_changes = own_changes.where(resources.c.service_user_id.in_(list(refused))).group_by(
        resources.c.service_user_id
    )
    changed_at = {row.group_key: row.at for row in conn.execute(own_changes)}
    shared_keys = [key.split("/", 1) for key in refused if "/" in key]
    for rtype, rid in shared_keys:
        at = conn.execute(
            select(resources.c.updated_at).where(resources.c.resource_type == rtype, resources.c.resource_id == rid)
        ).scalar()
        if at is not None:
            changed_at[f"{rtype}/{rid}"] = at
    return {
        key
        for key, refused_at in refused.items()
        if key not in changed_at or _aware(changed_at[key]) <= _aware(refused_at)
    }


def _aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes for what was written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- claiming and settling ----------------------------------------------------------------


def claim(
    conn: Connection,
    target_id: int,
    kind: str,
    now: datetime,
    *,
    skip_locked: bool,
    exclude: Sequence[int] = (),
    only: Sequence[int] | None = None,
    limit: int = 1,
) -> list[OutboxEntry]:
    """The oldest pending rows of this kind that are due (at most ``limit``). With
    ``skip_locked`` (PostgreSQL) they stay locked until ``conn``'s transaction ends;
    ``exclude`` are rows this process is already sending (SQLite, where one process holds
    the store) or has given up on for this run; ``only`` limits the choice to these rows."""
    query = (
        select(outbox)
        .where(
            outbox.c.target_id == target_id,
            outbox.c.status == PENDING,
            outbox.c.kind == kind,
            outbox.c.next_attempt_at <= now,
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(outbox.c.id.not_in(list(exclude)))
    if only is not None:
        query = query.where(outbox.c.id.in_(list(only)))
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return [
        OutboxEntry(
            int(row["id"]),
            row["target_id"],
            row["kind"],
            row["group_key"],
            row["run_id"],
            row["attempts"],
            row["created_at"],
        )
        for row in conn.execute(query).mappings()
    ]


def next_due(
    conn: Connection,
    target_id: int,
    kind: str,
    exclude: Sequence[int] = (),
    only: Sequence[int] | None = None,
) -> datetime | None:
    """When the soonest pending row of the target falls due (None: nothing pending)."""
    query = select(func.min(outbox.c.next_attempt_at)).where(
        outbox.c.target_id == target_id, outbox.c.status == PENDING, outbox.c.kind == kind
    )
    if exclude:
        query = query.where(outbox.c.id.not_in(list(exclude)))
    if only is not None:
        query = query.where(outbox.c.id.in_(list(only)))
    found = conn.execute(query).scalar()
    return found if isinstance(found, datetime) else None


def mark_done(conn: Connection, entry_id: int, now: datetime) -> None:
    """The target holds the row's group as stored: done, and whatever the target refused of
    this group before is no longer outstanding (its dead letters are closed, kept)."""
    conn.execute(
        update(outbox).where(outbox.c.id == entry_id).values(status=DONE, done_at=now, updated_at=now, last_error=None)
    )
    row = conn.execute(select(outbox.c.target_id, outbox.c.group_key).where(outbox.c.id == entry_id)).one()
    _close_dead_letters(conn, row.target_id, row.group_key, now)


def _close_dead_letters(conn: Connection, target_id: int, group_key: str, now: datetime) -> None:
    """Mark a group's open dead letters on a target as dealt with: the group was sent again
    (accepted, or refused anew with a newer dead letter), so they are history, not work."""
    conn.execute(
        update(dead_letters)
        .where(
            dead_letters.c.target_id == target_id,
            dead_letters.c.group_key == group_key,
            dead_letters.c.retried_at.is_(None),
        )
        .values(retried_at=now)
    )


def reschedule(conn: Connection, entry_id: int, due: datetime, error: str, now: datetime) -> None:
    """The attempt failed in a way that says nothing about the data: try again after ``due``."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id == entry_id)
        .values(attempts=outbox.c.attempts + 1, next_attempt_at=due, last_error=error[:500], updated_at=now)
    )


def dead_letter(
    conn: Connection,
    entry: OutboxEntry,
    http_status: int | None,
    outcome: dict[str, Any],
    sources: list[dict[str, Any]],
    now: datetime,
) -> None:
    """The server refused the data: keep its answer and the rows it came from; the row
    leaves the queue until someone retries it (``fhircare outbox retry``)."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id == entry.id)
        .values(status=DEAD, attempts=outbox.c.attempts + 1, updated_at=now, last_error=f"HTTP {http_status}")
    )
    _close_dead_letters(conn, entry.target_id, entry.group_key, now)
    conn.execute(
        insert(dead_letters).values(
            outbox_id=entry.id,
            target_id=entry.target_id,
            group_key=entry.group_key,
            http_status=http_status,
            outcome=outcome,
            sources=sources,
            created_at=now,
        )
    )


def retry_dead_letters(conn: Connection, target_id: int | None, ids: Sequence[int] | None, now: datetime) -> int:
    """Put dead-lettered rows back in the queue (all of a target, or the given dead-letter
    ids); their dead letters are kept, marked retried. Returns how many were requeued."""
    query = select(dead_letters.c.id, dead_letters.c.outbox_id, outbox.c.target_id, outbox.c.kind, outbox.c.group_key)
    query = query.join(outbox, outbox.c.id == dead_letters.c.outbox_id).where(
        dead_letters.c.retried_at.is_(None), outbox.c.status == DEAD
    )
    if target_id is not None:
        query = query.where(outbox.c.target_id == target_id)
    if ids is not None:
        query = query.where(dead_letters.c.id.in_(list(ids)))
    found = list(conn.execute(query))
    for row in found:
        conn.execute(update(dead_letters).where(dead_letters.c.id == row.id).values(retried_at=now))
        conn.execute(update(outbox).where(outbox.c.id == row.outbox_id).values(status=RETRIED, updated_at=now))
        enqueue(conn, [row.target_id], row.kind, [row.group_key], None, now)
    return len(found)


def list_dead_letters(conn: Connection, target_id: int | None = None, *, include_retried: bool = False) -> list[Any]:
    query = select(dead_letters, targets.c.base_url).join(targets, targets.c.id == dead_letters.c.target_id)
    if target_id is not None:
        query = query.where(dead_letters.c.target_id == target_id)
    if not include_retried:
        query = query.where(dead_letters.c.retried_at.is_(None))
    return list(conn.execute(query.order_by(dead_letters.c.id)).mappings())


def pending_shared(conn: Connection, target_id: int) -> dict[int, tuple[str, str]]:
    """The pending shared rows of a target: outbox id → (type, id) of the resource."""
    rows = conn.execute(
        select(outbox.c.id, outbox.c.group_key).where(
            outbox.c.target_id == target_id, outbox.c.status == PENDING, outbox.c.kind == SHARED
        )
    )
    found = {}
    for row in rows:
        rtype, _, rid = row.group_key.partition("/")
        found[int(row.id)] = (rtype, rid)
    return found


def pending_rows(conn: Connection, target_id: int, group_keys: Sequence[str]) -> list[int]:
    """The pending rows of these groups on a target."""
    if not group_keys:
        return []
    rows = conn.execute(
        select(outbox.c.id).where(
            outbox.c.target_id == target_id, outbox.c.status == PENDING, outbox.c.group_key.in_(list(group_keys))
        )
    )
    return [int(r.id) for r in rows]


def status_counts(conn: Connection) -> dict[tuple[int, str, str], int]:
    """Outbox rows by (target, kind, status)."""
    rows = conn.execute(
        select(outbox.c.target_id, outbox.c.kind, outbox.c.status, func.count()).group_by(
            outbox.c.target_id, outbox.c.kind, outbox.c.status
        )
    )
    return {(int(r[0]), r[1], r[2]): int(r[3]) for r in rows}


# --- what a target holds ------------------------------------------------------------------


_HELD_BY_IDS = select(
    target_resources.c.resource_type,
    target_resources.c.resource_id,
    target_resources.c.server_id,
    target_resources.c.server_version,
    target_resources.c.etag,
    target_resources.c.synced_hash,
).where(
    target_resources.c.target_id == bindparam("target"),
    target_resources.c.resource_id.in_(bindparam("ids", expanding=True)),
)


def target_held(conn: Connection, target_id: int, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], TargetHeld]:
    """What the target is known to hold for these resources (one query: fhircare's ids are
    UUIDs, unique across types, so the type is checked on the rows, not in SQL)."""
    wanted = set(keys)
    ids = sorted({rid for _t, rid in wanted})
    found: dict[tuple[str, str], TargetHeld] = {}
    for start in range(0, len(ids), 900):
        for r in conn.execute(_HELD_BY_IDS, {"target": target_id, "ids": ids[start : start + 900]}):
            key = (r.resource_type, r.resource_id)
            if key in wanted:
                found[key] = TargetHeld(r.server_id, r.server_version, r.etag, r.synced_hash)
    return found


def record_held(conn: Connection, target_id: int, rows: list[dict[str, Any]], now: datetime) -> None:
    """Remember what the target now holds: rows of resource_type, resource_id, server_id,
    server_version, etag, last_modified, synced_hash."""
    if not rows:
        return
    values = [{**r, "target_id": target_id, "synced_at": now} for r in rows]
    statement = _insert(conn, target_resources)
    statement = statement.on_conflict_do_update(
        index_elements=[target_resources.c.target_id, target_resources.c.resource_type, target_resources.c.resource_id],
        set_={
            name: getattr(statement.excluded, name)
            for name in ("server_id", "server_version", "etag", "last_modified", "synced_hash", "synced_at")
        },
    )
    conn.execute(statement, values)


def unsync_since(conn: Connection, target_id: int, since: datetime) -> int:
    """What the target was recorded as holding since ``since`` is to be sent again (the
    next reconcile queues it): the target did not keep it as sent. Returns how many."""
    result = conn.execute(
        target_resources.update()
        .where(target_resources.c.target_id == target_id, target_resources.c.synced_at >= since)
        .values(synced_hash="")
    )
    return int(result.rowcount or 0)


def forget_held(conn: Connection, target_id: int, keys: Iterable[tuple[str, str]]) -> None:
    """The target no longer holds these (deleted on the server): the next plan recreates them."""
    for rtype, rid in keys:
        conn.execute(
            target_resources.delete().where(
                target_resources.c.target_id == target_id,
                target_resources.c.resource_type == rtype,
                target_resources.c.resource_id == rid,
            )
        )


def identifier_census(
    conn: Connection, target_id: int, pairs: Iterable[tuple[str, str]]
) -> list[tuple[str, str, int, int]]:
    """Per (resource type, identifier system) asked for: how many the store holds and how
    many of those the target is known to hold (index range scans, one pair at a time)."""
    found = []
    for rtype, system in sorted(set(pairs)):
        of_pair = and_(resources.c.resource_type == rtype, resources.c.identifier_system == system)
        stored = conn.execute(select(func.count()).select_from(resources).where(of_pair)).scalar_one()
        held = conn.execute(
            select(func.count())
            .select_from(
                resources.join(
                    target_resources,
                    and_(
                        target_resources.c.target_id == target_id,
                        target_resources.c.resource_type == resources.c.resource_type,
                        target_resources.c.resource_id == resources.c.resource_id,
                    ),
                )
            )
            .where(of_pair)
        ).scalar_one()
        found.append((rtype, system, int(stored), int(held)))
    return found


def identifier_sample(conn: Connection, rtype: str, system: str, limit: int) -> list[str]:
    """Up to ``limit`` identifier values the store holds of this type and system."""
    of_pair = and_(resources.c.resource_type == rtype, resources.c.identifier_system == system)
    query = select(resources.c.identifier_value).where(of_pair, resources.c.identifier_value.is_not(None))
    return [str(v) for (v,) in conn.execute(query.limit(limit))]


def service_user_with_held(
    conn: Connection, target_id: int, service_user_id: str
) -> tuple[list[Any], dict[tuple[str, str], TargetHeld]]:
    """A service user's stored resources, and what the target holds of them, in one query."""
    held_join = and_(
        target_resources.c.target_id == target_id,
        target_resources.c.resource_type == resources.c.resource_type,
        target_resources.c.resource_id == resources.c.resource_id,
    )
    rows: list[Any] = list(
        conn.execute(
            select(
                resources.c.resource_type,
                resources.c.resource_id,
                resources.c.content,
                resources.c.content_hash,
                resources.c.identifier_system,
                resources.c.identifier_value,
                resources.c.origin,
                target_resources.c.server_id,
                target_resources.c.server_version,
                target_resources.c.etag,
                target_resources.c.synced_hash,
            )
            .select_from(resources.outerjoin(target_resources, held_join))
            .where(resources.c.service_user_id == service_user_id)
            .order_by(resources.c.resource_type, resources.c.resource_id)
        )
    )
    held = {
        (r.resource_type, r.resource_id): TargetHeld(r.server_id, r.server_version, r.etag, r.synced_hash)
        for r in rows
        if r.server_id is not None
    }
    return rows, held


def shared_held(conn: Connection, target_id: int) -> dict[tuple[str, str], TargetHeld]:
    """What the target holds of every shared resource (few: the trust's directory)."""
    keys = conn.execute(
        select(resources.c.resource_type, resources.c.resource_id).where(resources.c.service_user_id.is_(None))
    )
    return target_held(conn, target_id, [(r.resource_type, r.resource_id) for r in keys])
