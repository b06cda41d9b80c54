"""Partner API benchmark: ``fhircare serve`` (one worker, authentication, access policy and
audit all on) against a bare FastAPI endpoint returning stored JSON bytes (bench/api/bare.py),
over the same store of 10,000 service users, in the same run, driven by wrk at 32
connections.

    python bench/api/run.py [--store sqlite:///...] [--duration 20] [--rounds 2] [--connections 32]

The store is built once (``fhircare synth --patients 10000`` + ``fhircare load``, a few
minutes) into ~/.cache/fhircare-bench/ and reused. The reader is a GP practice registered
with a generated key; it reads the care plans of its own registered patients (read:
``GET /CarePlan/<id>``) and searches them by patient (search: ``GET /CarePlan?patient=``),
each request with a real access token got with a real client assertion. The baseline
answers the same ids and the same index lookup without any of that. Figures per round and
their medians; ratios = API / baseline. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path.home() / ".cache" / "fhircare-bench"
PATIENTS = 10_000
TARGET_THROUGHPUT = 0.5  # API / baseline, at least
TARGET_P99 = 2.0  # API / baseline, at most


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: CPU the server process used per request (all its threads), microseconds
    cpu_us: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fhircare(*args: str, env: dict[str, str]) -> str:
    exe = Path(sys.executable).parent / "fhircare"
    found = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=False)
    if found.returncode not in (0, 1):
        sys.exit(f"fhircare {' '.join(args)} failed: {found.stderr.strip()[-500:]}")
    return found.stdout


def build_store(url: str, env: dict[str, str]) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    if path.exists():
        return
    print(f"building the store of {PATIENTS} service users (once): {path}", flush=True)
    extract = CACHE / "extract-10000"
    started = time.perf_counter()
    fhircare("synth", "--patients", str(PATIENTS), "--seed", "11", "--layout", "rio-like", str(extract), env=env)
    fhircare("load", "--extract", str(extract), "--mapping", str(ROOT / "mappings" / "rio-like.yaml"), env=env)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"the server for {url} stopped (exit {proc.returncode})")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    sys.exit(f"{url} did not answer")


def workload(store: Path) -> tuple[str, list[str], list[str]]:
    """The GP practice with most registered patients, its patients' care plans and patients."""
    import sqlite3

    db = sqlite3.connect(store)
    rows = db.execute(
        "SELECT value, count(*) FROM search_index WHERE resource_type='Patient' AND param='general-practitioner'"
        " GROUP BY value ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    practice = rows[0]
    ods = db.execute(
        "SELECT value FROM search_index WHERE resource_type='Organization' AND resource_id=? AND param='identifier'"
        " AND system='https://fhir.nhs.uk/Id/ods-organization-code'",
        (practice.split("/")[1],),
    ).fetchone()[0]
    patients = [
        f"Patient/{r[0]}"
        for r in db.execute(
            "SELECT resource_id FROM search_index WHERE resource_type='Patient' AND param='general-practitioner'"
            " AND value=? ORDER BY resource_id",
            (practice,),
        )
    ]
    plans = [
        r[0]
        for r in db.execute(
            "SELECT resource_id FROM search_index WHERE resource_type='CarePlan' AND param='patient' AND value IN"
            f" ({','.join('?' * len(patients[:900]))}) ORDER BY resource_id",
            patients[:900],
        )
    ]
    db.execute("DELETE FROM audit_event_patients")
    db.execute("DELETE FROM audit_events")
    db.commit()
    db.close()
    return ods, plans, patients


def lua(paths: list[str], token: str | None, folder: Path, name: str) -> Path:
    script = folder / f"{name}.lua"
    listed = ",".join(f'"{p}"' for p in paths)
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
    script.write_text(
        f"{auth}local paths = {{{listed}}}\nlocal i = 0\n"
        'request = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    )
    return script


def _ms(text: str) -> float:
    found = re.match(r"([\d.]+)(us|ms|s|m|h)$", text)
    if found is None:
        sys.exit(f"cannot read wrk's latency {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def wrk(base: str, script: Path, duration: int, connections: int, pid: int) -> Figures:
    before = cpu_seconds(pid)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)) else 0
    errors += sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return Figures(rps, p50, p99, errors, (cpu_seconds(pid) - before) / max(requests, 1) * 1e6)


def token_for(base: str, client_id: str, key: Path, env: dict[str, str]) -> str:
    assertion = fhircare(
        "partners",
        "assertion",
        "--client-id",
        client_id,
        "--key",
        str(key),
        "--token-url",
        f"{base}/auth/token",
        env=env,
    ).strip()
    response = httpx.post(
        f"{base}/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": "system/CarePlan.rs system/Patient.rs",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=f"sqlite:///{CACHE / 'store-10000.sqlite'}")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FHIRCARE_STORE_URL": args.store, "FHIRCARE_API_TOKEN_LIFETIME_SECONDS": "3600"}
    build_store(args.store, env)
    ods, plans, patients = workload(Path(args.store.removeprefix("sqlite:///")))
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    key, jwks = work / "gp.pem", work / "gp.jwks.json"
    fhircare("partners", "keygen", "--out", str(key), "--jwks", str(jwks), env=env)
    client_id = orjson.loads(
        fhircare(
            "partners",
            "add",
            "--name",
            "Bench practice",
            "--ods",
            ods,
            "--type",
            "gp",
            "--jwks",
            str(jwks),
            "--scopes",
            "system/CarePlan.rs system/Patient.rs",
            "--format",
            "json",
            env=env,
        )
    )["client_id"]
    api_port, bare_port = free_port(), free_port()
    api_base, bare_base = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{bare_port}"
    exe = str(Path(sys.executable).parent / "fhircare")
    api = subprocess.Popen([exe, "serve", "--port", str(api_port)], env=env)
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare:app",
            "--port",
            str(bare_port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
            "--app-dir",
            str(Path(__file__).parent),
        ],
        env=env,
    )
    try:
        wait_for(f"{api_base}/metadata", api)
        wait_for(f"{bare_base}/bare/CarePlan/x", bare)
        token = token_for(api_base, client_id, key, env)
        check = httpx.get(f"{api_base}/CarePlan/{plans[0]}", headers={"Authorization": f"Bearer {token}"})
        assert check.status_code == 200 and check.json()["id"] == plans[0], check.text[:300]
        scripts = {
            "baseline read": (
                bare_base,
                bare.pid,
                lua([f"/bare/CarePlan/{p}" for p in plans], None, work, "bare-read"),
            ),
            "API read": (api_base, api.pid, lua([f"/CarePlan/{p}" for p in plans], token, work, "api-read")),
            "baseline search": (
                bare_base,
                bare.pid,
                lua([f"/bare/CarePlan?patient={p}" for p in patients], None, work, "bare-search"),
            ),
            "API search": (
                api_base,
                api.pid,
                lua([f"/CarePlan?patient={p}" for p in patients], token, work, "api-search"),
            ),
        }
        print(
            f"store: {args.store}; {len(plans)} care plans of {len(patients)} patients of one GP practice;"
            f" wrk {args.connections} connections, {args.duration} s per run, {args.rounds} rounds",
            flush=True,
        )
        for base, pid, script in scripts.values():  # warm-up: every resource read once
            wrk(base, script, 5, args.connections, pid)
        results: dict[str, list[Figures]] = {name: [] for name in scripts}
        for round_no in range(args.rounds):
            for name, (base, pid, script) in scripts.items():
                found = wrk(base, script, args.duration, args.connections, pid)
                results[name].append(found)
                print(
                    f"round {round_no + 1} {name:16} {found.rps:9.0f} req/s  p50 {found.p50_ms:7.2f} ms"
                    f"  p99 {found.p99_ms:7.2f} ms  server CPU {found.cpu_us:6.0f} us/request"
                    f"  errors {found.errors}",
                    flush=True,
                )
    finally:
        for proc in (api, bare):
            proc.terminate()
            proc.wait(timeout=30)
    fields = ("rps", "p50_ms", "p99_ms", "errors", "cpu_us")
    med = {
        name: Figures(*(statistics.median(getattr(f, a) for f in figs) for a in fields))
        for name, figs in results.items()
    }
    print("\nmedians          req/s    p50 ms    p99 ms   server CPU us/request")
    for name, f in med.items():
        print(f"{name:16} {f.rps:7.0f} {f.p50_ms:9.2f} {f.p99_ms:9.2f}   {f.cpu_us:8.0f}")
    print("\nratios (API / baseline)   throughput   p50    p99    CPU-bound throughput (baseline CPU / API CPU)")
    met = True
    for op in ("read", "search"):
        a, b = med[f"API {op}"], med[f"baseline {op}"]
        throughput, p50, p99 = a.rps / b.rps, a.p50_ms / b.p50_ms, a.p99_ms / b.p99_ms
        ok = throughput >= TARGET_THROUGHPUT and p99 <= TARGET_P99
        met &= ok
        verdict = "met" if ok else "NOT met"
        print(
            f"{op:26} {throughput:8.2f}x {p50:6.2f}x {p99:6.2f}x   {b.cpu_us / a.cpu_us:8.2f}x   {verdict}"
            f" (goal >= {TARGET_THROUGHPUT}x throughput, p99 <= {TARGET_P99}x)"
        )
    errors = sum(f.errors for figs in results.values() for f in figs)
    print(f"\nnon-2xx or socket errors: {errors}; targets {'met' if met and not errors else 'NOT met'}")


if __name__ == "__main__":
    main()
