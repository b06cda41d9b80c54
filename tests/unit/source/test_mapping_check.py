"""``fhircare mapping check``: reports on every shipped layout; names what a layout reads
but fhircare does not carry to FHIR (a learning-disability flag, issue 11 item 2); with an
extract, counts per column what mapped, was missing or fell outside every value map."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from fhircare.cli import app
from tests.unit.source.conftest import LAYOUTS, MAPPINGS, SynthRun


def check(*args: str) -> Result:
    return CliRunner().invoke(app, ["mapping", "check", *args], env={"COLUMNS": "200"})


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_shipped_layout_checks_clean_against_its_own_extract(
    clean_runs: dict[str, SynthRun], layout: str
) -> None:
    run = clean_runs[layout]
    result = check(str(MAPPINGS / f"{layout}.yaml"), "--extract", str(run.folder), "--format", "json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    extract = report["extract"]
    assert extract["missing_files"] == []
    assert all(f["unreadable"] == 0 and f["unclaimed"] == 0 and f["problems"] == [] for f in extract["files"])
    assert all(c["outside_value_map"] == 0 and c["invalid"] == 0 for c in extract["columns"])
    assert sum(c["mapped"] for c in extract["columns"]) > 1000
    # the flag is read, and fhircare's FHIR mapping does not carry it: said, not dropped unseen
    service_user = next(e for e in report["not_carried"] if e["record_type"] == "service_user")
    assert "learning_disability" in service_user["fields"]


def _clients_of_a_copy(clean_runs: dict[str, SynthRun], tmp_path: Path) -> tuple[Path, Path, list[str], list[str]]:
    """A copy of the rio-like extract to break: its folder, its clients file, the file's
    lines and its header's columns."""
    folder = tmp_path / "extract"
    shutil.copytree(clean_runs["rio-like"].folder, folder)
    clients = next(folder.glob("RiO_Clients_*.csv"))
    lines = clients.read_text(encoding="utf-8-sig").splitlines()
    return folder, clients, lines, lines[0].split(",")


def test_the_text_report_names_the_layout_and_what_is_not_carried() -> None:
    result = check(str(MAPPINGS / "rio-like.yaml"))
    assert result.exit_code == 0, result.output
    assert "rio-like.yaml: usable as a mapping file (32 record types" in result.stdout
    assert "not carried to FHIR: service_user:" in result.stdout and "learning_disability (LD_FLAG)" in result.stdout


def test_values_outside_a_value_map_are_counted_with_their_codes(
    clean_runs: dict[str, SynthRun], tmp_path: Path
) -> None:
    folder, clients, lines, header = _clients_of_a_copy(clean_runs, tmp_path)
    gender, ld = header.index("GENDER"), header.index("LD_FLAG")
    for number in (1, 2, 3):
        cells = lines[number].split(",")
        cells[gender], cells[ld] = "Fem", "maybe"
        lines[number] = ",".join(cells)
    clients.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--json", "--show-codes")
    assert result.exit_code == 1
    columns = {(c["record_type"], c["field"]): c for c in orjson.loads(result.stdout)["extract"]["columns"]}
    assert columns[("service_user", "gender")]["outside_value_map"] == 3
    assert columns[("service_user", "gender")]["unknown_codes"] == {"Fem": 3}
    # not listed unless asked for: a column mapped by mistake holds names (H27)
    hidden = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder))
    assert "Fem" not in hidden.stdout and "--show-codes lists them" in hidden.stdout
    assert columns[("service_user", "learning_disability")]["invalid"] == 3
    assert columns[("service_user", "learning_disability")]["unknown_codes"] == {}  # not a code: not shown


def test_a_column_of_personal_data_mapped_where_codes_belong_shows_none_of_it(
    clean_runs: dict[str, SynthRun], tmp_path: Path
) -> None:
    """H27: a mapping that reads the wrong column into a coded field (the forename, the NHS
    number or the date of birth where the gender code belongs) must not put them on the
    console: values that do not look like codes are not shown, and a column with more
    distinct values outside its map than a coded column has shows none."""
    folder, clients, lines, header = _clients_of_a_copy(clean_runs, tmp_path)
    gender = header.index("GENDER")
    personal = ["Jane Smith", "9434765919", "12/03/1980", "1980-03-12", "lives with her mother, who"]
    for number, value in enumerate(personal, start=1):
        cells = lines[number].split(",")
        cells[gender] = value.replace(",", "")
        lines[number] = ",".join(cells)
    clients.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    shown = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--json", "--show-codes")
    assert shown.exit_code == 1
    columns = {(c["record_type"], c["field"]): c for c in orjson.loads(shown.stdout)["extract"]["columns"]}
    assert columns[("service_user", "gender")]["outside_value_map"] == len(personal)
    for value in personal:
        assert value.replace(",", "") not in shown.output
    # names that look like codes: one word each, in a column whose every value is a name
    for number in range(1, len(lines)):
        cells = lines[number].split(",")
        cells[gender] = f"Forename{number:03d}"
        lines[number] = ",".join(cells)
    clients.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert len(lines) > 21
    text = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--show-codes")
    assert text.exit_code == 1
    assert "Forename" not in text.output
    assert "(not shown: may be personal data)" in text.output


def test_a_missing_file_and_unread_columns(clean_runs: dict[str, SynthRun], tmp_path: Path) -> None:
    folder = tmp_path / "extract"
    shutil.copytree(clean_runs["rio-like"].folder, folder)
    next(folder.glob("RiO_CareTeam_*.csv")).unlink()
    teams = next(folder.glob("RiO_Teams_*.csv"))
    lines = teams.read_text().splitlines()
    teams.write_text("\n".join([lines[0] + ",EXTRA", *(line + ",x" for line in lines[1:])]) + "\n")
    result = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--json")
    assert result.exit_code == 1
    report = orjson.loads(result.stdout)["extract"]
    assert report["missing_files"] == ["RiO_CareTeam_*.csv (care_team_member)"]
    assert next(f for f in report["files"] if f["name"] == teams.name)["columns_not_read"] == ["EXTRA"]


def test_a_broken_mapping_file_shows_every_problem(tmp_path: Path) -> None:
    text = (
        (MAPPINGS / "rio-like.yaml").read_text().replace("start_date:", "start_dat:", 1).replace("M: male", "M: mael")
    )
    (tmp_path / "bad.yaml").write_text(text)
    result = check(str(tmp_path / "bad.yaml"))
    assert result.exit_code == 2
    assert "unknown field 'start_dat'" in result.stderr and "'mael' is not a gender code" in result.stderr


def test_overlapping_file_patterns_are_noted(tmp_path: Path) -> None:
    text = (MAPPINGS / "rio-like.yaml").read_text().replace('"RiO_CarePlan_Goals_*.csv"', '"RiO_CarePlan*.csv"')
    (tmp_path / "overlap.yaml").write_text(text)
    result = check(str(tmp_path / "overlap.yaml"))
    assert result.exit_code == 0
    assert "note: the file pattern 'RiO_CarePlan*.csv' also matches files of 'RiO_CarePlans_*.csv'" in result.stdout


def test_the_text_report_ends_with_the_extracts_verdict_in_full(
    clean_runs: dict[str, SynthRun], tmp_path: Path
) -> None:
    # a wrongly named column was shown only in a table cell cut to the terminal's width,
    # under a first line that said "usable", with exit 1
    mapping = tmp_path / "renamed.yaml"
    mapping.write_text(
        (MAPPINGS / "rio-like.yaml").read_text().replace("family_name: SURNAME", "family_name: SURNAMEX")
    )
    result = check(str(mapping), "--extract", str(clean_runs["rio-like"].folder))
    assert result.exit_code == 1
    verdict = result.stdout[result.stdout.index("The extract does not read cleanly") :]
    assert "lacks column(s) SURNAMEX" in verdict and "RiO_Clients_" in verdict
    # and names the column the file has instead, as `fhircare map` does
    assert "lacks column(s) SURNAMEX (did you mean 'SURNAME'?)" in verdict
    clean = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(clean_runs["rio-like"].folder))
    assert clean.exit_code == 0 and "The extract reads cleanly through the mapping file." in clean.stdout


def test_the_files_table_names_each_file_whole_in_80_columns(clean_runs: dict[str, SynthRun]) -> None:
    # six files showed as "RiO_CareP…", which cannot be told apart (a pipe is 80 columns)
    run = clean_runs["rio-like"]
    result = CliRunner().invoke(
        app, ["mapping", "check", str(MAPPINGS / "rio-like.yaml"), "--extract", str(run.folder)], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in run.folder.iterdir() if p.is_file() and p.suffix in (".csv", ".jsonl"))
    assert len(names) > 10 and all(name in result.stdout for name in names)


def test_what_map_would_reject_the_check_finds_too(clean_runs: dict[str, SynthRun], tmp_path: Path) -> None:
    """A check that passes must mean the extract maps without read rejections (step 7 of
    mappings/README.md: "fix until it exits 0"). A trial of a new layout found a wrong NHS
    number check digit passed the check and was then rejected by map (2026-12-07): the
    check now reads the extract as map does, and says whom it would reject and why, by
    file and column, without the values."""
    folder, clients, lines, header = _clients_of_a_copy(clean_runs, tmp_path)
    nhs = header.index("NHS_NUMBER")
    cells = lines[1].split(",")
    number = cells[nhs]
    cells[nhs] = number[:-1] + str((int(number[-1]) + 1) % 10)
    lines[1] = ",".join(cells)
    clients.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--format", "json")
    assert result.exit_code == 1, result.output
    read = orjson.loads(result.stdout)["extract"]["read"]
    assert read["rejected"] == 1 and read["service_users"] == len(lines) - 1
    [reason] = read["reasons"]
    assert reason["file"] == clients.name and reason["column"] == "NHS_NUMBER"
    assert "NHS number" in reason["reason"] and cells[nhs] not in result.stdout
    text = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder))
    assert text.exit_code == 1
    assert "1 of" in text.stdout and "would be rejected by fhircare map" in text.stdout


def test_output_to_a_pipe_or_a_file_cuts_nothing_short(clean_runs: dict[str, SynthRun]) -> None:
    """A scheduler's log or `| less` is not a terminal: rich took 80 columns and cut the
    tables' fields and columns short ("organisat…", "available…"). Without COLUMNS, output
    that is not a terminal is 160 wide (``cli.common.PIPED_WIDTH``)."""
    args = ["mapping", "check", str(MAPPINGS / "rio-like.yaml"), "--extract", str(clean_runs["rio-like"].folder)]
    piped = CliRunner().invoke(app, args, env={"COLUMNS": None})
    assert piped.exit_code == 0, piped.output
    assert "…" not in piped.stdout
    assert "not_available" in piped.stdout  # a field name that was cut


def test_the_check_counts_whom_the_consistency_rules_would_reject(tmp_path: Path) -> None:
    """Found by a trial of a new layout: `mapping check` said the extract read cleanly (exit
    0) and `map` then rejected a service user at its consistency rules, though step 7 of
    mappings/README.md says to fix until the check exits 0. The check now judges each
    service user read whole by the same rules, as of --as-of, and counts as map does."""
    from fhircare.source.mapping_file import load_mapping
    from fhircare.synth import synthesise

    extract = tmp_path / "extract"
    synthesise(load_mapping(MAPPINGS / "rio-like.yaml"), extract, patients=40, seed=3, with_errors=True)
    mapping = str(MAPPINGS / "rio-like.yaml")
    out = str(tmp_path / "out")
    map_args = ["map", "--extract", str(extract), "--mapping", mapping, "--out", out, "--as-of", "2025-06-30"]
    mapped = CliRunner().invoke(app, [*map_args, "--no-validate"], env={"COLUMNS": "200"})
    assert mapped.exit_code == 1, mapped.output
    stages: dict[str, set[str]] = {}
    for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines():
        problem = orjson.loads(line)
        if problem.get("service_user_id"):
            stages.setdefault(problem["stage"], set()).add(problem["service_user_id"])
    rejected = {stage: len(people) for stage, people in stages.items()}
    assert rejected.get("consistency"), rejected  # the faults include one only the rules find
    args = [str(MAPPINGS / "rio-like.yaml"), "--extract", str(extract), "--as-of", "2025-06-30", "--format", "json"]
    checked = check(*args)
    assert checked.exit_code == 1
    read = orjson.loads(checked.stdout)["extract"]["read"]
    assert read["rejected"] == rejected.get("read", 0) + rejected["consistency"]


def test_the_check_says_which_rows_repeat_exactly(clean_runs: dict[str, SynthRun], tmp_path: Path) -> None:
    """As map and load say (found by a trial of a new layout: only load said so)."""
    folder = tmp_path / "extract"
    shutil.copytree(clean_runs["rio-like"].folder, folder)
    [goals] = folder.glob("RiO_CarePlan_Goals_*.csv")
    lines = goals.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    goals.write_text("".join([*lines, lines[1]]), encoding="utf-8-sig")
    result = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--format", "json")
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["extract"]["read"]["repeated_rows"] == {goals.name: 1}


def test_a_read_through_skipped_says_why(clean_runs: dict[str, SynthRun], tmp_path: Path) -> None:
    """Found by a trial of a new layout: with a file missing, --format json said "read": null
    and nothing more."""
    folder = tmp_path / "extract"
    shutil.copytree(clean_runs["rio-like"].folder, folder)
    next(folder.glob("RiO_Clients_*.csv")).unlink()
    result = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--format", "json")
    assert result.exit_code == 1
    extract = orjson.loads(result.stdout)["extract"]
    assert extract["read"] is None and "cannot be used" in extract["read_skipped"]


def test_files_of_two_extract_days_do_not_read_cleanly(clean_runs: dict[str, SynthRun], tmp_path: Path) -> None:
    """Fourth layout trial: map refuses an extract folder holding yesterday's consents file
    beside today's, and mapping check said the extract read cleanly (exit 0): its read-through
    stopped at the unusable extract and nothing said why."""
    folder = tmp_path / "extract"
    shutil.copytree(clean_runs["rio-like"].folder, folder)
    [consents] = folder.glob("RiO_Consents_*.csv")
    shutil.copy(consents, folder / "RiO_Consents_20250629.csv")
    result = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder))
    assert result.exit_code == 1, result.output
    assert "does not read cleanly" in result.output and "different days" in result.output
    result = check(str(MAPPINGS / "rio-like.yaml"), "--extract", str(folder), "--format", "json")
    assert result.exit_code == 1
    [problem] = orjson.loads(result.stdout)["extract"]["unusable"]
    assert problem.startswith("RiO_Consents_*.csv: matches files of 2 different days")
