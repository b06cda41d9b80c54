"""Reading and writing stored resources, their history, service users and extract runs.

Functions over a SQLAlchemy ``Connection`` inside the caller's transaction: a service
user's changes, their history and their outbox rows commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from fhircare.store import search_index
from fhircare.store.changes import Change, Held, Planned, State
from fhircare.store.schema import extract_runs, resource_versions, resources, service_users, store_meta


@dataclass(frozen=True)
class ServiceUserState:
    service_user_id: str
    status: str
    fingerprint: str | None
    missing_runs: int
    #: the fingerprint of the extract rows the records were read from (store.fingerprint)
    rows_fingerprint: str | None = None


# --- extract runs ---------------------------------------------------------------------


def start_run(
    conn: Connection,
    *,
    extract_dir: str,
    mapping_file: str,
    mapping_sha256: str,
    as_of: date,
    files: list[dict[str, Any]],
    trust: dict[str, str],
    version: str,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(extract_runs)
        .values(
            started_at=now,
            status="running",
            extract_dir=extract_dir,
            mapping_file=mapping_file,
            mapping_sha256=mapping_sha256,
            as_of=as_of,
            files=files,
            trust=trust,
            fhircare_version=version,
        )
        .returning(extract_runs.c.id)
    )
    return int(result.scalar_one())


def finish_run(conn: Connection, run_id: int, status: str, counts: dict[str, Any], now: datetime) -> None:
    conn.execute(
        update(extract_runs).where(extract_runs.c.id == run_id).values(status=status, counts=counts, finished_at=now)
    )


def mark_interrupted_runs(conn: Connection, now: datetime) -> int:
    """Runs left "running" by a process that died (call only while holding the load lock)."""
    result = conn.execute(
        update(extract_runs).where(extract_runs.c.status == "running").values(status="interrupted", finished_at=now)
    )
    return result.rowcount


def latest_completed_counts(conn: Connection) -> dict[str, Any] | None:
    """What the last load that read its extract whole printed (``LoadSummary.as_json``)."""
    found = conn.execute(
        select(extract_runs.c.counts)
        .where(extract_runs.c.status == "completed")
        .order_by(extract_runs.c.id.desc())
        .limit(1)
    ).scalar()
    return dict(found) if isinstance(found, dict) else None


def latest_run(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(select(extract_runs).order_by(extract_runs.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


# --- service users --------------------------------------------------------------------


def service_user_states(conn: Connection) -> dict[str, ServiceUserState]:
    rows = conn.execute(
        select(
            service_users.c.service_user_id,
            service_users.c.status,
            service_users.c.fingerprint,
            service_users.c.missing_runs,
            service_users.c.rows_fingerprint,
        )
    )
    return {
        r.service_user_id: ServiceUserState(
            r.service_user_id, r.status, r.fingerprint, r.missing_runs, r.rows_fingerprint
        )
        for r in rows
    }


def record_seen(
    conn: Connection, su: str, fingerprint: str, run_id: int, known: bool, rows_fingerprint: str | None = None
) -> None:
    """The service user was in this extract and mapped."""
    values = {
        "status": "present",
        "fingerprint": fingerprint,
        "rows_fingerprint": rows_fingerprint,
        "last_seen_run": run_id,
        "missing_runs": 0,
    }
    if known:
        conn.execute(update(service_users).where(service_users.c.service_user_id == su).values(**values))
    else:
        conn.execute(insert(service_users).values(service_user_id=su, first_seen_run=run_id, **values))


def record_rejected(conn: Connection, su: str, run_id: int, known: bool) -> None:
    """The service user was in this extract but rejected: what the store holds of them is
    kept as it was (not ended, not updated), and the rejection is remembered."""
    if known:
        conn.execute(
            update(service_users)
            .where(service_users.c.service_user_id == su)
            .values(rejected_run=run_id, last_seen_run=run_id, missing_runs=0, fingerprint=None, rows_fingerprint=None)
        )
    else:
        conn.execute(
            insert(service_users).values(
                service_user_id=su, status="rejected", first_seen_run=run_id, rejected_run=run_id, missing_runs=0
            )
        )


def record_missing(conn: Connection, service_user_ids: Iterable[str]) -> None:
    ids = list(service_user_ids)
    if ids:
        conn.execute(
            update(service_users)
            .where(service_users.c.service_user_id.in_(ids))
            .values(status="missing", missing_runs=service_users.c.missing_runs + 1)
        )


def record_ended(conn: Connection, su: str, run_id: int) -> None:
    conn.execute(
        update(service_users)
        .where(service_users.c.service_user_id == su)
        .values(status="ended", ended_run=run_id, fingerprint=None, rows_fingerprint=None)
    )


def record_rows_fingerprints(conn: Connection, fingerprints: Mapping[str, str]) -> None:
    """Service users whose records were found as they were (their rows were not): the
    fingerprint of their rows now, so that the next load need not read them."""
    if fingerprints:
        conn.execute(
            update(service_users)
            .where(service_users.c.service_user_id == bindparam("su"))
            .values(rows_fingerprint=bindparam("rows")),
            [{"su": su, "rows": rows} for su, rows in fingerprints.items()],
        )


# --- resources ------------------------------------------------------------------------

_HELD_COLUMNS = (
    resources.c.resource_type,
    resources.c.resource_id,
    resources.c.version,
    resources.c.content_hash,
    resources.c.state,
    resources.c.content,
    resources.c.service_user_id,
)


def _held(row: Any) -> Held:
    return Held(
        row.resource_type,
        row.resource_id,
        row.version,
        row.content_hash,
        State(row.state),
        row.content,
        row.service_user_id,
    )


def held_for_service_user(conn: Connection, su: str) -> dict[tuple[str, str], Held]:
    rows = conn.execute(select(*_HELD_COLUMNS).where(resources.c.service_user_id == su))
    return {(r.resource_type, r.resource_id): _held(r) for r in rows}


def held_shared(conn: Connection) -> dict[tuple[str, str], Held]:
    rows = conn.execute(select(*_HELD_COLUMNS).where(resources.c.service_user_id.is_(None)))
    return {(r.resource_type, r.resource_id): _held(r) for r in rows}


def held_by_keys(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Held]:
    """What the store holds for these resources (any owner), by key."""
    wanted = list(keys)
    found: dict[tuple[str, str], Held] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        by_type: dict[str, list[str]] = {}
        for rtype, rid in chunk:
            by_type.setdefault(rtype, []).append(rid)
        for rtype, ids in by_type.items():
            rows = conn.execute(
                select(*_HELD_COLUMNS).where(and_(resources.c.resource_type == rtype, resources.c.resource_id.in_(ids)))
            )
            found.update({(r.resource_type, r.resource_id): _held(r) for r in rows})
    return found


def write_changes(conn: Connection, planned: Iterable[Planned], run_id: int, now: datetime) -> None:
    """Store every change that writes (created, updated, ended, held back) and its history
    row."""
    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    endings: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for item in planned:
        if not item.writes:
            continue
        form = item.form
        version = 1 if item.held_version is None else item.held_version + 1
        base = {
            "content": form.content,
            "content_hash": form.content_hash,
            "version": version,
            "state": item.state.value,
            "last_changed_run": run_id,
            "updated_at": now,
        }
        if item.change is Change.CREATED:
            creates.append(
                {
                    **base,
                    "resource_type": form.resource_type,
                    "resource_id": form.resource_id,
                    "service_user_id": form.service_user_id,
                    "identifier_system": form.identifier[0] if form.identifier else None,
                    "identifier_value": form.identifier[1] if form.identifier else None,
                    "origin": form.origin,
                }
            )
        elif item.change in (Change.ENDED, Change.HELD_BACK):
            # an ending, or a mark, keeps where the resource came from
            endings.append({**base, "k_type": form.resource_type, "k_id": form.resource_id})
        else:
            updates.append({**base, "k_type": form.resource_type, "k_id": form.resource_id, "origin": form.origin})
        history.append(
            {
                "resource_type": form.resource_type,
                "resource_id": form.resource_id,
                "version": version,
                "content": form.content,
                "content_hash": form.content_hash,
                "change": item.change.value,
                "run_id": run_id,
                "recorded_at": now,
            }
        )
    if creates:
        conn.execute(insert(resources), creates)
    if updates or endings:
        # the SET clause comes from each row's keys that name columns (an ending keeps
        # the origin the resource was made from)
        keyed = update(resources).where(
            and_(resources.c.resource_type == bindparam("k_type"), resources.c.resource_id == bindparam("k_id"))
        )
        for rows in (updates, endings):
            if rows:
                conn.execute(keyed, rows)
    if history:
        conn.execute(insert(resource_versions), history)
        # the partner API's search index changes with the resources, in this transaction
        search_index.reindex(
            conn,
            [(h["resource_type"], h["resource_id"], h["content"]) for h in history],
            fresh=[(c["resource_type"], c["resource_id"]) for c in creates],
        )


def counts_by_type(conn: Connection) -> Mapping[tuple[str, str], int]:
    """How many stored resources of each type are in each state."""
    rows = conn.execute(
        select(resources.c.resource_type, resources.c.state, func.count()).group_by(
            resources.c.resource_type, resources.c.state
        )
    )
    return {(r[0], r[1]): int(r[2]) for r in rows}


def store_id(conn: Connection) -> str:
    """The store's own id (made when it was created)."""
    return str(conn.execute(select(store_meta.c.value).where(store_meta.c.key == "store_id")).scalar_one())


def trust_of_latest_run(conn: Connection) -> dict[str, str] | None:
    """The trust named by the latest extract run (what the sync's Provenance names)."""
    found = conn.execute(select(extract_runs.c.trust).order_by(extract_runs.c.id.desc()).limit(1)).scalar()
    return dict(found) if isinstance(found, dict) else None


@dataclass(frozen=True)
class StoredResource:
    resource_type: str
    resource_id: str
    content: bytes
    content_hash: str
    state: str
    identifier: tuple[str, str] | None
    origin: dict[str, Any] | None

    @property
    def key(self) -> tuple[str, str]:
        return self.resource_type, self.resource_id


_STORED_COLUMNS = (
    resources.c.resource_type,
    resources.c.resource_id,
    resources.c.content,
    resources.c.content_hash,
    resources.c.state,
    resources.c.identifier_system,
    resources.c.identifier_value,
    resources.c.origin,
)


def _stored(row: Any) -> StoredResource:
    identifier = (row.identifier_system, row.identifier_value) if row.identifier_system else None
    return StoredResource(
        row.resource_type, row.resource_id, row.content, row.content_hash, row.state, identifier, row.origin
    )


def service_user_resources(conn: Connection, su: str) -> list[StoredResource]:
    """Every stored resource of one service user, in a stable order."""
    rows = conn.execute(
        select(*_STORED_COLUMNS)
        .where(resources.c.service_user_id == su)
        .order_by(resources.c.resource_type, resources.c.resource_id)
    )
    return [_stored(r) for r in rows]


def stored_resource(conn: Connection, resource_type: str, resource_id: str) -> StoredResource | None:
    row = conn.execute(
        select(*_STORED_COLUMNS).where(
            resources.c.resource_type == resource_type, resources.c.resource_id == resource_id
        )
    ).first()
    return None if row is None else _stored(row)


def contents_by_hash(conn: Connection, wanted: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], bytes]:
    """The stored content of these versions, named by resource and content hash (what a
    target was last sent of each); a version the store no longer has is left out."""
    by_type: dict[str, list[str]] = {}
    for rtype, rid in wanted:
        by_type.setdefault(rtype, []).append(rid)
    found: dict[tuple[str, str], bytes] = {}
    for rtype, ids in by_type.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                select(resource_versions.c.resource_id, resource_versions.c.content_hash, resource_versions.c.content)
                .where(
                    resource_versions.c.resource_type == rtype,
                    resource_versions.c.resource_id.in_(chunk),
                    resource_versions.c.content_hash.in_({wanted[(rtype, rid)] for rid in chunk}),
                )
                .distinct()
            )
            for r in rows:
                if wanted[(rtype, r.resource_id)] == r.content_hash:
                    found[(rtype, r.resource_id)] = bytes(r.content)
    return found
