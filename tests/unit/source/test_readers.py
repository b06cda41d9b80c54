"""Reading extracts: grouping by service user whatever the row order, and every kind of
bad input reported with its file, line and column while valid service users are read."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhircare.errors import ExtractError, MappingFileError
from fhircare.source.codes import CarersAssessmentStatus, LifeArea
from fhircare.source.convert import NOT_SHOWN, quoted_code
from fhircare.source.local_codes import ReasonableAdjustmentKind
from fhircare.source.mapping_file import TrustMapping, load_mapping
from fhircare.source.reader import read_extract
from fhircare.source.results import Problem
from tests.unit.source.conftest import LAYOUTS, ReadBack, SynthRun, read_all

TINY = """\
description: tiny layout for reader tests
trust:
  name: Test Trust
  ods_code: ZZT9
  identifier_system_base: https://fhir.example.nhs.uk/Id/test
  consent_policy_uri: https://fhir.example.nhs.uk/policy
read:
  date_formats: ["%d/%m/%Y"]
  datetime_formats: ["%d/%m/%Y %H:%M"]
value_maps:
  gender: {M: male, F: female, U: unknown}
  area: {ACC: accommodation, WORK: work-and-occupation}
record_types:
  service_user:
    file: "clients_*.csv"
    format: csv
    columns:
      service_user_id: ID
      nhs_number: NHS
      family_name: SURNAME
      given_name: FORENAME
      birth_date: DOB
      gender: {column: SEX, value_map: gender}
    defaults: {nhs_number_status: "01"}
  care_plan:
    file: plans.csv
    format: csv
    columns:
      care_plan_id: PLAN_ID
      service_user_id: ID
      plan_type: TYPE
      version: VERSION
      status: STATUS
      created_on: CREATED
      start_date: START
      service_user_contributed: {column: CONTRIBUTED, value_map: {Y: "true", N: "false"}}
  goal:
    file: goals.csv
    format: csv
    optional: true
    columns:
      goal_id: GOAL_ID
      care_plan_id: PLAN_ID
      description: TEXT
      life_areas: {column: AREAS, value_map: area}
      expressed_by: BY
      lifecycle_status: STATUS
  contact:
    file: people.jsonl
    format: jsonl
    optional: true
    where: {type: CONTACT}
    columns:
      contact_id: id
      service_user_id: client
      family_name: name.family
      relationship: relationship
      roles: roles
  carers_assessment:
    file: people.jsonl
    format: jsonl
    optional: true
    where: {type: [CONTACT, ASSESSMENT]}
    columns:
      carers_assessment_id: assessment.id
      contact_id: id
      status: assessment.status
      status_date: assessment.date
"""
CLIENTS = (
    "ID,NHS,SURNAME,FORENAME,DOB,SEX\nP2,9990000026,Test,Jamie,03/09/1999,U\nP1,9990000018,Sample,Alex,12/04/1985,M\n"
)
PLANS = (
    "PLAN_ID,ID,TYPE,VERSION,STATUS,CREATED,START,CONTRIBUTED\n"
    "CP1,P1,pcsp,1,active,01/02/2025,01/02/2025,Y\n"
    "CP2,P2,safety-plan,1,active,12/05/2025,12/05/2025,Y\n"
)
GOALS = "GOAL_ID,PLAN_ID,TEXT,AREAS,BY,STATUS\nG1,CP1,A flat of my own,ACC;WORK,service-user,active\n"
PEOPLE = (
    '{"type": "CONTACT", "id": "C1", "client": "P1", "name": {"family": "Sample"}, "relationship": "MTH",'
    ' "roles": ["carer"], "assessment": {"id": "A1", "status": "offered", "date": "2025-01-10"}}\n'
)


@pytest.fixture
def tiny(tmp_path: Path) -> Callable[..., ReadBack]:
    """Write the tiny extract (files overridable, None to leave one out) and read it."""
    mapping_path = tmp_path / "tiny.yaml"
    mapping_path.write_text(TINY.replace('"%d/%m/%Y"]', '"%d/%m/%Y", "%Y-%m-%d"]'), encoding="utf-8")
    mapping = load_mapping(mapping_path)

    def run(**files: str | bytes | None) -> ReadBack:
        folder = tmp_path / "extract"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        contents = {"clients_1.csv": CLIENTS, "plans.csv": PLANS, "goals.csv": GOALS, "people.jsonl": PEOPLE}
        contents |= {name.replace("__", "."): value for name, value in files.items()}
        for name, content in contents.items():
            if content is not None:
                data = content.encode() if isinstance(content, str) else content
                (folder / name).write_bytes(data)
        return read_all(folder, mapping)

    return run


def problem_strings(problems: tuple[Problem, ...] | list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_rows_are_grouped_by_service_user_whatever_their_order(tiny: Callable[..., ReadBack]) -> None:
    read = tiny()
    assert [r.service_user_id for r in read.results] == ["P1", "P2"]
    assert read.rejected == {} and read.file_problems == [] and read.unattributed == []
    p1 = read.accepted["P1"]
    assert p1.service_user.birth_date == date(1985, 4, 12)
    assert [g.goal_id for g in p1.goals] == ["G1"]  # found its service user through its care plan
    assert p1.goals[0].life_areas == (LifeArea.ACCOMMODATION, LifeArea.WORK_AND_OCCUPATION)
    assert [c.contact_id for c in p1.contacts] == ["C1"]
    # one JSON line gave two record types (its where matches both)
    assert [a.status for a in p1.carers_assessments] == [CarersAssessmentStatus.OFFERED]
    assert p1.goals[0].origin is not None and p1.goals[0].origin.file == "goals.csv"
    assert read.accepted["P2"].goals == ()


def test_a_missing_column_is_one_problem_for_the_file_and_rejects_only_those_affected(
    tiny: Callable[..., ReadBack],
) -> None:
    read = tiny(goals__csv=GOALS.replace(",STATUS\n", "\n").replace(",active\n", "\n"))
    assert problem_strings(read.file_problems) == [
        "goals.csv: lacks column(s) STATUS that the mapping reads for goal: none of its rows can be read"
    ]
    assert set(read.accepted) == {"P2"}
    assert problem_strings(read.rejected["P1"]) == ["goals.csv:2: this row could not be read (see the file's problem)"]
    assert read.rejected["P1"][0].caused_by == str(read.file_problems[0])


def test_a_missing_file_makes_the_extract_unusable(tiny: Callable[..., ReadBack]) -> None:
    read = tiny(plans__csv=None)
    assert problem_strings(read.file_problems) == ["plans.csv: no file matches this pattern (record type care_plan)"]
    assert read.accepted == {} and set(read.rejected) == {"P1", "P2"}


def test_bad_values_are_reported_by_column_and_the_rest_still_read(tiny: Callable[..., ReadBack]) -> None:
    clients = CLIENTS + "P3,9990000019,Bad,Row,31/02/1990,Q\n"
    plans = PLANS + "CP3,P3,pcsp,one,active,01/02/2025,01/02/2025,Y\n"
    read = tiny(clients_1__csv=clients, plans__csv=plans)
    assert set(read.accepted) == {"P1", "P2"}
    assert problem_strings(read.rejected["P3"]) == [
        "clients_1.csv:4: DOB: not a date in the format %d/%m/%Y (such as 07/12/2025) or %Y-%m-%d (such as 2025-12-07)",
        "clients_1.csv:4: NHS: not a valid NHS number (the check digit does not match)",
        "clients_1.csv:4: SEX: unknown code 'Q' (value map 'gender' has: F, M, U)",
        "plans.csv:4: VERSION: not a whole number",
    ]
    assert all(p.service_user_id == "P3" for p in read.rejected["P3"])


def test_a_value_that_is_not_a_code_is_not_shown_in_the_problem(tiny: Callable[..., ReadBack]) -> None:
    """H27: personal data in a coded column (a mapping mistake, or a slip in the EPR) is
    named by file, line and column, not shown; a value that looks like a code is."""
    rows = [
        "P3,9990000019,Bad,Row,01/02/1990,Jane Smith",
        "P4,9990000019,Bad,Row,01/02/1990,9434765919",
        "P5,9990000019,Bad,Row,01/02/1990,12/03/1980",
        "P6,9990000019,Bad,Row,01/02/1990,F20.0",
    ]
    read = tiny(clients_1__csv=CLIENTS + "\n".join(rows) + "\n")
    shown = [p for who in ("P3", "P4", "P5", "P6") for p in problem_strings(read.rejected[who]) if "SEX" in p]
    hidden = "unknown code (not shown: it does not look like a code, and may be personal data)"
    assert shown == [
        f"clients_1.csv:4: SEX: {hidden} (value map 'gender' has: F, M, U)",
        f"clients_1.csv:5: SEX: {hidden} (value map 'gender' has: F, M, U)",
        f"clients_1.csv:6: SEX: {hidden} (value map 'gender' has: F, M, U)",
        "clients_1.csv:7: SEX: unknown code 'F20.0' (value map 'gender' has: F, M, U)",
    ]


_BIRTH_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


@given(
    st.one_of(
        st.text(min_size=1).filter(lambda t: any(c.isspace() for c in t) or len(t) > 25),
        st.from_regex(r"[0-9]{10}", fullmatch=True),
        st.from_regex(r"[0-9]{3}-[0-9]{3}-[0-9]{4}|07[0-9]{9}|[0-9]{9}", fullmatch=True),
        _BIRTH_DATES.map(lambda d: d.strftime("%d/%m/%Y")),
        _BIRTH_DATES.map(lambda d: d.strftime("%d-%b-%Y")),
        _BIRTH_DATES.map(lambda d: d.strftime("%Y%m%d")),
        _BIRTH_DATES.map(date.isoformat),
        st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}", fullmatch=True),
    )
)
def test_free_text_nhs_numbers_and_dates_are_never_quoted(value: str) -> None:
    """NHS numbers and phone numbers in any layout, dates of birth, postcodes (a review
    found a hyphenated NHS number, a mobile, 19801231 and SW1A1AA quoted, 2026-12-07)."""
    assert quoted_code(value) == NOT_SHOWN


@pytest.mark.parametrize("code", ["Q", "Fem", "CPA2", "F20.0", "in-progress", "PYL", "LD01"])
def test_a_code_is_quoted(code: str) -> None:
    assert quoted_code(code) == repr(code)


def test_rows_for_an_unknown_service_user(tiny: Callable[..., ReadBack]) -> None:
    read = tiny(plans__csv=PLANS + "CP9,P9,pcsp,1,active,01/02/2025,01/02/2025,Y\n")
    assert problem_strings(read.rejected["P9"]) == ["plans.csv:4: ID: refers to unknown service user 'P9'"]
    assert set(read.accepted) == {"P1", "P2"}


def test_a_child_of_an_unknown_parent_belongs_to_nobody(tiny: Callable[..., ReadBack]) -> None:
    read = tiny(goals__csv=GOALS + "G2,CP404,Orphan,ACC,service-user,active\n")
    assert problem_strings(read.unattributed) == ["goals.csv:3: PLAN_ID: refers to unknown care_plan 'CP404'"]
    assert set(read.accepted) == {"P1", "P2"}


def test_duplicate_ids_reject_every_service_user_involved(tiny: Callable[..., ReadBack]) -> None:
    read = tiny(plans__csv=PLANS.replace("CP2,P2", "CP1,P2"))
    assert read.accepted == {}
    expected = "PLAN_ID: duplicate care_plan id 'CP1' (rows at plans.csv:2, plans.csv:3)"
    assert problem_strings(read.rejected["P1"]) == [f"plans.csv:2: {expected}"]
    assert f"plans.csv:3: {expected}" in problem_strings(read.rejected["P2"])


def test_a_row_repeated_exactly_is_read_once(tiny: Callable[..., ReadBack]) -> None:
    """An export whose query joined a table twice repeats rows whole: that is no duplicate
    (nothing differs, nothing is lost), and it rejected the service user, their shared
    record held back (H10). It is read once and counted; the same id with anything read
    from it different is still a duplicate that rejects (above)."""
    clean = tiny()
    repeated = tiny(
        plans__csv=PLANS + PLANS.splitlines(keepends=True)[1], goals__csv=GOALS + GOALS.splitlines()[1] + "\n"
    )
    assert repeated.rejected == {} and repeated.accepted == clean.accepted
    assert repeated.repeated == {"plans.csv": 1, "goals.csv": 1}
    differing = tiny(plans__csv=PLANS + PLANS.splitlines(keepends=True)[1].replace(",Y", ",N"))
    assert "P1" in differing.rejected and differing.repeated == {}


def test_a_header_repeated_or_trailing_unnamed_columns_are_read_as_an_export_means_them(
    tiny: Callable[..., ReadBack],
) -> None:
    """Found by a trial of a new layout: files joined after export repeat the header line,
    read as a service user named 'ID'; a spreadsheet's trailing delimiters gave columns with
    no name, "a column twice", and every service user was rejected."""
    clean = tiny()
    header, *rows = PLANS.splitlines(keepends=True)
    repeated = tiny(plans__csv="".join([header, rows[0], header, *rows[1:]]))
    assert repeated.rejected == {} and repeated.accepted == clean.accepted
    trailing = "".join(line.rstrip("\n") + ",,\n" for line in PLANS.splitlines(keepends=True))
    unnamed = tiny(plans__csv=trailing)
    assert unnamed.file_problems == [] and unnamed.rejected == {} and unnamed.accepted == clean.accepted
    # two exports with a byte order mark joined, the second header with trailing delimiters
    bom = "\ufeff" + header.rstrip("\n") + ",,\n"
    joined = tiny(plans__csv="".join([header, rows[0], bom, *rows[1:]]))
    assert joined.rejected == {} and joined.unattributed == [] and joined.accepted == clean.accepted
    # two columns that share a name are still refused
    assert tiny(plans__csv=PLANS.replace("CREATED,START", "START,START")).file_problems


def test_malformed_rows_are_charged_to_whoever_they_may_belong_to(tiny: Callable[..., ReadBack]) -> None:
    plans = PLANS + "CP7,P1,pcsp\n" + '"CP8,P1\n'
    people = PEOPLE + '{"type": "OTHER", "client": "P2"}\n'
    read = tiny(plans__csv=plans, people__jsonl=people)
    assert read.accepted == {} and read.file_problems == [] and read.unattributed == []
    # a short row still holds its client's id: charged to them (rejecting is safe, half-reading is not)
    assert problem_strings(read.rejected["P1"]) == [
        "plans.csv:4: has 3 fields, the header has 8 (a row of this service user's may be on this line)",
        "plans.csv:5: not valid CSV: an unbalanced quote starts on this line"
        " (a row of this service user's may be on this line)",
    ]
    # a row of a value no record type lists is reported, and its service user is not half-read
    [other] = read.rejected["P2"]
    assert str(other).startswith("people.jsonl:2: type: 'OTHER' is not a value the mapping lists for this file")


def test_a_line_that_names_no_one_makes_the_extract_unusable(tiny: Callable[..., ReadBack]) -> None:
    """Whose row a line was cannot be told: any service user may be missing a row, so
    none is read (the root cause is named, once, as a problem of the whole extract)."""
    read = tiny(people__jsonl=PEOPLE + "{not json\n" + "[1, 2]\n")
    assert read.accepted == {} and set(read.rejected) == {"P1", "P2"}
    found = problem_strings(read.file_problems)
    assert found[0].startswith("people.jsonl:2: not valid JSON") and "every service user is rejected" in found[0]
    assert found[1].startswith("people.jsonl:3: is not a JSON object")
    assert all(p.caused_by == found[0] for p in read.rejected["P2"])


def test_undecodable_bytes_and_byte_order_marks(tiny: Callable[..., ReadBack]) -> None:
    clients = b"\xef\xbb\xbf" + CLIENTS.encode() + b"P3,9990000034,B\xe9zier,Sam,01/01/1970,U\n"
    read = tiny(clients_1__csv=clients)
    assert set(read.accepted) == {"P1", "P2"}  # the BOM did not hide the ID column
    # the column and the byte named: the trust can find it
    assert problem_strings(read.rejected["P3"]) == [
        "clients_1.csv:4: SURNAME: holds a byte (0xE9) that is not valid utf-8"
    ]


def test_a_folder_that_is_not_there(tmp_path: Path, layouts: dict[str, TrustMapping]) -> None:
    with pytest.raises(ExtractError, match="no such extract folder"):
        read_extract(tmp_path / "missing", layouts["rio-like"]).__enter__()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_row_order_does_not_matter(clean_runs: dict[str, SynthRun], tmp_path: Path, layout: str) -> None:
    """Extracts need not be sorted by service user: shuffled files read the same."""
    run = clean_runs[layout]
    folder = tmp_path / "shuffled"
    shutil.copytree(run.folder, folder)
    rng = random.Random(3)
    for path in sorted(folder.iterdir()):
        lines = path.read_bytes().splitlines(keepends=True)
        if path.suffix == ".csv":
            header, body = lines[:1], lines[1:]
        elif path.suffix == ".jsonl":
            header, body = [], lines
        else:
            continue
        rng.shuffle(body)
        path.write_bytes(b"".join(header + body))
    assert read_all(folder, run.mapping).accepted == run.read.accepted


def _key_worker_changed(run: SynthRun, tmp_path: Path, change: Callable[[str], str]) -> tuple[Path, str, Path, int]:
    """A copy of the extract whose key worker's staff row is changed: the folder, the
    worker's id, the staff file and the row's line."""
    folder = tmp_path / "extract"
    shutil.copytree(run.folder, folder)
    worker = next(m.member_id for r in run.records.values() for m in r.care_team if m.is_key_worker)
    assert worker is not None
    staff_file = next(folder.glob("ESR_Staff_*.jsonl"))
    lines = staff_file.read_text().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines, start=1) if f'"rioStaffId":"{worker}"' in text)
    lines[line - 1] = change(lines[line - 1])
    staff_file.write_text("".join(lines))
    return folder, worker, staff_file, line


def test_a_bad_directory_entry_rejects_those_who_refer_to_it(clean_runs: dict[str, SynthRun], tmp_path: Path) -> None:
    """A staff row with a problem is reported once; only the service users whose records
    refer to that member of staff are rejected, each pointing at the row."""
    run = clean_runs["rio-like"]
    folder, worker, staff_file, line = _key_worker_changed(
        run, tmp_path, lambda row: re.sub(r'"surname":"[^"]*"', '"surname":""', row)
    )
    read = read_all(folder, run.mapping)
    assert problem_strings(read.directory_problems) == [f"{staff_file.name}:{line}: surname: missing value"]
    affected = {su for su, r in run.records.items() if any(s.staff_id == worker for s in r.staff)}
    assert set(read.rejected) == affected
    for problems in read.rejected.values():
        assert all(
            f"refers to staff {worker!r}, whose record has problems (see {staff_file.name}:{line})" in p.reason
            for p in problems
        )
    assert read.accepted == {su: r for su, r in run.records.items() if su not in affected}


@pytest.mark.parametrize(
    ("key", "wrong", "field"),
    [
        ("sdsUserId", {"sdsUserId": "x12"}, "sds_user_id"),
        ("registration.nmc", {"registration": {"nmc": "99X0002"}}, "nmc_number"),
        ("workPhone", {"workPhone": "call me"}, "phone"),
    ],
)
def test_a_wrong_optional_detail_of_a_member_of_staff_is_left_out_not_their_caseload(
    clean_runs: dict[str, SynthRun], tmp_path: Path, key: str, wrong: dict[str, object], field: str
) -> None:
    """Found in a review of stop 31's residuals: one mistyped registration number, SDS id
    or phone in the HR extract rejected every service user the member of staff works with
    (their shared records held back, not updated: H10). The value is left out, the member
    kept, and the problem still reported at its file, line and column."""
    run = clean_runs["rio-like"]
    folder, worker, staff_file, line = _key_worker_changed(
        run, tmp_path, lambda row: json.dumps({**json.loads(row), **wrong}) + "\n"
    )
    read = read_all(folder, run.mapping)
    (problem,) = read.directory_problems
    assert str(problem).startswith(f"{staff_file.name}:{line}: {key}: ")
    assert "the member of staff is kept without it" in problem.reason
    assert not read.rejected
    assert set(read.accepted) == set(run.records)
    kept = [s for r in read.accepted.values() for s in r.staff if s.staff_id == worker]
    assert kept and all(getattr(s, field) is None for s in kept)  # a wrong value is never shown


def test_a_problem_of_a_field_no_column_gives_names_the_field() -> None:
    """Found by a trial of a new layout: "is required with an NHS number" alone, when the
    mapping file maps no column to nhs_number_status, did not say what was required."""
    from fhircare.source.results import Problem

    problem = Problem("clients.csv", 4, None, "is required with an NHS number", target="nhs_number_status")
    assert str(problem) == "clients.csv:4: nhs_number_status (no column): is required with an NHS number"
    assert str(Problem("clients.csv", 4, "NHS_STATUS", "is empty", target="nhs_number_status")).endswith(
        "NHS_STATUS: is empty"
    )


def test_a_json_line_that_repeats_a_key_is_a_problem_of_its_row(tiny: Callable[..., ReadBack]) -> None:
    """Found by a trial of a new layout: a line writing a key twice was read with its last
    value ('doNotInvolve': true, then false: the person became an active contact), exit 0.
    `fhircare validate` refuses a repeated key; the extract reader now does too, at the
    row, naming the key (never a value), nested or not."""
    twice = PEOPLE.replace('"roles": ["carer"]', '"roles": ["carer"], "roles": []')
    read = tiny(people__jsonl=twice)
    assert set(read.accepted) == {"P2"}
    [problem] = problem_strings(read.rejected["P1"])
    assert problem.startswith(
        "people.jsonl:1: roles: repeats the key 'roles' in one object, so which of its values holds cannot be told"
    )
    nested = PEOPLE.replace('"status": "offered"', '"status": "offered", "status": "declined"')
    assert set(tiny(people__jsonl=nested).rejected) == {"P1"}
    # a key written once in each of two objects is not repeated; an escaped quote is one string
    fine = PEOPLE.replace('"family": "Sample"', '"family": "Sam\\"ple", "id": "N1"')
    assert set(tiny(people__jsonl=fine).accepted) == {"P1", "P2"}


def test_names_are_composed_and_invisible_characters_named_or_removed(tiny: Callable[..., ReadBack]) -> None:
    """Found by a trial of a new layout: a decomposed name (NFD: `a` and a combining
    circumflex) and a zero-width space in a surname went into Patient.name unchanged, so
    a search or a match against the Spine would not find them. Text is now composed (NFC)
    and invisible characters (a zero-width space, a word joiner, a soft hyphen) are
    removed, in ids too. Any other character outside printable ASCII in an id is refused,
    as before, but the problem now names it (U+200D ZERO WIDTH JOINER) and the column once
    (it said "client: client: is not a usable id")."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Siân")
    clients = CLIENTS.replace("Sample", decomposed).replace("Test", "Made\u200bup")
    read = tiny(clients_1__csv=clients)
    assert read.accepted["P1"].service_user.family_name == unicodedata.normalize("NFC", "Siân")
    assert read.accepted["P2"].service_user.family_name == "Madeup"
    # an id with a zero-width space is the id without it (no id is written with one)
    spaced = tiny(people__jsonl=PEOPLE.replace('"client": "P1"', '"client": "P1\\u200b"'))
    assert [c.contact_id for c in spaced.accepted["P1"].contacts] == ["C1"]
    hidden = tiny(people__jsonl=PEOPLE.replace('"client": "P1"', '"client": "P1\\u200d"'))
    found = problem_strings(
        hidden.file_problems + hidden.unattributed + [p for ps in hidden.rejected.values() for p in ps]
    )
    assert any("U+200D ZERO WIDTH JOINER" in f for f in found), found
    assert not any("client: client:" in f for f in found), found


def test_a_carriage_return_inside_a_cell_is_named_in_plain_words(tiny: Callable[..., ReadBack]) -> None:
    """Found by a trial of a new layout: a line break typed into a field gave Python's own
    words ("do you need to open the file in universal-newline mode?")."""
    plans = PLANS.replace("CP2,P2,safety-plan", "CP2,P2,safety\rplan")
    [problem] = problem_strings(tiny(plans__csv=plans).rejected["P2"])
    assert "a carriage return inside a cell" in problem and "universal-newline" not in problem


@given(st.permutations(["DLG01", "DLG02", "DLG03", "DLG04"]), st.sampled_from(["DLG01", "DLG02", "DLG03", "DLG04"]))
def test_an_array_read_by_a_key_of_its_objects_does_not_depend_on_their_order(order: list[str], domain: str) -> None:
    """Found by a trial of a new layout: DIALOG scores read by position (`scores.0.score`)
    were swapped silently when the export reordered the array (mental health 6 / physical
    4 became 4 / 6). `scores[domain=DLG02].score` reads the one object whose `domain` is
    DLG02, wherever it is; none, or two, is missing (a required rating is then a problem)."""
    from fhircare.source.rows import has_path, lookup

    scores = {"scores": [{"domain": d, "score": int(d[-1])} for d in order]}
    path = (f"scores[domain={domain}]", "score")
    assert lookup(scores, path) == int(domain[-1]) and has_path(scores, path)
    assert lookup(scores, ("scores[domain=DLG09]", "score")) is None
    twice = {"scores": [*scores["scores"], {"domain": domain, "score": 9}]}
    assert lookup(twice, path) is None and not has_path(twice, path)
    assert lookup(scores, ("scores", "0", "score")) == int(order[0][-1])  # by position, as before


def test_a_mapping_reads_an_array_by_a_key_of_its_objects(tmp_path: Path) -> None:
    """The selector in a mapping file, end to end: a contact's family name from the one
    name whose `use` is official, whichever place the export gives it."""
    mapping_path = tmp_path / "tiny.yaml"
    text = TINY.replace('"%d/%m/%Y"]', '"%d/%m/%Y", "%Y-%m-%d"]').replace(
        "family_name: name.family", "family_name: names[use=official].family"
    )
    mapping_path.write_text(text, encoding="utf-8")
    folder = tmp_path / "extract"
    folder.mkdir()
    names = '"names": [{"use": "usual", "family": "Known-as"}, {"use": "official", "family": "Sample"}]'
    people = PEOPLE.replace('"name": {"family": "Sample"}', names)
    for name, content in {
        "clients_1.csv": CLIENTS,
        "plans.csv": PLANS,
        "goals.csv": GOALS,
        "people.jsonl": people,
    }.items():
        (folder / name).write_text(content, encoding="utf-8")
    read = read_all(folder, load_mapping(mapping_path))
    assert [c.family_name for c in read.accepted["P1"].contacts] == ["Sample"]


def test_a_mapping_reads_a_date_of_death_as_any_date(tmp_path: Path) -> None:
    """A layout trial found a date of death in a trust's extract and no field to map it to.
    A column maps to ``date_of_death`` as to any date field: the layout's formats, a value
    with an offset read in the trust's time zone (local midnight in summer time is 12 April,
    not the UTC date), blank is missing (alive), and a value in no format is a problem on
    its row naming the column and an example, never the value."""
    mapping_path = tmp_path / "tiny.yaml"
    text = TINY.replace(
        "      birth_date: DOB\n",
        '      birth_date: DOB\n      date_of_death: {column: DOD, formats: ["%d/%m/%Y", "%Y-%m-%dT%H:%M:%S.%f%z"]}\n',
    )
    mapping_path.write_text(text, encoding="utf-8")
    mapping = load_mapping(mapping_path)
    assert mapping.records["service_user"].column_for("date_of_death") == "DOD"
    folder = tmp_path / "extract"
    folder.mkdir()
    clients = (
        "ID,NHS,SURNAME,FORENAME,DOB,SEX,DOD\n"
        "P1,9990000018,Sample,Alex,12/04/1985,M,03/03/2025\n"
        "P2,9990000026,Test,Jamie,03/09/1999,U,2025-04-11T23:00:00.000Z\n"
        "P3,9990000034,Bez,Sam,01/01/1970,U,\n"
        "P4,9990000042,Row,Bad,01/01/1970,U,2025-03\n"
    )
    plans = PLANS + "CP3,P3,pcsp,1,active,01/02/2025,01/02/2025,Y\nCP4,P4,pcsp,1,active,01/02/2025,01/02/2025,Y\n"
    for name, content in {"clients_1.csv": clients, "plans.csv": plans}.items():
        (folder / name).write_text(content, encoding="utf-8")
    read = read_all(folder, mapping)
    died = {su: record.service_user.date_of_death for su, record in read.accepted.items()}
    assert died == {"P1": date(2025, 3, 3), "P2": date(2025, 4, 12), "P3": None}
    [problem] = problem_strings(read.rejected["P4"])
    assert problem.startswith("clients_1.csv:5: DOD: not a date in the format %d/%m/%Y (such as 07/12/2025)")
    assert "2025-03" not in problem


def test_a_column_written_in_utc_without_an_offset_is_read_in_utc(tmp_path: Path) -> None:
    """A SQL Server column filled by GETUTCDATE() is exported without an offset; read in the
    trust's time zone, each time was an hour out in summer and a date near midnight a day
    early, silently (fifth layout trial; listed under "What a mapping file cannot say").
    A column can now say ``timezone: UTC``: 23:30 UTC on 10 June is 11 June in London. An
    unknown zone, or a zone on a field that is not a date, is a mistake of the mapping
    file naming its key."""
    from zoneinfo import ZoneInfo

    from fhircare.source.convert import parse_date, parse_datetime

    mapping_path = tmp_path / "tiny.yaml"
    text = TINY.replace(
        "      birth_date: DOB\n",
        "      birth_date: DOB\n      date_of_death: {column: DOD, formats: ['%Y-%m-%d %H:%M:%S'], timezone: UTC}\n",
    )
    mapping_path.write_text(text, encoding="utf-8")
    folder = tmp_path / "extract"
    folder.mkdir()
    clients = (
        "ID,NHS,SURNAME,FORENAME,DOB,SEX,DOD\n"
        "P1,9990000018,Sample,Alex,12/04/1985,M,2025-06-10 23:30:00\n"
        "P2,9990000026,Test,Jamie,03/09/1999,U,2025-01-10 23:30:00\n"
    )
    (folder / "clients_1.csv").write_text(clients, encoding="utf-8")
    (folder / "plans.csv").write_text(PLANS, encoding="utf-8")
    read = read_all(folder, load_mapping(mapping_path))
    died = {su: record.service_user.date_of_death for su, record in read.accepted.items()}
    assert died == {"P1": date(2025, 6, 11), "P2": date(2025, 1, 10)}  # BST, then GMT
    london, utc = ZoneInfo("Europe/London"), ZoneInfo("UTC")
    assert parse_datetime("2025-06-10 13:20", ["%Y-%m-%d %H:%M"], london, utc).isoformat() == (
        "2025-06-10T14:20:00+01:00"
    )
    assert parse_date("2025-06-10 23:30", ["%Y-%m-%d %-H:%M"], london, utc) == date(2025, 6, 11)  # hour unpadded
    for spec, key in (
        ("{column: DOD, timezone: Mars/Olympus}", "date_of_death.timezone"),
        ("{column: DOD, timezone: UTC}\n      religion: {column: SEX, timezone: UTC}", "religion.timezone"),
    ):
        wrong = tmp_path / "wrong.yaml"
        wrong.write_text(
            TINY.replace("      birth_date: DOB\n", f"      birth_date: DOB\n      date_of_death: {spec}\n")
        )
        with pytest.raises(MappingFileError, match=re.escape(key)):
            load_mapping(wrong)


def test_a_mapping_reads_a_deceased_flag_with_or_without_a_date(tmp_path: Path) -> None:
    """The fifth layout trial's export held a deceased flag (Y/N), the date blank for some:
    only ``date_of_death`` could say a person had died, so they were shared as alive. A
    column maps to ``deceased`` as to any flag; a flag saying not died beside a date of
    death is a problem of its row naming the column, never the date."""
    mapping_path = tmp_path / "tiny.yaml"
    text = TINY.replace(
        "      birth_date: DOB\n",
        "      birth_date: DOB\n      date_of_death: {column: DOD, formats: ['%d/%m/%Y']}\n"
        "      deceased: {column: DIED, value_map: {Y: 'true', N: 'false'}}\n",
    )
    mapping_path.write_text(text, encoding="utf-8")
    folder = tmp_path / "extract"
    folder.mkdir()
    clients = (
        "ID,NHS,SURNAME,FORENAME,DOB,SEX,DOD,DIED\n"
        "P1,9990000018,Sample,Alex,12/04/1985,M,,Y\n"
        "P2,9990000026,Test,Jamie,03/09/1999,U,,N\n"
        "P3,9990000034,Bez,Sam,01/01/1970,U,03/03/2025,Y\n"
        "P4,9990000042,Row,Bad,01/01/1970,U,03/03/2025,N\n"
    )
    plans = PLANS + "CP3,P3,pcsp,1,active,01/02/2025,01/02/2025,Y\nCP4,P4,pcsp,1,active,01/02/2025,01/02/2025,Y\n"
    for name, content in {"clients_1.csv": clients, "plans.csv": plans}.items():
        (folder / name).write_text(content, encoding="utf-8")
    read = read_all(folder, load_mapping(mapping_path))
    died = {su: record.service_user.deceased for su, record in read.accepted.items()}
    assert died == {"P1": True, "P2": False, "P3": True}
    [problem] = problem_strings(read.rejected["P4"])
    assert "DIED" in problem and "has not died, but a date of death is given" in problem
    assert "03/03/2025" not in problem and "2025" not in problem.split(":", 2)[-1]


def test_a_mapping_reads_a_service_users_reasonable_adjustments(tmp_path: Path) -> None:
    """A service user's reasonable adjustments (DE-002, DE-004) reached the shared record
    only as words in the Patient narrative: no record type held them. A file maps to
    ``reasonable_adjustment`` like any record of the service user: several per person, what
    the adjustment is in the trust's words and/or coded (the layout's value map into
    fhircare's codes), the condition it is for, and from when. A row that says neither what
    the adjustment is nor its code, or says only ``other``, is a problem on its row naming
    the column, never the words of another row."""
    mapping_path = tmp_path / "tiny.yaml"
    text = TINY.replace(
        "record_types:\n",
        "record_types:\n"
        "  reasonable_adjustment:\n"
        "    file: adjustments.csv\n"
        "    format: csv\n"
        "    columns:\n"
        "      reasonable_adjustment_id: RA_ID\n"
        "      service_user_id: ID\n"
        "      adjustment: WHAT\n"
        "      adjustment_code: {column: KIND, value_map: {ER: easy-read, BSL: bsl-interpreter, CM: contact-method,"
        " OTH: other}}\n"
        "      condition: FOR\n"
        "      start_date: RECORDED\n",
    )
    mapping_path.write_text(text, encoding="utf-8")
    mapping = load_mapping(mapping_path)
    assert mapping.records["reasonable_adjustment"].column_for("adjustment") == "WHAT"
    folder = tmp_path / "extract"
    folder.mkdir()
    clients = CLIENTS + "P3,9990000034,Bez,Sam,01/01/1970,U\n"
    adjustments = (
        "RA_ID,ID,WHAT,KIND,FOR,RECORDED\n"
        'RA2,P1,"Autistic: quiet room, no phone calls, text first",CM,autism,03/03/2025\n'
        "RA1,P1,,ER,,01/02/2025\n"
        "RA3,P2,Needs a BSL interpreter at every appointment,BSL,deaf,12/05/2025\n"
        "RA4,P3,,OTH,,12/05/2025\n"
    )
    plans = PLANS + "CP3,P3,pcsp,1,active,01/02/2025,01/02/2025,Y\n"
    for name, content in {"clients_1.csv": clients, "plans.csv": plans, "adjustments.csv": adjustments}.items():
        (folder / name).write_text(content, encoding="utf-8")
    read = read_all(folder, mapping)
    alex = read.accepted["P1"].reasonable_adjustments
    assert [(a.reasonable_adjustment_id, a.adjustment_code, a.condition, a.start_date) for a in alex] == [
        ("RA1", ReasonableAdjustmentKind.EASY_READ, None, date(2025, 2, 1)),
        ("RA2", ReasonableAdjustmentKind.CONTACT_METHOD, "autism", date(2025, 3, 3)),
    ]
    assert alex[1].adjustment == "Autistic: quiet room, no phone calls, text first" and alex[0].adjustment is None
    [jamie] = read.accepted["P2"].reasonable_adjustments
    assert jamie.adjustment_code is ReasonableAdjustmentKind.BSL_INTERPRETER and jamie.condition == "deaf"
    [problem] = problem_strings(read.rejected["P3"])
    assert problem.startswith("adjustments.csv:5: WHAT: is required with adjustment_code other"), problem
    assert "quiet room" not in problem and "BSL" not in problem


def test_an_undecodable_byte_past_the_last_column_rejects_its_row(tiny: Callable[..., ReadBack]) -> None:
    """Found by the CSV fuzz test (tests/hostile): a stray delimiter before an undecodable
    byte put the byte in a cell past the header's last column, and the reader raised
    StopIteration looking for the column to name. The row is rejected, naming the byte."""
    clients = CLIENTS.encode() + b"P3,9990000034,Bez,Sam,01/01/1970,U,\x81\n"
    read = tiny(clients_1__csv=clients)
    assert set(read.accepted) == {"P1", "P2"}
    [problem] = problem_strings(read.rejected["P3"])
    assert problem.startswith("clients_1.csv:4: holds a byte (0x81) that is not valid utf-8")
