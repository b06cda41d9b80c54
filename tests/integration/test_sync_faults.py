"""Fault trials: the server answers 500, 503 or 429 to a random 20% of requests, resets
connections (before and after applying a request) and holds answers past the client's
timeout, while the sync process is killed with SIGKILL at a random moment and restarted.
After each trial the server holds exactly what the store holds (count per type and content
of each), nothing twice, and the dead letters hold only the one genuinely invalid entry.

Bounded: FHIRCARE_FAULT_TRIALS trials (default 20) of a small extract, each with at most
``RESTARTS`` restarts of at most ``RUN_TIMEOUT`` seconds."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select, update

from fhircare.source.mapping_file import load_mapping
from fhircare.store.db import open_store_engine
from fhircare.store.schema import dead_letters, outbox, resources
from fhircare.synth import synthesise
from tests.integration.sync_support import compare_with_store
from tests.integration.test_sync import MAPPING, cli

TRIALS = int(os.environ.get("FHIRCARE_FAULT_TRIALS", "20"))
PATIENTS = 8
RESTARTS = 8
RUN_TIMEOUT = 240


def invalid_service_user(store_url: str) -> str:
    """Make one stored resource one that every server refuses; its service user is the one
    whose transaction must end in the dead letters."""
    engine = open_store_engine(store_url)
    with engine.begin() as conn:
        row = conn.execute(
            select(resources).where(resources.c.resource_type == "Goal").order_by(resources.c.resource_id).limit(1)
        ).one()
        broken = orjson.loads(row.content)
        broken["resourceType"] = "Basic"
        conn.execute(
            update(resources)
            .where(resources.c.resource_type == "Goal", resources.c.resource_id == row.resource_id)
            .values(content=orjson.dumps(broken, option=orjson.OPT_SORT_KEYS))
        )
    engine.dispose()
    return str(row.service_user_id)


def copy_store(source: Path, copy: Path) -> None:
    """A copy of a SQLite store, with what is still in its write-ahead log."""
    with sqlite3.connect(source) as origin, sqlite3.connect(copy) as destination:
        origin.backup(destination)


def probe(base_url: str) -> str:
    """How the server answers GET /metadata directly (not through the proxy), for a failure message."""
    started = time.monotonic()
    try:
        status = httpx.get(f"{base_url}/metadata", timeout=30).status_code
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__} after {time.monotonic() - started:.1f} s"
    return f"HTTP {status} in {time.monotonic() - started:.2f} s"


def sync_process(target: str, store_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FHIRCARE_STORE_URL": store_url,
        "FHIRCARE_LOG_LEVEL": "WARNING",
        # Past the proxy's held answers (delay=2.3 below), yet well clear of a busy server: a
        # transaction takes up to ~0.2 s on the Medplum server, which answers one request at a
        # time, and four are in flight; 1.0 s left too little margin on a slow CI machine.
        "FHIRCARE_SYNC_TIMEOUT_SECONDS": "2.0",
        "FHIRCARE_SYNC_CONNECT_TIMEOUT_SECONDS": "1.0",
        "FHIRCARE_SYNC_RETRY_BASE_SECONDS": "0.05",
        "FHIRCARE_SYNC_RETRY_MAX_SECONDS": "0.5",
        "FHIRCARE_SYNC_PASSES": "4",
        "FHIRCARE_SYNC_PASS_DELAY_SECONDS": "0.2",
    }
    command = [sys.executable, "-m", "fhircare.cli", "sync", "--target", target, "--format", "json"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_fault_trials_leave_exactly_the_stored_resources(
    fhir_server: Any, fault_proxy: Callable[..., Any], tmp_path: Path
) -> None:
    extract = tmp_path / "extract"
    synthesise(load_mapping(MAPPING), extract, patients=PATIENTS, seed=44)
    template = tmp_path / "template.sqlite"
    loaded = cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", f"sqlite:///{template}")
    assert loaded.exit_code == 0, loaded.output
    bad = invalid_service_user(f"sqlite:///{template}")
    chance = random.Random(20261204)
    injected: Counter[str] = Counter()
    kills = restarts = 0
    for trial in range(TRIALS):
        fhir_server.reset()
        store_file = tmp_path / f"trial-{trial}.sqlite"
        copy_store(template, store_file)
        store_url = f"sqlite:///{store_file}"
        proxy = fault_proxy(fhir_server.base_url, rate=0.2, seed=trial, delay=2.3)
        process = sync_process(proxy.base_url, store_url)
        time.sleep(chance.uniform(0.2, 2.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        for _ in range(RESTARTS):
            process = sync_process(proxy.base_url, store_url)
            _out, err = process.communicate(timeout=RUN_TIMEOUT)
            restarts += 1
            assert process.returncode in (0, 1, 2), err.decode()[-2000:]
            if process.returncode == 2:
                continue  # the faults broke the capability check or tripped the breaker: run again
            engine = open_store_engine(store_url)
            with engine.connect() as conn:
                pending = conn.execute(select(outbox.c.id).where(outbox.c.status == "pending")).all()
            engine.dispose()
            if not pending:
                break
        else:
            raise AssertionError(
                f"trial {trial}: still pending after {RESTARTS} restarts: {err.decode()[-1000:]}"
                f"\nproxy: {proxy.stats()}; the server itself: {probe(fhir_server.base_url)}"
            )
        injected.update(proxy.stats())
        engine = open_store_engine(store_url)
        comparison = compare_with_store(
            engine, fhir_server.base_url, registered_as=proxy.base_url, excluding=frozenset({bad})
        )
        assert comparison.exact, f"trial {trial}: {comparison.explain()}"
        with engine.connect() as conn:
            letters = conn.execute(select(dead_letters.c.group_key, dead_letters.c.http_status)).all()
        engine.dispose()
        assert [row.group_key for row in letters] == [bad], f"trial {trial}: dead letters {letters}"
        proxy.process.terminate()
    faults = sum(v for k, v in injected.items() if k != "forwarded")
    print(f"\n{fhir_server.name}: {TRIALS} trials, {kills} kills, {restarts} runs, faults injected {dict(injected)}")
    assert faults >= TRIALS, "the proxy injected faults"
    assert all(injected[kind] for kind in ("500", "503", "429", "reset-before", "reset-after", "delay-after"))
