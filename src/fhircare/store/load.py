"""``fhircare load``: an extract, read and mapped, into the record store, with what changed
per service user and an outbox row for every target that must hear of it.

Each service user is written in one database transaction (their resources, the history
rows, the outbox rows and their own state), so a crash at any point leaves the store as
it was before or after that service user, and a second load finishes the work.

Nothing vanishes silently. A resource the extract no longer holds is ended by the rules
of :mod:`fhircare.mapping.ending`. A service user the extract no longer holds at all is
ended only when they have been missing from ``removal_runs`` extracts in a row, and never
while more than ``removal_threshold`` of the service users the store knows are missing
from one extract (a truncated extract must not end everyone's plans); ``confirm_removals``
ends every missing service user at once, for an operator who knows the extract is whole.
A record type with far fewer rows than the last complete load read (a file cut short or
exported empty, :meth:`Loader.shrunk`) makes the extract unusable until ``confirm_rows``.
A rejected service user keeps what the store held of them (their last good records) and
is reported, never ended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import structlog
from sqlalchemy import Engine

import fhircare
from fhircare.mapping.bundle import MappedBundle
from fhircare.mapping.context import MappingContext
from fhircare.mapping.ending import is_safeguard, people_not_involved, safeguards_to_keep
from fhircare.mapping.run import MapOutcome, map_results
from fhircare.source.mapping_schema import TrustMapping
from fhircare.source.results import Accepted, Problem, ReadResult
from fhircare.store import outbox, records
from fhircare.store.canonical import StoredForm, stored_forms
from fhircare.store.changes import (
    Change,
    Held,
    Planned,
    State,
    plan_gone,
    plan_held_back,
    plan_kept,
    plan_mapped,
)
from fhircare.store.db import writer
from fhircare.store.fingerprint import file_sha256, rows_fingerprint, service_user_fingerprint
from fhircare.validation.engine import Validator

_log = structlog.get_logger("fhircare.load")

#: rows a record type may lose in one extract beyond its share of the caseload's change
#: whatever the threshold (a medicine stopped, a note archived: a row or two come and go;
#: more from a consents file may be refusals, whose ending discloses)
_SHRINK_ALLOWED_ROWS = 2


@dataclass(frozen=True)
class RemovalPolicy:
    """When a service user missing from the extract is ended (README "Removals")."""

    #: the share of known service users that may be missing from one extract before
    #: fhircare refuses to end anyone (a truncated extract)
    threshold: float = 0.05
    #: extracts in a row a service user must be missing from before they are ended
    runs: int = 2
    #: end every missing service user now (the operator knows the extract is whole)
    confirm: bool = False
    #: take a file with far fewer rows than the last load read as it is (not cut short)
    confirm_rows: bool = False
    #: ``Consent/<id>`` or ``Flag/<id>``: refusals and do-not-involve flags kept in force
    #: (their rows gone) that the operator confirms were withdrawn on purpose: ended now,
    #: and nothing else (``--confirm-withdrawn``)
    withdrawn: frozenset[str] = frozenset()


@dataclass
class LoadSummary:
    run_id: int = 0
    #: service users: read, changed, unchanged, rejected (by stage), missing, ended
    service_users: Counter[str] = field(default_factory=Counter)
    #: resources by (type, change)
    resources: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: the missing service users were not ended because too many were missing
    removals_refused: bool = False
    missing: int = 0
    known: int = 0
    #: shared resources that two service users' records described differently
    shared_conflicts: int = 0
    #: rows read per record type (the next load compares its own with them)
    rows_read: dict[str, int] = field(default_factory=dict)
    #: refusals and do-not-involve flags the extract no longer holds, kept in force:
    #: (service user id, ``Consent/<id>`` or ``Flag/<id>``)
    safeguards_kept: list[tuple[str, str]] = field(default_factory=list)
    #: kept ones the operator named as withdrawn (``--confirm-withdrawn``), ended by this run
    safeguards_ended: list[tuple[str, str]] = field(default_factory=list)
    #: names given to ``--confirm-withdrawn`` that are no refusal or flag kept in force,
    #: each with why (nothing was ended for them)
    withdrawn_unmatched: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(v for k, v in self.service_users.items() if k.startswith("rejected"))

    def as_json(self) -> dict[str, Any]:
        by_type: dict[str, dict[str, int]] = {}
        for (rtype, change), count in sorted(self.resources.items()):
            by_type.setdefault(rtype, {})[change] = count
        return {
            "run": self.run_id,
            "serviceUsers": dict(sorted(self.service_users.items())),
            "resources": by_type,
            "removalsRefused": self.removals_refused,
            "missing": self.missing,
            "known": self.known,
            "sharedConflicts": self.shared_conflicts,
            "rowsRead": dict(sorted(self.rows_read.items())),
            "safeguardsKept": [{"serviceUser": su, "resource": ref} for su, ref in self.safeguards_kept],
            "safeguardsEnded": [{"serviceUser": su, "resource": ref} for su, ref in self.safeguards_ended],
            "withdrawnUnmatched": [{"resource": ref, "why": why} for ref, why in self.withdrawn_unmatched],
        }


@dataclass(frozen=True)
class PendingServiceUser:
    """A service user read and found changed, to be mapped: their reading, and the
    fingerprints to store with them once mapped."""

    result: ReadResult
    #: of their records (None: rejected while reading)
    fingerprint: str | None
    #: of their extract rows (None: not known)
    rows: str | None


@dataclass(frozen=True)
class LoadRequest:
    extract_dir: Path
    mapping_file: Path
    mapping: TrustMapping
    context: MappingContext
    #: a fingerprint of everything but a service user's records (see store.fingerprint)
    run_fingerprint: str
    removal: RemovalPolicy = RemovalPolicy()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _extract_files(folder: Path) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    ]


def _trust(context: MappingContext) -> dict[str, str]:
    key = context.trust_key
    return {
        "name": context.trust_name,
        "ods_code": context.trust_ods_code,
        "resource_type": key.resource_type,
        "resource_id": key.id,
    }


def _people_of_kept_flags(
    kept: set[tuple[str, str]], held: Mapping[tuple[str, str], Held], present: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """The RelatedPersons, still in the extract, that a kept do-not-involve Flag names."""
    pinned: set[tuple[str, str]] = set()
    for key in kept:
        if key[0] == "Flag" and key in held:
            people = people_not_involved(orjson.loads(held[key].content))
            pinned.update(p for p in people if p in present and p in held and held[p].state is State.CURRENT)
    return pinned


class Loader:
    """One load of one extract into one store (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        request: LoadRequest,
        validator: Validator | None,
        *,
        on_problem: Callable[[Problem, str], None] = lambda _p, _s: None,
    ) -> None:
        self.engine = engine
        self.write = writer(engine)
        self.request = request
        self.validator = validator
        self.on_problem = on_problem
        self.summary = LoadSummary()
        self._shared: dict[tuple[str, str], Held] = {}
        self._shared_this_run: dict[tuple[str, str], str] = {}
        self._targets: list[int] = []
        self._states: dict[str, records.ServiceUserState] = {}
        self._seen: set[str] = set()
        #: rows fingerprints of the service users still to read (see unchanged_rows)
        self._rows: dict[str, str] = {}
        #: rows fingerprints of service users whose records were found unchanged, to store
        self._rows_to_record: dict[str, str] = {}
        #: the last complete load's summary (as_json), to compare this extract with
        self._previous: dict[str, Any] = {}
        #: names given to ``--confirm-withdrawn`` that this run has ended
        self._withdrawn_done: set[str] = set()

    # --- the run ------------------------------------------------------------------------

    def start(self) -> int:
        now = _utcnow()
        request = self.request
        with self.write.begin() as conn:
            interrupted = records.mark_interrupted_runs(conn, now)
            self.summary.run_id = records.start_run(
                conn,
                extract_dir=str(request.extract_dir),
                mapping_file=str(request.mapping_file),
                mapping_sha256=file_sha256(request.mapping_file),
                as_of=request.context.as_of,
                files=_extract_files(request.extract_dir),
                trust=_trust(request.context),
                version=fhircare.__version__,
                now=now,
            )
            self._targets = [t for t, _url in outbox.all_targets(conn)]
            self._states = records.service_user_states(conn)
            self._shared = records.held_shared(conn)
            self._previous = records.latest_completed_counts(conn) or {}
        if interrupted:
            _log.info("interrupted runs found", count=interrupted)
        return self.summary.run_id

    def shrunk(self, rows_read: dict[str, int], service_users: int) -> list[tuple[str, str]]:
        """The record types of this extract that hold far fewer rows than the last complete
        load read, as (record type, why): a file cut short, or exported empty. Each of its
        missing rows would end a record in the shared record (a consent, a refusal, a
        carer's note) while the service user is still there, which the guard on missing
        service users does not see. None when the operator confirmed the files are whole."""
        self.summary.rows_read = dict(rows_read)
        before = self._previous.get("rowsRead") or {}
        known = int((self._previous.get("serviceUsers") or {}).get("read", 0))
        if self.request.removal.confirm_rows or not before or not known:
            return []
        threshold = self.request.removal.threshold
        # fewer rows as the caseload shrinks are expected; beyond that, the threshold
        expected = max(0.0, 1 - service_users / known)
        found = []
        for name, had in sorted(before.items()):
            now = rows_read.get(name)
            if now is None or had <= 0:
                continue
            # an empty file is never taken as whole: a record type's last rows going at once
            # is an export that failed far more often than a trust's records all ending
            lost = 1 - now / had
            if now == 0 or (lost > expected + threshold and had - now > _SHRINK_ALLOWED_ROWS):
                found.append((name, f"{now} rows of {name} where the last complete load read {had}"))
        return found

    def unchanged_rows(self, digests: Iterable[tuple[str, bytes | None]]) -> set[str]:
        """The service users whose extract rows are as they were at the last load that
        mapped them (``digests``: ``Extract.row_digests``): counted read and unchanged here,
        they need not be read at all. The others' rows fingerprints are kept for
        :meth:`load_one`."""
        unchanged = set()
        for su, digest in digests:
            if digest is None:
                continue
            found = rows_fingerprint(digest, self.request.run_fingerprint)
            state = self._states.get(su)
            if state is not None and state.status == "present" and state.rows_fingerprint == found:
                unchanged.add(su)
            else:
                self._rows[su] = found
        self._seen.update(unchanged)
        self.summary.service_users["read"] += len(unchanged)
        self.summary.service_users["unchanged"] += len(unchanged)
        return unchanged

    def load_one(self, result: ReadResult) -> None:
        """Store one service user the reader gives."""
        pending = self.before_mapping(result)
        if pending is not None:
            self.store_one(pending, self.map_one(pending.result))

    def before_mapping(self, result: ReadResult) -> PendingServiceUser | None:
        """The first step of :meth:`load_one`: None when the service user is done with
        (their records are as stored: counted unchanged), else what mapping them needs.
        Mapping (:meth:`map_one`, pure) may then run in another process; the results are
        stored (:meth:`store_one`) in the reader's order."""
        su = result.service_user_id
        self._seen.add(su)
        self.summary.service_users["read"] += 1
        fingerprint = None
        rows = self._rows.pop(su, None)
        if isinstance(result, Accepted):
            fingerprint = service_user_fingerprint(
                result.record.model_dump_json().encode(), self.request.run_fingerprint
            )
            state = self._states.get(su)
            if state is not None and state.status == "present" and state.fingerprint == fingerprint:
                self.summary.service_users["unchanged"] += 1
                if rows is not None and rows != state.rows_fingerprint:
                    self._remember_rows(su, rows)
                return None
        return PendingServiceUser(result, fingerprint, rows)

    def map_one(self, result: ReadResult) -> MapOutcome:
        """Map and validate one service user (pure: nothing is stored)."""
        su = result.service_user_id
        try:
            return next(map_results([result], self.request.mapping, self.request.context, self.validator))
        except Exception as exc:  # a fault of fhircare's rejects this one service user, not the run
            reason = f"internal error while mapping this service user ({type(exc).__name__}); please report it"
            return MapOutcome(su, None, (Problem("", None, None, reason, service_user_id=su),), "internal")  # type: ignore[arg-type]

    def store_one(self, pending: PendingServiceUser, outcome: MapOutcome) -> None:
        """Store what mapping one service user gave (the last step of :meth:`load_one`)."""
        if outcome.mapped is None:
            self._reject(outcome)
            return
        assert pending.fingerprint is not None
        self._store_mapped(outcome.service_user_id, outcome.mapped, pending.fingerprint, pending.rows)

    def _remember_rows(self, su: str, rows: str) -> None:
        """The rows fingerprint of a service user whose records were found unchanged though
        their rows were not (a directory row changed): stored in batches."""
        self._rows_to_record[su] = rows
        if len(self._rows_to_record) >= 500:
            self._store_rows_fingerprints()

    def _store_rows_fingerprints(self) -> None:
        if not self._rows_to_record:
            return
        with self.write.begin() as conn:
            records.record_rows_fingerprints(conn, self._rows_to_record)
        for su, rows in self._rows_to_record.items():
            state = self._states[su]
            self._states[su] = records.ServiceUserState(su, state.status, state.fingerprint, state.missing_runs, rows)
        self._rows_to_record.clear()

    def finish(self, *, complete: bool) -> LoadSummary:
        """Decide on missing service users (only after a complete read) and close the run."""
        self._store_rows_fingerprints()
        if complete:
            self._removals()
            self._end_withdrawn_of_ended()
        now = _utcnow()
        with self.write.begin() as conn:
            records.finish_run(
                conn, self.summary.run_id, "completed" if complete else "failed", self.summary.as_json(), now
            )
        return self.summary

    # --- one service user ---------------------------------------------------------------

    def _reject(self, outcome: MapOutcome) -> None:
        stage = outcome.stage or "read"
        self.summary.service_users[f"rejected-{stage}"] += 1
        for problem in outcome.problems:
            self.on_problem(problem, stage)
        su = outcome.service_user_id
        known = su in self._states
        planned: list[Planned] = []
        with self.write.begin() as conn:
            if known:
                # what the shared record shows of them stays, marked not current (H10)
                held = records.held_for_service_user(conn, su)
                planned = plan_held_back(held.values(), self.request.context.as_of)
                records.write_changes(conn, planned, self.summary.run_id, _utcnow())
                self._enqueue(conn, su, planned)
            records.record_rejected(conn, su, self.summary.run_id, known)
        for item in planned:
            self.summary.resources[(item.form.resource_type, item.change.value)] += 1
        if not known:
            self._states[outcome.service_user_id] = records.ServiceUserState(
                outcome.service_user_id, "rejected", None, 0
            )

    def _store_mapped(self, su: str, mapped: MappedBundle, fingerprint: str, rows: str | None = None) -> None:
        origins = [
            {"file": s.origin.file, "line": s.origin.line} if s.origin is not None else None for s in mapped.sources
        ]
        forms = stored_forms(su, mapped.resources, origins)
        own = [f for f in forms if not f.is_shared]
        shared = self._dedupe_shared([f for f in forms if f.is_shared])
        day = self.request.context.as_of
        with self.write.begin() as conn:
            held = records.held_for_service_user(conn, su)
            present = {f.key for f in own}
            kept = self._safeguards_kept(su, held, own, mapped)
            # the people a kept do-not-involve flag names stay as stored: their rows, which
            # no longer say "do not involve", would make them active contacts again, with
            # their telephone numbers (found by a trial of a new layout: a JSON key renamed)
            pinned = _people_of_kept_flags(kept, held, present)
            planned = plan_mapped([f for f in own if f.key not in pinned], held, day)
            planned += plan_gone(held.values(), present | kept, day)
            planned += plan_kept(held[key] for key in kept | pinned)
            if kept:
                # mapped again on every run while a refusal is kept (never counted unchanged):
                # reported each time, and ended on the run the operator confirms
                fingerprint, rows = "", None
            planned += plan_mapped(shared, self._shared, day)
            problems = self._check(planned, mapped)
            if problems:
                conn.rollback()
                self._reject(MapOutcome(su, None, problems, "validation"))
                return
            records.write_changes(conn, planned, self.summary.run_id, _utcnow())
            self._enqueue(conn, su, planned)
            records.record_seen(
                conn, su, fingerprint, self.summary.run_id, known=su in self._states, rows_fingerprint=rows
            )
        self._after_commit(su, planned, fingerprint, rows)

    def _safeguards_kept(
        self, su: str, held: Mapping[tuple[str, str], Held], own: list[StoredForm], mapped: MappedBundle
    ) -> set[tuple[str, str]]:
        """The refusals and do-not-involve flags the extract no longer holds that only a lost
        row explains, kept in force (``ending.safeguards_to_keep``: ending one would disclose
        what the service user refused), unless the operator confirmed the extract is whole
        (``--confirm-removals``)."""
        if self.request.removal.confirm:
            return set()
        day = self.request.context.as_of
        present = {f.key for f in own}
        gone = [
            orjson.loads(h.content)
            for h in held.values()
            if h.key not in present and h.state is State.CURRENT and h.resource_type in ("Consent", "Flag")
        ]
        candidates = [g for g in gone if is_safeguard(g, day)]
        if not candidates:
            return set()
        consents = [orjson.loads(f.content) for f in own if f.resource_type == "Consent"]
        # the people whose rows say, in so many words, that they may be involved
        lifted = {
            ("RelatedPerson", resource["id"])
            for resource, source in zip(mapped.resources, mapped.sources, strict=False)
            if resource.get("resourceType") == "RelatedPerson" and getattr(source, "do_not_involve", None) is False
        }
        kept = {(r["resourceType"], r["id"]) for r in safeguards_to_keep(candidates, lifted, consents, day)}
        return self._unless_withdrawn(su, kept)

    def _unless_withdrawn(self, su: str, kept: set[tuple[str, str]], *, counted: bool = True) -> set[tuple[str, str]]:
        """Of the safeguards kept for ``su``, those the operator did not name as withdrawn on
        purpose (``--confirm-withdrawn``); the named ones are ended, and listed. ``counted``:
        the rest are listed as kept (their rows gone; not so an ended service user's, whose
        refusals stay in force with their record)."""
        named = {key for key in kept if f"{key[0]}/{key[1]}" in self.request.removal.withdrawn}
        self.summary.safeguards_ended.extend((su, f"{rtype}/{rid}") for rtype, rid in sorted(named))
        self._withdrawn_done.update(f"{rtype}/{rid}" for rtype, rid in named)
        kept = kept - named
        if counted:
            self.summary.safeguards_kept.extend((su, f"{rtype}/{rid}") for rtype, rid in sorted(kept))
        return kept

    def _dedupe_shared(self, shared: list[StoredForm]) -> list[StoredForm]:
        """Shared resources already stored by this run are not written again; one that a
        second service user's records describe differently keeps its first form (and is
        counted: the directory rows disagree with each other)."""
        kept = []
        for form in shared:
            first = self._shared_this_run.get(form.key)
            if first is None:
                kept.append(form)
            elif first != form.content_hash:
                self.summary.shared_conflicts += 1
        return kept

    def _check(self, planned: list[Planned], mapped: MappedBundle) -> tuple[Problem, ...]:
        """Resources the store changed beyond the mapping (an ending, a care team keeping
        a former member) are validated on their own; the mapped bundle already was."""
        if self.validator is None:
            return ()
        problems: list[Problem] = []
        for item in planned:
            beyond_mapping = item.change is Change.ENDED or item.form.resource_type == "CareTeam"
            if item.change is Change.UNCHANGED or not beyond_mapping:
                continue
            result = self.validator.validate(orjson.loads(item.form.content))
            problems.extend(
                Problem(
                    "",
                    None,
                    None,
                    f"the stored form of {item.form.resource_type}/{item.form.resource_id} does not validate:"
                    f" {issue.expression}: {issue.text}",
                    service_user_id=mapped.service_user_id,
                )
                for issue in result.issues
                if issue.is_error
            )
        return tuple(problems)

    def _enqueue(self, conn: Any, su: str, planned: list[Planned]) -> None:
        changed = [p for p in planned if p.writes]
        if not changed or not self._targets:
            return
        now = _utcnow()
        if any(not p.form.is_shared for p in changed):
            outbox.enqueue(conn, self._targets, outbox.SERVICE_USER, [su], self.summary.run_id, now)
        shared_keys = [f"{p.form.resource_type}/{p.form.resource_id}" for p in changed if p.form.is_shared]
        outbox.enqueue(conn, self._targets, outbox.SHARED, shared_keys, self.summary.run_id, now)

    def _after_commit(self, su: str, planned: list[Planned], fingerprint: str, rows: str | None) -> None:
        """Keep the in-memory views in step with what was committed, and count."""
        changed_own = False
        for item in planned:
            self.summary.resources[(item.form.resource_type, item.change.value)] += 1
            if item.form.is_shared:
                self._shared_this_run[item.form.key] = item.form.content_hash
                if item.writes:
                    version = 1 if item.held_version is None else item.held_version + 1
                    self._shared[item.form.key] = Held(
                        item.form.resource_type,
                        item.form.resource_id,
                        version,
                        item.form.content_hash,
                        item.state,
                        item.form.content,
                    )
            elif item.writes:
                changed_own = True
        self.summary.service_users["changed" if changed_own else "unchanged"] += 1
        self._states[su] = records.ServiceUserState(su, "present", fingerprint, 0, rows)

    # --- service users the extract no longer holds ----------------------------------------

    def _removals(self) -> None:
        policy = self.request.removal
        known = {su for su, s in self._states.items() if s.status in ("present", "missing")}
        missing = sorted(known - self._seen)
        self.summary.known = len(known)
        self.summary.missing = len(missing)
        if not missing:
            return
        share = len(missing) / len(known)
        if not policy.confirm and share > policy.threshold:
            self.summary.removals_refused = True
            _log.warning("removals refused", missing=len(missing), known=len(known), threshold=policy.threshold)
            return
        due = [su for su in missing if policy.confirm or self._states[su].missing_runs + 1 >= policy.runs]
        waiting = [su for su in missing if su not in set(due)]
        with self.write.begin() as conn:
            records.record_missing(conn, waiting)
        self.summary.service_users["missing"] += len(waiting)
        for su in due:
            self._end_service_user(su)

    def _end_service_user(self, su: str) -> None:
        day = self.request.context.as_of
        with self.write.begin() as conn:
            held = records.held_for_service_user(conn, su)
            # their refusals stay in force: an ended record is still read (a GP the service
            # user refused must not be shown it because they left services)
            refusals = {
                key
                for key, h in held.items()
                if h.state is State.CURRENT and is_safeguard(orjson.loads(h.content), day)
            }
            refusals = self._unless_withdrawn(su, refusals, counted=False)
            planned = plan_gone(held.values(), refusals, day)
            records.write_changes(conn, planned, self.summary.run_id, _utcnow())
            self._enqueue(conn, su, planned)
            records.record_ended(conn, su, self.summary.run_id)
        for item in planned:
            self.summary.resources[(item.form.resource_type, item.change.value)] += 1
        self.summary.service_users["ended"] += 1

    def _end_withdrawn_of_ended(self) -> None:
        """The refusals and flags named by ``--confirm-withdrawn`` that no service user of
        the extract kept: one an ended service user's record keeps in force is ended (the
        trust lifted it, and their record is still read); any other name ends nothing and
        is reported, so a mistyped id never passes as done."""
        names = sorted(self.request.removal.withdrawn - self._withdrawn_done)
        if not names:
            return
        day = self.request.context.as_of
        keys = [(name.partition("/")[0], name.partition("/")[2]) for name in names]
        with self.write.begin() as conn:
            held = records.held_by_keys(conn, keys)
            for name, key in zip(names, keys, strict=True):
                found = held.get(key)
                owner = found.service_user_id if found is not None else None
                status = self._states[owner].status if owner in self._states else None
                if found is None or owner is None:
                    why = "the store holds no such resource of a service user"
                elif found.state is not State.CURRENT or not is_safeguard(orjson.loads(found.content), day):
                    why = "not a refusal to share or do-not-involve flag in force"
                elif status != "ended":
                    why = "the extract still holds it, or its service user's record is not ended"
                else:
                    planned = plan_gone([found], set(), day)
                    records.write_changes(conn, planned, self.summary.run_id, _utcnow())
                    self._enqueue(conn, owner, planned)
                    self.summary.safeguards_ended.append((owner, name))
                    for item in planned:
                        self.summary.resources[(item.form.resource_type, item.change.value)] += 1
                    continue
                self.summary.withdrawn_unmatched.append((name, why))
