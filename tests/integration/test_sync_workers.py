"""Several sync workers on one PostgreSQL store drain one outbox without sending anything
twice: each row is claimed by one worker (FOR UPDATE SKIP LOCKED) and the server ends up
holding exactly what the store holds, each transaction's Provenance once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select

from fhircare.source.mapping_file import load_mapping
from fhircare.store.db import open_store_engine
from fhircare.store.schema import outbox
from fhircare.synth import synthesise
from tests.integration.sync_support import compare_with_store
from tests.integration.test_sync import MAPPING, cli

WORKERS = 3


def test_workers_on_postgresql_send_nothing_twice(fhir_server: Any, pg_url: str, tmp_path: Path) -> None:
    fhir_server.reset()
    extract = tmp_path / "extract"
    synthesise(load_mapping(MAPPING), extract, patients=60, seed=33)
    loaded = cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", pg_url)
    assert loaded.exit_code == 0, loaded.output
    env = {**os.environ, "FHIRCARE_STORE_URL": pg_url, "FHIRCARE_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "fhircare.cli", "sync", "--target", fhir_server.base_url, "--format", "json"]
    workers = [
        subprocess.Popen([*command, "--concurrency", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(WORKERS)
    ]
    results = [worker.communicate(timeout=600) for worker in workers]
    for worker, (_out, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err.decode()[-2000:]
    summaries = [orjson.loads(out)["sync"] for out, _err in results]
    rows = [s["rows"] for s in summaries]
    transactions = sum(s["transactions"] for s in summaries)
    sent = sum(r.get("sent", 0) for r in rows)
    engine = open_store_engine(pg_url)
    with engine.connect() as conn:
        groups = conn.execute(
            select(func.count(outbox.c.group_key.distinct())).where(outbox.c.status == "done")
        ).scalar()
        pending = conn.execute(select(func.count()).select_from(outbox).where(outbox.c.status == "pending")).scalar()
    assert pending == 0
    # a worker that starts while another records may queue a group again; it then finds
    # nothing to send ("up-to-date"): sending twice would show as more sends than groups
    assert sent == groups, f"every group sent by exactly one worker: {rows}"
    assert sum(1 for r in rows if r.get("sent")) >= 2, f"the work was shared: {rows}"
    comparison = compare_with_store(engine, fhir_server.base_url)
    assert comparison.exact, comparison.explain()
    # a service user with more resources than a transaction holds takes several, each with
    # its own Provenance: one per committed transaction, none twice (duplicates fail `exact`)
    assert transactions >= sent
    assert comparison.sync_provenance == transactions, "one Provenance per transaction, none sent twice"
    engine.dispose()
