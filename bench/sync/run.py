"""Sync benchmark: a synthetic extract of N service users loaded and synced to a real FHIR
server, against a bare replay of the same transactions in the same run; then an
incremental run after 1% of the service users changed.

    python bench/sync/run.py --server medplum|hapi [--patients 10000] [--changed 0.01]
    python bench/sync/run.py --target URL --reset-command CMD [...]

Figures (see bench/README.md):

- load: ``fhircare load`` of the whole extract (read, map, validate, store), seconds;
- full sync: ``fhircare sync`` into an empty server: wall seconds, resources per second,
  fhircare's own CPU seconds and the seconds spent waiting on the server;
- baseline: the same transactions (planned from the same store for an empty server), POSTed
  with a bare httpx client at the same concurrency into the emptied server: the server's
  own speed. The ratio bare wall / fhircare wall says how close fhircare gets to it;
- incremental: 1% of the service users get a new address line in the extract, then
  ``fhircare run`` end to end; service users sent / service users changed (goal 1.0).

Goals on the project's machine: fhircare's own share of a full 10,000-user sync under 2
minutes; the incremental run under 15 seconds end to end against Medplum.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import httpx  # noqa: E402
import orjson  # noqa: E402

from fhircare.source.mapping_file import load_mapping  # noqa: E402
from fhircare.store import records  # noqa: E402
from fhircare.store.db import open_store_engine  # noqa: E402
from fhircare.sync.plan import Outgoing, RunEvidence, dependency_order, plan_transaction  # noqa: E402
from fhircare.synth import synthesise  # noqa: E402

MAPPING = ROOT / "mappings" / "rio-like.yaml"
AS_OF = "2025-07-01"
SHARE_GOAL_S = 120.0
INCREMENTAL_GOAL_S = 15.0


def fhircare(*args: str, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fhircare.cli", *args, "--format", "json"], env=env, capture_output=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"fhircare {' '.join(args[:1])} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return wall, orjson.loads(done.stdout)


def bare_replay(store_url: str, target: str, concurrency: int) -> tuple[float, int]:
    """Every service user's and shared resource's transaction, as fhircare would plan it for an
    empty server, POSTed by a bare client: the server's own time for the same work."""
    engine = open_store_engine(store_url)
    from datetime import UTC, datetime

    from sqlalchemy import select

    from fhircare.store.schema import resources

    evidence = RunEvidence(1, "bench", None, "bench", datetime.now(UTC))
    with engine.connect() as conn:
        shared = [
            Outgoing(r.resource_type, r.resource_id, r.content, r.content_hash, None)
            for r in conn.execute(select(resources).where(resources.c.service_user_id.is_(None)))
        ]
        users = [su for su in records.service_user_states(conn)]
        groups = [records.service_user_resources(conn, su) for su in users]
    # shared resources first, in reference order, in transactions the server accepts (<= 50)
    ordered = dependency_order(shared)
    sent: dict[tuple[str, str], Any] = {}
    first_bundles = []
    for start in range(0, len(ordered), 49):
        chunk = ordered[start : start + 49]
        first_bundles.append(plan_transaction(chunk, sent, group_key="s", target_url=target, evidence=evidence).bundle)
        sent.update({r.key: _held(r.resource_id) for r in chunk})
    bundles = []
    for group in groups:
        outgoing = [Outgoing(s.resource_type, s.resource_id, s.content, s.content_hash, s.identifier) for s in group]
        bundles.append(plan_transaction(outgoing, sent, group_key="su", target_url=target, evidence=evidence).bundle)
    client = httpx.Client(timeout=300, limits=httpx.Limits(max_connections=concurrency))
    headers = {"Content-Type": "application/fhir+json", "Prefer": "return=minimal"}
    started = time.perf_counter()
    for bundle in first_bundles:
        client.post(f"{target}/", content=bundle, headers=headers).raise_for_status()
    with ThreadPoolExecutor(concurrency) as pool:
        for answer in pool.map(lambda b: client.post(f"{target}/", content=b, headers=headers), bundles):
            answer.raise_for_status()
    return time.perf_counter() - started, len(first_bundles) + len(bundles)


def _held(server_id: str) -> Any:
    from fhircare.store.outbox import TargetHeld

    return TargetHeld(server_id, None, None, "")


def change_addresses(folder: Path, share: float, seed: int) -> set[str]:
    [clients] = folder.glob("RiO_Clients_*.csv")
    text = clients.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    chosen = set(random.Random(seed).sample([r["CLIENT_ID"] for r in rows], max(1, round(len(rows) * share))))
    for row in rows:
        if row["CLIENT_ID"] in chosen:
            row["ADDRESS_LINE_1"] = f"{len(row['ADDRESS_LINE_1'])} Changed Road"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    clients.write_text(out.getvalue(), encoding="utf-8-sig")
    return chosen


def start_server(name: str) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen([str(ROOT / "tests" / "fhir-server" / "start"), name], stdout=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith("http"):
        sys.exit(f"tests/fhir-server/start {name} did not print a base URL")
    return process, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", choices=["hapi", "medplum"], help="start this test server (tests/fhir-server)")
    parser.add_argument("--target", help="or: the base URL of a running server")
    parser.add_argument("--reset-command", help="with --target: a shell command that empties the server")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    process = None
    if args.server:
        process, target = start_server(args.server)

        def reset() -> None:
            nonlocal process, target
            assert process is not None
            process.terminate()
            process.wait()
            process, target = start_server(args.server)

    elif args.target and args.reset_command:
        target = args.target.rstrip("/")

        def reset() -> None:
            subprocess.run(shlex.split(args.reset_command), check=True)

    else:
        sys.exit("give --server, or --target with --reset-command")

    work = Path(tempfile.mkdtemp(prefix="fhircare-bench-sync-"))
    extract, store = work / "extract", f"sqlite:///{work / 'store.sqlite'}"
    env = {**os.environ, "FHIRCARE_STORE_URL": store, "FHIRCARE_LOG_LEVEL": "WARNING"}
    try:
        print(f"synthesising {args.patients} service users ...", file=sys.stderr)
        synthesise(load_mapping(MAPPING), extract, patients=args.patients, seed=5)
        load_s, loaded = fhircare(
            "load", "--extract", str(extract), "--mapping", str(MAPPING), "--as-of", AS_OF,
            "--rejects", str(work / "rejects.jsonl"), env=env,
        )  # fmt: skip
        resources = sum(sum(v.values()) for v in loaded["load"]["resources"].values())

        reset()
        bare_s, transactions = bare_replay(store, target, args.concurrency)
        reset()
        full_wall, full = fhircare("sync", "--target", target, "--concurrency", str(args.concurrency), env=env)
        sync = full["sync"]

        chosen = change_addresses(extract, args.changed, seed=9)
        inc_wall, inc = fhircare(
            "run", "--extract", str(extract), "--mapping", str(MAPPING), "--target", target, "--as-of", AS_OF,
            "--rejects", str(work / "rejects.jsonl"), "--concurrency", str(args.concurrency), env=env,
        )  # fmt: skip
    finally:
        if process is not None:
            process.terminate()
    sent_su = inc["sync"]["rows"].get("sent", 0)
    print(f"\nbench/sync: {args.patients} service users, {resources} resources, server {sync['server']}")
    print(f"  load (read, map, validate, store):    {load_s:8.1f} s")
    rate = resources / sync["wallSeconds"]
    print(f"  full sync wall:                       {full_wall:8.1f} s  ({rate:.0f} resources/s)")
    print(f"    fhircare CPU:                       {sync['cpuSeconds']:8.1f} s  (goal < {SHARE_GOAL_S:.0f} s)")
    print(f"    waiting on the server:              {sync['serverSeconds']:8.1f} s")
    print(f"  bare replay of {transactions} transactions:   {bare_s:8.1f} s")
    print(f"  ratio bare / fhircare (wall):         {bare_s / sync['wallSeconds']:8.2f}")
    print(f"  incremental run ({len(chosen)} changed):        {inc_wall:8.1f} s  (goal < {INCREMENTAL_GOAL_S:.0f} s)")
    print(f"    service users sent / changed:       {sent_su / len(chosen):8.2f}  (goal 1.00)")
    print(f"  goals: CPU share {'met' if sync['cpuSeconds'] < SHARE_GOAL_S else 'missed'};"
          f" incremental {'met' if inc_wall < INCREMENTAL_GOAL_S else 'missed'};"
          f" ratio {'met' if sent_su == len(chosen) else 'missed'}")  # fmt: skip


if __name__ == "__main__":
    main()
