"""One installer at a time in a package cache, and no leftovers from a killed one.

``packages install`` stages its work in dot-folders inside the cache (``.NAME#VER.*.partial``
for the package being unpacked, ``.download-*.partial`` for downloads, ``*.old`` for the copy
being replaced). A run that is killed leaves them behind; the next install, holding the
cache's lock (so no other install is at work), removes them before it starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".fhircare-install.lock"
_LEFTOVERS = (".*.partial", ".*.old")


@contextlib.contextmanager
def install_lock(root: Path) -> Iterator[None]:
    """Hold the cache's install lock (waiting for another install to finish), then clear
    what killed installs left."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_NAME).open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            remove_leftovers(root)
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_leftovers(root: Path) -> list[Path]:
    """Remove staging folders of interrupted installs; returns what was removed."""
    removed = []
    for pattern in _LEFTOVERS:
        for leftover in root.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover)
    return removed
