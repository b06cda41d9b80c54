"""Issue 11 item 4: what the mapping language can say, each through the Welsh PAS layout
(mappings/welsh-pas-like.yaml), which uses every construct: one record type from two
files, "only when this column is filled", value maps on text and number fields, split,
joined and first-filled columns, a template, hooks, per-file CSV options, a narrow
DIALOG table with "more help" rows, header-count and trailer lines, the provider's
organisation type; and two organisations sharing an ODS code named as the cause."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from fhircare.mapping import MappingContext, map_service_user
from fhircare.source.codes import DataAbsentReason, DialogItem
from fhircare.source.mapping_file import TrustMapping, load_mapping
from fhircare.synth import synthesise
from tests.unit.source.conftest import MAPPINGS, ReadBack, read_all

WELSH = MAPPINGS / "welsh-pas-like.yaml"
#: an edit of a file's lines (in place)
Edit = Callable[[list[str]], None]


@pytest.fixture(scope="module")
def welsh() -> TrustMapping:
    return load_mapping(WELSH)


@pytest.fixture(scope="module")
def welsh_extract(tmp_path_factory: pytest.TempPathFactory, welsh: TrustMapping) -> Path:
    folder = tmp_path_factory.mktemp("welsh") / "extract"
    synthesise(welsh, folder, patients=24, seed=11)
    return folder


@pytest.fixture
def edited(tmp_path: Path, welsh_extract: Path, welsh: TrustMapping) -> Callable[[str, Edit], ReadBack]:
    """The Welsh extract with one file's lines edited, read back."""

    def run(prefix: str, edit: Callable[[list[str]], None]) -> ReadBack:
        folder = tmp_path / "copy"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(welsh_extract, folder)
        path = next(folder.glob(f"{prefix}_2*"))
        lines = path.read_bytes().decode("cp1252").split("\r\n")
        edit(lines)
        path.write_bytes("\r\n".join(lines).encode("cp1252"))
        return read_all(folder, welsh)

    return run


def test_one_record_type_from_two_files_and_only_when_filled(welsh_extract: Path, welsh: TrustMapping) -> None:
    read = read_all(welsh_extract, welsh)
    assert read.rejected == {} and read.file_problems == []
    members = [m for r in read.accepted.values() for m in r.care_team]
    from_referrals = [m for m in members if m.origin is not None and m.origin.file.startswith("WPAS_REFERRAL_")]
    assert from_referrals and all(m.is_lead and m.end_date is None for m in from_referrals)
    assert any(m.origin is not None and m.origin.file.startswith("WPAS_CARE_TEAM_") for m in members)
    referrals = next(welsh_extract.glob("WPAS_REFERRAL_*")).read_text(encoding="cp1252").splitlines()
    header = referrals[1].split("\t")
    filled = [r for r in referrals[2:-1] if r.split("\t")[header.index("CC_ALLOCATION_NO")]]
    assert len(from_referrals) == len(filled) < len(referrals) - 3  # rows without a lead give none


PATIENT = (
    "P900001\t999 000 0018\t01\tJones\tOwen Rhys Tudor\t\t19850412\t1\tA\t\t1 High Street\tFlat 2\tCardiff"
    "\tzz1 1aa\t\t01632 960001\tCYM\t1\t\t0\t0\tORG-GP1"
)


def test_split_joined_first_filled_hooked_and_value_mapped_text(
    edited: Callable[[str, Edit], ReadBack],
) -> None:
    def add_patient(lines: list[str]) -> None:
        lines.insert(2, PATIENT)
        lines[0] = lines[0].rsplit("\t", 1)[0] + f"\t{int(lines[0].rsplit(chr(9), 1)[1]) + 1}"
        trailer = next(i for i, line in enumerate(lines) if line.startswith("TRL"))
        lines[trailer] = f"TRL\t{int(lines[trailer].split(chr(9))[1]) + 1}"

    read = edited("WPAS_PATIENT", add_patient)
    person = read.accepted["P900001"].service_user
    assert person.nhs_number == "9990000018"  # written with spaces: the digits-only hook
    assert (person.given_name, person.other_given_names) == ("Owen", "Rhys Tudor")  # one forenames column, split
    assert person.address_line == "1 High Street, Flat 2"  # two address lines, joined
    assert person.phone == "01632 960001"  # no mobile: the home number
    assert person.postcode == "ZZ1 1AA"  # the upper-case hook
    assert person.preferred_language == "cy"  # CYM, through a value map on a text field
    assert person.gender.value == "male" and person.interpreter_required is True


def test_a_language_the_map_does_not_list_is_kept(welsh: TrustMapping) -> None:
    from fhircare.source.row_loading import convert_row

    plan = welsh.records["service_user"]
    header = plan.columns_read()
    data, _ = convert_row(plan, dict(zip(header, PATIENT.replace("\tCYM\t", "\ten-GB\t").split("\t"), strict=True)))
    assert data["preferred_language"] == "en-GB"


def test_narrow_dialog_rows_merge_into_one_rating(welsh_extract: Path, welsh: TrustMapping) -> None:
    read = read_all(welsh_extract, welsh)
    ratings = [r for rec in read.accepted.values() for a in rec.dialog_assessments for r in a.ratings]
    assert any(r.more_help is not None and r.rating is not None for r in ratings)  # two rows, one rating
    assert any(r.not_rated_reason is DataAbsentReason.ASKED_DECLINED and r.rating is None for r in ratings)  # 99


def test_a_score_of_99_is_not_rated(welsh: TrustMapping) -> None:
    from fhircare.source.row_loading import convert_row

    plan = welsh.sources["dialog_rating"][0]
    data, problems = convert_row(plan, {"DIALOG_NO": "D1", "ITEM_NO": "3", "VALUE": "99", "ROW_KIND": "1"})
    assert problems == []
    assert data == {
        "dialog_assessment_id": "D1",
        "item": DialogItem.JOB_SITUATION.value,
        "not_rated_reason": "asked-declined",
    }
    data, _ = convert_row(plan, {"DIALOG_NO": "D1", "ITEM_NO": "3", "VALUE": "6", "ROW_KIND": "1"})
    assert data["rating"] == 6 and "not_rated_reason" not in data


def test_a_rating_given_twice_is_a_duplicate(edited: Callable[[str, Edit], ReadBack]) -> None:
    def duplicate(lines: list[str]) -> None:
        row = next(line for line in lines[2:] if line.endswith("\t1"))
        lines.insert(lines.index(row) + 1, row[:-1] + "2")  # the same item rated again, differently

    read = edited("WPAS_DIALOGITEM", duplicate)
    [reason, *_] = [p.reason for ps in read.rejected.values() for p in ps if "duplicate dialog_rating" in p.reason]
    # the item and its assessment each named, never the separator joining the key's parts
    assert re.match(r"duplicate dialog_rating rating of item 'dialog-[a-z-]+' of dialog_assessment_id '", reason)
    assert "\x1f" not in reason
    assert any("says it holds" in str(p) for p in read.file_problems)  # and the count line disagrees

    def repeat(lines: list[str]) -> None:
        row = next(line for line in lines[2:] if line.endswith("\t1"))
        lines.insert(lines.index(row) + 1, row)

    # a row repeated whole is read once (test_readers.py::test_a_row_repeated_exactly_is_read_once)
    repeated = edited("WPAS_DIALOGITEM", repeat)
    assert not any("duplicate" in p.reason for ps in repeated.rejected.values() for p in ps)
    assert sum(repeated.repeated.values()) == 1


def test_a_missing_trailer_or_a_wrong_count_makes_the_extract_unusable(
    edited: Callable[[str, Edit], ReadBack],
) -> None:
    def truncate(lines: list[str]) -> None:
        del lines[len(lines) // 2 :]

    read = edited("WPAS_CTPITEM", truncate)
    assert read.accepted == {}
    assert any(
        "does not end with its trailer line ('TRL\\t{rows}'): the file may be incomplete" in str(p)
        for p in read.file_problems
    )

    def recount(lines: list[str]) -> None:
        lines[0] = "HDR\t20250630\t3"

    read = edited("WPAS_CARE_TEAM", recount)
    assert read.accepted == {}
    assert any(
        "says it holds 3 rows but" in str(p) and "the file may be incomplete" in str(p) for p in read.file_problems
    )


def test_windows_1252_text(edited: Callable[[str, Edit], ReadBack]) -> None:
    def accent(lines: list[str]) -> None:
        cells = lines[2].split("\t")
        cells[3] = "Bézier"
        lines[2] = "\t".join(cells)

    read = edited("WPAS_PATIENT", accent)
    assert any(r.service_user.family_name == "Bézier" for r in read.accepted.values())


def test_the_provider_is_a_local_health_board(welsh_extract: Path, welsh: TrustMapping) -> None:
    record = next(iter(read_all(welsh_extract, welsh).accepted.values()))
    bundle = map_service_user(record, MappingContext.from_mapping(welsh, as_of=date(2025, 7, 1))).bundle
    trust = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Organization" and e["resource"].get("name") == welsh.trust.name
    )
    codes = [c["code"] for t in trust["type"] for c in t["coding"]]
    assert "local-health-board" in codes and "nhs-mental-health-trust" not in codes
    assert "a local health board" in trust["text"]["div"]


def test_two_organisations_sharing_an_ods_code_are_named_as_the_cause(
    edited: Callable[[str, Edit], ReadBack], welsh_extract: Path, welsh: TrustMapping
) -> None:
    """Issue 11 item 4: 20 validation rejects, none naming the cause. Now each organisation
    is a directory problem naming the other, and whoever refers to one points at it."""
    path = next(welsh_extract.glob("WPAS_ORGANISATION_*"))
    lines = path.read_text(encoding="utf-8").splitlines()
    gp2 = next(line for line in lines if line.startswith("ORG-GP2|"))
    folder = welsh_extract.parent / "shared-ods"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(welsh_extract, folder)
    (next(folder.glob("WPAS_ORGANISATION_*"))).write_text(
        "\n".join(line.replace("ZZ9002", "ZZ9001") if line == gp2 else line for line in lines) + "\n", encoding="utf-8"
    )
    read = read_all(folder, welsh)
    found = [str(p) for p in read.directory_problems]
    assert any("ODS_CODE: shares the ODS code ZZ9001 with organisation 'ORG-GP2'" in p for p in found)
    assert any("ODS_CODE: shares the ODS code ZZ9001 with organisation 'ORG-GP1'" in p for p in found)
    for problems in read.rejected.values():
        assert any("whose record has problems" in p.reason for p in problems)
    assert read.rejected  # every patient of those two practices
