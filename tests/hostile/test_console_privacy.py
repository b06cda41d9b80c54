"""No personal data on the console or in the logs (H27). An extract with the mistakes a
trust makes (a column mapped into the wrong field, so names, NHS numbers and free text land
where codes belong; an impossible date of birth; a mistyped NHS number) goes through
``mapping check``, ``map`` and ``load`` with logging at DEBUG. Every message must still name
the file, line and column, and none may show a service user's name, NHS number, date of
birth, address, phone number or what they said: console output is pasted into tickets and
kept in CI and scheduler logs, where mental health data must not go."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from tests.hostile.map_probe import MAPPINGS, fhircare, synth

MAPPING = MAPPINGS / "rio-like.yaml"
#: what of a service user's row in the clients file is personal
PERSONAL_COLUMNS = ("SURNAME", "FORENAME", "MIDDLE_NAMES", "NHS_NUMBER", "DATE_OF_BIRTH", "ADDRESS_LINE_1", "POSTCODE")


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(tmp_path_factory.mktemp("privacy") / "extract", patients=30)


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or ()), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _with_mistakes(extract: Path, folder: Path) -> list[str]:
    """A copy of the extract with a trust's mistakes in it; the personal values it holds."""
    shutil.copytree(extract, folder)
    clients = next(folder.glob("RiO_Clients_*.csv"))
    header, rows = _rows(clients)
    personal = [row[c] for row in rows for c in PERSONAL_COLUMNS if row.get(c)]
    rows[0]["GENDER"] = rows[0]["FORENAME"]  # a name where the gender code belongs
    rows[1]["GENDER"] = rows[1]["NHS_NUMBER"]
    rows[2]["ETHNICITY"] = rows[2]["SURNAME"]
    rows[3]["GENDER"] = f"{rows[3]['FORENAME']} {rows[3]['SURNAME']}"
    rows[4]["DATE_OF_BIRTH"] = "31/02/" + rows[4]["DATE_OF_BIRTH"][-4:]
    number = rows[5]["NHS_NUMBER"]
    rows[5]["NHS_NUMBER"] = number[:-1] + str((int(number[-1]) + 1) % 10)
    personal.append(rows[5]["NHS_NUMBER"])
    _write(clients, header, rows)
    goals = next(folder.glob("RiO_CarePlan_Goals_*.csv"))
    header, rows = _rows(goals)
    personal += [row["GOAL_IN_MY_WORDS"] for row in rows if row.get("GOAL_IN_MY_WORDS")]
    rows[0]["GOAL_STATUS"] = rows[0]["GOAL_IN_MY_WORDS"]  # free text where a code belongs
    rows[1]["LIFE_AREAS"] = rows[1]["GOAL_IN_MY_WORDS"]
    _write(goals, header, rows)
    # long enough not to be a word of a message by chance ("May", "Will")
    return sorted({p for p in personal if len(p) >= 5})


def test_no_personal_data_reaches_the_console_or_the_logs(extract: Path, tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    personal = _with_mistakes(extract, folder)
    assert len(personal) > 100
    debug = {"FHIRCARE_LOG_LEVEL": "DEBUG"}
    runs = {
        "mapping check": fhircare("mapping", "check", str(MAPPING), "--extract", str(folder), cwd=tmp_path, env=debug),
        "mapping check json": fhircare(
            "mapping", "check", str(MAPPING), "--extract", str(folder), "--format", "json", cwd=tmp_path, env=debug
        ),
        "map": fhircare(
            "map",
            *("--extract", str(folder), "--mapping", str(MAPPING), "--out", str(tmp_path / "out")),
            *("--as-of", "2025-07-01"),
            cwd=tmp_path,
            env=debug,
        ),
        "load": fhircare(
            "load",
            *("--extract", str(folder), "--mapping", str(MAPPING), "--store", f"sqlite:///{tmp_path / 's.sqlite'}"),
            *("--as-of", "2025-07-01"),
            cwd=tmp_path,
            env=debug,
        ),
    }
    for name, run in runs.items():
        output = run.stdout + run.stderr
        assert not run.traceback and not run.timed_out, f"{name}: {output[-2000:]}"
        assert run.code == 1, f"{name} exit {run.code}: {output[-2000:]}"
        shown = [p for p in personal if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", output)]
        assert not shown, f"{name} shows personal data ({len(shown)} values), e.g. at: " + _where(output, shown[0])
    # the problems are still findable: file and column named
    assert "GENDER" in runs["mapping check"].stdout and "GOAL_STATUS" in runs["mapping check"].stdout


def _where(output: str, value: str) -> str:
    at = output.find(value)
    return output[max(0, at - 120) : at].replace(value, "<value>") + "<value>"
