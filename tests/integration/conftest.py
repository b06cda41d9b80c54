"""Fixtures for the integration tests: real FHIR servers and a fault-injecting proxy.

- ``fhir_server``: each of the project's test servers in turn (HAPI FHIR JPA, Medplum),
  started once per session with ``tests/fhir-server/start`` on a free loopback port, or the
  server ``FHIRCARE_TEST_SERVER_URL`` names (emptied between tests by the shell command
  ``FHIRCARE_TEST_SERVER_RESET`` when one is given; otherwise the tests that need an empty
  server skip, saying why). ``reset()`` empties the server: HAPI's ``$expunge`` of
  everything, the Medplum wrapper's test-only ``$reset``.
- ``fault_proxy``: starts ``tests/fhir-server/faultproxy.py`` in front of a server, in a
  process of its own.

A server that is not built is skipped with the command that builds it, unless
``FHIRCARE_TEST_SERVERS=required`` (set by .ci/run): then it fails, so CI never skips
silently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

FHIR_SERVER = Path(__file__).resolve().parents[1] / "fhir-server"
EXTERNAL = os.environ.get("FHIRCARE_TEST_SERVER_URL")
SERVERS = ["external"] if EXTERNAL else ["hapi", "medplum"]
REQUIRED = os.environ.get("FHIRCARE_TEST_SERVERS") == "required"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (FHIRCARE_TEST_SERVERS=required)")
    pytest.skip(reason)


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line a process prints, or "" when it ends or the time is up first."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline() if process.stdout else ""))
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    return found[0].strip() if found else ""


@dataclass
class TestFhirServer:
    name: str
    base_url: str
    process: subprocess.Popen[str] | None = field(default=None, repr=False)

    def reset(self) -> None:
        """Empty the server (every resource and its history)."""
        if self.name == "hapi":
            parameters = {
                "resourceType": "Parameters",
                "parameter": [{"name": "expungeEverything", "valueBoolean": True}],
            }
            answer = httpx.post(f"{self.base_url}/$expunge", json=parameters, timeout=300)
        elif self.name == "medplum":
            answer = httpx.post(f"{self.base_url}/$reset", timeout=60)
        else:
            command = os.environ.get("FHIRCARE_TEST_SERVER_RESET")
            if not command:
                pytest.skip(
                    "FHIRCARE_TEST_SERVER_URL names a server fhircare cannot empty (FHIRCARE_TEST_SERVER_RESET)"
                )
            subprocess.run(command, shell=True, check=True)
            return
        assert answer.status_code == 200, f"emptying {self.name} failed: {answer.status_code} {answer.text[:300]}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_server(name: str) -> TestFhirServer:
    process = subprocess.Popen(
        [sys.executable, str(FHIR_SERVER / "start"), name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = _first_line(process, timeout=300)
    if not url.startswith("http"):
        process.terminate()
        _, err = process.communicate(timeout=30)
        _unavailable(f"the {name} test server did not start: {err.strip()[-500:] or 'no base URL printed'}")
    return TestFhirServer(name, url, process)


@pytest.fixture(scope="session", params=SERVERS)
def fhir_server(request: pytest.FixtureRequest) -> Iterator[TestFhirServer]:
    """Each test FHIR server in turn (see the module docstring)."""
    if request.param == "external":
        assert EXTERNAL is not None
        yield TestFhirServer("external", EXTERNAL.rstrip("/"))
        return
    server = start_server(request.param)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class FaultProxyHandle:
    base_url: str
    stats_file: Path
    process: subprocess.Popen[str]

    def stats(self) -> dict[str, int]:
        try:
            counts: dict[str, int] = json.loads(self.stats_file.read_text())
        except (OSError, ValueError):
            return {}
        return counts


@pytest.fixture
def fault_proxy(tmp_path: Path) -> Iterator[Callable[..., FaultProxyHandle]]:
    """A factory: ``fault_proxy(upstream, rate=0.2, seed=1, delay=3.0)`` starts the proxy
    (in its own process) and gives its base URL (the upstream's path appended) and stats."""
    started: list[FaultProxyHandle] = []

    def start(
        upstream: str, rate: float = 0.2, seed: int = 1, delay: float = 3.0, token: str | None = None
    ) -> FaultProxyHandle:
        split = httpx.URL(upstream)
        stats = tmp_path / f"proxy-{len(started)}.json"
        process = subprocess.Popen(
            [
                sys.executable,
                str(FHIR_SERVER / "faultproxy.py"),
                "--upstream",
                f"{split.scheme}://{split.host}:{split.port}",
                "--rate",
                str(rate),
                "--seed",
                str(seed),
                "--delay",
                str(delay),
                "--stats",
                str(stats),
                *(["--require-token", token] if token else []),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        base = _first_line(process, timeout=30)
        assert base.startswith("http"), "the fault proxy did not start"
        handle = FaultProxyHandle(base + split.path.rstrip("/"), stats, process)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.process.terminate()
        handle.process.wait(timeout=10)
