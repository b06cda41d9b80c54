"""A load skips a service user whose extract rows (and the trust directory's) are as they
were at the last load: not read into records, not mapped. Where rows stand (file names,
the order of other service users' rows) does not matter; any change that would change what reading gives does: their
own rows, a directory row (everyone is read again, only those whose records changed are
mapped again, and the next load skips them all again), another service user's row that
duplicates one of their ids (they are rejected, as reading them would)."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fhircare.mapping.context import MappingContext
from fhircare.source.assemble import Assembler
from fhircare.source.mapping_file import load_mapping
from fhircare.source.results import ReadResult
from fhircare.store.load import LoadRequest, LoadSummary
from fhircare.store.reading import load_extract
from fhircare.synth import synthesise
from tests.unit.store.conftest import AS_OF, MAPPING

PATIENTS = 12


@dataclass
class Loaded:
    summary: LoadSummary
    #: service users read into records (assembled) by this load
    assembled: list[str]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rows-fingerprint") / "extract"
    synthesise(load_mapping(MAPPING), folder, patients=PATIENTS, seed=11)
    return folder


@pytest.fixture
def extract(original: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "extract"
    shutil.copytree(original, folder)
    return folder


def run_load(engine: Engine, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Loaded:
    mapping = load_mapping(MAPPING)
    request = LoadRequest(folder, MAPPING, mapping, MappingContext.from_mapping(mapping, as_of=AS_OF), "run")
    assembled: list[str] = []
    real = Assembler.assemble

    def counted(self: Assembler, su: str) -> ReadResult:
        assembled.append(su)
        return real(self, su)

    with monkeypatch.context() as patched:
        patched.setattr(Assembler, "assemble", counted)
        summary, report = load_extract(engine, request, None)
    assert report.usable
    return Loaded(summary, assembled)


def rewrite(path: Path, change: object) -> None:
    """Rewrite a CSV file of the extract through ``change(rows) -> rows`` (dicts)."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    rows = change(list(reader))  # type: ignore[operator]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig")


def one(folder: Path, pattern: str) -> Path:
    [found] = folder.glob(pattern)
    return found


def test_the_next_days_extract_with_new_file_names_and_rows_reordered_is_not_read_again(
    engine: Engine, extract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_load(engine, extract, monkeypatch)
    assert len(first.assembled) == PATIENTS and first.summary.service_users["changed"] == PATIENTS
    for path in list(extract.iterdir()):
        if path.name.startswith(("RiO_", "ESR_")):
            path.rename(path.with_name(path.name.replace("20250630", "20250701")))
    rewrite(one(extract, "RiO_Clients_*.csv"), lambda rows: list(reversed(rows)))

    again = run_load(engine, extract, monkeypatch)
    assert again.assembled == []
    assert again.summary.service_users["read"] == PATIENTS
    assert again.summary.service_users["unchanged"] == PATIENTS
    assert not again.summary.resources, "nothing mapped, nothing written"

    # one service user's rows in another order are read again (the digest follows their
    # order), but not mapped again: their records are the same
    rewrite(one(extract, "RiO_CarePlan_Goals_*.csv"), lambda rows: list(reversed(rows)))
    reordered = run_load(engine, extract, monkeypatch)
    assert 0 < len(reordered.assembled) < PATIENTS
    assert reordered.summary.service_users["unchanged"] == PATIENTS and not reordered.summary.resources


def test_a_changed_row_reads_and_maps_only_its_service_user(
    engine: Engine, extract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_load(engine, extract, monkeypatch)
    clients = one(extract, "RiO_Clients_*.csv")
    chosen = "P000003"

    def moved(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["CLIENT_ID"] == chosen:
                row["ADDRESS_LINE_1"] = "1 Changed Road"
        return rows

    rewrite(clients, moved)
    again = run_load(engine, extract, monkeypatch)
    assert again.assembled == [chosen]
    assert again.summary.service_users["changed"] == 1
    assert again.summary.service_users["unchanged"] == PATIENTS - 1
    assert again.summary.resources[("Patient", "updated")] == 1


def test_a_changed_directory_row_reads_everyone_again_and_the_next_load_skips_them_all(
    engine: Engine, extract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_load(engine, extract, monkeypatch)
    teams = one(extract, "RiO_Teams_*.csv")

    def renamed(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        name = next(column for column in rows[0] if "NAME" in column)
        rows[0][name] = rows[0][name] + " (renamed)"
        return rows

    rewrite(teams, renamed)
    again = run_load(engine, extract, monkeypatch)
    assert sorted(again.assembled) == sorted(set(again.assembled)) and len(again.assembled) == PATIENTS
    assert sum(v for (_t, c), v in again.summary.resources.items() if c == "updated") >= 1, "the team is updated"
    assert again.summary.service_users["unchanged"] + again.summary.service_users["changed"] == PATIENTS

    third = run_load(engine, extract, monkeypatch)
    assert third.assembled == [], "the rows fingerprints were remembered, mapped again or not"
    assert third.summary.service_users["unchanged"] == PATIENTS


def test_another_service_users_row_that_duplicates_an_id_rejects_them_though_their_rows_did_not_change(
    engine: Engine, extract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_load(engine, extract, monkeypatch)
    goals = one(extract, "RiO_CarePlan_Goals_*.csv")
    plans = list(csv.DictReader(io.StringIO(one(extract, "RiO_CarePlans_*.csv").read_text(encoding="utf-8-sig"))))
    added: list[str] = []

    def duplicated(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        victim = rows[0]
        owner = next(p["CLIENT_ID"] for p in plans if p["CARE_PLAN_ID"] == victim["CARE_PLAN_ID"])
        other = next(p for p in plans if p["CLIENT_ID"] != owner)
        added.extend([owner, other["CLIENT_ID"]])
        return [*rows, {**victim, "CARE_PLAN_ID": other["CARE_PLAN_ID"]}]

    rewrite(goals, duplicated)
    owner, other = added
    again = run_load(engine, extract, monkeypatch)
    assert owner in again.assembled and other in again.assembled
    assert again.summary.rejected == 2, "both holders of the duplicated goal id are rejected"
    assert again.summary.service_users["unchanged"] == PATIENTS - 2
