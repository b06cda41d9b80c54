"""Loading an extract's files into the row store, several files at once.

Why: reading a file (splitting CSV records, picking the source of each row, converting the
fields that say whose a row is) is pure Python work per row, and a daily load that finds
1% of service users changed spends most of its time there. Files are independent until
the row store groups them, so each file is loaded by a worker process into a part file of
its own (the row store's schema), and the run's process appends the parts in file order
(:meth:`RowStore.merge`): the store ends up exactly as if the files had been loaded one
after another in the run's process, so everything after loading is unchanged.

Workers are forked (they inherit the compiled mapping, which cannot be pickled) and write
their part files only inside the run's private work folder, which is removed with it. A
worker dies with its run (a parent-death signal on Linux, and a check every thousand
rows): an idle worker of a killed run would otherwise wait for work forever, holding the
run's output pipes open. Small extracts, machines with
one CPU and ``FHIRCARE_READ_WORKERS=1`` load in the run's own process, straight into the
store.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from fhircare.errors import ExtractError
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_schema import RecordPlan
from fhircare.source.row_loading import FileLoader, FileOutcome
from fhircare.source.store import RowStore

#: an extract smaller than this is read in the run's process (starting workers costs more)
PARALLEL_FROM_BYTES = 1 << 20
#: workers chosen when the setting is 0, at most
_MAX_AUTO_WORKERS = 4
#: rows between a worker's checks that its run is still alive
_CHECK_EVERY = 1000


@dataclass(frozen=True)
class FileJob:
    """One extract file and the sources (record plans) that read its rows."""

    path: Path
    name: str
    plans: list[RecordPlan]


def worker_count(jobs: list[FileJob], limits: ReadLimits) -> int:
    """How many worker processes load ``jobs`` (1: none, the run's own process)."""
    if "fork" not in multiprocessing.get_all_start_methods() or len(jobs) < 2:
        return 1
    if limits.read_workers:
        return min(limits.read_workers, len(jobs))
    size = sum(_size(job.path) for job in jobs)
    if size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, _MAX_AUTO_WORKERS, len(jobs)))


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
    yield from _load_in_workers(jobs, store, outcome, work, limits, workers, on_rows)


#: what forked workers inherit: the jobs, their part files and the limits (set just before
#: the workers are started, cleared after)
_INHERITED: tuple[list[FileJob], list[Path], ReadLimits, int] | None = None


def _load_in_workers(
    jobs: list[FileJob],
    store: RowStore,
    outcome: FileOutcome,
    work: Path,
    limits: ReadLimits,
    workers: int,
    on_rows: Callable[[int], None] | None,
) -> Iterator[FileJob]:
    global _INHERITED
    parts = [work / f"part-{number}.sqlite" for number in range(len(jobs))]
    _INHERITED = (jobs, parts, limits, os.getpid())
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_run,
        initargs=(os.getpid(),),
    )
    try:
        # the largest files first, so that no worker is left with a large one at the end;
        # merged in file order all the same
        order = sorted(range(len(jobs)), key=lambda n: -_size(jobs[n].path))
        futures: dict[int, Future[tuple[FileOutcome, int]]] = {n: executor.submit(_load_part, n) for n in order}
        _INHERITED = None  # the workers have it (forked at the first submit)
        for number, job in enumerate(jobs):
            try:
                part_outcome, rows = futures[number].result()
            except BrokenProcessPool:
                raise ExtractError(
                    "a process reading the extract's files stopped unexpectedly (out of memory?);"
                    " FHIRCARE_READ_WORKERS=1 reads in one process"
                ) from None
            store.merge(parts[number])
            parts[number].unlink(missing_ok=True)
            _absorb(outcome, part_outcome)
            if on_rows is not None:
                on_rows(rows)
            yield job
        executor.shutdown(wait=True)
    finally:
        _INHERITED = None
        _stop(executor)


#: Linux prctl option: the signal a process gets when its parent dies
_PR_SET_PDEATHSIG = 1


def _die_with_run(run_pid: int) -> None:
    """In a worker, first: be killed when the run's process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the check every thousand rows remains
        pass
    if os.getppid() != run_pid:  # the run died before the signal was asked for
        os._exit(3)


def _load_part(number: int) -> tuple[FileOutcome, int]:
    """In a worker: one file into its part file. Returns what loading found besides the
    rows, and how many rows were read."""
    assert _INHERITED is not None, "workers are forked with the jobs"
    jobs, parts, limits, run_pid = _INHERITED
    job = jobs[number]
    outcome = FileOutcome()
    read = 0

    def check_run(rows: int) -> None:
        nonlocal read
        read += rows
        if os.getppid() != run_pid:  # the run is gone (killed): its work folder goes too
            os._exit(3)

    try:
        part = RowStore(parts[number])
        try:
            FileLoader(part, limits, outcome).load(job.path, job.name, job.plans, check_run)
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
    for name, problem in part.blocked_types.items():
        outcome.blocked_types.setdefault(name, problem)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop the workers at once (after an error nothing they still do is wanted; after
    success they are already gone)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())  # no public way in 3.11
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
