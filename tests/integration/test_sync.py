"""Sync to real FHIR servers (HAPI FHIR JPA and Medplum, or FHIRCARE_TEST_SERVER_URL):
exactly the mapped resources arrive, a re-run changes nothing, a change sends only what
changed, and each of the server situations the issue names is handled and pinned.

The servers are started once per session (tests/integration/conftest.py) and emptied
before each test that needs an empty server."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner, Result

from fhircare.cli import app
from fhircare.mapping.ending import is_withdrawn
from fhircare.settings import Settings
from fhircare.source.mapping_file import load_mapping
from fhircare.store.db import open_store_engine
from fhircare.store.schema import dead_letters, outbox, resources, service_users
from fhircare.synth import synthesise
from tests.integration.sync_support import compare_with_store, edit_rows, fetch_all, first_difference

REPO = Path(__file__).resolve().parents[2]
MAPPING = REPO / "mappings" / "rio-like.yaml"
PATIENTS = int(os.environ.get("FHIRCARE_SYNC_TEST_PATIENTS", "40"))
FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def environment(**extra: str) -> dict[str, str]:
    return {
        "FHIRCARE_PACKAGE_CACHE": os.environ.get("FHIRCARE_PACKAGE_CACHE") or str(Settings().package_cache),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "FHIRCARE_LOG_LEVEL": "WARNING",
        "FHIRCARE_SYNC_RETRY_BASE_SECONDS": "0.05",
        "FHIRCARE_SYNC_RETRY_MAX_SECONDS": "0.5",
        "COLUMNS": "200",
        **extra,
    }


def cli(*args: str, **env: str) -> Result:
    """The command, run in an empty temporary folder (its default rejects file lands there)."""
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        return CliRunner().invoke(app, list(args), env=environment(**env), catch_exceptions=False)


def summary(result: Result) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(result.stdout)
    return parsed


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sync-extract")
    synthesise(load_mapping(MAPPING), folder, patients=PATIENTS, seed=21)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = open_store_engine(url)
    yield url, engine
    engine.dispose()


def run(extract: Path, url: str, target: str, *options: str) -> Result:
    return cli(
        "run",
        "--extract",
        str(extract),
        "--mapping",
        str(MAPPING),
        "--target",
        target,
        "--store",
        url,
        "--as-of",
        "2025-07-01",
        "--format",
        "json",
        "--rejects",
        str(Path(url.removeprefix("sqlite:///")).with_name("rejects.jsonl")),
        *options,
    )


def assert_exact(engine: Engine, base_url: str) -> None:
    comparison = compare_with_store(engine, base_url)
    detail = first_difference(engine, base_url, comparison.different[0]) if comparison.different else ""
    assert comparison.exact, comparison.explain() + "\n" + detail


def test_run_sends_exactly_the_mapped_resources_and_a_rerun_changes_nothing(
    fhir_server: Any, extract: Path, store: tuple[str, Engine], tmp_path: Path
) -> None:
    fhir_server.reset()
    url, engine = store
    first = run(extract, url, fhir_server.base_url)
    assert first.exit_code == 0, first.output
    body = summary(first)
    assert body["load"]["serviceUsers"]["changed"] == PATIENTS
    assert not body["sync"]["rows"].get("dead-lettered") and not body["sync"]["rows"].get("failed")
    # the read-back of one resource found every label and extension kept (sync/kept.py)
    assert body["sync"]["labelsKept"] == "yes"
    before = compare_with_store(engine, fhir_server.base_url)
    assert before.exact, before.explain()

    again = run(extract, url, fhir_server.base_url)
    assert again.exit_code == 0, again.output

    assert summary(again)["sync"]["rows"] == {}, "nothing to send"
    after = compare_with_store(engine, fhir_server.base_url)
    assert after.versions == before.versions, "no meta.versionId changed on the server"

    # a few service users change: only they are sent
    changed = {"P000003", "P000007", "P000011"}
    copy = tmp_path / "changed"
    copy.mkdir()
    for path in extract.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    [clients] = copy.glob("RiO_Clients_*.csv")
    assert edit_rows(clients, "ADDRESS_LINE_1", changed, "1 Changed Street", "CLIENT_ID") == 3
    third = run(copy, url, fhir_server.base_url)
    assert third.exit_code == 0, third.output
    body = summary(third)
    assert body["load"]["serviceUsers"]["changed"] == 3
    assert body["sync"]["rows"] == {"sent": 3}
    assert body["sync"]["resources"] == {"Patient": {"updated": 3}, "Provenance": {"updated": 3}} or body["sync"][
        "resources"
    ]["Patient"] == {"updated": 3}
    final = compare_with_store(engine, fhir_server.base_url)
    assert final.exact, final.explain()
    moved = {k for k in final.versions if final.versions[k] != after.versions.get(k)}
    assert {k.split("/")[0] for k in moved} <= {"Patient"}
    assert len([k for k in moved if k.startswith("Patient/")]) == 3


def test_records_the_server_already_holds_under_its_own_ids_are_updated_not_duplicated(
    fhir_server: Any, extract: Path, store: tuple[str, Engine]
) -> None:
    fhir_server.reset()
    url, engine = store
    loaded = cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", url, "--as-of", "2025-07-01")
    assert loaded.exit_code == 0, loaded.output
    # another system put one patient there first, under an id of the server's choosing
    with engine.connect() as conn:
        row = conn.execute(select(resources).where(resources.c.resource_type == "Patient").limit(1)).one()
    patient = orjson.loads(row.content)
    patient.pop("id")
    patient.pop("meta", None)
    patient["managingOrganization"] = None
    patient = {k: v for k, v in patient.items() if v is not None}
    for key in ("generalPractitioner",):
        patient.pop(key, None)
    created = httpx.post(
        f"{fhir_server.base_url}/Patient", json=patient, headers={"Content-Type": "application/fhir+json"}
    )
    assert created.status_code == 201, created.text
    server_id = created.json()["id"]

    synced = cli("sync", "--target", fhir_server.base_url, "--store", url, "--format", "json")
    assert synced.exit_code == 0, synced.output
    patients = fetch_all(fhir_server.base_url, "Patient")
    assert len(patients) == PATIENTS, "updated in place, not created again"
    assert server_id in {p["id"] for p in patients}
    assert_exact(engine, fhir_server.base_url)


def test_an_identifier_held_twice_on_the_server_is_dead_lettered_never_guessed(
    fhir_server: Any, extract: Path, store: tuple[str, Engine]
) -> None:
    fhir_server.reset()
    url, engine = store
    assert cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", url).exit_code == 0
    with engine.connect() as conn:
        row = conn.execute(
            select(resources).where(resources.c.resource_type == "Patient").order_by(resources.c.resource_id).limit(1)
        ).one()
    identifier = {"system": row.identifier_system, "value": row.identifier_value}
    for _ in range(2):
        made = httpx.post(
            f"{fhir_server.base_url}/Patient",
            json={"resourceType": "Patient", "identifier": [identifier]},
            headers={"Content-Type": "application/fhir+json"},
        )
        assert made.status_code == 201, made.text

    synced = cli("sync", "--target", fhir_server.base_url, "--store", url, "--format", "json")
    assert synced.exit_code == 1, synced.output
    assert summary(synced)["sync"]["rows"]["dead-lettered"] == 1
    letters = cli("outbox", "dead-letters", "--store", url, "--format", "json")
    [letter] = summary(letters)["deadLetters"]
    assert letter["group"] == row.service_user_id
    text = letter["outcome"]["issue"][0]["diagnostics"]
    assert "held 2 times" in text and row.identifier_value in text
    assert letter["sources"] and all("file" in s for s in letter["sources"])


def test_a_resource_the_server_refuses_is_dead_lettered_with_its_outcome_and_retried_once_fixed(
    fhir_server: Any, extract: Path, store: tuple[str, Engine]
) -> None:
    fhir_server.reset()
    url, engine = store
    assert cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", url).exit_code == 0
    with engine.begin() as conn:
        row = conn.execute(
            select(resources).where(resources.c.resource_type == "CarePlan").order_by(resources.c.resource_id).limit(1)
        ).one()
        broken = orjson.loads(row.content)
        good = row.content
        # a body that is not the resource its URL names: every server refuses it (Medplum's
        # in-memory repository checks nothing else, so an invalid code would pass there)
        broken["resourceType"] = "Basic"
        conn.execute(
            update(resources)
            .where(resources.c.resource_type == "CarePlan", resources.c.resource_id == row.resource_id)
            .values(content=orjson.dumps(broken, option=orjson.OPT_SORT_KEYS))
        )
    synced = cli("sync", "--target", fhir_server.base_url, "--store", url, "--format", "json")
    assert synced.exit_code == 1, synced.output
    with engine.connect() as conn:
        [letter] = conn.execute(select(dead_letters)).all()
    assert letter.group_key == row.service_user_id
    assert letter.http_status and 400 <= letter.http_status < 500
    assert letter.outcome["resourceType"] == "OperationOutcome"
    # the next sync does not send the same refused data again, yet still fails: the record
    # is not on the target until someone fixes it
    unchanged = cli("sync", "--target", fhir_server.base_url, "--store", url, "--format", "json")
    assert unchanged.exit_code == 1, unchanged.output
    assert not summary(unchanged)["sync"]["rows"].get("dead-lettered")
    assert summary(unchanged)["sync"]["openDeadLetters"] == 1
    with engine.connect() as conn:
        assert len(conn.execute(select(dead_letters)).all()) == 1
    with engine.begin() as conn:
        conn.execute(
            update(resources)
            .where(resources.c.resource_type == "CarePlan", resources.c.resource_id == row.resource_id)
            .values(content=good)
        )
    retried = cli("outbox", "retry", "--store", url)
    assert retried.exit_code == 0 and "Requeued 1" in retried.output
    again = cli("sync", "--target", fhir_server.base_url, "--store", url, "--format", "json")
    assert again.exit_code == 0, again.output
    assert summary(again)["sync"]["openDeadLetters"] == 0
    with engine.connect() as conn:
        pending = conn.execute(select(outbox).where(outbox.c.status == "pending")).all()
    assert not pending
    assert_exact(engine, fhir_server.base_url)


def test_a_change_made_on_the_server_is_re_read_before_fhircare_updates_it(
    fhir_server: Any, extract: Path, store: tuple[str, Engine], tmp_path: Path
) -> None:
    fhir_server.reset()
    url, engine = store
    assert run(extract, url, fhir_server.base_url).exit_code == 0
    # someone edits a patient on the server: its version moves on
    [patient] = [p for p in fetch_all(fhir_server.base_url, "Patient") if p["identifier"][-1]["value"] == "P000005"]
    patient["active"] = False
    edited = httpx.put(
        f"{fhir_server.base_url}/Patient/{patient['id']}",
        json=patient,
        headers={"Content-Type": "application/fhir+json"},
    )
    assert edited.status_code == 200, edited.text
    copy = tmp_path / "changed"
    copy.mkdir()
    for path in extract.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    [clients] = copy.glob("RiO_Clients_*.csv")
    edit_rows(clients, "ADDRESS_LINE_1", {"P000005"}, "5 Conflict Row", "CLIENT_ID")
    result = run(copy, url, fhir_server.base_url)
    assert result.exit_code == 0, result.output
    assert summary(result)["sync"]["rows"].get("replanned", 0) >= 1, "the stale version was refused and re-read"
    assert_exact(engine, fhir_server.base_url)


def test_a_second_run_on_the_same_store_is_refused_at_once(
    fhir_server: Any, extract: Path, store: tuple[str, Engine]
) -> None:
    from fhircare.store.locks import RUN, store_lock

    url, engine = store
    with store_lock(engine, RUN):
        second = run(extract, url, fhir_server.base_url)
    assert second.exit_code == 2
    assert "another fhircare run is using this store" in second.output


def test_a_target_that_is_not_fhir_or_lacks_what_the_sync_needs_is_refused_clearly(
    store: tuple[str, Engine], extract: Path, tmp_path: Path
) -> None:
    import http.server
    import threading

    statement: dict[str, Any] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = orjson.dumps(statement) if statement else b"<html>a web page</html>"
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json" if statement else "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    url, _engine = store
    assert cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", url).exit_code == 0
    try:
        not_fhir = cli("sync", "--target", base, "--store", url)
        assert not_fhir.exit_code == 2 and "is not a FHIR server" in not_fhir.output
        statement.update(
            {
                "resourceType": "CapabilityStatement",
                "fhirVersion": "4.0.1",
                "rest": [{"mode": "server", "resource": [{"type": "Patient", "interaction": [{"code": "read"}]}]}],
            }
        )
        lacking = cli("sync", "--target", base, "--store", url)
        assert lacking.exit_code == 2
        for expected in ("transaction", "CarePlan: not supported", "Patient: update"):
            assert expected in lacking.output
        unreachable = cli("sync", "--target", "http://127.0.0.1:9/fhir", "--store", url)
        assert unreachable.exit_code == 2 and "did not answer" in unreachable.output
    finally:
        server.shutdown()


def test_credentials_the_target_refuses_stop_the_sync_with_a_clear_message(
    fhir_server: Any, fault_proxy: Any, extract: Path, store: tuple[str, Engine]
) -> None:
    fhir_server.reset()
    url, _engine = store
    gateway = fault_proxy(fhir_server.base_url, rate=0.0, token="s3cret-token")
    assert cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", url).exit_code == 0
    refused = cli("sync", "--target", gateway.base_url, "--store", url, FHIRCARE_TARGET_TOKEN="expired-token")
    assert refused.exit_code == 2
    assert "refused fhircare's credentials (401)" in refused.output
    assert "Traceback" not in refused.output
    accepted = cli("sync", "--target", gateway.base_url, "--store", url, FHIRCARE_TARGET_TOKEN="s3cret-token")
    assert accepted.exit_code == 0, accepted.output


def test_a_store_written_by_a_newer_fhircare_is_refused_without_a_traceback(
    store: tuple[str, Engine], extract: Path
) -> None:
    from sqlalchemy import text

    url, engine = store
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
    refused = cli("load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", url)
    assert refused.exit_code == 2
    assert "written by a newer fhircare" in refused.output and "Traceback" not in refused.output


def test_a_service_user_gone_from_two_extracts_is_ended_on_the_shared_record(
    fhir_server: Any, extract: Path, store: tuple[str, Engine], tmp_path: Path
) -> None:
    fhir_server.reset()
    url, engine = store
    assert run(extract, url, fhir_server.base_url).exit_code == 0
    fewer = tmp_path / "fewer"
    synthesise(load_mapping(MAPPING), fewer, patients=PATIENTS - 1, seed=21)  # the same, less the last
    gone = f"P{PATIENTS:06d}"
    once = summary(run(fewer, url, fhir_server.base_url))
    assert once["load"]["serviceUsers"].get("missing") == 1 and once["sync"]["rows"] == {}
    twice = run(fewer, url, fhir_server.base_url)
    assert twice.exit_code == 0, twice.output
    body = summary(twice)
    assert body["load"]["serviceUsers"]["ended"] == 1
    assert body["sync"]["rows"] == {"sent": 1}
    [patient] = [p for p in fetch_all(fhir_server.base_url, "Patient") if p["identifier"][-1]["value"] == gone]
    assert patient["active"] is False
    plans = [
        p for p in fetch_all(fhir_server.base_url, "CarePlan") if p["subject"]["reference"].endswith(patient["id"])
    ]
    assert plans and all(p["status"] in ("revoked", "completed") for p in plans)
    assert all(is_withdrawn(p) for p in plans), "each ended resource says why"
    assert_exact(engine, fhir_server.base_url)


def test_a_rejected_service_user_is_marked_not_current_on_the_shared_record_until_they_load_again(
    fhir_server: Any, extract: Path, store: tuple[str, Engine], tmp_path: Path
) -> None:
    """H10: the shared record goes on holding a rejected service user's last good record,
    each resource marked (the record-not-current extension, a first narrative paragraph); the next
    extract of theirs that loads takes the mark away, on the server too."""
    fhir_server.reset()
    url, engine = store
    assert run(extract, url, fhir_server.base_url).exit_code == 0
    faulty = tmp_path / "faulty"
    synthesise(load_mapping(MAPPING), faulty, patients=PATIENTS, seed=21, with_errors=True)
    rejected_run = run(faulty, url, fhir_server.base_url)
    assert rejected_run.exit_code == 1, rejected_run.output
    with engine.connect() as conn:
        held_back = {
            r.service_user_id
            for r in conn.execute(
                select(service_users).where(service_users.c.rejected_run == service_users.c.last_seen_run)
            )
        }
        marked = [
            r.service_user_id
            for r in conn.execute(select(resources).where(resources.c.resource_type == "CarePlan"))
            if b"record-not-current" in r.content
        ]
    assert held_back and set(marked) == held_back, "every rejected service user known before, and no one else"
    assert_exact(engine, fhir_server.base_url)

    def marked_on_server() -> list[dict[str, Any]]:
        return [
            plan
            for plan in fetch_all(fhir_server.base_url, "CarePlan")
            if any(e.get("url", "").endswith("/record-not-current") for e in plan.get("extension", []))
        ]

    plans = marked_on_server()
    assert len(plans) == len(marked)
    assert all("Not current" in p["text"]["div"] for p in plans)
    again = run(extract, url, fhir_server.base_url)
    assert again.exit_code == 0, again.output

    assert marked_on_server() == []
    assert_exact(engine, fhir_server.base_url)


def without_the_first_medicine(extract: Path, folder: Path) -> Path:
    """A copy of the extract whose first medicine row is gone (its MedicationStatement ends)."""
    import shutil

    shutil.copytree(extract, folder)
    [medication] = folder.glob("RiO_Medication_*.csv")
    lines = medication.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    medication.write_text("".join([lines[0], *lines[2:]]), encoding="utf-8-sig")
    return folder


def test_a_resource_the_extract_holds_again_is_current_on_the_shared_record_without_the_ended_mark(
    fhir_server: Any, extract: Path, store: tuple[str, Engine], tmp_path: Path
) -> None:
    """H09: a medicine missing from one day's extract is ended (status, narrative, mark) and
    comes back the next day. The shared record must show it current again, with no mark
    left saying it is no longer in the trust's record: a server may keep a resource's tags
    across updates (HAPI FHIR does), so the mark must not be a tag."""
    fhir_server.reset()
    url, engine = store
    assert run(extract, url, fhir_server.base_url).exit_code == 0
    fewer = without_the_first_medicine(extract, tmp_path / "fewer")
    ended = run(fewer, url, fhir_server.base_url)
    assert ended.exit_code == 0, ended.output
    assert summary(ended)["sync"]["resources"]["MedicationStatement"] == {"ended": 1}
    again = run(extract, url, fhir_server.base_url)
    assert again.exit_code == 0, again.output
    assert summary(again)["sync"]["resources"]["MedicationStatement"] == {"updated": 1}
    assert_exact(engine, fhir_server.base_url)
    for statement in fetch_all(fhir_server.base_url, "MedicationStatement"):
        assert "No longer in the trust" not in str(statement), statement["id"]


def test_a_resource_ended_under_the_old_tag_is_live_again_without_it(
    fhir_server: Any, extract: Path, store: tuple[str, Engine], tmp_path: Path
) -> None:
    """H09, stores written before the record-withdrawn extension: an ending they sent carries
    the tag record-lifecycle|withdrawn, which a server that keeps tags across updates keeps
    on the resource when it is live again; the sync takes it off ($meta-delete) before it
    sends the live resource (a review found it left)."""
    from fhircare.mapping.ending import LEGACY_WITHDRAWN_TAG, WITHDRAWN_EXTENSION
    from fhircare.store.canonical import content_hash
    from fhircare.store.schema import resource_versions

    fhir_server.reset()
    url, engine = store
    assert run(extract, url, fhir_server.base_url).exit_code == 0
    fewer = without_the_first_medicine(extract, tmp_path / "fewer")
    loaded = cli("load", "--extract", str(fewer), "--mapping", str(MAPPING), "--store", url, "--as-of", "2025-07-01")
    assert loaded.exit_code == 0, loaded.output
    # what a store written before the extension holds: the ending marked by the old tag
    with engine.begin() as conn:
        [row] = conn.execute(select(resources).where(resources.c.state == "ended")).all()
        ended = orjson.loads(row.content)
        ended["extension"] = [e for e in ended["extension"] if e["url"] != WITHDRAWN_EXTENSION]
        ended["meta"]["tag"] = [{**LEGACY_WITHDRAWN_TAG, "display": "No longer in the trust's record"}]
        legacy = orjson.dumps(ended, option=orjson.OPT_SORT_KEYS)
        where = (resources.c.resource_type == row.resource_type) & (resources.c.resource_id == row.resource_id)
        conn.execute(update(resources).where(where).values(content=legacy, content_hash=content_hash(legacy)))
        conn.execute(
            update(resource_versions)
            .where(
                (resource_versions.c.resource_type == row.resource_type)
                & (resource_versions.c.resource_id == row.resource_id)
                & (resource_versions.c.change == "ended")
            )
            .values(content=legacy, content_hash=content_hash(legacy))
        )
    synced = cli("sync", "--target", fhir_server.base_url, "--store", url, "--format", "json")
    assert synced.exit_code == 0, synced.output
    tagged = [s for s in fetch_all(fhir_server.base_url, "MedicationStatement") if s.get("meta", {}).get("tag")]
    assert len(tagged) == 1, "the server holds the ending as an old store sent it"
    again = run(extract, url, fhir_server.base_url)
    assert again.exit_code == 0, again.output
    assert summary(again)["sync"]["resources"]["MedicationStatement"] == {"updated": 1}
    assert_exact(engine, fhir_server.base_url)
    assert not [s for s in fetch_all(fhir_server.base_url, "MedicationStatement") if s.get("meta", {}).get("tag")]


def test_a_rebuilt_store_takes_off_the_marks_an_earlier_store_left_on_the_shared_record(
    fhir_server: Any, extract: Path, store: tuple[str, Engine], tmp_path: Path
) -> None:
    """H09, H16: a trust rebuilds its store and syncs to the shared record it synced to
    before. The target holds versions this store never sent (found by identifier), and an
    earlier store left on one the tag it marked endings with and NOPAT. A server that keeps
    tags and labels across updates (HAPI FHIR) would go on saying the live goal is no longer
    in the trust's record and withholding it from the service user; the sync takes off the
    marks fhircare writes, and only those (another system's tag stays)."""
    from fhircare.mapping.ending import LEGACY_WITHDRAWN_TAG

    fhir_server.reset()
    url, _ = store
    assert run(extract, url, fhir_server.base_url).exit_code == 0
    goal = fetch_all(fhir_server.base_url, "Goal")[0]
    other = {"system": "https://shared-record.example/tags", "code": "reviewed"}
    goal["meta"] = {
        **goal["meta"],
        "tag": [{**LEGACY_WITHDRAWN_TAG, "display": "No longer in the trust's record"}, other],
        "security": [
            *goal["meta"].get("security", []),
            {"system": V3_ACT_CODE, "code": "NOPAT"},
            {"system": "https://fhir.fhircare.nhs.uk/CodeSystem/security-label", "code": "carer-confidential"},
        ],
    }
    put = httpx.put(f"{fhir_server.base_url}/Goal/{goal['id']}", json=goal, headers=FHIR_JSON, timeout=30)
    assert put.status_code == 200, put.text
    rebuilt_url = f"sqlite:///{tmp_path / 'rebuilt.sqlite'}"
    rebuilt = open_store_engine(rebuilt_url)
    try:
        again = run(extract, rebuilt_url, fhir_server.base_url)
        assert again.exit_code == 0, again.output
        [after] = [g for g in fetch_all(fhir_server.base_url, "Goal") if g["id"] == goal["id"]]
        marks = [(m.get("system"), m.get("code")) for m in [*after["meta"].get("tag", []), *after["meta"]["security"]]]
        assert (LEGACY_WITHDRAWN_TAG["system"], "withdrawn") not in marks
        assert (V3_ACT_CODE, "NOPAT") not in marks
        assert ("https://fhir.fhircare.nhs.uk/CodeSystem/security-label", "carer-confidential") not in marks
        assert ("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R") in marks
        if fhir_server.name == "hapi":  # keeps tags across updates: another system's is not fhircare's to take off
            assert (other["system"], other["code"]) in marks
            parameters = {"resourceType": "Parameters", "parameter": [{"name": "meta", "valueMeta": {"tag": [other]}}]}
            httpx.post(
                f"{fhir_server.base_url}/Goal/{goal['id']}/$meta-delete", json=parameters, headers=FHIR_JSON, timeout=30
            ).raise_for_status()
        assert_exact(rebuilt, fhir_server.base_url)
    finally:
        rebuilt.dispose()


def test_a_label_the_record_no_longer_has_is_taken_off_the_shared_record(
    fhir_server: Any, extract: Path, store: tuple[str, Engine]
) -> None:
    """H16: a carer no longer asks that what they said be kept from the service user, so the
    record drops NOPAT. A server that keeps labels across updates (HAPI FHIR) would go on
    withholding it; the sync takes the label off before the update."""
    from fhircare.store.canonical import content_hash
    from fhircare.store.schema import resource_versions

    fhir_server.reset()
    url, engine = store
    assert run(extract, url, fhir_server.base_url).exit_code == 0
    # the version sent last carried NOPAT (as a carer-confidential resource does)
    with engine.begin() as conn:
        row = conn.execute(select(resources).where(resources.c.resource_type == "Goal").limit(1)).one()
        labelled = orjson.loads(row.content)
        labelled["meta"]["security"].append(
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "NOPAT"}
        )
        content = orjson.dumps(labelled, option=orjson.OPT_SORT_KEYS)
        where = (resources.c.resource_type == "Goal") & (resources.c.resource_id == row.resource_id)
        conn.execute(
            update(resources)
            .where(where)
            .values(content=content, content_hash=content_hash(content), version=row.version + 1)
        )
        conn.execute(
            resource_versions.insert().values(
                resource_type="Goal",
                resource_id=row.resource_id,
                version=row.version + 1,
                content=content,
                content_hash=content_hash(content),
                change="updated",
                run_id=1,
                recorded_at=row.updated_at,
            )
        )
        # sent at the next sync, and mapped afresh at the next run (as a changed row would be)
        [target] = conn.execute(select(outbox.c.target_id).limit(1)).scalars().all() or [None]
        assert target is not None
        from datetime import UTC, datetime

        from fhircare.store import outbox as queue

        queue.enqueue(conn, [target], queue.SERVICE_USER, [row.service_user_id], 1, datetime.now(UTC))
        conn.execute(
            update(service_users)
            .where(service_users.c.service_user_id == row.service_user_id)
            .values(fingerprint=None, rows_fingerprint=None)
        )
    synced = cli("sync", "--target", fhir_server.base_url, "--store", url, "--format", "json")
    assert synced.exit_code == 0, synced.output
    assert any("NOPAT" in str(g.get("meta")) for g in fetch_all(fhir_server.base_url, "Goal"))
    again = run(extract, url, fhir_server.base_url)
    assert again.exit_code == 0, again.output
    assert summary(again)["sync"]["resources"]["Goal"] == {"updated": 1}
    assert_exact(engine, fhir_server.base_url)
    assert not any("NOPAT" in str(g.get("meta")) for g in fetch_all(fhir_server.base_url, "Goal"))
