"""Issue 11 items 1, 2, 3 and 5: nothing is half-read or silently dropped. A line that
cannot be read rejects whoever it may belong to; a value no ``where`` lists is reported;
a YAML key given twice is refused; missing-value markers are the mapping file's to say;
a date that does not match its format exactly is a problem naming file, line and column."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fhircare.errors import MappingFileError
from fhircare.source.mapping_file import load_mapping
from tests.unit.source.conftest import ReadBack, read_all

LAYOUT = """\
description: a tab-separated test layout
trust:
  name: Test Health Board
  ods_code: ZZT8
  identifier_system_base: https://fhir.example.nhs.uk/Id/test
  consent_policy_uri: https://fhir.example.nhs.uk/policy
read:
  encoding: cp1252
  csv: {delimiter: "\\t", quoting: QUOTING}
  date_formats: ["%Y%m%d"]
  datetime_formats: ["%Y%m%d%H%M"]
  missing_values: MISSING
value_maps:
  sex: {"1": male, "2": female}
record_types:
  service_user:
    file: patients.txt
    format: csv
    columns:
      service_user_id: ID
      nhs_number: NHS
      family_name: SURNAME
      given_name: FORENAME
      other_given_names: MIDDLE
      birth_date: DOB
      gender: {column: SEX, value_map: sex}
    defaults: {nhs_number_status: "01"}
  care_plan:
    file: plans.txt
    format: csv
    where: {KIND: [CTP, SAFE]}
    columns:
      care_plan_id: PLAN
      service_user_id: ID
      plan_type: {column: KIND, value_map: {CTP: welsh-care-and-treatment-plan, SAFE: safety-plan}}
      version: VERSION
      status: STATUS
      created_on: CREATED
      start_date: CREATED
      service_user_contributed: {column: CONTRIBUTED, value_map: {"1": "true", "0": "false"}}
  care_plan_action:
    file: actions.txt
    format: csv
    optional: true
    columns:
      action_id: ACTION
      care_plan_id: PLAN
      description: TEXT
      performer_kind: WHO
      status: STATUS
      content: SECTION
"""
PATIENTS = (
    "ID\tNHS\tSURNAME\tFORENAME\tMIDDLE\tDOB\tSEX\n"
    "P1\t9990000018\tSample\tOwen\t\t19850412\t1\n"
    "P2\t9990000026\tTest\tJamie\t\t19990903\t2\n"
    "P3\t9990000034\tExample\tSam\t\t19700101\t2\n"
)
PLANS = (
    "PLAN\tID\tKIND\tVERSION\tSTATUS\tCREATED\tCONTRIBUTED\n"
    "CP1\tP1\tSAFE\t1\tactive\t20250201\t1\n"
    "CP2\tP2\tCTP\t1\tactive\t20250512\t1\n"
    "CP3\tP3\tCTP\t1\tactive\t20250513\t1\n"
)
ACTIONS = (
    "ACTION\tPLAN\tTEXT\tWHO\tSTATUS\tSECTION\n"
    "A1\tCP1\tCall the crisis team\tservice-user\tin-progress\tcrisis-action\n"
    "A2\tCP1\tStops eating and sleeping\tservice-user\tin-progress\ttrigger\n"
    "A3\tCP2\tWalk with a friend\tservice-user\tin-progress\twhat-helps\n"
    "A4\tCP3\tPhone my sister\tservice-user\tin-progress\tcrisis-action\n"
)


@pytest.fixture
def extract(tmp_path: Path) -> Callable[..., ReadBack]:
    def run(quoting: str = "minimal", missing: str = "[]", **files: str) -> ReadBack:
        layout = LAYOUT.replace("QUOTING", quoting).replace("MISSING", missing)
        mapping_path = tmp_path / "layout.yaml"
        mapping_path.write_text(layout, encoding="utf-8")
        mapping = load_mapping(mapping_path)
        folder = tmp_path / "extract"
        folder.mkdir(exist_ok=True)
        contents = {"patients.txt": PATIENTS, "plans.txt": PLANS, "actions.txt": ACTIONS}
        contents |= {name.replace("__", "."): value for name, value in files.items()}
        for name, text in contents.items():
            (folder / name).write_bytes(text.encode("cp1252"))
        return read_all(folder, mapping)

    return run


def strings(problems: object) -> list[str]:
    return [str(p) for p in problems]  # type: ignore[attr-defined]


# --- item 1: a half-read service user ----------------------------------------------------


def test_a_quote_opening_a_tab_separated_cell_half_reads_no_one(extract: Callable[..., ReadBack]) -> None:
    """Issue 11 item 1: a text cell starting with a double quote (with quoting on) made its
    line unreadable, charged to nobody, and the service user was mapped without that row
    (a crisis trigger lost). Now the line is charged to its service user, the lines after
    it are read again on their own, and the line the quote starts on is named."""
    actions = ACTIONS.replace("Stops eating", '"Stops eating')
    read = extract(actions__txt=actions)
    assert set(read.accepted) == {"P2", "P3"}  # the lines after the quote were not swallowed
    assert read.file_problems == [] and read.unattributed == []
    [problem] = read.rejected["P1"]
    assert str(problem).startswith("actions.txt:3: not valid CSV: an unbalanced quote starts on this line")
    assert [a.action_id for a in read.accepted["P2"].actions] == ["A3"]


def test_with_quoting_off_the_quote_is_just_text(extract: Callable[..., ReadBack]) -> None:
    """A PAS export that never quotes says so (csv.quoting: none): the quote is data."""
    read = extract(quoting="none", actions__txt=ACTIONS.replace("Stops eating", '"Stops eating'))
    assert set(read.accepted) == {"P1", "P2", "P3"}
    assert read.accepted["P1"].actions[1].description == '"Stops eating and sleeping'


def test_a_line_whose_owner_cannot_be_told_rejects_everyone(extract: Callable[..., ReadBack]) -> None:
    actions = ACTIONS + "\t\t\n"[:-1] + "garbage without tabs\n"
    read = extract(actions__txt=actions)
    assert read.accepted == {}
    assert any("whose row it is cannot be told" in p for p in strings(read.file_problems))


def test_a_line_that_names_no_one_of_the_extract_rejects_everyone(extract: Callable[..., ReadBack]) -> None:
    # its id column is empty, and none of its other values is a service user's id: it was
    # dropped silently (found by a privacy review: a contact row with no CLIENT_ID, which
    # might have been the one saying a person is not to be involved)
    read = extract(plans__txt=PLANS + "CP9\t\tCTP\t1\tactive\t20200101\t1\n")
    assert read.accepted == {}
    [problem] = [p for p in read.file_problems if p.file == "plans.txt"]
    assert problem.field == "ID" and "whose row it is cannot be told" in problem.reason


# --- item 2: silent drops ------------------------------------------------------------------


def test_a_value_no_where_lists_is_reported_with_a_suggestion(extract: Callable[..., ReadBack]) -> None:
    """Issue 11 item 2: `Ctp` where `CTP` was listed produced nothing, silently."""
    read = extract(plans__txt=PLANS.replace("CP2\tP2\tCTP", "CP2\tP2\tCtp"))
    assert set(read.accepted) == {"P1", "P3"}
    [problem] = [p for p in read.rejected["P2"] if p.line == 3]
    assert problem.field == "KIND"
    assert "'Ctp' is not a value the mapping lists for this file (CTP, SAFE)" in problem.reason
    assert "did you mean 'CTP'?" in problem.reason


def test_ignore_rows_counts_rows_on_purpose(extract: Callable[..., ReadBack], tmp_path: Path) -> None:
    text = LAYOUT.replace(
        "    where: {KIND: [CTP, SAFE]}\n", "    where: {KIND: [CTP, SAFE]}\n    ignore_rows: [{KIND: OLD}]\n"
    )
    (tmp_path / "ignore.yaml").write_text(text.replace("QUOTING", "minimal").replace("MISSING", "[]"))
    mapping = load_mapping(tmp_path / "ignore.yaml")
    read_first = extract()  # writes the extract folder
    assert read_first.rejected == {}
    folder = tmp_path / "extract"
    (folder / "plans.txt").write_text(PLANS + "CP9\tP1\tOLD\t1\tactive\t20200101\t1\n", encoding="cp1252")
    from fhircare.source.reader import read_extract

    with read_extract(folder, mapping) as source:
        results = list(source)
        assert source.ignored == {"plans.txt": 1}
    assert all(type(r).__name__ == "Accepted" for r in results)


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    """Issue 11 item 2: YAML keeps the last of two equal keys; a mapping file must not."""
    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]")
    text = text.replace("      family_name: SURNAME\n", "      family_name: SURNAME\n      family_name: FAMILY\n")
    (tmp_path / "twice.yaml").write_text(text)
    with pytest.raises(MappingFileError) as caught:
        load_mapping(tmp_path / "twice.yaml")
    [line] = caught.value.lines()
    assert "twice.yaml:23: record_types.service_user.columns.family_name: the key 'family_name' is given twice" in line
    assert "(first on line 22)" in line


# --- item 3: missing values -----------------------------------------------------------------


def test_missing_value_markers_are_the_mapping_files_to_say(extract: Callable[..., ReadBack]) -> None:
    """Issue 11 item 3: NULL, \\N and N/A became data (given names ["Owen", "NULL"])."""
    patients = PATIENTS.replace("\tOwen\t\t", "\tOwen\tNULL\t").replace("\tJamie\t\t", "\tJamie\t\\N\t")
    patients = patients.replace("\tSam\t\t", "\tSam\tN/A\t")
    as_data = extract(patients__txt=patients)
    assert as_data.accepted["P1"].service_user.other_given_names == "NULL"  # undeclared: it is text
    read = extract(missing='["NULL", "\\\\N", "N/A"]', patients__txt=patients)
    assert [read.accepted[s].service_user.other_given_names for s in ("P1", "P2", "P3")] == [None, None, None]


def test_a_missing_marker_in_a_required_field_is_a_missing_value(extract: Callable[..., ReadBack]) -> None:
    """The message names the marker: "missing value" alone, for a cell the reader can see
    is filled, sent them looking at the extract rather than at the mapping file."""
    read = extract(missing='["NULL"]', patients__txt=PATIENTS.replace("\tSample\t", "\tNULL\t"))
    assert strings(read.rejected["P1"]) == [
        "patients.txt:2: SURNAME: missing value: the cell holds 'NULL', which the mapping reads as no value"
    ]
    blank = extract(patients__txt=PATIENTS.replace("\tSample\t", "\t\t"))
    assert strings(blank.rejected["P1"]) == ["patients.txt:2: SURNAME: missing value"]


# --- item 5: loose dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "why"),
    [("202512", "six digits were read as 2025-01-02"), ("2025123", "seven as 2025-12-03"), ("2025-12-01", "ISO")],
)
def test_a_date_must_match_its_format_exactly(extract: Callable[..., ReadBack], written: str, why: str) -> None:
    read = extract(patients__txt=PATIENTS.replace("19850412", written))
    assert strings(read.rejected["P1"]) == [
        "patients.txt:2: DOB: not a date in the format %Y%m%d (such as 20251207)"
    ], why
    assert set(read.accepted) == {"P2", "P3"}


def test_minute_60_is_not_a_time() -> None:
    from zoneinfo import ZoneInfo

    from fhircare.source.convert import ConversionProblem, parse_datetime

    assert parse_datetime("202501011505", ["%Y%m%d%H%M"], ZoneInfo("Europe/London")).minute == 5
    with pytest.raises(ConversionProblem, match="not a date and time in the format %Y%m%d%H%M"):
        parse_datetime("202501011560", ["%Y%m%d%H%M"], ZoneInfo("Europe/London"))
    with pytest.raises(ConversionProblem):
        parse_datetime("20250101156", ["%Y%m%d%H%M"], ZoneInfo("Europe/London"))


def test_seven_fractional_digits_as_sql_server_writes_them_are_read() -> None:
    """SQL Server's datetime2 and datetimeoffset, exported as text, write seven fractional
    digits (100 ns); strptime's %f reads at most six, so every such row was a problem and no
    mapping could read the column (fifth layout trial). The seventh is dropped: the instant
    is the same to the microsecond. Eight digits are still no time; a format with %f twice
    (which strptime cannot read) is a mistake of the mapping file, not a crash."""
    from zoneinfo import ZoneInfo

    from fhircare.source.convert import ConversionProblem, parse_date, parse_datetime
    from fhircare.source.mapping_columns import format_problem

    london = ZoneInfo("Europe/London")
    formats = ["%Y-%m-%d %H:%M:%S.%f %z"]
    read = parse_datetime("2025-06-10 14:20:00.1234567 +01:00", formats, london)
    assert read == datetime(2025, 6, 10, 13, 20, 0, 123456, tzinfo=UTC)
    assert parse_datetime("2025-06-10 14:20:00.5 +01:00", formats, london).microsecond == 500000
    assert parse_date("2025-06-10 00:20:00.0000000 +01:00", formats, london) == date(2025, 6, 10)
    with pytest.raises(ConversionProblem):
        parse_datetime("2025-06-10 14:20:00.12345678 +01:00", formats, london)
    assert format_problem("%d/%m/%Y %H:%M:%S.%f .%f", "datetime") == (
        "not a usable date format: the directive %f is given twice"
    )


def test_a_format_fhircare_cannot_read_exactly_is_a_mapping_file_problem(tmp_path: Path) -> None:
    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]").replace('["%Y%m%d"]', '["%Y%m%d %Z"]')
    (tmp_path / "zone.yaml").write_text(text)
    with pytest.raises(MappingFileError, match=r"read\.date_formats\.0: '%Y%m%d %Z' not a usable date format"):
        load_mapping(tmp_path / "zone.yaml")


def test_a_file_in_another_encoding_than_the_mapping_names_is_refused_not_misread(tmp_path: Path) -> None:
    """Found by a trial of a new layout: files re-saved as UTF-8 while the mapping still
    said cp1252 were read without a word, 'Renée' as 'RenÃ©e', into names and plans; a
    cp1252 file read as latin-1 gave 'O\\x92Connor'. Each is a problem of the file that makes
    the extract unusable, naming the encoding to set; the same file in its own encoding reads."""
    mapping_path = tmp_path / "layout.yaml"
    mapping_path.write_text(LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]"), encoding="utf-8")
    mapping = load_mapping(mapping_path)
    folder = tmp_path / "extract"
    folder.mkdir()
    patients = PATIENTS.replace("Sample", "Renée O’Sample")
    files = {"patients.txt": patients, "plans.txt": PLANS, "actions.txt": ACTIONS}
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("utf-8"))
    read = read_all(folder, mapping)
    assert read.accepted == {}
    assert any("patients.txt: is UTF-8, but the mapping file reads it as cp1252" in str(p) for p in read.file_problems)
    # cp1252 bytes read as latin-1: the curly quote is a control character there
    mapping_path.write_text(mapping_path.read_text().replace("encoding: cp1252", "encoding: latin-1"), encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("cp1252"))
    latin = read_all(folder, load_mapping(mapping_path))
    assert latin.accepted == {}
    assert any("which latin-1 reads as control characters" in str(p) for p in latin.file_problems)
    # in the encoding the mapping names, the same letters read as written
    mapping_path.write_text(mapping_path.read_text().replace("encoding: latin-1", "encoding: cp1252"), encoding="utf-8")
    clean = read_all(folder, load_mapping(mapping_path))
    assert clean.file_problems == [] and clean.accepted
    # a genuine cp1252 file whose only accented line is valid UTF-8 by chance ('RENÉ' and a
    # non-breaking space are C9 A0: 'ɠ' in UTF-8) is read, not refused (found by a review)
    (folder / "patients.txt").write_bytes(PATIENTS.replace("Sample", "RENÉ\xa0SAMPLE").encode("cp1252"))
    chance = read_all(folder, load_mapping(mapping_path))
    assert chance.file_problems == [] and chance.accepted


def test_a_cp1252_file_read_as_utf8_names_its_encoding(tmp_path: Path) -> None:
    """Found by a trial of a new layout (F8): a cp1252 export under a mapping that says
    UTF-8 gave one problem per accented row ('holds a byte (0xE9) that is not valid utf-8')
    and no root cause; `load` blamed a file 'cut short'. Now the file says what it is: a
    problem of the file naming cp1252, which makes the extract unusable as the reverse
    mistake does. A UTF-8 file with a damaged row among UTF-8 ones is not cp1252: that row
    alone is rejected, at its line."""
    mapping_path = tmp_path / "layout.yaml"
    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]").replace("encoding: cp1252", "encoding: utf-8")
    mapping_path.write_text(text, encoding="utf-8")
    mapping = load_mapping(mapping_path)
    folder = tmp_path / "extract"
    folder.mkdir()
    files = {"patients.txt": PATIENTS.replace("Sample", "Renée O’Sample"), "plans.txt": PLANS, "actions.txt": ACTIONS}
    for name, content in files.items():
        (folder / name).write_bytes(content.encode("cp1252"))
    read = read_all(folder, mapping)
    assert read.accepted == {}
    [cause] = [str(p) for p in read.file_problems if "patients.txt" in str(p)]
    assert "is not UTF-8" in cause and "Set its encoding to cp1252" in cause
    # the same file declared cp1252 reads as written
    mapping_path.write_text(text.replace("encoding: utf-8", "encoding: cp1252"), encoding="utf-8")
    assert read_all(folder, load_mapping(mapping_path)).file_problems == []
    # UTF-8 with one damaged row: that row is rejected, the file is not called cp1252
    damaged = PATIENTS.replace("Sample", "Renée").encode("utf-8")
    lines = damaged.splitlines(keepends=True)
    lines[-1] = lines[-1].replace(b"Example", b"Ex\xe9mple")
    (folder / "patients.txt").write_bytes(b"".join(lines))
    mixed = read_all(folder, mapping)
    assert not any("is not UTF-8" in str(p) for p in mixed.file_problems)
    assert set(mixed.accepted) == {"P1", "P2"} and set(mixed.rejected) == {"P3"}


@pytest.mark.parametrize("declared", ["utf-8-sig", "cp1252"])
@pytest.mark.parametrize("bom", [True, False])
def test_a_utf16_file_is_named_as_such(tmp_path: Path, declared: str, bom: bool) -> None:
    """Fourth layout trial: a file exported as "Unicode text" (UTF-16, as SQL Server and
    Excel write it) under a UTF-8 mapping was said to be cp1252 ('Set its encoding to
    cp1252'), which would read no column either. It is named as UTF-16, to export as UTF-8,
    whatever the mapping declares; nothing of the extract is used."""
    mapping_path = tmp_path / "layout.yaml"
    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]")
    mapping_path.write_text(text.replace("encoding: cp1252", f"encoding: {declared}"), encoding="utf-8")
    folder = tmp_path / "extract"
    folder.mkdir()
    for name, content in {"patients.txt": PATIENTS, "plans.txt": PLANS, "actions.txt": ACTIONS}.items():
        (folder / name).write_bytes(content.encode("cp1252"))
    (folder / "plans.txt").write_bytes(PLANS.encode("utf-16" if bom else "utf-16-le"))
    read = read_all(folder, load_mapping(mapping_path))
    assert read.accepted == {}
    causes = [p.reason for p in read.file_problems if p.file == "plans.txt"]
    assert any(c.startswith("is UTF-16") and "Export it as UTF-8" in c for c in causes), causes
    assert not any("Set its encoding to cp1252" in c for c in causes)


def test_a_value_given_in_utc_is_read_in_the_trusts_time() -> None:
    """Found by a trial of a new layout (JSON Lines writing every date and time as a UTC
    instant): a date of birth written as local midnight in summer time
    (`1985-04-11T23:00:00.000Z`) was read as 11 April, a day early (18 of 30 dates of
    birth, and plan, review and agreed dates); and a DIALOG rated at 00:30 BST was "rated
    on 15 April" in every narrative. A value with an offset is the day and time it is for
    the trust; the instant is unchanged."""
    from zoneinfo import ZoneInfo

    from fhircare.source.convert import parse_date, parse_datetime

    london = ZoneInfo("Europe/London")
    formats = ["%Y-%m-%dT%H:%M:%S.%f%z"]
    assert parse_date("1985-04-11T23:00:00.000Z", formats, london) == date(1985, 4, 12)
    assert parse_date("1985-01-11T23:00:00.000Z", formats, london) == date(1985, 1, 11)  # GMT: the same day
    rated = parse_datetime("2024-04-15T23:30:00.000Z", formats, london)
    assert rated.isoformat() == "2024-04-16T00:30:00+01:00"
    assert rated == datetime(2024, 4, 15, 23, 30, tzinfo=UTC)  # the same instant
    # a value without an offset is the trust's own time, as before
    assert parse_datetime("2024-04-16T00:30:00.000", ["%Y-%m-%dT%H:%M:%S.%f"], london).isoformat() == (
        "2024-04-16T00:30:00+01:00"
    )


def test_a_json_number_with_a_point_in_a_whole_number_field() -> None:
    """Found by a trial of a new layout: a DIALOG score of 3.5 (and even 5.0) said "expected
    text, found a JSON number", though 6 and "6" were read. 5.0 is the whole number 5; 3.5
    is "not a whole number", as a cell of it says."""
    from zoneinfo import ZoneInfo

    from fhircare.source.convert import ConversionProblem, ValueOptions, make_converter
    from fhircare.source.records import RECORD_TYPES

    spec = RECORD_TYPES["care_plan"].fields["version"]
    assert spec.kind == "int"
    options = ValueOptions((), (), ZoneInfo("Europe/London"), ";", frozenset(), frozenset())
    convert = make_converter(spec, options)
    assert convert(6) == 6 and convert("6") == 6 and convert(5.0) == 5
    with pytest.raises(ConversionProblem, match=r"^not a whole number$"):
        convert(3.5)


# --- soft-deleted rows ----------------------------------------------------------------------


def test_a_row_marked_deleted_in_a_column_the_mapping_does_not_read_is_a_problem(
    extract: Callable[..., ReadBack], tmp_path: Path
) -> None:
    """Fourth layout trial (an Epic-like report): the export added IS_DELETED to a file,
    the mapping did not read it, and a soft-deleted row (a consent to share, recorded in
    error) was taken as live with exit 0. A row so marked is a problem of its row naming
    the column, never its value; a row marked not deleted (N, 0, blank) is read; a mark the
    mapping reads (where, ignore_rows) is the mapping's to say."""
    actions = ACTIONS.replace("ACTION\tPLAN", "ACTION\tIsDeleted\tPLAN")
    rows = actions.splitlines(keepends=True)
    actions = rows[0] + "".join(
        r.replace("\t", f"\t{mark}\t", 1) for r, mark in zip(rows[1:], ["N", "Y", "", "0"], strict=True)
    )
    read = extract(actions__txt=actions)
    assert set(read.accepted) == {"P2", "P3"}
    [problem] = read.rejected["P1"]
    assert (problem.file, problem.line, problem.field) == ("actions.txt", 3, "IsDeleted")
    assert "marked deleted in a column the mapping does not read" in problem.reason
    assert [a.action_id for a in read.accepted["P2"].actions] == ["A3"]
    # a date in DELETED_DATE says so too; an unread column of another name is not judged
    dated = ACTIONS.replace("ACTION\tPLAN", "ACTION\tDELETED_DATE\tMODEL\tPLAN").splitlines(keepends=True)
    dated = dated[0] + "".join(
        r.replace("\t", f"\t{mark}\tY\t", 1) for r, mark in zip(dated[1:], ["", "", "20250101", ""], strict=True)
    )
    read = extract(actions__txt=dated)
    assert set(read.accepted) == {"P1", "P3"}
    assert [p.field for p in read.rejected["P2"]] == ["DELETED_DATE"]
    from fhircare.source.row_loading import is_deletion_mark

    marks = ["IS_DELETED", "DeletedFlag", "isDeleted", "DEL_IND", "RECORD_DELETED", "VOIDED", "EnteredInError"]
    assert all(is_deletion_mark(name) for name in marks)
    assert not any(is_deletion_mark(n) for n in ["DEL_ADDRESS", "MODEL", "DELIVERY", "DELAY_REASON", "IDEAL"])
    # read by the mapping: the deleted rows skipped on purpose, no problem
    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]")
    text = text.replace(
        "    file: actions.txt\n    format: csv\n",
        "    file: actions.txt\n    format: csv\n"
        "    where: {IsDeleted: [N, '0', '']}\n    ignore_rows: [{IsDeleted: Y}]\n",
    )
    (tmp_path / "reads.yaml").write_text(text)
    (tmp_path / "extract" / "actions.txt").write_text(actions, encoding="cp1252")
    read = read_all(tmp_path / "extract", load_mapping(tmp_path / "reads.yaml"))
    assert set(read.accepted) == {"P1", "P2", "P3"}
    assert [a.action_id for a in read.accepted["P1"].actions] == ["A1"]


def test_files_of_one_pattern_stamped_with_different_days_are_refused(tmp_path: Path) -> None:
    """Fourth layout trial: yesterday's consents file left in the drop folder was read with
    today's (both match RiO_Consents_*.csv), and a consent only yesterday's held, since
    withdrawn, was shared as in force with exit 0. Files of one pattern stamped with two days
    make the extract unusable, naming them; one day's export in parts is read whole."""
    from fhircare.source.reader import read_extract

    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]").replace("file: plans.txt", "file: plans_*.txt")
    (tmp_path / "days.yaml").write_text(text)
    mapping = load_mapping(tmp_path / "days.yaml")
    folder = tmp_path / "extract"
    folder.mkdir()
    for name, content in {"patients.txt": PATIENTS, "actions.txt": ACTIONS}.items():
        (folder / name).write_text(content, encoding="cp1252")
    header, *rows = PLANS.splitlines(keepends=True)
    (folder / "plans_20250629.txt").write_text(PLANS + "CP4\tP1\tCTP\t1\tactive\t20250101\t1\n", encoding="cp1252")
    (folder / "plans_20250630.txt").write_text(PLANS, encoding="cp1252")
    with read_extract(folder, mapping) as source:
        assert source.unusable
        [problem] = [p for p in source.file_problems if "different days" in p.reason]
        assert problem.file == "plans_*.txt"
        assert "matches files of 2 different days (plans_20250629.txt, plans_20250630.txt)" in problem.reason
    # the same day in two parts: one extract, read whole
    (folder / "plans_20250629.txt").unlink()
    (folder / "plans_20250630.txt").write_text(header + rows[0], encoding="cp1252")
    (folder / "plans_20250630_2.txt").write_text(header + "".join(rows[1:]), encoding="cp1252")
    read = read_all(folder, mapping)
    assert set(read.accepted) == {"P1", "P2", "P3"} and read.file_problems == []


def test_an_nhs_number_two_service_users_hold_rejects_both(extract: Callable[..., ReadBack], tmp_path: Path) -> None:
    """Fourth layout trial: two service users with one NHS number (a person registered
    twice, a number typed into another's record, a placeholder such as 999 999 9999, whose
    check digit is valid) were both mapped, exit 0: a partner looking the number up found two
    records, one of them someone else's. Each is rejected, at its row and NHS number column,
    naming the other by local id and never the number; a load reads both again each time
    (their digests cannot vouch for a result that depends on another's rows)."""
    from fhircare.source.reader import read_extract

    read = extract(patients__txt=PATIENTS.replace("P2\t9990000026", "P2\t9990000018"))
    assert set(read.accepted) == {"P3"}
    for su, other in (("P1", "P2"), ("P2", "P1")):
        [problem] = read.rejected[su]
        assert (problem.file, problem.field) == ("patients.txt", "NHS")
        assert problem.line == {"P1": 2, "P2": 3}[su]
        assert f"the NHS number is also that of service user '{other}'" in problem.reason
        assert "9990000018" not in problem.reason
    with read_extract(tmp_path / "extract", load_mapping(tmp_path / "layout.yaml")) as source:
        digests = dict(source.row_digests())
    assert digests["P1"] is None and digests["P2"] is None and digests["P3"] is not None
    # written with spaces and read through digits-only, it is the same number
    spaced = PATIENTS.replace("P2\t9990000026", "P2\t999 000 0018")
    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "[]")
    (tmp_path / "hook.yaml").write_text(text.replace("nhs_number: NHS", "nhs_number: {column: NHS, hook: digits-only}"))
    (tmp_path / "extract" / "patients.txt").write_text(spaced, encoding="cp1252")
    read = read_all(tmp_path / "extract", load_mapping(tmp_path / "hook.yaml"))
    assert set(read.accepted) == {"P3"} and set(read.rejected) == {"P1", "P2"}


def test_a_placeholder_nhs_number_on_one_service_user_is_a_problem(extract: Callable[..., ReadBack]) -> None:
    """Fourth layout trial residual: an EPR's placeholder for an unknown number (000 000 0000,
    999 999 9999: every digit the same, so modulus 11 passes) on one service user was
    shared as their NHS number. It is a problem of the row, naming the column and never the
    number."""
    read = extract(patients__txt=PATIENTS.replace("P2\t9990000026", "P2\t0000000000"))
    [problem] = read.rejected["P2"]
    assert (problem.file, problem.field) == ("patients.txt", "NHS")
    assert "a placeholder" in problem.reason and "0000000000" not in problem.reason
    assert {"P1", "P3"} <= set(read.accepted)


# --- a cell that says unknown -------------------------------------------------------------

CONTACTS_LAYOUT = """\
  contact:
    file: contacts.txt
    format: csv
    columns:
      contact_id: CONTACT
      service_user_id: ID
      family_name: SURNAME
      given_name: FORENAME
      relationship: RELATIONSHIP
      roles: ROLES
      phone: PHONE
      active: ACTIVE
      do_not_involve: DO_NOT_INVOLVE
      do_not_involve_recorded_at: FLAGGED
      withhold_from_service_user: WITHHOLD
"""
CONTACTS = (
    "CONTACT\tID\tSURNAME\tFORENAME\tRELATIONSHIP\tROLES\tPHONE\tACTIVE\tDO_NOT_INVOLVE\tFLAGGED\tWITHHOLD\n"
    "C1\tP1\tSample\tMark\tFTH\tnext-of-kin\t07700 900111\tNK\tU\t\tN\n"
    "C2\tP2\tTest\tAnn\tSIS\tnext-of-kin\t07700 900112\tY\tN\t\tUnknown\n"
    "C3\tP3\tExample\tLee\tBRO\tnext-of-kin\t07700 900113\tY\t\t\tN\n"
)


def test_a_cell_that_says_unknown_where_missing_means_something_is_a_problem(tmp_path: Path) -> None:
    """Fifth layout trial (a CareNotes-like Y/N/U export): the mapping listed U among the
    missing values, as an export's unknown, so a father marked U for do-not-involve was read
    as not flagged and shared as next of kin with his telephone number, exit 0. A cell that
    says unknown (U, Unknown, Not Known, ...) where a missing value means something (not
    flagged, not kept from the service user, a permit covering every care plan, a decision
    that never ends) is a problem of its row naming the column; a blank cell is read as
    before."""
    text = LAYOUT.replace("QUOTING", "minimal").replace("MISSING", "['NULL', U, Unknown]") + CONTACTS_LAYOUT
    text = text.replace(
        '  datetime_formats: ["%Y%m%d%H%M"]\n',
        '  datetime_formats: ["%Y%m%d%H%M"]\n  true_values: [Y]\n  false_values: [N]\n',
    )
    (tmp_path / "layout.yaml").write_text(text, encoding="utf-8")
    folder = tmp_path / "extract"
    folder.mkdir()
    for name, content in {"patients.txt": PATIENTS, "plans.txt": PLANS, "contacts.txt": CONTACTS}.items():
        (folder / name).write_bytes(content.encode("cp1252"))
    read = read_all(folder, load_mapping(tmp_path / "layout.yaml"))
    assert set(read.accepted) == {"P3"}
    assert read.accepted["P3"].contacts[0].do_not_involve is None
    current, flag = read.rejected["P1"]
    assert (current.file, current.line, current.field) == ("contacts.txt", 2, "ACTIVE")
    assert current.reason.startswith("says unknown ('NK'): whether this person is a current contact")
    assert (flag.file, flag.line, flag.field) == ("contacts.txt", 2, "DO_NOT_INVOLVE")
    assert flag.reason.startswith("says unknown ('U'): whether the service user wants this person involved")
    [withhold] = read.rejected["P2"]
    assert (withhold.line, withhold.field) == (3, "WITHHOLD")
    assert "Sample" not in str(read.rejected) and "07700" not in str(read.rejected)


def test_a_header_in_another_case_is_named_as_such(extract: Callable[..., ReadBack]) -> None:
    """Fifth layout trial: a file whose header the export wrote in capitals (PATIENT_ID for
    Patient_ID) lacked every column, with no did-you-mean (difflib finds the names far
    apart); the first is now named in its case."""
    read = extract(patients__txt=PATIENTS.replace("ID\tNHS\tSURNAME", "Id\tNhs\tSurname", 1))
    assert not read.accepted
    [cause] = [p for p in read.file_problems if p.file == "patients.txt"]
    assert "lacks column(s) ID, NHS, SURNAME (did you mean 'Id'? names are matched exactly, case included)" in (
        cause.reason
    )
