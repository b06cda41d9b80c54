"""Sync benchmark: a synthetic extract of N service users loaded and synced to a real FHIR
server, against a bare replay of the same transactions in the same run; then an
incremental run after 1% of the service users changed.

    python bench/sync/run.py [--server medplum --server hapi] [--patients 10000] [--changed 0.01] [--rounds 3]
    python bench/sync/run.py --target URL --reset-command CMD [...]

Figures (see bench/README.md):

- load: ``fhircare load`` of the whole extract (read, map, validate, store), once, seconds;
- per server (both test servers by default): a full sync, ``fhircare sync`` into an empty
  server: wall seconds, resources per second, fhircare's own CPU seconds and the seconds
  spent waiting on the server;
- baseline: the same transactions (planned from the same store for an empty server), POSTed
  with a bare httpx client at the same concurrency into the emptied server: the server's
  own speed. The ratio of throughputs says how close fhircare gets to it;
- incremental: ``--rounds`` times per server, 1% of the service users get a new address line
  in the extract, then ``fhircare run`` end to end (median and every round); baseline: the
  first full run (load + full sync); service users sent / changed (goal 1.0).

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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
    # each service user's transactions, split as the sync engine splits them (a service user
    # with more resources than one transaction holds takes several, sent one after another)
    per_user: list[list[bytes]] = []
    for group in groups:
        outgoing = dependency_order(
            [Outgoing(s.resource_type, s.resource_id, s.content, s.content_hash, s.identifier) for s in group]
        )
        held = dict(sent)
        chunks = []
        for start in range(0, len(outgoing), 49):
            chunk = outgoing[start : start + 49]
            chunks.append(plan_transaction(chunk, held, group_key="su", target_url=target, evidence=evidence).bundle)
            held.update({r.key: _held(r.resource_id) for r in chunk})
        per_user.append(chunks)
    client = httpx.Client(timeout=300, limits=httpx.Limits(max_connections=concurrency))
    headers = {"Content-Type": "application/fhir+json", "Prefer": "return=minimal"}

    def send_user(chunks: list[bytes]) -> None:
        for bundle in chunks:
            client.post(f"{target}/", content=bundle, headers=headers).raise_for_status()

    started = time.perf_counter()
    for bundle in first_bundles:
        client.post(f"{target}/", content=bundle, headers=headers).raise_for_status()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send_user, per_user))
    return time.perf_counter() - started, len(first_bundles) + sum(len(chunks) for chunks in per_user)


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


class Server:
    """A test server started by this bench (``restart`` empties it), or one given by URL
    with a command that empties it."""

    def __init__(self, name: str, url: str | None = None, reset_command: str | None = None) -> None:
        self.name, self.url, self.reset_command = name, url or "", reset_command
        self.process: subprocess.Popen[bytes] | None = None

    def restart(self) -> None:
        if self.reset_command is not None:
            subprocess.run(shlex.split(self.reset_command), check=True)
            return
        self.stop()
        self.process, self.url = start_server(self.name)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None


@dataclass
class Figures:
    server: str = ""
    software: str = ""
    full_wall: float = 0.0
    full_cpu: float = 0.0
    full_server: float = 0.0
    bare_wall: float = 0.0
    transactions: int = 0
    #: (wall seconds, service users changed, service users sent) per incremental round
    rounds: list[tuple[float, int, int]] = field(default_factory=list)


def full_sync(server: Server, store: str, env: dict[str, str], concurrency: int, figures: Figures) -> None:
    server.restart()
    figures.bare_wall, figures.transactions = bare_replay(store, server.url, concurrency)
    server.restart()
    _wall, full = fhircare("sync", "--target", server.url, "--concurrency", str(concurrency), env=env)
    sync = full["sync"]
    figures.software = sync["server"]
    figures.full_wall, figures.full_cpu, figures.full_server = (
        sync["wallSeconds"],
        sync["cpuSeconds"],
        sync["serverSeconds"],
    )


def incremental(
    server: Server,
    extract: Path,
    work: Path,
    env: dict[str, str],
    args: argparse.Namespace,
    seed: int,
    figures: Figures,
) -> None:
    # what earlier rounds changed for other servers is sent first (not timed): each round
    # then sends exactly what it changed
    fhircare("sync", "--target", server.url, "--concurrency", str(args.concurrency), env=env)
    chosen = change_addresses(extract, args.changed, seed=seed)
    wall, done = fhircare(
        "run", "--extract", str(extract), "--mapping", str(MAPPING), "--target", server.url, "--as-of", AS_OF,
        "--rejects", str(work / "rejects.jsonl"), "--concurrency", str(args.concurrency), env=env,
    )  # fmt: skip
    figures.rounds.append((wall, len(chosen), done["sync"]["rows"].get("sent", 0)))


def report(patients: int, resources: int, load_s: float, figures: Figures) -> None:
    full, bare = figures.full_wall, figures.bare_wall
    rate, bare_rate = resources / full, resources / bare
    walls = [w for w, _c, _s in figures.rounds]
    median = statistics.median(walls)
    per_transaction = bare / figures.transactions
    changed = figures.rounds[0][1]
    ratios = [s / c for _w, c, s in figures.rounds]
    print(f"\n{figures.server}: {figures.software}")
    print(f"  full sync wall:                     {full:8.1f} s  {rate:6.0f} resources/s")
    print(f"  baseline: bare replay ({figures.transactions} transactions):"
          f" {bare:6.1f} s  {bare_rate:6.0f} resources/s")  # fmt: skip
    print(f"  ratio fhircare / bare (throughput): {rate / bare_rate:8.2f}")
    print(f"  share of the full sync's wall time: fhircare CPU {figures.full_cpu:.1f} s"
          f" ({figures.full_cpu / full:.0%}), waiting on the server {figures.full_server:.1f} s summed over workers"
          f" ({figures.full_server / full:.1f} workers busy on average)")  # fmt: skip
    print(f"  fhircare CPU, full sync:            {figures.full_cpu:8.1f} s  (goal < {SHARE_GOAL_S:.0f} s:"
          f" {'met' if figures.full_cpu < SHARE_GOAL_S else 'missed'})")  # fmt: skip
    print(f"  incremental run, {changed} of {patients} changed, median of {len(walls)}:"
          f" {median:.1f} s  (rounds {', '.join(f'{w:.1f}' for w in walls)};"
          f" goal < {INCREMENTAL_GOAL_S:.0f} s: {'met' if median < INCREMENTAL_GOAL_S else 'missed'})")  # fmt: skip
    whole = load_s + full
    print(f"    baseline: the first full run (load + full sync) {whole:.1f} s; ratio {median / whole:.3f}"
          f" (the bare client alone takes {per_transaction * changed:.1f} s for {changed} transactions)")  # fmt: skip
    print(f"    service users sent / changed:     {', '.join(f'{r:.2f}' for r in ratios)}  (goal 1.00:"
          f" {'met' if all(r == 1.0 for r in ratios) else 'missed'})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server", action="append", choices=["hapi", "medplum"], help="a test server to start (default: both)"
    )
    parser.add_argument("--target", help="or: the base URL of a running server")
    parser.add_argument("--reset-command", help="with --target: a shell command that empties the server")
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=3, help="incremental runs per server (the median is printed)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (extract and store)")
    args = parser.parse_args()

    if args.target and args.reset_command:
        servers = [Server("target", args.target.rstrip("/"), args.reset_command)]
    elif args.target:
        sys.exit("--target needs --reset-command")
    else:
        servers = [Server(name) for name in (args.server or ["medplum", "hapi"])]

    work = Path(tempfile.mkdtemp(prefix="fhircare-bench-sync-"))
    extract, store = work / "extract", f"sqlite:///{work / 'store.sqlite'}"
    env = {**os.environ, "FHIRCARE_STORE_URL": store, "FHIRCARE_LOG_LEVEL": "WARNING"}
    figures = {server.name: Figures(server.name) for server in servers}
    try:
        print(f"synthesising {args.patients} service users ...", file=sys.stderr)
        synthesise(load_mapping(MAPPING), extract, patients=args.patients, seed=5)
        load_s, loaded = fhircare(
            "load", "--extract", str(extract), "--mapping", str(MAPPING), "--as-of", AS_OF,
            "--rejects", str(work / "rejects.jsonl"), env=env,
        )  # fmt: skip
        resources = sum(sum(v.values()) for v in loaded["load"]["resources"].values())
        print(f"\nbench/sync: {args.patients} service users, {resources} resources, concurrency {args.concurrency}")
        print(f"  load (read, map, validate, store):  {load_s:8.1f} s", flush=True)
        seed = 9
        for server in servers:  # one server after another, each reported when done
            print(f"full sync to {server.name} ...", file=sys.stderr)
            full_sync(server, store, env, args.concurrency, figures[server.name])
            for _round in range(args.rounds):
                print(f"incremental run against {server.name} ...", file=sys.stderr)
                incremental(server, extract, work, env, args, seed, figures[server.name])
                seed += 1
            server.stop()
            report(args.patients, resources, load_s, figures[server.name])
            sys.stdout.flush()
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
