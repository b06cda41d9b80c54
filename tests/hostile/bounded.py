"""``python -m fhircare ARGS`` under resource limits, with its peak memory measured right.

A child forked from the test process, as a ``preexec_fn`` makes it, has a peak resident
memory (``ru_maxrss``) that counts the pages it shared with its parent before ``exec``:
the figure then depended on what the tests before the probe had loaded (a pytest process
that had run the conformance suites made every probe "use" 800 MB). So the probe is
started through this file run as a small launcher: it forks fhircare from itself, sets
the limits in that child, waits, writes fhircare's peak to a file and ends as fhircare
did (its exit code, or the signal that ended it).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: prctl(PR_CAPBSET_DROP, ...) and the capabilities that bypass file permissions
_PR_CAPBSET_DROP = 24
_DAC_CAPABILITIES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


@dataclass(frozen=True)
class Ended:
    code: int | None  # None: killed at the timeout
    peak_mb: float


def run_bounded(
    args: list[str],
    *,
    memory_bytes: int,
    file_size: int | None,
    drop_permission_bypass: bool,
    env: dict[str, str],
    cwd: Path | None,
    stdout: IO[bytes],
    stderr: IO[bytes],
    timeout: float,
    report: Path,
) -> Ended:
    """Run fhircare with ``args``; ``report`` is a scratch file for the peak."""
    report.unlink(missing_ok=True)
    launcher = [
        sys.executable,
        __file__,
        str(memory_bytes),
        str(file_size or 0),
        "1" if drop_permission_bypass else "0",
        str(report),
        *args,
    ]
    process = subprocess.Popen(launcher, stdout=stdout, stderr=stderr, env=env, cwd=cwd, start_new_session=True)
    try:
        code: int | None = process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the launcher and fhircare with it
        process.wait()
        code = None
    peak_kb = int(report.read_text()) if report.is_file() and report.read_text() else 0
    report.unlink(missing_ok=True)
    return Ended(code, peak_kb / 1024)


def _drop_permission_bypass() -> None:
    """Root keeps its uid but loses the right to ignore file modes (from the next exec on)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _DAC_CAPABILITIES:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def _launch(argv: list[str]) -> None:
    memory, size, drop, report, args = int(argv[0]), int(argv[1]), argv[2] == "1", argv[3], argv[4:]
    pid = os.fork()
    if pid == 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if size:
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        if drop and os.geteuid() == 0:
            _drop_permission_bypass()
        os.execv(sys.executable, [sys.executable, "-m", "fhircare", *args])
    _, status, usage = os.wait4(pid, 0)
    Path(report).write_text(str(usage.ru_maxrss))
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    _launch(sys.argv[1:])
