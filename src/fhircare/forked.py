"""Worker processes that share a run's CPU-bound work: reading an extract's files
(:mod:`fhircare.source.file_workers`) and mapping and validating service users
(:mod:`fhircare.store.reading`).

Workers are forked, so they inherit what the work needs (a compiled mapping, a loaded
validator: neither can be pickled, and loading them again would cost more than the work);
only each item and its result cross between processes. A worker dies with its run: a
parent-death signal on Linux (an idle worker of a killed run would otherwise wait for work
forever, holding the run's output pipes open), and callers check again between items.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

#: workers chosen when the setting is 0, at most
MAX_AUTO_WORKERS = 4
#: Linux prctl option: the signal a process gets when its parent dies
_PR_SET_PDEATHSIG = 1

#: the work of the pool being started: set just before the workers are forked (they keep
#: it), cleared after
_TASK: Callable[[Any], Any] | None = None


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def auto_workers(setting: int, work_items: int) -> int:
    """Workers for ``work_items`` pieces of work: the setting (0: one per CPU, at most
    :data:`MAX_AUTO_WORKERS`), never more than the pieces; 1 means none (the run's own
    process)."""
    if not can_fork() or work_items < 2:
        return 1
    wanted = setting or min(os.cpu_count() or 1, MAX_AUTO_WORKERS)
    return max(1, min(wanted, work_items))


def still_running(run_pid: int) -> None:
    """In a worker: end at once if the run that forked it is gone."""
    if os.getppid() != run_pid:
        os._exit(3)


def _die_with_run(run_pid: int) -> None:
    """In a worker, first: be killed when the run's process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the callers' checks remain
        pass
    still_running(run_pid)  # the run died before the signal was asked for


def run_task(item: Any) -> Any:
    """In a worker: the pool's task (inherited at the fork) on one item."""
    assert _TASK is not None, "workers are forked with their task"
    return _TASK(item)


@contextmanager
def forked_pool(workers: int, task: Callable[[Any], Any]) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` forked processes running ``task`` (submit :func:`run_task`
    with an item). On leaving, the workers are stopped at once (after an error nothing
    they still do is wanted; after success they are idle)."""
    global _TASK
    _TASK = task
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_run,
        initargs=(os.getpid(),),
    )
    try:
        executor.submit(int).result()  # forks the workers now, while _TASK is the task
        _TASK = None
        yield executor
    finally:
        _TASK = None
        _stop(executor)


def _stop(executor: ProcessPoolExecutor) -> None:
    processes = list((getattr(executor, "_processes", None) or {}).values())  # no public way in 3.11
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
