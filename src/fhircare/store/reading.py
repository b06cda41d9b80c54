"""Reading an extract into the record store: the reader (``fhircare.source.reader``) and a
:class:`~fhircare.store.load.Loader` together, under the store's load lock.

Service users whose extract rows hash as at the last load are skipped before they are
read into records (``Loader.unchanged_rows``); the others are read, mapped and stored one
at a time, in the reader's order. Mapping and validating (pure, and most of the work of a
changed service user) runs in forked worker processes (:mod:`fhircare.forked`) a few
service users ahead of storing, when there are enough of them to share.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from fhircare.forked import auto_workers, forked_pool, run_task
from fhircare.mapping.run import MapOutcome
from fhircare.source.limits import ReadLimits
from fhircare.source.results import Problem, ReadResult
from fhircare.store.load import Loader, LoadRequest, LoadSummary, PendingServiceUser
from fhircare.validation.engine import Validator


@dataclass
class ExtractReport:
    """What reading the extract found beyond each service user: root causes (a missing file
    or column: the first thing to fix), rows a rule of the mapping file ignored, optional
    files that were absent."""

    usable: bool = False
    causes: list[str] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    #: rows that repeated an earlier row exactly and were read once, per file
    repeated: dict[str, int] = field(default_factory=dict)
    #: problems of no one service user (the directory: a member of staff kept without a
    #: wrong detail, or a team refused; lines that name no service user), in the rejects file
    other_problems: int = 0
    absent_optional: list[str] = field(default_factory=list)
    #: of those, the files a reader must not go without (refusals, legal statuses)
    absent_safeguards: list[str] = field(default_factory=list)
    #: a safeguard's key no row of a JSON Lines file holds (also counted in other_problems)
    unread_keys: list[str] = field(default_factory=list)


def load_extract(
    engine: Engine,
    request: LoadRequest,
    validator: Validator | None,
    *,
    workdir: Path | None = None,
    limits: ReadLimits | None = None,
    on_problem: Callable[[Problem, str], None] = lambda _p, _s: None,
    on_rows: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_service_user: Callable[[], None] | None = None,
) -> tuple[LoadSummary, ExtractReport]:
    """Load one extract (holding the store's load lock). Returns the summary and what
    reading found; an unusable extract (a file the mapping needs is missing or unreadable)
    changes nothing the store holds and ends no one."""
    from fhircare.source.reader import read_extract
    from fhircare.store.locks import LOAD, store_lock

    report = ExtractReport()
    followed: set[str] = set()  # the problems others follow from (caused_by)

    def noting(problem: Problem, stage: str) -> None:
        if problem.caused_by is not None:
            followed.add(problem.caused_by)
        on_problem(problem, stage)

    with store_lock(engine, LOAD):
        loader = Loader(engine, request, validator, on_problem=noting)
        loader.start()
        complete = False
        try:
            with read_extract(
                request.extract_dir, request.mapping, workdir=workdir, on_rows=on_rows, limits=limits
            ) as source:
                for problem in [*source.file_problems, *source.directory_problems, *source.unread_keys]:
                    on_problem(problem, "read")
                report.other_problems += len(source.directory_problems) + len(source.unread_keys)
                report.unread_keys = [str(p) for p in source.unread_keys]
                total = source.service_user_count()
                if on_total is not None:
                    on_total(total)
                shrunk = [] if source.unusable else loader.shrunk(source.rows_read, total)
                shrunk_causes: list[str] = []
                for name, why in shrunk:
                    patterns = ", ".join(s.file for s in request.mapping.sources[name])
                    cause = Problem(
                        patterns,
                        None,
                        None,
                        f"{why}: a file cut short or exported empty? Nothing was loaded; if the file is whole,"
                        " load it again with --confirm-fewer-rows",
                        record_type=name,
                    )
                    on_problem(cause, "read")
                    shrunk_causes.append(str(cause))
                if not source.unusable and not shrunk:
                    unchanged = loader.unchanged_rows(source.row_digests())
                    if on_service_user is not None:
                        for _ in unchanged:
                            on_service_user()
                    workers = _mapping_workers(limits or ReadLimits(), total - len(unchanged))
                    for _ in _load_changed(loader, source.results(skip=unchanged), workers):
                        if on_service_user is not None:
                            on_service_user()
                for problem in source.unattributed_problems():
                    noting(problem, "read")
                    report.other_problems += 1
                complete = not source.unusable and not shrunk
                # a directory entry that rejects those who refer to it (a crisis line with no
                # number) is a cause too, as `map` prints it
                referred = [str(p) for p in source.directory_problems if str(p) in followed]
                report.causes = list(
                    dict.fromkeys([*(str(p) for p in source.file_problems), *shrunk_causes, *referred])
                )
                report.ignored = dict(source.ignored)
                report.repeated = dict(source.repeated)
                report.absent_optional = [str(p) for p in source.absent_optional]
                report.absent_safeguards = [str(p) for p in source.absent_safeguards]
        finally:
            summary = loader.finish(complete=complete)
    report.usable = complete
    return summary, report


#: with the workers setting at 0, fewer service users to map than this are mapped in the
#: run's own process (starting workers costs about as much as mapping a few)
PARALLEL_FROM_SERVICE_USERS = 8
#: service users mapped ahead of storing, per worker
_AHEAD_PER_WORKER = 4


def _mapping_workers(limits: ReadLimits, to_map: int) -> int:
    if not limits.workers and to_map < PARALLEL_FROM_SERVICE_USERS:
        return 1
    return auto_workers(limits.workers, to_map)


def _load_changed(loader: Loader, results: Iterable[ReadResult], workers: int) -> Iterator[None]:
    """Every result loaded (mapped and stored, or found unchanged), in order; yields once
    per service user. With workers, mapping runs in them a few service users ahead."""
    if workers == 1:
        for result in results:
            loader.load_one(result)
            yield None
        return
    with forked_pool(workers, loader.map_one) as pool:
        # per service user read: what to store once mapped (None: found unchanged)
        window: deque[tuple[PendingServiceUser, Future[MapOutcome]] | None] = deque()
        for result in results:
            pending = loader.before_mapping(result)
            window.append((pending, pool.submit(run_task, pending.result)) if pending is not None else None)
            while len(window) > workers * _AHEAD_PER_WORKER:
                _store(loader, window.popleft())
                yield None
        while window:
            _store(loader, window.popleft())
            yield None


def _store(loader: Loader, mapped: tuple[PendingServiceUser, Future[MapOutcome]] | None) -> None:
    if mapped is not None:
        pending, mapping = mapped
        loader.store_one(pending, _outcome(loader, pending, mapping))


def _outcome(loader: Loader, pending: PendingServiceUser, mapping: Future[MapOutcome]) -> MapOutcome:
    try:
        return mapping.result()
    except Exception:  # a worker that died, or a result that could not come back: map it here
        return loader.map_one(pending.result)
