"""The sync engine: drains a target's outbox into the target FHIR server.

For each outbox row it reads what the store holds and what the target is known to hold,
plans one transaction (:mod:`fhircare.sync.plan`), sends it, and records the server's
answer; the row is marked done in the same database transaction that records the answer,
so a crash at any point leaves either "sent and recorded" or "to send again", and sending
again changes nothing on the server.

What each answer means:

- 2xx with a transaction-response, or 200/201/204 with no body at all (all or nothing: it
  was kept): recorded, done.
- 409 / 412 (the server's version moved on, or an identifier matches two resources): the
  resources are read again (by id, or searched by identifier) and the transaction planned
  again, at most ``_REPLANS`` times; an identifier held by several resources is never
  resolved by guessing: it goes to the dead letters with an OperationOutcome saying which.
- another 4xx: the server judged the data: a dead letter with the server's
  OperationOutcome and the extract rows the resources came from.
- 429, 502, 503, 504 and transport errors: retried by the client with backoff; when
  retries are used up, and on a 500 (a failure that says nothing about the data), the row
  is tried again later in this sync, at most ``passes`` times, then left pending.
- 401 after a fresh token, 403: the sync stops (exit 2): nothing can be sent.

Shared resources (organisations, staff, roles, services) go first, level by level (a role
after its practitioner and team), then service users; up to ``concurrency`` transactions
are in flight at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import structlog
from sqlalchemy import Connection, Engine, select

from fhircare.errors import StoreError, TargetAuthError, TargetError
from fhircare.mapping.ending import withdrawn_in
from fhircare.mapping.fhir import Json, written_by_fhircare
from fhircare.store import outbox, records
from fhircare.store.canonical import references
from fhircare.store.db import writer
from fhircare.store.outbox import OutboxEntry, TargetHeld
from fhircare.store.schema import resources
from fhircare.sync.capabilities import CapabilityCheck, check_capabilities
from fhircare.sync.client import Answer, FhirClient, TooManyPages
from fhircare.sync.kept import lost_in_keeping, most_telling
from fhircare.sync.plan import (
    Outgoing,
    RunEvidence,
    Transaction,
    dependency_order,
    escape_search_value,
    identifier_search,
    plan_transaction,
    search_batch,
    select_outgoing,
    shared_levels,
)
from fhircare.sync.responses import (
    EntryResult,
    SearchAnswer,
    batch_search_results,
    entity_tag,
    search_answer,
    transaction_results,
)

_log = structlog.get_logger("fhircare.sync")
#: identifiers of a (type, identifier system) searched in full before a census count of 0
#: is believed (one batch; at a first load only: a count above 0 shows the search works)
_CENSUS_SAMPLE = 20

#: pages of one identifier search read (a search honoured finds one resource, or a few)
_SEARCH_PAGES = 10
#: re-reads and re-plans of one row after 409/412, within one attempt
_REPLANS = 3
#: identity look-ups, transactions and re-plans one row may take in one attempt
_MAX_ROUNDS = 50
#: a row waiting for a shared resource another worker is sending is looked at again after
_WAIT_SECONDS = 1.0
_MAX_WAITS = 60
#: this many rows in a row failing on transport errors: the target is down, stop
_CIRCUIT_BREAKER = 8


def utcnow() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class SyncSummary:
    target: str
    #: resources by (type, outcome): created, updated, ended, dead-lettered, failed
    resources: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: outbox rows: sent, up-to-date, dead-lettered, failed, replanned
    rows: Counter[str] = field(default_factory=Counter)
    #: transactions the target committed (a row of more than ``max_entries`` resources takes
    #: several, each with its own Provenance)
    transactions: int = 0
    wall_seconds: float = 0.0
    #: time spent waiting for the server's answers (summed over workers)
    server_seconds: float = 0.0
    #: CPU time of this process (fhircare's own work)
    cpu_seconds: float = 0.0
    software: str = ""
    #: whether the target kept the security labels and extensions of a resource read back
    #: (sync/kept.py): "yes", "no", "not checked (...)", or "" when nothing labelled was sent
    labels_kept: str = ""
    #: the target's dead letters still open after this sync (refused before and not fixed
    #: since, or refused now): records the shared care record does not hold
    open_dead_letters: int = 0

    @property
    def dead_lettered(self) -> int:
        return self.rows["dead-lettered"]

    @property
    def failed(self) -> int:
        return self.rows["failed"]

    def as_json(self) -> dict[str, Any]:
        by_type: dict[str, dict[str, int]] = {}
        for (rtype, what), count in sorted(self.resources.items()):
            by_type.setdefault(rtype, {})[what] = count
        return {
            "target": self.target,
            "server": self.software,
            "labelsKept": self.labels_kept or None,
            "rows": dict(sorted(self.rows.items())),
            "transactions": self.transactions,
            "openDeadLetters": self.open_dead_letters,
            "resources": by_type,
            "wallSeconds": round(self.wall_seconds, 3),
            "serverSeconds": round(self.server_seconds, 3),
            "cpuSeconds": round(self.cpu_seconds, 3),
        }


class _Stop(Exception):
    """A worker saw a failure that ends the whole sync (kept to re-raise in the caller)."""


class SyncEngine:
    """Drains one target's outbox (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        client: FhirClient,
        *,
        concurrency: int = 4,
        passes: int = 3,
        retry_seconds: float = 5.0,
        max_entries: int = 50,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.write = writer(engine)
        self.client = client
        self.concurrency = concurrency
        self.passes = passes
        self.retry_seconds = retry_seconds
        #: entries per transaction, its Provenance included (some servers cap it: Medplum at 50)
        self.max_entries = max(2, max_entries)
        self.on_progress = on_progress
        self.summary = SyncSummary(client.base_url)
        self._row_locks = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._inflight: set[int] = set()
        #: rows claimed on SQLite and not yet handed to a worker (all of them in _inflight)
        self._ready: deque[OutboxEntry] = deque()
        self._attempts: Counter[int] = Counter()
        self._waits: Counter[int] = Counter()
        self._given_up: set[int] = set()
        self._transport_failures = 0
        self._stop = threading.Event()
        self._fatal: BaseException | None = None
        self._target_id = 0
        #: (type, identifier system) pairs the target holds only what fhircare recorded
        self._complete: set[tuple[str, str]] = set()
        #: (type, identifier system) pairs of stored resources the target is not known to hold
        self._unheld: frozenset[tuple[str, str]] = frozenset()
        #: what the target holds of the shared resources, read once they are sent
        self._shared_held: dict[tuple[str, str], TargetHeld] = {}
        #: the tags and labels of versions the target holds that fhircare did not send (found
        #: by identifier, or read again after a conflict), until the update that replaces them
        self._foreign_meta: dict[tuple[str, str], Json] = {}
        #: the target refused a batch: identifier searches go one GET each
        self._no_batch = False
        #: a resource read back this run to see the target kept its labels (sync/kept.py)
        self._kept_checked = False
        #: the read-back found a label or extension missing: the run stops, and what it sent goes again
        self._marks_lost = False
        self._evidence: RunEvidence | None = None
        self._done = 0
        self._total = 0

    # --- before sending -------------------------------------------------------------------

    def check_target(self) -> CapabilityCheck:
        """The target's capabilities against what the store will send; TargetError when
        it cannot take it (every missing capability named)."""
        with self.engine.connect() as conn:
            types = sorted({r[0] for r in conn.execute(select(resources.c.resource_type).distinct())})
        check = check_capabilities(self.client.capabilities(), types)
        self.summary.software = check.software
        if not check.usable:
            raise TargetError(
                f"the target {self.client.base_url} ({check.software}) cannot take what fhircare sends: it lacks "
                + "; ".join(check.missing)
            )
        return check

    def prepare(self) -> int:
        """Register the target and queue everything it lacks; returns the rows pending."""
        now = utcnow()
        with self.write.begin() as conn:
            self._target_id = outbox.ensure_target(conn, self.client.base_url, now)
            self._unheld = outbox.reconcile(conn, self._target_id, now).unheld
            store = records.store_id(conn)
            trust = records.trust_of_latest_run(conn)
            pending = sum(
                count
                for (target, _kind, status), count in outbox.status_counts(conn).items()
                if target == self._target_id and status == outbox.PENDING
            )
        trust_key = (trust["resource_type"], trust["resource_id"]) if trust else None
        name = trust["name"] if trust else "the trust"
        self._evidence = RunEvidence(None, store, trust_key, name, now)
        self._total = pending
        return pending

    def _take_census(self) -> None:
        """Which (type, identifier system) the target holds nothing of but what fhircare
        recorded sending: for those, a resource the target is not known to hold is new,
        and is created without asking the server first (one count per pair, instead of one
        search per resource: a first load into an empty server asks nothing else). When
        the counts differ (a crash between sending and recording, a change on the server),
        every such resource is looked up by its identifier before it is sent. Only the pairs
        of resources the target is not known to hold at all are counted: a daily sync that
        only updates asks nothing."""
        if not self._unheld:
            return
        with self.engine.connect() as conn:
            census = outbox.identifier_census(conn, self._target_id, self._unheld)
        for rtype, system, stored, held in census:
            if stored == held:
                continue  # nothing of this pair left to resolve
            url = f"{rtype}?identifier={quote(escape_search_value(system), safe='')}%7C&_summary=count"
            answer = self.client.send("GET", url)
            total = (answer.body or {}).get("total") if answer.ok else None
            if isinstance(total, int) and total == held and (held or self._none_found(rtype, system)):
                self._complete.add((rtype, system))
        _log.info("census", pairs=len(census), complete=len(self._complete))

    def _none_found(self, rtype: str, system: str) -> bool:
        """A count of 0 is taken only when a sample of the pair's identifiers, each searched
        in full, finds none. A server that does not take a search by system alone (``system|``,
        R4's "any code of the system") may answer 0 to it while holding the trust's records
        under ids of its own (loaded before, or a store lost): each would be created again,
        a second copy of every service user's records (H17). A count above 0 that matches
        shows the search works."""
        with self.engine.connect() as conn:
            values = outbox.identifier_sample(conn, rtype, system, _CENSUS_SAMPLE)
        sample = [Outgoing(rtype, "", b"", "", (system, value)) for value in values]
        if not sample:
            return True
        _answer, found = self._search_identifiers(sample)
        if found is None:
            return False  # not known: every resource is looked up
        held = sum(any(_holds(m, r.identifier) for m in f.matches) for r, f in zip(sample, found, strict=True))
        if held:
            _log.info("census not trusted: a count of 0, yet identifiers found", resource_type=rtype, found=held)
        return not held

    # --- the run --------------------------------------------------------------------------

    def run(self) -> SyncSummary:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            self.check_target()
            self.prepare()
            self._take_census()
            self._send_shared()
            with self.engine.connect() as conn:
                self._shared_held = outbox.shared_held(conn, self._target_id)
            self._drain(outbox.SERVICE_USER, None)
            if self._marks_lost:
                self._send_again_what_lost_marks()
            if self._fatal is not None:
                raise self._fatal
        finally:
            self.summary.wall_seconds = time.perf_counter() - started
            self.summary.cpu_seconds = time.process_time() - cpu
        with self.write.begin() as conn:
            outbox.touch_target(conn, self._target_id, utcnow())
            self.summary.open_dead_letters = len(outbox.list_dead_letters(conn, self._target_id))
        return self.summary

    def _send_shared(self) -> None:
        with self.engine.connect() as conn:
            pending = outbox.pending_shared(conn, self._target_id)
            contents = {}
            for key in pending.values():
                found = records.stored_resource(conn, *key)
                contents[key] = found.content if found is not None else b""
        ids_by_key = {key: row_id for row_id, key in pending.items()}
        for level in shared_levels(contents):
            self._drain(outbox.SHARED, [ids_by_key[key] for key in level])
            if self._fatal is not None:
                return
        # rows queued while this sync ran (a load beside it), in whatever order
        self._drain(outbox.SHARED, None)

    def _drain(self, kind: str, only: Sequence[int] | None) -> None:
        if self._fatal is not None:
            return
        workers = max(1, min(self.concurrency, len(only) if only is not None else self.concurrency))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fhircare-sync") as pool:
            futures = [pool.submit(self._worker, kind, only) for _ in range(workers)]
            for future in futures:
                future.result()

    def _worker(self, kind: str, only: Sequence[int] | None) -> None:
        try:
            while not self._stop.is_set():
                if self._step(kind, only):
                    continue
                if not self._wait_for_more(kind, only):
                    return
        except (TargetAuthError, StoreError, _Stop) as exc:
            self._halt(exc)
        except TargetError as exc:  # the target stopped answering altogether
            self._halt(exc)

    def _halt(self, exc: BaseException) -> None:
        with self._lock:
            if self._fatal is None:
                self._fatal = exc
        self._stop.set()

    def _wait_for_more(self, kind: str, only: Sequence[int] | None) -> bool:
        """Nothing claimable now: wait for a row that falls due, or say there is none."""
        with self._lock:
            busy = bool(self._inflight)
            skip = list(self._inflight | self._given_up)
        with self.engine.connect() as conn:
            due = outbox.next_due(conn, self._target_id, kind, skip, only)
        if due is None and not busy:
            return False
        delay = 0.2 if due is None else (_as_utc(due) - utcnow()).total_seconds()
        self._stop.wait(min(max(delay, 0.05), 1.0))
        return True

    # --- one row --------------------------------------------------------------------------

    def _step(self, kind: str, only: Sequence[int] | None) -> bool:
        """Claim and process one row; False when none was claimable."""
        if self._row_locks:
            with self.engine.begin() as conn:
                claimed = outbox.claim(
                    conn, self._target_id, kind, utcnow(), skip_locked=True, exclude=list(self._given_up), only=only
                )
                if not claimed:
                    return False
                self._process(claimed[0], lambda: nullcontext(conn), lambda: nullcontext(conn))
            return True
        with self._lock:
            if not self._ready:
                # one process holds a SQLite store: claim a batch, hand it out from memory
                skip = list(self._inflight | self._given_up)
                with self.engine.connect() as conn:
                    self._ready.extend(
                        outbox.claim(
                            conn, self._target_id, kind, utcnow(), skip_locked=False, exclude=skip, only=only, limit=32
                        )
                    )
                self._inflight.update(e.id for e in self._ready)
            if not self._ready:
                return False
            entry = self._ready.popleft()
        try:
            self._process(entry, self._reading, self._writing)
        finally:
            with self._lock:
                self._inflight.discard(entry.id)
        return True

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self.write.begin() as conn:
            yield conn

    def _process(
        self,
        entry: OutboxEntry,
        reading: Callable[[], AbstractContextManager[Connection]],
        writing: Callable[[], AbstractContextManager[Connection]],
    ) -> None:
        """Bring the target up to date with one row: resolve identities, then send the
        row's changed resources in transactions of at most ``max_entries``; the row is
        done when nothing of it is left to send."""
        absent: set[tuple[str, str]] = set()
        sent = replans = 0
        reread: set[tuple[str, str]] = set()  # read once this row, for versions the target did not give
        for _round in range(_MAX_ROUNDS):
            with reading() as conn:
                group, held = self._group_and_held(conn, entry)
            outgoing = select_outgoing(group, held)
            if not outgoing:
                with writing() as conn:
                    outbox.mark_done(conn, entry.id, utcnow())
                self._count_row(entry, "sent" if sent else "up-to-date")
                return
            unresolved = [
                r
                for r in outgoing
                if r.key not in held
                and r.key not in absent
                and r.identifier is not None
                and (r.resource_type, r.identifier[0]) not in self._complete
            ]
            if unresolved:
                if not self._resolve(entry, unresolved, absent, outgoing, writing):
                    return
                continue
            chunk = dependency_order(outgoing)[: self.max_entries - 1]
            unversioned = [
                r.key
                for r in chunk
                if (h := held.get(r.key)) and not (h.etag or h.server_version) and r.key not in reread
            ]
            if unversioned:
                # the target gave no version for what it holds (R4 lets a response omit etag
                # and _history): read it first, so the update carries ifMatch and a change
                # made on the server since is never overwritten unseen (each transaction of
                # the row: once each, a server that gives none on a read either is not asked again)
                reread.update(unversioned)
                self._reread(unversioned, writing)
                continue
            transaction = plan_transaction(
                chunk,
                held,
                group_key=entry.group_key,
                target_url=self.client.base_url,
                evidence=self._evidence_for(entry),
            )
            if transaction.waiting_for:
                self._wait_row(entry, transaction, writing)
                return
            self._take_off_dropped_meta(chunk, held, reading)
            answer = self._timed(self.client.transaction, transaction.bundle)
            if answer is None:
                self._retry_later(entry, "no answer", writing)
                return
            if answer.ok:
                last = len(chunk) == len(outgoing)
                known = set(held)  # on the server before this transaction
                results = transaction_results(answer.body or {}, [e.key[0] for e in transaction.entries])
                if results is None and answer.empty and answer.status in (200, 201, 204):
                    # committed, and no body (Prefer: return=minimal read as the whole answer's):
                    # a transaction is all or nothing, so every entry was kept. No version known:
                    # the next update reads one first
                    results = [EntryResult(answer.status, None, None, None, None) for _ in transaction.entries]
                refused = next((r for r in results or () if not r.ok), None)
                if refused is not None:
                    # a transaction succeeds or fails whole (R4 http 3.1.0.11.2): a 200 that
                    # refuses an entry is a server that did not keep to that; what it did keep
                    # is not known, so nothing is taken as sent
                    outcome = refused.outcome or _fhircare_outcome(
                        "processing", f"the target answered 200 to the transaction but {refused.status} to an entry"
                    )
                    self._dead_letter(entry, refused.status, outcome, chunk, writing)
                    return
                if results is None or not self._record(
                    transaction, results, chunk, writing, known, done=entry.id if last else None
                ):
                    self._retry_later(entry, "an answer that is not a usable transaction-response", writing)
                    return
                sent += 1
                with self._lock:
                    self.summary.transactions += 1
                self._check_kept(transaction, results, chunk)
                if last:
                    self._count_row(entry, "sent")
                    return
                continue
            if answer.status in (409, 412) and replans < _REPLANS:
                replans += 1
                self._reread([e.key for e in transaction.entries if e.content_hash], writing)
                self.summary.rows["replanned"] += 1
                continue
            if (
                (answer.status in (400, 410, 422) or (answer.status == 404 and answer.outcome() is not None))
                and replans < _REPLANS
                and any(e.if_match for e in transaction.entries)
                and self._reread([e.key for e in transaction.entries if e.content_hash], writing)
            ):
                # R4 lets a failed transaction answer any 4xx: a stale ifMatch may come back as
                # 400 or 422, an update of what was deleted as 404 or 410. A version that moved
                # on since it was recorded, or a resource gone, makes it a conflict
                replans += 1
                self.summary.rows["replanned"] += 1
                continue
            if not self._settle_refusal(entry, answer, chunk, writing):
                return
        self._retry_later(entry, f"still not up to date after {_MAX_ROUNDS} rounds", writing)

    def _settle_refusal(
        self,
        entry: OutboxEntry,
        answer: Answer,
        chunk: list[Outgoing],
        writing: Callable[[], AbstractContextManager[Connection]],
    ) -> bool:
        """A refused transaction: retried later, dead-lettered, or the end of the sync."""
        if answer.status == 403:
            raise TargetAuthError(f"the target {self.client.base_url} forbids fhircare to write (403)")
        if answer.status >= 500 or answer.status in (408, 429):
            self._retry_later(entry, f"HTTP {answer.status}", writing)
            return False
        outcome = answer.outcome()
        if 300 <= answer.status < 400 or (answer.status in (404, 405) and outcome is None):
            # the base URL does not take transactions (moved, or no such endpoint): the
            # target is wrong, not this service user's records
            raise TargetError(
                f"the target {self.client.base_url} answered a transaction with HTTP {answer.status}"
                + (f" (to {answer.headers['location']})" if answer.headers.get("location") else "")
                + ": check --target (fhircare does not follow redirects with the records)"
            )
        if answer.status in (409, 412):
            note = _fhircare_outcome(
                "conflict",
                f"the target kept answering {answer.status} after {_REPLANS} re-reads of what it holds",
            )
            # the server's own words first: a lasting 409 says why (a duplicate it refuses)
            outcome = {**note, "issue": [*(outcome or {}).get("issue", []), *note["issue"]]}
        self._dead_letter(entry, answer.status, outcome or _outcome(answer), chunk, writing)
        return False

    def _resolve(
        self,
        entry: OutboxEntry,
        unresolved: list[Outgoing],
        absent: set[tuple[str, str]],
        outgoing: list[Outgoing],
        writing: Callable[[], AbstractContextManager[Connection]],
    ) -> bool:
        """Ask the target who holds each identifier; False when the row was settled here
        (no answer: retried later; an identifier held twice: dead-lettered)."""
        answer, found = self._search_identifiers(unresolved)
        if found is None:
            if answer is None:
                reason = "no answer"
            elif not answer.ok:
                reason = f"identifier searches gave HTTP {answer.status}"
            else:  # a batch-response of another length, or a search in it that failed
                reason = "identifier searches answered without a searchset for each (a search failed)"
            self._retry_later(entry, reason, writing)
            return False
        learned = []
        for resource, searched in zip(unresolved, found, strict=True):
            assert resource.identifier is not None
            # a server may not honour FHIR's search escapes (Medplum splits "A,B" into A or B):
            # only a resource that holds this very identifier is a match
            matches: list[Json] | None = [m for m in searched.matches if _holds(m, resource.identifier)]
            if searched.more:
                # more pages: neither absence nor a single match on the first proves anything
                # (a page cut short, one resource a page). Read them all, while every resource
                # on them holds the identifier
                try:
                    matches = self._every_match(resource.resource_type, resource.identifier, searched.matches)
                except TargetAuthError:
                    raise
                except TargetError:
                    self._retry_later(entry, "the pages of an identifier search gave no answer", writing)
                    return False
            if matches is None:
                # other resources, on more than one page: the server did not search by the
                # identifier (FHIR lets it ignore a parameter). Taking the resource for new
                # would make a second copy of one it may hold, taking the one seen an update
                # of one of two: never guessed
                system, value = resource.identifier
                text = (
                    f"the target's search of {resource.resource_type} by identifier {system}|{value} answered with"
                    f" other resources, or more than {_SEARCH_PAGES} pages: it does not search by identifier, so"
                    " fhircare cannot tell whether it holds this one already"
                )
                self._dead_letter(entry, None, _fhircare_outcome("not-supported", text), outgoing, writing)
                return False
            if len(matches) > 1:
                system, value = resource.identifier
                ids = ", ".join(sorted(str(m.get("id")) for m in matches))
                text = (
                    f"{resource.resource_type} with identifier {system}|{value} is held {len(matches)} times on the"
                    f" target (ids {ids}): fhircare will not choose one; merge or remove the duplicates on the"
                    " server, then run `fhircare outbox retry`"
                )
                self._dead_letter(entry, None, _fhircare_outcome("duplicate", text), outgoing, writing)
                return False
            if not matches:
                absent.add(resource.key)
                continue
            meta = matches[0].get("meta") or {}
            version = meta.get("versionId")
            self._remember_foreign_meta(resource.key, meta)
            learned.append(
                {
                    "resource_type": resource.resource_type,
                    "resource_id": resource.resource_id,
                    "server_id": str(matches[0]["id"]),
                    "server_version": version,
                    "etag": f'W/"{version}"' if version else None,
                    "last_modified": meta.get("lastUpdated"),
                    # what the server holds is not known to be ours: still to send
                    "synced_hash": "",
                }
            )
        with writing() as conn:
            outbox.record_held(conn, self._target_id, learned, utcnow())
        return True

    def _search_identifiers(self, unresolved: list[Outgoing]) -> tuple[Answer | None, list[SearchAnswer] | None]:
        """What a search of each resource's identifier found (a batch of them, or one GET
        each on a target without batch), or None with the answer that failed."""
        answer: Answer | None = None
        if not self._no_batch:
            answer = self._timed(self.client.batch, search_batch(unresolved))
            if answer is not None and _refuses_batch(answer):
                # R4 makes batch an interaction of its own: a server may take transactions only
                _log.info("target takes no batch: identifiers searched one by one", status=answer.status)
                self._no_batch = True
        if self._no_batch:
            return self._search_each(unresolved)
        if answer is not None and answer.ok:
            return answer, batch_search_results(answer.body or {}, len(unresolved))
        return answer, None

    def _search_each(self, unresolved: list[Outgoing]) -> tuple[Answer | None, list[SearchAnswer] | None]:
        """The identifier searches one GET each (a target without batch): what each found, or
        None with the answer that failed (None: no answer)."""
        found: list[SearchAnswer] = []
        for resource in unresolved:
            assert resource.identifier is not None
            url = identifier_search(resource.resource_type, resource.identifier)
            answer = self._timed(lambda path: self.client.send("GET", path.decode()), url.encode())
            searched = search_answer(answer.body) if answer is not None and answer.ok else None
            if searched is None:
                return answer, None
            found.append(searched)
        return None, found

    def _every_match(self, rtype: str, identifier: tuple[str, str], first: list[Json]) -> list[Json] | None:
        """Every resource holding the identifier, over all the pages of its search; None when
        a page holds another resource (the server ignored the parameter) or there are more
        than ``_SEARCH_PAGES``."""
        if not all(_holds(m, identifier) for m in first):
            return None
        wanted = "|".join(escape_search_value(part) for part in identifier)
        found: list[Json] = []
        try:
            for match in self.client.search(rtype, {"identifier": wanted}, max_pages=_SEARCH_PAGES):
                if not _holds(match, identifier):
                    return None
                found.append(match)
        except TooManyPages:
            return None
        return found

    def _evidence_for(self, entry: OutboxEntry) -> RunEvidence | None:
        base = self._evidence
        if base is None:
            return None
        return RunEvidence(entry.run_id, base.store_id, base.trust, base.trust_name, _as_utc(entry.created_at))

    def _group_and_held(
        self, conn: Connection, entry: OutboxEntry
    ) -> tuple[list[Outgoing], dict[tuple[str, str], TargetHeld]]:
        """The row's stored resources, and what the target holds of them and of everything
        they refer to (the shared ones from memory: the directory is sent before anyone's
        records, and stays put while they are)."""
        if entry.kind == outbox.SHARED:
            rtype, _, rid = entry.group_key.partition("/")
            found = records.stored_resource(conn, rtype, rid)
            group = (
                [Outgoing(rtype, rid, found.content, found.content_hash, found.identifier, found.origin)]
                if found is not None
                else []
            )
            keys = {r.key for r in group} | {ref for r in group for ref in references(r.content)}
            return group, outbox.target_held(conn, self._target_id, keys)
        rows, held = outbox.service_user_with_held(conn, self._target_id, entry.group_key)
        group = [
            Outgoing(
                r.resource_type,
                r.resource_id,
                r.content,
                r.content_hash,
                (r.identifier_system, r.identifier_value) if r.identifier_system else None,
                r.origin,
            )
            for r in rows
        ]
        own = {r.key for r in group}
        elsewhere = {ref for r in group for ref in references(r.content) if ref not in own}
        with self._lock:
            known = {ref: self._shared_held[ref] for ref in elsewhere if ref in self._shared_held}
        missing = elsewhere - known.keys()
        if missing:
            found_now = outbox.target_held(conn, self._target_id, missing)
            with self._lock:
                self._shared_held.update(found_now)
            known.update(found_now)
        return group, {**held, **known}

    def _timed(self, call: Callable[[bytes], Answer], bundle: bytes) -> Answer | None:
        started = time.perf_counter()
        try:
            answer = call(bundle)
        except TargetAuthError:
            raise
        except TargetError:
            with self._lock:
                self._transport_failures += 1
                down = self._transport_failures >= _CIRCUIT_BREAKER
            if down:
                raise TargetError(
                    f"the target {self.client.base_url} stopped answering ({_CIRCUIT_BREAKER} transactions in a row"
                    " got no answer): sync stopped; what was not sent stays in the outbox"
                ) from None
            return None
        finally:
            with self._lock:
                self.summary.server_seconds += time.perf_counter() - started
        with self._lock:
            self._transport_failures = 0
        return answer

    # --- settling a row -------------------------------------------------------------------

    def _take_off_dropped_meta(
        self,
        chunk: Sequence[Outgoing],
        held: Mapping[tuple[str, str], TargetHeld],
        reading: Callable[[], AbstractContextManager[Connection]],
    ) -> None:
        """Before resources the target holds are updated: take off the tags and security
        labels the version there has and this one has not. A server may keep them across
        updates (HAPI FHIR does), and would go on saying, say, that a live resource is no
        longer in the trust's record (the tag stores wrote before the record-withdrawn
        extension), or withhold from the service user what a carer no longer asks to keep
        from them. Before the update, so that a crash between the two leaves nothing undone
        (the update is sent again; taking off what is not there is no error). A target
        without $meta-delete replaces them on update (Medplum), so its refusal is only noted.

        The version there is the one fhircare sent last, when it is known (its stored
        content); otherwise one the target held before (an earlier store sent it, or someone
        changed it): then only the marks fhircare itself writes are taken off
        (:func:`fhircare.mapping.fhir.written_by_fhircare`), never another system's."""
        sent = {r.key: held[r.key].synced_hash for r in chunk if r.key in held and held[r.key].synced_hash}
        foreign = [r.key for r in chunk if r.key in held and not held[r.key].synced_hash]
        before: dict[tuple[str, str], Json] = {}
        if sent:
            with reading() as conn:
                before = {key: orjson.loads(old) for key, old in records.contents_by_hash(conn, sent).items()}
        for key in foreign:
            found = self._foreign_meta_of(key, held[key])
            if found is not None:
                before[key] = {"meta": found}
        by_key = {r.key: r for r in chunk}
        for key, old in sorted(before.items()):
            new = orjson.loads(by_key[key].content)
            dropped = _dropped_meta(old, new, only_ours=key in foreign)
            if dropped:
                answer = self.client.meta_delete(key[0], held[key].server_id, dropped)
                _log.info("meta taken off", resource_type=key[0], taken_off=answer.ok, status=answer.status)

    def _remember_foreign_meta(self, key: tuple[str, str], meta: Json) -> None:
        with self._lock:
            self._foreign_meta[key] = _marks(meta)

    def _foreign_meta_of(self, key: tuple[str, str], known: TargetHeld) -> Json | None:
        """The tags and labels of the version the target holds that fhircare did not send:
        as read this sync, or read now (a sync that stopped between the read and the
        update); None when the target does not answer (the update goes ahead: it is what
        matters most, and the next sync tries again only if it fails)."""
        with self._lock:
            found = self._foreign_meta.pop(key, None)
        if found is not None:
            return found
        try:
            current = self.client.read(key[0], known.server_id)
        except TargetAuthError:
            raise
        except TargetError:
            return None
        if not current.ok or current.body is None:
            return None
        return _marks(current.body.get("meta") or {})

    def _record(
        self,
        transaction: Transaction,
        results: list[EntryResult],
        sent: list[Outgoing],
        writing: Callable[[], AbstractContextManager[Connection]],
        known: set[tuple[str, str]],
        *,
        done: int | None,
    ) -> bool:
        """Remember what the target now holds and, when this was the row's last transaction
        (``done``: its id), mark the row done in the same database transaction."""
        by_key = {r.key: r for r in sent}
        asked = {(e.key[0], e.url.partition("/")[2]) for e in transaction.entries}
        rows = []
        for planned, result in zip(transaction.entries, results, strict=True):
            # every entry is an update by id: the id is the one in the request. An answer
            # naming another of the request's (entries out of order), or another id for an
            # update, says nothing sure of any entry
            server_id = planned.url.partition("/")[2]
            if result.server_id is not None and result.server_id != server_id:
                if planned.key in known or (planned.key[0], result.server_id) in asked:
                    return False
                # a create the server kept under an id of its own (it does not keep client
                # ids): that is where the resource is, and where its next update goes
                server_id = result.server_id
                self._server_assigns_ids()
            if not planned.content_hash:
                continue  # the transaction's own Provenance
            rows.append(
                {
                    "resource_type": planned.key[0],
                    "resource_id": planned.key[1],
                    "server_id": server_id,
                    "server_version": result.version,
                    "etag": result.etag,
                    "last_modified": result.last_modified,
                    "synced_hash": planned.content_hash,
                }
            )
            # counted from what fhircare knew, not the status: servers answer an update that
            # creates with 200 (Medplum) or 201 (HAPI)
            ended = withdrawn_in(by_key[planned.key].content)
            what = "ended" if ended else ("updated" if planned.key in known else "created")
            with self._lock:
                self.summary.resources[(planned.key[0], what)] += 1
        with writing() as conn:
            outbox.record_held(conn, self._target_id, rows, utcnow())
            if done is not None:
                outbox.mark_done(conn, done, utcnow())
        return True

    def _check_kept(self, transaction: Transaction, results: list[EntryResult], chunk: Sequence[Outgoing]) -> None:
        """Once a run, after the first transaction that sent security labels: read back the
        resource that carries most, and stop the sync if the target lost any label or
        extension of it (sync/kept.py). A read refused or failed checks nothing (noted)."""
        if self._kept_checked:
            return  # read without the lock: set once, and every transaction passes here
        sent = {r.key: orjson.loads(r.content) for r in chunk}
        with self._lock:
            if self._kept_checked:
                return
            key = most_telling((k, sent[k]) for k in sent)
            if key is None:
                return
            self._kept_checked = True
        planned = next(p for p in transaction.entries if p.key == key)
        result = results[transaction.entries.index(planned)]
        server_id = result.server_id or planned.url.partition("/")[2]
        answer = self.client.read(key[0], server_id)
        if not answer.ok or answer.body is None:
            _log.info("labels not checked", resource_type=key[0], status=answer.status)
            self.summary.labels_kept = f"not checked (HTTP {answer.status})"
            return
        lost = lost_in_keeping(sent[key], answer.body)
        if not lost:
            self.summary.labels_kept = "yes"
            return
        self.summary.labels_kept = "no"
        with self._lock:
            self._marks_lost = True
        raise TargetError(
            f"the target {self.client.base_url} does not keep what marks a record restricted: {key[0]}/{server_id},"
            f" read back after it was sent, lacks its {'; '.join(lost)}. Other readers of the shared care record"
            " could not tell restricted mental health information, or what a carer asked to keep from the service"
            " user, from the rest. The sync stopped; what it sent is sent again by the first sync after the server"
            " (or what is in front of it) keeps them"
        )

    def _send_again_what_lost_marks(self) -> None:
        """After the workers stopped: everything recorded as held this run goes again next sync."""
        assert self._evidence is not None
        with self.write.begin() as conn:
            again = outbox.unsync_since(conn, self._target_id, self._evidence.recorded)
        _log.info("labels lost: to be sent again", resources=again)

    def _server_assigns_ids(self) -> None:
        """The target keeps a created resource under an id of its own: sending a create again
        (a lost answer) would make a second copy, so from now on every resource it is not
        known to hold is looked up by identifier first, whatever the census said."""
        with self._lock:
            if self._complete:
                _log.info("target assigns its own ids: identifiers looked up before every create")
            self._complete.clear()

    def _reread(self, keys: list[tuple[str, str]], writing: Callable[[], AbstractContextManager[Connection]]) -> bool:
        """Read again what the server holds for these resources (its version now, or that it
        is gone) before planning again: after 409/412, or when it gave no version. True when
        one is gone or its version is not the one recorded (the server's moved on)."""
        with writing() as conn:
            held = outbox.target_held(conn, self._target_id, keys)
        learned: list[dict[str, Any]] = []
        forgotten: list[tuple[str, str]] = []
        moved = False
        for key, known in held.items():
            current = self.client.read(key[0], known.server_id)
            if current.status in (404, 410):
                forgotten.append(key)
            elif current.ok and current.body is not None:
                meta = current.body.get("meta") or {}
                version = meta.get("versionId")
                moved = moved or (version is not None and version != known.server_version)
                self._remember_foreign_meta(key, meta)
                learned.append(
                    {
                        "resource_type": key[0],
                        "resource_id": key[1],
                        "server_id": known.server_id,
                        "server_version": version,
                        "etag": entity_tag(current.headers.get("ETag")) or (f'W/"{version}"' if version else None),
                        "last_modified": meta.get("lastUpdated"),
                        "synced_hash": "",  # the server's content is not ours: still to send
                    }
                )
        with writing() as conn:
            outbox.forget_held(conn, self._target_id, forgotten)
            outbox.record_held(conn, self._target_id, learned, utcnow())
        _log.info("re-read after conflict", learned=len(learned), gone=len(forgotten))
        return moved or bool(forgotten)

    def _retry_later(
        self, entry: OutboxEntry, reason: str, writing: Callable[[], AbstractContextManager[Connection]]
    ) -> None:
        with self._lock:
            self._attempts[entry.id] += 1
            attempts = self._attempts[entry.id]
            if attempts >= self.passes:
                self._given_up.add(entry.id)
        delay = self.retry_seconds * 2 ** (attempts - 1)
        now = utcnow()
        with writing() as conn:
            outbox.reschedule(conn, entry.id, now + timedelta(seconds=delay), reason, now)
        _log.info("row failed", row=entry.id, reason=reason, attempt=attempts)
        if attempts >= self.passes:
            self._count_row(entry, "failed")

    def _wait_row(
        self, entry: OutboxEntry, transaction: Transaction, writing: Callable[[], AbstractContextManager[Connection]]
    ) -> None:
        """The row needs a resource the target does not hold yet. Worth waiting for only while
        another row that will send it is still pending and not given up (another worker, or
        this one, is on it); otherwise the row fails for this sync and stays pending."""
        keys = [f"{t}/{i}" for t, i in transaction.waiting_for]
        with self.engine.connect() as conn:
            coming = outbox.pending_rows(conn, self._target_id, keys)
        with self._lock:
            self._waits[entry.id] += 1
            hopeless = not coming or all(row in self._given_up for row in coming)
            give_up = hopeless or self._waits[entry.id] >= _MAX_WAITS
            if give_up:
                self._given_up.add(entry.id)
        now = utcnow()
        waiting = ", ".join(keys[:3])
        with writing() as conn:
            outbox.reschedule(conn, entry.id, now + timedelta(seconds=_WAIT_SECONDS), f"waiting for {waiting}", now)
        if give_up:
            self._count_row(entry, "failed")

    def _dead_letter(
        self,
        entry: OutboxEntry,
        status: int | None,
        outcome: dict[str, Any],
        outgoing: list[Outgoing],
        writing: Callable[[], AbstractContextManager[Connection]],
    ) -> None:
        sources = [{"resourceType": r.resource_type, "id": r.resource_id, **(r.origin or {})} for r in outgoing]
        with writing() as conn:
            outbox.dead_letter(conn, entry, status, outcome, sources, utcnow())
        for resource in outgoing:
            self.summary.resources[(resource.resource_type, "dead-lettered")] += 1
        _log.info("dead letter", row=entry.id, status=status)
        self._count_row(entry, "dead-lettered")

    def _count_row(self, entry: OutboxEntry, what: str) -> None:
        with self._lock:
            self.summary.rows[what] += 1
            self._done += 1
            done, total = self._done, max(self._total, self._done)
        if self.on_progress is not None:
            self.on_progress(done, total)


def _holds(resource: dict[str, Any], identifier: tuple[str, str] | None) -> bool:
    listed = resource.get("identifier") or []
    return any(
        isinstance(i, dict) and (i.get("system"), i.get("value")) == identifier
        for i in (listed if isinstance(listed, list) else [listed])
    )


def _marks(meta: Json) -> Json:
    """The tags and security labels of a Meta (what ``$meta-delete`` can take off)."""
    return {k: meta[k] for k in ("tag", "security") if meta.get(k)}


def _dropped_meta(before: dict[str, Any], after: dict[str, Any], *, only_ours: bool = False) -> dict[str, Any]:
    """The tags and security labels ``before`` has and ``after`` has not (system and code:
    how $meta-delete matches them), as a Meta; ``only_ours``: of those, only the ones
    fhircare writes."""
    dropped: dict[str, Any] = {}
    marks = [c for k in ("tag", "security") for c in (before.get("meta") or {}).get(k) or () if isinstance(c, dict)]
    for key in ("tag", "security"):
        kept = {
            (c.get("system"), c.get("code")) for c in (after.get("meta") or {}).get(key) or () if isinstance(c, dict)
        }
        gone = [
            {"system": c.get("system"), "code": c.get("code")}
            for c in (before.get("meta") or {}).get(key) or ()
            if isinstance(c, dict)
            and (c.get("system"), c.get("code")) not in kept
            and (not only_ours or written_by_fhircare(c, marks))
        ]
        if gone:
            dropped[key] = gone
    return dropped


def _refuses_batch(answer: Answer) -> bool:
    """A batch refused as such (not its searches judged): 405 or 501, or a 4xx whose
    OperationOutcome says not supported."""
    if answer.status in (405, 501):
        return True
    issues = (answer.outcome() or {}).get("issue") or []
    return 400 <= answer.status < 500 and any(isinstance(i, dict) and i.get("code") == "not-supported" for i in issues)


def _outcome(answer: Answer) -> dict[str, Any]:
    return _fhircare_outcome("processing", f"the target answered HTTP {answer.status} without an OperationOutcome")


def _fhircare_outcome(code: str, text: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
