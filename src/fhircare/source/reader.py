"""Reading a trust extract through a mapping file, one service user at a time.

::

    mapping = load_mapping(Path("mappings/rio-like.yaml"))
    with read_extract(Path("extract/"), mapping) as extract:
        for result in extract:            # Accepted(record) or Rejected(id, problems)
            ...
        extract.file_problems             # problems with whole files, reported once
        extract.directory_problems        # problems with staff, team, organisation rows
        extract.unattributed_problems()   # rows that name no known service user

Loading streams every file once, converting each row and appending it to a SQLite file
in a private work folder (see :mod:`fhircare.source.store` for why); iteration then
assembles one service user at a time. Memory is bounded by one service user's rows plus
the trust directory (staff, teams, organisations). Nothing raises on bad input: every
problem is reported with its file, line and column, and a service user with any problem
is rejected whole while the others are read.

A service user is read whole or rejected whole, whatever goes wrong: a line that cannot
be read rejects every service user it might belong to, and when some file the mapping
needs is missing or unreadable, or a line names no service user at all, the extract is
``unusable`` and every service user is rejected. Problems that follow from a missing
file or column (references to records that could not be read) name it as their cause.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Container, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Self

from fhircare.errors import ExtractError, OutputError
from fhircare.source.assemble import DIRECTORY_TYPES, Assembler, Directory
from fhircare.source.common import nhs_number_problem
from fhircare.source.file_workers import FileJob, load_files
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_file import RecordPlan, TrustMapping
from fhircare.source.records import RECORD_TYPES
from fhircare.source.results import Problem, ReadResult, Rejected
from fhircare.source.row_loading import FileOutcome, complete_row, field_of
from fhircare.source.store import RowStore, StoredRow
from fhircare.workspace import WorkFolder


def _parent_depth() -> int:
    """The longest chain of parents (a rating's assessment's ...) among record types."""

    def depth(name: str) -> int:
        parent = RECORD_TYPES[name].parent
        return 0 if parent is None else 1 + depth(parent[0])

    return max(depth(name) for name in RECORD_TYPES)


#: record types a reader must not go without (SAFEGUARD_RECORD_TYPES[name]: what their rows
#: hold): when such a file is optional and absent, a refusal among its rows is not known (a
#: reader of the result would be shown what the service user refused), nor a legal status
#: or a Section 117 entitlement (H23). `map` and `load` say so and exit 1 (found by a trial
#: of a new layout, F14)
SAFEGUARD_RECORD_TYPES = {
    "consent_decision": "refusals to share",
    "contact": "people the service user does not want involved",
    "legal_status": "legal statuses and Section 117 entitlements",
}


class Extract:
    """An extract folder read through a mapping file (use :func:`read_extract`)."""

    def __init__(
        self,
        folder: Path,
        mapping: TrustMapping,
        *,
        workdir: Path | None = None,
        on_rows: Callable[[int], None] | None = None,
        limits: ReadLimits | None = None,
    ) -> None:
        self.folder = folder
        self.mapping = mapping
        #: problems with whole files (missing, unreadable, lacking columns), reported once
        self.file_problems: list[Problem] = []
        #: problems with directory rows (staff, teams, organisations), reported once; the
        #: service users who refer to such an entry are rejected with a pointer to it
        self.directory_problems: list[Problem] = []
        #: some file the mapping needs cannot be used: every service user is rejected
        self.unusable = False
        #: optional files that are absent (one note per file pattern)
        self.absent_optional: list[Problem] = []
        #: a safeguard's key that no row of a JSON Lines file holds (row_loading)
        self.unread_keys: list[Problem] = []
        #: rows counted as ignored by the mapping's ignore_rows, per file
        self.ignored: dict[str, int] = {}
        #: rows that repeated an earlier row exactly and were read once, per file
        self.repeated: dict[str, int] = {}
        self._outcome = FileOutcome()
        #: record type → the problem that left it without records (a cause of follow-ons)
        self.causes: dict[str, str] = {}
        self._on_rows = on_rows
        self._limits = limits or ReadLimits()
        self._work = WorkFolder(workdir)
        self._open_store: RowStore | None = None
        self._directory: Directory | None = None
        #: service users whose NHS number another service user's record holds too
        self._shared_nhs: dict[str, Problem] = {}

    @property
    def absent_safeguards(self) -> list[Problem]:
        """The absent optional files a reader must not go without (SAFEGUARD_RECORD_TYPES)."""
        return [p for p in self.absent_optional if p.record_type in SAFEGUARD_RECORD_TYPES]

    @property
    def rows_read(self) -> dict[str, int]:
        """Rows read per record type."""
        return {name: self._outcome.rows_read[name] for name in self.mapping.sources}

    # --- context manager -------------------------------------------------------------

    def __enter__(self) -> Self:
        if not self.folder.is_dir():
            raise ExtractError(f"no such extract folder: {self.folder}")
        self._work.__enter__()
        try:
            self._open_store = RowStore(self._work.path / "rows.sqlite")
            self._load()
        except sqlite3.Error as exc:
            self.close()
            raise _store_failure(self._work.parent, exc) from None
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Delete the working copy of the extract (done on leaving the ``with`` block)."""
        if self._open_store is not None:
            self._open_store.close()
            self._open_store = None
        self._work.close()

    @property
    def _store(self) -> RowStore:
        if self._open_store is None:
            raise RuntimeError("an Extract is read inside `with read_extract(...) as extract:`")
        return self._open_store

    # --- loading -----------------------------------------------------------------------

    def _load(self) -> None:
        present: set[str] = set()
        files = self.mapping.files()
        matched: dict[Path, list[str]] = {}
        for pattern in files:
            for path in sorted(self.folder.glob(pattern)):
                if not path.is_dir():
                    matched.setdefault(path, []).append(pattern)
        self._several_days(matched)
        for path, patterns in matched.items():
            if len(patterns) > 1:
                self.unusable = True
                name = path.relative_to(self.folder).as_posix()
                reason = f"matches the patterns {' and '.join(patterns)}: a file is read through one pattern only"
                self.file_problems.append(Problem(name, None, None, reason))
        jobs: list[FileJob] = []
        for pattern, plans in files.items():
            paths = [p for p, patterns in matched.items() if patterns == [pattern]]
            if not paths and any(pattern in patterns for patterns in matched.values()):
                continue  # its only file is reported above
            if not paths:
                self._absent(pattern, plans)
                continue
            present.update(p.record_type.name for p in plans)
            jobs += [FileJob(path, path.relative_to(self.folder).as_posix(), plans) for path in paths]
        before = len(self._outcome.file_problems)
        for job in load_files(jobs, self._store, self._outcome, self._work.path, self._limits, self._on_rows):
            for problem in self._outcome.file_problems[before:]:
                if problem.record_type is None:  # the whole file, not one record type's columns
                    self.unusable = True
                    for plan in job.plans:
                        self.causes.setdefault(plan.record_type.name, str(problem))
            before = len(self._outcome.file_problems)
        for name, problem in self._outcome.blocked_types.items():
            self.causes.setdefault(name, str(problem))
        for plan in self.mapping.plans():  # a record type with no file at all
            if plan.record_type.name not in present and plan.record_type.name not in self.causes:
                note = next((n for n in self.absent_optional if n.record_type == plan.record_type.name), None)
                if note is not None:
                    self.causes[plan.record_type.name] = str(note)
        self.file_problems.extend(self._outcome.file_problems)
        self.unread_keys = list(self._outcome.unread_keys)
        self.ignored = dict(self._outcome.ignored)
        self._store.finish(_parent_depth(), DIRECTORY_TYPES)
        self.repeated = dict(self._store.repeated)
        for problem in self._store.unresolved_blocked():
            self.unusable = True
            self.file_problems.append(
                Problem(
                    problem.file,
                    problem.line,
                    problem.field,
                    f"{problem.reason}; this line names no service user of the extract, so whose row it is"
                    " cannot be told: every service user is rejected (nothing is half-read)",
                )
            )
        self._directory = Directory(self._store, self.mapping)
        self.directory_problems.extend(self._directory.problems)
        self._shared_nhs = self._nhs_numbers_held_twice()

    def _nhs_numbers_held_twice(self) -> dict[str, Problem]:
        """An NHS number is one person's: two service users holding one (a person registered
        twice, a number mistyped into another's record, a placeholder whose check digit is
        valid, such as a published example; one digit repeated is refused at its row) were
        both mapped with exit 0 (fourth layout trial), and a partner looking the number up
        found two records, one of them someone else's. Each
        is rejected, naming the others by their local id; the number is never shown."""
        holders: dict[str, dict[str, StoredRow]] = {}
        for row in self._store.rows_of_type("service_user"):
            su = row.su or row.own_su
            plan = self.mapping.sources["service_user"][row.source]
            number = field_of(plan, row, "nhs_number")
            if su is None or not isinstance(number, str) or nhs_number_problem(number) is not None:
                continue
            holders.setdefault(number, {}).setdefault(su, row)
        shared: dict[str, Problem] = {}
        for rows in holders.values():
            if len(rows) < 2:
                continue
            for su, row in rows.items():
                others = ", ".join(repr(other) for other in rows if other != su)
                reason = (
                    f"the NHS number is also that of service user {others}: an NHS number is one person's, so"
                    " one record is someone else's, or the same person is registered twice (merge the records"
                    " in the EPR), or the number is mistyped or a placeholder. Neither is shared until it is"
                    " corrected"
                )
                column = self.mapping.column_for("service_user", "nhs_number", row.file)
                shared[su] = Problem(
                    row.file,
                    row.line,
                    column,
                    reason,
                    target="nhs_number",
                    record_type="service_user",
                    service_user_id=su,
                )
        return shared

    def _several_days(self, matched: dict[Path, list[str]]) -> None:
        """Files of one pattern stamped with different days are two extracts, not one in
        parts: yesterday's files left in the drop folder were read with today's, and a row
        only yesterday's held (a consent since withdrawn, a care team member who has left)
        was shared as current with exit 0 (fourth layout trial). The extract is unusable,
        naming the files; parts of one day's export (``_20250630_1``, ``_20250630_2``) and
        files with no date in their names are read together as before."""
        by_pattern: dict[str, list[Path]] = {}
        for path, patterns in matched.items():
            by_pattern.setdefault(patterns[0], []).append(path)
        for pattern, paths in by_pattern.items():
            days = {day for day in (_name_date(p.name) for p in paths) if day is not None}
            if len(days) < 2:
                continue
            self.unusable = True
            names = ", ".join(p.relative_to(self.folder).as_posix() for p in sorted(paths))
            reason = (
                f"matches files of {len(days)} different days ({names}): an extract is one"
                " day's files, and rows only an earlier day's file holds would be read as current. Move the"
                " earlier extract out of the folder"
            )
            self.file_problems.append(Problem(pattern, None, None, reason))

    def _absent(self, pattern: str, plans: list[RecordPlan]) -> None:
        for plan in plans:
            name = plan.record_type.name
            if plan.optional:
                if not any(n.record_type == name for n in self.absent_optional):
                    reason = f"no file matches this optional pattern: there are no {name} records"
                    if name in SAFEGUARD_RECORD_TYPES:
                        reason += (
                            f", so none of the {SAFEGUARD_RECORD_TYPES[name]} they would hold is known: is the"
                            " export whole?"
                        )
                    self.absent_optional.append(Problem(pattern, None, None, reason, record_type=name))
                continue
            self.unusable = True
            problem = Problem(pattern, None, None, f"no file matches this pattern (record type {name})")
            self.file_problems.append(problem)
            self.causes.setdefault(name, str(problem))

    # --- results -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[ReadResult]:
        """Each service user in id order: Accepted, or Rejected with every problem."""
        return self.results()

    def results(self, skip: Container[str] = ()) -> Iterator[ReadResult]:
        """As iterating, without the service users in ``skip`` (not even assembled)."""
        if self._directory is None:
            raise RuntimeError("an Extract is read inside `with read_extract(...) as extract:`")
        assembler = Assembler(self.mapping, self._store, self._directory, self.causes)
        root = str(self.file_problems[0]) if self.file_problems else None
        try:
            for su in self._store.service_users(DIRECTORY_TYPES):
                if su in skip:
                    continue
                try:
                    result = assembler.assemble(su)
                except sqlite3.Error:
                    raise
                except Exception as exc:  # a fault of fhircare's: this service user only
                    reason = f"internal error while reading this service user ({type(exc).__name__}); please report it"
                    result = Rejected(su, (Problem("", None, None, reason, service_user_id=su),))
                shared = self._shared_nhs.get(su)
                if shared is not None:
                    result = Rejected(su, (*(result.problems if isinstance(result, Rejected) else ()), shared))
                if self.unusable:
                    reason = "the extract cannot be read completely (see the problems with whole files)"
                    problems = result.problems if isinstance(result, Rejected) else ()
                    where = self.file_problems[0].file if self.file_problems else self.folder.name
                    problems = (*problems, Problem(where, None, None, reason, service_user_id=su))
                    yield Rejected(su, tuple(_caused(p, root) for p in problems))
                else:
                    yield result
        except sqlite3.Error as exc:
            raise _store_failure(self._work.parent, exc) from None

    def row_digests(self) -> Iterator[tuple[str, bytes | None]]:
        """Per service user, in id order: a digest of everything their result is made of
        (their rows and the trust directory's, but not where the rows stand in the files),
        so equal digests give equal results; None when it cannot vouch for that (the extract
        is unusable, or a line that could not be read may be theirs). A load compares them
        with the last load's to skip unchanged service users (store/fingerprint.py)."""
        if self._directory is None:
            raise RuntimeError("an Extract is read inside `with read_extract(...) as extract:`")
        directory = self._store.directory_digest(DIRECTORY_TYPES)
        try:
            for su, rows in self._store.service_user_digests():
                # a number another service user holds too depends on their rows, not only these
                trusted = rows is not None and not self.unusable and su not in self._shared_nhs
                yield su, hashlib.sha256(directory + rows).digest() if trusted and rows is not None else None
        except sqlite3.Error as exc:
            raise _store_failure(self._work.parent, exc) from None

    def service_user_count(self) -> int:
        """How many service users iterating gives (each Accepted or Rejected)."""
        return self._store.service_user_count(DIRECTORY_TYPES)

    def unattributed_problems(self) -> Iterator[Problem]:
        """Problems of rows that name no known service user (and are not directory rows):
        a child row whose parent does not exist."""
        for stored in self._store.unattributed(DIRECTORY_TYPES):
            row = complete_row(self.mapping.sources[stored.rtype][stored.source], stored)
            if row.problems:
                yield from row.problems
                continue
            rt = RECORD_TYPES[row.rtype]
            if rt.parent is not None and row.parent_key is not None:
                column = self.mapping.column_for(rt.name, rt.parent[1], row.file)
                reason = f"refers to unknown {rt.parent[0]} {row.parent_key!r}"
                cause = self.causes.get(rt.parent[0])
                unreadable = self._store.blocked_record(rt.parent[0], row.parent_key)
                if unreadable is not None:
                    reason = f"refers to {rt.parent[0]} {row.parent_key!r}, whose row could not be read"
                    cause = cause or str(replace(unreadable, caused_by=None))
                yield Problem(
                    row.file,
                    row.line,
                    column,
                    reason,
                    target=rt.parent[1],
                    record_type=rt.name,
                    caused_by=cause,
                )


def _caused(problem: Problem, root: str | None) -> Problem:
    if problem.caused_by is not None or root is None or str(problem) == root:
        return problem
    return replace(problem, caused_by=root)


def _store_failure(where: Path, exc: sqlite3.Error) -> OutputError:
    return OutputError(
        f"cannot write the extract's working copy in {where}: {exc} (is the disk full, or a file size limit set?)"
    )


def read_extract(
    folder: Path,
    mapping: TrustMapping,
    *,
    workdir: Path | None = None,
    on_rows: Callable[[int], None] | None = None,
    limits: ReadLimits | None = None,
) -> Extract:
    """An extract to use as a context manager (loading happens on entry). Working files
    go to a private folder in ``workdir`` (default: the system's temporary folder),
    removed on leaving the block, or by the next run if this one is killed."""
    return Extract(folder, mapping, workdir=workdir, on_rows=on_rows, limits=limits)


#: a day written in a file name: 20250630, 2025-06-30 or 2025_06_30, not inside a longer
#: run of digits
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})[-_]?(\d{2})[-_]?(\d{2})(?!\d)")


def _name_date(name: str) -> date | None:
    """The first valid day a file name holds (its export date stamp), if any."""
    for found in _NAME_DATE.finditer(name):
        try:
            return date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            continue
    return None
