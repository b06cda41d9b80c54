"""`fhircare load` as a trust's overnight job meets it: rejected service users reported
(file, line, field) with exit 1 and their last good records kept; an unusable extract
(a file the mapping needs is missing) changes nothing, ends no one, and exits 2."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
from sqlalchemy import select
from typer.testing import CliRunner, Result

from fhircare.cli import app
from fhircare.mapping.ending import is_held_back, release
from fhircare.settings import Settings
from fhircare.source.mapping_file import load_mapping
from fhircare.store.db import open_store_engine
from fhircare.store.schema import resources
from fhircare.synth import synthesise
from tests.unit.store.conftest import MAPPING


def load(extract: Path, store: str, rejects: Path, *options: str) -> Result:
    env = {
        "FHIRCARE_PACKAGE_CACHE": os.environ.get("FHIRCARE_PACKAGE_CACHE") or str(Settings().package_cache),
        "FHIRCARE_PACKAGE_REGISTRY_URL": "",
        "COLUMNS": "200",
    }
    args = ["load", "--extract", str(extract), "--mapping", str(MAPPING), "--store", store, "--rejects", str(rejects)]
    return CliRunner().invoke(app, [*args, "--as-of", "2025-07-01", *options], env=env)


def test_rejected_service_users_are_reported_and_keep_what_the_store_held(tmp_path: Path) -> None:
    mapping = load_mapping(MAPPING)
    clean, faulty = tmp_path / "clean", tmp_path / "faulty"
    synthesise(mapping, clean, patients=24, seed=3)
    synthesise(mapping, faulty, patients=24, seed=3, with_errors=True)
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    rejects = tmp_path / "rejects.jsonl"
    first = load(clean, store, rejects)
    assert first.exit_code == 0, first.output
    engine = open_store_engine(store)
    with engine.connect() as conn:
        before = {(r.resource_type, r.resource_id): r.content for r in conn.execute(select(resources))}
    second = load(faulty, store, rejects, "--format", "json")
    assert second.exit_code == 1, second.output
    summary = orjson.loads(second.stdout)["load"]
    rejected = sum(v for k, v in summary["serviceUsers"].items() if k.startswith("rejected"))
    assert rejected >= 1
    lines = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    assert lines and all(line["file"] and "reason" in line and "stage" in line for line in lines)
    who = {line["service_user_id"] for line in lines if line.get("service_user_id")}
    with engine.connect() as conn:
        after = {
            (r.resource_type, r.resource_id): (r.content, r.service_user_id, r.state)
            for r in conn.execute(select(resources))
        }
    marked = 0
    for key, (content, su, state) in after.items():
        if su in who:
            was, now = orjson.loads(before[key]), orjson.loads(content)
            assert release(now) == was and state == "current", "a rejected service user's records stay as they were"
            assert is_held_back(now), "marked not current"
            marked += 1
    assert marked and sum(n for kinds in summary["resources"].values() for c, n in kinds.items() if c == "held back")
    assert summary["missing"] == 0 and not summary["serviceUsers"].get("ended")
    table = load(faulty, store, rejects)
    assert table.exit_code == 1 and "held back" not in table.stdout, "marked once: nothing held back again"


def _loaded(tmp_path: Path, *, patients: int) -> tuple[Path, str, Path]:
    """A synthetic extract loaded into a new store: the extract, the store's URL, the rejects file."""
    extract = tmp_path / "extract"
    synthesise(load_mapping(MAPPING), extract, patients=patients, seed=4)
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    rejects = tmp_path / "rejects.jsonl"
    assert load(extract, store, rejects).exit_code == 0
    return extract, store, rejects


def test_an_unusable_extract_changes_nothing_and_ends_no_one(tmp_path: Path) -> None:
    extract, store, rejects = _loaded(tmp_path, patients=12)
    engine = open_store_engine(store)
    with engine.connect() as conn:
        before = {(r.resource_type, r.resource_id): r.content for r in conn.execute(select(resources))}
    [clients] = extract.glob("RiO_Clients_*.csv")
    clients.unlink()
    broken = load(extract, store, rejects, "--confirm-removals")
    assert broken.exit_code == 2
    assert "cannot be used" in broken.output
    # nothing changed, and the summary's title says so (it said "Loaded": a layout trial)
    assert "Nothing loaded (run" in broken.output and "Loaded (run" not in broken.output
    with engine.connect() as conn:
        after = {(r.resource_type, r.resource_id): r.content for r in conn.execute(select(resources))}
        states = {r.state for r in conn.execute(select(resources.c.state))}
    assert after == before and states == {"current"}


def _contents(store: str) -> dict[tuple[str, str], tuple[bytes, str]]:
    engine = open_store_engine(store)
    try:
        with engine.connect() as conn:
            return {(r.resource_type, r.resource_id): (r.content, r.state) for r in conn.execute(select(resources))}
    finally:
        engine.dispose()


def _keep_rows(path: Path, share: float) -> int:
    """Cut a file short: its header and the first ``share`` of its rows (at a row's end)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    kept = lines[: 1 + int((len(lines) - 1) * share)]
    path.write_text("".join(kept), encoding="utf-8-sig")
    return len(lines) - len(kept)


def test_a_file_cut_short_or_exported_empty_ends_nothing_until_confirmed(tmp_path: Path) -> None:
    """H11 (found by a trial of a new layout, 2026-12-07): the consents file exported with
    its header only, or a file cut short at a row's end, loaded with exit 0 and ended every
    consent it no longer held (refusals to share among them) while their service users were
    still in the extract. Compared with the last complete load, a record type with far
    fewer rows makes the extract unusable: exit 2, nothing changed, the file named;
    --confirm-fewer-rows loads it, for an operator who knows it is whole, and
    --confirm-removals (which ends missing service users at once) does not."""
    mapping = load_mapping(MAPPING)
    extract, store, rejects = _loaded(tmp_path, patients=24)
    before = _contents(store)
    [consents] = extract.glob("RiO_Consents_*.csv")
    had = len(consents.read_text(encoding="utf-8-sig").splitlines()) - 1
    assert had >= 5
    _keep_rows(consents, 0.0)
    empty = load(extract, store, rejects, "--format", "json")
    assert empty.exit_code == 2, empty.output
    report = orjson.loads(empty.stdout)
    assert not report["usable"]
    assert any(f"0 rows of consent_decision where the last complete load read {had}" in c for c in report["causes"])
    assert any("RiO_Consents_*.csv" in c and "--confirm-fewer-rows" in c for c in report["causes"])
    assert _contents(store) == before
    # three consents gone from the end (a refusal may be among them: its ending discloses)
    shutil.rmtree(extract)
    synthesise(mapping, extract, patients=24, seed=4)
    lines = consents.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    consents.write_text("".join(lines[:-3]), encoding="utf-8-sig")
    few = load(extract, store, rejects)
    assert few.exit_code == 2, few.output
    assert f"{had - 3} rows of consent_decision where the last complete load read {had}" in few.output
    # clearing the alarm is a flag of its own: --confirm-removals does not
    assert load(extract, store, rejects, "--confirm-removals").exit_code == 2
    assert _contents(store) == before
    # cut short at a row's end (no broken line to see): half the goals gone
    shutil.rmtree(extract)
    synthesise(mapping, extract, patients=24, seed=4)
    [goals] = extract.glob("RiO_CarePlan_Goals_*.csv")
    assert _keep_rows(goals, 0.5) > 2
    short = load(extract, store, rejects)
    assert short.exit_code == 2, short.output
    assert "rows of goal where the last complete load read" in short.output
    assert _contents(store) == before
    # the operator says the extract is whole: it is loaded (service users whose other rows
    # name a goal it lacks are rejected, exit 1), and the goals no one names are ended
    confirmed = load(extract, store, rejects, "--confirm-fewer-rows", "--format", "json")
    assert confirmed.exit_code in (0, 1), confirmed.output
    summary = orjson.loads(confirmed.stdout)
    assert summary["usable"] and summary["load"]["resources"]["Goal"].get("ended", 0) >= 1, summary
    # and the next load compares with what that one read
    again = load(extract, store, rejects)
    assert again.exit_code == 1 and "cannot be used" not in again.output, again.output


def test_a_refusal_gone_from_the_extract_is_kept_in_force_until_confirmed(tmp_path: Path) -> None:
    """H04/H11 (a residual of stop 31: a file losing one or two rows passes the row-count
    guard): a refusal to share that is no longer in the extract, its service user still
    there, was ended, so a partner the service user refused was shown their plan. A Consent
    that refuses, or a do-not-involve flag, is now kept in force when its row is gone: the
    load says so and exits 1, on every run until the extract says it was withdrawn or the
    operator names it as withdrawn on purpose (--confirm-withdrawn, which ends it alone; a
    name matching no kept refusal is reported, exit 1), or confirms the whole extract with
    --confirm-removals. A permit
    gone from the extract is ended as before (ending it discloses nothing)."""
    extract, store, rejects = _loaded(tmp_path, patients=24)
    [consents] = extract.glob("RiO_Consents_*.csv")
    lines = consents.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    refusal = next(i for i, line in enumerate(lines) if ",DISC,DENY," in line)
    permit = next(i for i, line in enumerate(lines) if ",DISC,PERMIT," in line)
    refusal_id, permit_id = lines[refusal].split(",", 1)[0], lines[permit].split(",", 1)[0]
    consents.write_text(
        "".join(line for i, line in enumerate(lines) if i not in (refusal, permit)), encoding="utf-8-sig"
    )

    def consent_state(source_id: str) -> tuple[str, str]:
        found = [
            (orjson.loads(content), state)
            for (rtype, _id), (content, state) in _contents(store).items()
            if rtype == "Consent" and source_id in content.decode()
        ]
        assert len(found) == 1, source_id
        resource, state = found[0]
        return resource["status"], state

    for _run in range(2):  # reported on every run, not only the first
        kept = load(extract, store, rejects, "--format", "json")
        assert kept.exit_code == 1, kept.output
        [kept_one] = orjson.loads(kept.stdout)["load"]["safeguardsKept"]
        assert kept_one["resource"].startswith("Consent/") and kept_one["serviceUser"]
        assert consent_state(refusal_id) == ("active", "current")
        assert consent_state(permit_id) == ("inactive", "ended")
    told = load(extract, store, rejects)
    assert "kept in force" in told.output and "--confirm-removals" in told.output
    assert f"{kept_one['serviceUser']} {kept_one['resource']}" in told.output  # which, to act on it
    assert "--confirm-withdrawn" in told.output
    mistyped = load(extract, store, rejects, "--confirm-withdrawn", "Consent/no-such-id")
    assert mistyped.exit_code == 1 and "no-such-id" in mistyped.output and "nothing was ended" in mistyped.output
    assert consent_state(refusal_id) == ("active", "current")
    malformed = load(extract, store, rejects, "--confirm-withdrawn", "CarePlan/x")
    assert malformed.exit_code == 2 and "Consent/<id> or Flag/<id>" in malformed.output
    confirmed = load(extract, store, rejects, "--confirm-withdrawn", kept_one["resource"], "--format", "json")
    assert confirmed.exit_code == 0, confirmed.output
    assert orjson.loads(confirmed.stdout)["load"]["safeguardsEnded"] == [kept_one]
    assert consent_state(refusal_id) == ("inactive", "ended")
    assert load(extract, store, rejects).exit_code == 0


def test_a_staff_detail_left_out_is_reported_by_load_with_exit_1(tmp_path: Path) -> None:
    """Found by a review: a wrong phone number of a member of staff, left out (the member
    kept), was silent in `fhircare load` (exit 0, nothing in the summary): only the rejects
    file said so. Problems of no one service user are counted, named and exit 1."""
    extract, store, rejects = _loaded(tmp_path, patients=12)
    [staff] = extract.glob("ESR_Staff_*.jsonl")
    lines = staff.read_text().splitlines(keepends=True)
    lines[0] = orjson.dumps({**orjson.loads(lines[0]), "workPhone": "call me"}).decode() + "\n"
    staff.write_text("".join(lines))
    result = load(extract, store, rejects, "--format", "json")
    assert result.exit_code == 1, result.output
    assert orjson.loads(result.stdout)["otherProblems"] == 1
    assert "the member of staff is kept without it" in rejects.read_text()
    text = load(extract, store, rejects)
    assert text.exit_code == 1 and "1 problem of no one service user" in text.output


def test_a_directory_entry_that_rejects_service_users_is_a_cause_of_the_load(tmp_path: Path) -> None:
    """As `map` prints it (a layout trial): a crisis line with no number rejected those whose
    plans name it, and only the rejects file said why. The entry is one of the load's causes."""
    import csv

    extract, store, rejects = _loaded(tmp_path, patients=24)
    [services] = extract.glob("RiO_Services_*.csv")
    with services.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    next(r for r in rows if r["SERVICE_TYPE"] == "CRISISLINE")["TELEPHONE"] = ""
    with services.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = load(extract, store, rejects, "--format", "json")
    assert result.exit_code == 1, result.output
    body = orjson.loads(result.stdout)
    assert body["usable"] and any(c.startswith("RiO_Services_") for c in body["causes"]), body["causes"]
