"""Who may work on a store at the same time.

- A load (``fhircare load``, the first half of ``fhircare run``) works out what changed
  against what the store holds: two at once would each miss the other's writes, so a
  second one is refused at once with a clear message.
- On SQLite, one sync process at a time: its workers share one queue in memory. On
  PostgreSQL any number of sync workers drain one outbox (rows claimed with ``FOR UPDATE
  SKIP LOCKED``), so syncs take no lock there.

SQLite locks are ``flock`` on a file beside the database (released by the kernel when
the process dies, even by SIGKILL); PostgreSQL locks are session advisory locks (released
when the session ends).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from fhircare.errors import StoreBusyError

LOAD = "load"
SYNC = "sync"
#: ``fhircare run``: load then sync, as one; a second run on the same store is refused
RUN = "run"

_WHAT = {
    LOAD: "another fhircare load (or run) is using this store",
    SYNC: "another fhircare sync (or run) is using this SQLite store",
    RUN: "another fhircare run is using this store",
}


def _advisory_key(name: str) -> int:
    # a stable signed 64-bit key per lock name
    return int.from_bytes(hashlib.sha256(f"fhircare:{name}".encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def store_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the store's ``name`` lock for the block, or raise StoreBusyError at once."""
    if engine.dialect.name == "sqlite":
        with _file_lock(Path(str(engine.url.database)).expanduser(), name):
            yield
        return
    if name == SYNC:  # PostgreSQL: workers coordinate through row locks
        yield
        return
    with engine.connect() as conn:
        key = _advisory_key(name)
        taken = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        conn.commit()
        if not taken:
            raise StoreBusyError(f"{_WHAT[name]}; try again when it has finished")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()


@contextlib.contextmanager
def _file_lock(database: Path, name: str) -> Iterator[None]:
    path = database.with_name(f"{database.name}.{name}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(f"{_WHAT[name]} ({database}); try again when it has finished") from None
        yield
    finally:
        os.close(fd)
