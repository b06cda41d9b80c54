"""Where a run keeps its working files, how it writes its outputs, and how it keeps a
second run out: for commands that read personal data (``fhircare map``, ``load``, ...).

- :class:`WorkFolder`: a private folder per run (``mkdtemp``: mode 0700, an unguessable
  name) holding every working file (the extract's row store, outputs being written). It
  is removed when the run ends, and a folder a killed run left behind is removed by the
  next run that works in the same place (:func:`sweep_stale`): a live run holds an
  ``flock`` on a file inside its folder, which the kernel releases when the process
  dies, even by SIGKILL.
- :class:`OutputFile`: written inside the work folder (mode 0600), fsync'd, and renamed
  into place only when complete, so a reader of the output never sees half a file.
- :func:`folder_lock`: an ``flock`` on the output folder itself, so a second run into the
  same folder fails at once with a clear message instead of mixing the two outputs.
- :func:`open_regular`: opens only regular files (never blocking on a FIFO, never
  reading a device), with :func:`read_regular` reading at most a limit.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import BinaryIO, Self

from fhircare.errors import InputError, LimitError, OutputBusyError, OutputError

#: the name every work folder starts with (hidden inside an output folder)
WORK_PREFIX = ".fhircare-work-"
_IN_USE = "in-use.lock"
#: a work folder without its lock file is a crashed run's only after this long (the
#: moment between creating the folder and locking it)
_UNLOCKED_GRACE_SECONDS = 60.0


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, words in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, if it is a regular file; else InputError. Opening
    never blocks (a FIFO with no writer would hang a plain ``open``)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: is {file_kind(mode)}; fhircare reads only regular files")
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular(path: Path, *, limit: int, setting: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (LimitError naming
    ``setting`` when larger), without reading more than one byte past the limit."""
    with open_regular(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise LimitError(f"{path}: larger than {setting} ({limit} bytes)")
    return data


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` for the block, or raise OutputBusyError at once."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusyError(
                f"another fhircare run is writing to {folder}; wait for it to finish or choose another folder",
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def sweep_stale(parent: Path) -> int:
    """Remove the work folders in ``parent`` that runs which died left behind (this
    user's only; a live run's lock keeps its folder). Returns how many were removed."""
    removed = 0
    try:
        entries = list(parent.iterdir())
    except OSError:
        return 0
    uid = os.getuid()
    for entry in entries:
        if not entry.name.startswith(WORK_PREFIX):
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
            continue
        if _abandoned(entry, info.st_mtime):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def _abandoned(folder: Path, mtime: float) -> bool:
    try:
        fd = os.open(folder / _IN_USE, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return time.time() - mtime > _UNLOCKED_GRACE_SECONDS
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live run holds it
    finally:
        os.close(fd)
    return True


class WorkFolder:
    """A private working folder for one run, in ``parent`` (default: the system's
    temporary folder), removed on leaving the ``with`` block."""

    def __init__(self, parent: Path | None = None) -> None:
        self.parent = parent if parent is not None else Path(tempfile.gettempdir())
        self._path: Path | None = None
        self._lock_fd: int | None = None

    @property
    def path(self) -> Path:
        if self._path is None:
            raise RuntimeError("a WorkFolder is used inside `with WorkFolder(...) as work:`")
        return self._path

    def __enter__(self) -> Self:
        sweep_stale(self.parent)
        try:
            self._path = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=self.parent))
            self._lock_fd = os.open(self._path / _IN_USE, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self.close()
            raise OutputError(f"cannot create a working folder in {self.parent}: {exc.strerror or exc}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def write_failure(path: Path, exc: OSError) -> OutputError:
    """The error for a write that failed (disk full, file size limit, permissions)."""
    why = exc.strerror or type(exc).__name__
    hint = ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = " (free some space and run again)"
    elif exc.errno == errno.EFBIG:
        hint = " (a file size limit is set: see ulimit -f)"
    return OutputError(f"cannot write {path}: {why}{hint}; nothing was left half-written")


class OutputFile:
    """``final`` written in ``work`` and moved into place (fsync'd) only when the block
    ends without an error; on an error nothing is left. Mode 0600: outputs hold
    personal data."""

    def __init__(self, final: Path, work: WorkFolder) -> None:
        self.final = final
        self.partial = work.path / f"{final.name}.partial"
        self._handle: BinaryIO | None = None

    def __enter__(self) -> Self:
        try:
            fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise write_failure(self.final, exc) from None
        self._handle = os.fdopen(fd, "wb")
        return self

    def write(self, data: bytes) -> None:
        assert self._handle is not None
        try:
            self._handle.write(data)
        except OSError as exc:
            raise write_failure(self.final, exc) from None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        handle, self._handle = self._handle, None
        assert handle is not None
        if kind is not None:
            with contextlib.suppress(OSError):
                handle.close()
            self.partial.unlink(missing_ok=True)
            return
        try:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(self.partial, self.final)
            _fsync_folder(self.final.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                handle.close()
            self.partial.unlink(missing_ok=True)
            raise write_failure(self.final, exc) from None


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def terminate_cleanly() -> Iterator[None]:
    """Within the block, SIGTERM ends the run as an exception would (exit code 143), so
    working files are removed; a SIGKILL is left to the next run's sweep."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
