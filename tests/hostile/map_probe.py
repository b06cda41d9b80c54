"""Running fhircare in a child process under resource limits, as the hostile-input tests
of ``fhircare map``, ``synth`` and ``mapping check`` do: memory is bounded with
RLIMIT_AS and measured as the child's peak resident set (wait4), time with a timeout,
disk with RLIMIT_FSIZE; a child can run without the capabilities that let root ignore
file permissions, so that permission checks hold even when the tests run as root."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
#: the peak memory every probe must stay under (issue 14)
PEAK_MB = 500
NOBODY = 65534
#: prctl(PR_CAPBSET_DROP, ...) and the capabilities that bypass file permissions
_PR_CAPBSET_DROP = 24
_DAC_CAPABILITIES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _drop_permission_bypass() -> None:
    """Root keeps its uid but loses the right to ignore file modes (from the next exec on)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in _DAC_CAPABILITIES:
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    peak_mb: float
    seconds: float
    timed_out: bool

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stdout + self.stderr


def fhircare(
    *args: str,
    timeout: float = 120,
    memory_mb: int = 4096,
    file_size: int | None = None,
    env: dict[str, str] | None = None,
    obey_permissions: bool = False,
    cwd: Path | None = None,
) -> Run:
    """``python -m fhircare ARGS`` in a child process, with its exit code, output, peak
    memory (MB) and time."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        if obey_permissions and os.geteuid() == 0:
            _drop_permission_bypass()

    environment = {
        **os.environ,
        "COLUMNS": "200",
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "PYTHONPATH": str(REPO / "src"),
        **(env or {}),
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "fhircare", *args],
            stdout=out,
            stderr=err,
            preexec_fn=limit,
            env=environment,
            cwd=cwd,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Run(
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            usage.ru_maxrss / 1024,
            seconds,
            timed_out.is_set(),
        )


def synth(folder: Path, layout: str = "rio-like", patients: int = 30) -> Path:
    """A synthetic extract written in-process (fast), returned."""
    from fhircare.source.mapping_file import load_mapping
    from fhircare.synth import synthesise

    synthesise(load_mapping(MAPPINGS / f"{layout}.yaml"), folder, patients=patients, seed=5)
    return folder


def leftovers(*folders: Path) -> list[str]:
    """Working folders, partial files or extract copies left in these folders."""
    found = []
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            name = path.name
            if name.startswith((".fhircare-work-", "fhircare-extract-")) or name.endswith((".partial", ".sqlite")):
                found.append(str(path))
    return found
