"""Hostile input against the fhircare command, each probe bounded: a subprocess with an
address-space limit (so a runaway is killed, not the machine), a timeout, and its peak
memory read back from the kernel (``os.wait4``)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from fhircare.settings import Settings

#: every probe must stay under this peak resident memory
PEAK_MB = 500
#: and may not reserve more than this address space (the runaway guard)
ADDRESS_SPACE = 3 * 1024**3


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    peak_mb: float
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def fhircare(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120, file_limit: int | None = None
) -> Run:
    """Run ``fhircare ARGS`` bounded; stdout and stderr go to files in ``cwd``."""
    environment = {
        **os.environ,
        "FHIRCARE_PACKAGE_CACHE": os.environ.get("FHIRCARE_PACKAGE_CACHE") or str(Settings().package_cache),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "COLUMNS": "200",
        **(env or {}),
    }

    def limits() -> None:
        _limits()
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    started = time.monotonic()
    with out.open("wb") as o, err.open("wb") as e:
        process = subprocess.Popen(
            [sys.executable, "-m", "fhircare", *args], stdout=o, stderr=e, env=environment, cwd=cwd, preexec_fn=limits
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"fhircare {' '.join(args)} ran past {timeout} s")
            time.sleep(0.05)
    return Run(
        code=os.waitstatus_to_exitcode(status),
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
        peak_mb=usage.ru_maxrss / 1024,
        seconds=time.monotonic() - started,
    )


def assert_clean(run: Run) -> None:
    """No traceback, memory in bounds."""
    assert "Traceback" not in run.output, run.output[-3000:]
    assert run.peak_mb < PEAK_MB, f"peak {run.peak_mb:.0f} MB"
