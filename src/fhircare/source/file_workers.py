"""Loading an extract's files into the row store, several files at once.

Why: reading a file (splitting CSV records, picking the source of each row, converting the
fields that say whose a row is) is pure Python work per row, and a daily load that finds
1% of service users changed spends most of its time there. Files are independent until
the row store groups them, so each file is loaded by a worker process
(:mod:`fhircare.forked`) into a part file of its own (the row store's schema), and the
run's process appends the parts in file order (:meth:`RowStore.merge`): the store ends up
exactly as if the files had been loaded one after another in the run's process, so
everything after loading is unchanged. Part files are written only inside the run's
private work folder, which is removed with it. Small extracts, machines with one CPU and
``FHIRCARE_WORKERS=1`` load in the run's own process, straight into the store.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from fhircare.errors import ExtractError
from fhircare.forked import auto_workers, forked_pool, run_task, still_running
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_schema import RecordPlan
from fhircare.source.row_loading import FileLoader, FileOutcome
from fhircare.source.store import RowStore

#: an extract smaller than this is read in the run's process (starting workers costs more)
PARALLEL_FROM_BYTES = 1 << 20


@dataclass(frozen=True)
class FileJob:
    """One extract file and the sources (record plans) that read its rows."""

    path: Path
    name: str
    plans: list[RecordPlan]


def worker_count(jobs: list[FileJob], limits: ReadLimits) -> int:
    """How many worker processes load ``jobs`` (1: none, the run's own process)."""
    if not limits.workers and sum(_size(job.path) for job in jobs) < PARALLEL_FROM_BYTES:
        return 1
    return auto_workers(limits.workers, len(jobs))


def load_files(
    jobs: list[FileJob],
    store: RowStore,
    outcome: FileOutcome,
    work: Path,
    limits: ReadLimits,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[FileJob]:
    """Load every job's rows into ``store`` and ``outcome``, in job order; yields each job
    once its rows are in (the caller looks at the problems it added)."""
    workers = worker_count(jobs, limits)
    if workers == 1:
        loader = FileLoader(store, limits, outcome)
        for job in jobs:
            loader.load(job.path, job.name, job.plans, on_rows)
            yield job
        return
    parts = [work / f"part-{number}.sqlite" for number in range(len(jobs))]
    load_part = _PartLoader(jobs, parts, limits, os.getpid())
    with forked_pool(workers, load_part) as pool:
        # the largest files first, so that no worker is left with a large one at the end;
        # merged in file order all the same
        order = sorted(range(len(jobs)), key=lambda n: -_size(jobs[n].path))
        futures: dict[int, Future[tuple[FileOutcome, int]]] = {n: pool.submit(run_task, n) for n in order}
        for number, job in enumerate(jobs):
            try:
                part_outcome, rows = futures[number].result()
            except BrokenProcessPool:
                raise ExtractError(
                    "a process reading the extract's files stopped unexpectedly (out of memory?);"
                    " FHIRCARE_WORKERS=1 works in one process"
                ) from None
            store.merge(parts[number])
            parts[number].unlink(missing_ok=True)
            _absorb(outcome, part_outcome)
            if on_rows is not None:
                on_rows(rows)
            yield job


@dataclass(frozen=True)
class _PartLoader:
    """In a worker: one file (by number) into its part file. Returns what loading found
    besides the rows, and how many rows were read."""

    jobs: list[FileJob]
    parts: list[Path]
    limits: ReadLimits
    run_pid: int

    def __call__(self, number: int) -> tuple[FileOutcome, int]:
        job = self.jobs[number]
        outcome = FileOutcome()
        read = 0

        def count(rows: int) -> None:
            nonlocal read
            read += rows
            still_running(self.run_pid)  # the run is gone (killed): its work folder goes too

        try:
            part = RowStore(self.parts[number])
            try:
                FileLoader(part, self.limits, outcome).load(job.path, job.name, job.plans, count)
                part.commit()
            finally:
                part.close()
        except sqlite3.Error as exc:  # re-raised plainly: the run's process reports it as its own
            raise sqlite3.OperationalError(str(exc)) from None
        return outcome, read


def _absorb(outcome: FileOutcome, part: FileOutcome) -> None:
    """A part's outcome added to the run's, as loading the file in the run would have."""
    outcome.file_problems.extend(part.file_problems)
    outcome.ignored.update(part.ignored)
    outcome.rows_read.update(part.rows_read)
    outcome.unread_keys.extend(part.unread_keys)
    for name, problem in part.blocked_types.items():
        outcome.blocked_types.setdefault(name, problem)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
