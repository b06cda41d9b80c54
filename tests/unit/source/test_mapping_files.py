"""Mapping files: the shipped layouts load; a wrong file is one clear error per problem,
naming the file, the key path and the line."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from fhircare.errors import MappingFileError
from fhircare.source.limits import ReadLimits
from fhircare.source.mapping_file import TrustMapping, load_mapping
from tests.unit.source.conftest import LAYOUTS, MAPPINGS

MINIMAL = """\
description: test layout
trust:
  name: Test Trust
  ods_code: ZZT9
  identifier_system_base: https://fhir.example.nhs.uk/Id/test
  consent_policy_uri: https://fhir.example.nhs.uk/policy
value_maps:
  gender: {M: male, F: female}
record_types:
  service_user:
    file: "clients*.csv"
    format: csv
    columns:
      service_user_id: ID
      family_name: SURNAME
      given_name: FORENAME
      birth_date: DOB
      gender: {column: SEX, value_map: gender}
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
      service_user_contributed: CONTRIBUTED
"""


def load_error(write: Callable[[str], Path], text: str) -> MappingFileError:
    with pytest.raises(MappingFileError) as exc:
        load_mapping(write(text))
    return exc.value


@pytest.mark.parametrize("name", LAYOUTS)
def test_shipped_layouts_load(name: str) -> None:
    mapping = load_mapping(MAPPINGS / f"{name}.yaml")
    assert mapping.name == name
    assert {"service_user", "care_plan", "care_team_member", "dialog_assessment"} <= set(mapping.records)


def test_minimal_layout_loads(write_mapping: Callable[[str], Path]) -> None:
    mapping = load_mapping(write_mapping(MINIMAL))
    assert mapping.records["service_user"].column_for("gender") == "SEX"
    assert mapping.identifier_system("care_plan") == "https://fhir.example.nhs.uk/Id/test/care-plan"


def test_unknown_field_names_the_key_path_line_and_a_suggestion(write_mapping: Callable[[str], Path]) -> None:
    error = load_error(write_mapping, MINIMAL.replace("      start_date: START", "      start_dat: START"))
    assert error.file is not None and error.file.endswith("test.yaml")
    assert error.line == 29
    assert str(error).endswith(
        "test.yaml:29: record_types.care_plan.columns.start_dat: unknown field 'start_dat' of care_plan"
        " (did you mean 'start_date'?) (and 1 more)"
    )
    # the second issue: with start_date gone, a required field is no longer mapped
    assert error.lines()[1].endswith(
        "record_types.care_plan.columns: required field 'start_date' of care_plan is neither mapped nor defaulted"
    )


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (("  care_plan:\n", "  care_plans:\n"), "record_types.care_plans", "unknown record type 'care_plans'"),
        (
            ("value_map: gender}", "value_map: sex}"),
            "record_types.service_user.columns.gender.value_map",
            "unknown value map 'sex'",
        ),
        (("{M: male, F: female}", "{M: male, F: mael}"), "value_maps.gender.F", "'mael' is not a gender code"),
        (
            ("      birth_date: DOB", '      birth_date: {column: DOB, formats: ["%d/%m"]}'),
            "record_types.service_user.columns.birth_date.formats.0",
            "does not hold a full date",
        ),
        (
            ("      birth_date: DOB", "      birth_date: {column: DOB, value_map: gender}"),
            "record_types.service_user.columns.birth_date.value_map",
            "value maps do not apply to date fields",
        ),
        (
            ("    format: csv\n    columns:\n      care_plan_id", "    format: xml\n    columns:\n      care_plan_id"),
            "record_types.care_plan.format",
            "Input should be 'csv' or 'jsonl'",
        ),
        (
            ("    file: plans.csv\n", "    file: plans.csv\n    optionl: true\n"),
            "record_types.care_plan.optionl",
            "unknown key 'optionl' (did you mean 'optional'?)",
        ),
        (("  ods_code: ZZT9\n", ""), "trust.ods_code", "required key 'ods_code' is missing"),
        # found by a trial of a new layout: with N in both, N was read as yes, and every
        # contact was marked not to be involved
        (
            ("value_maps:\n", "read:\n  true_values: [Y, N]\n  false_values: [n]\nvalue_maps:\n"),
            "read",
            "'n' is both a true and a false value",
        ),
        (
            ("value_maps:\n", "read:\n  missing_values: ['-', 'No']\nvalue_maps:\n"),
            "read",
            "'no' is a missing value and a yes/no value",
        ),
        # fifth layout trial (a Y/N/U export): an unknown is neither a yes nor a no
        (
            ("value_maps:\n", "read:\n  true_values: [Y]\n  false_values: [N, U]\nvalue_maps:\n"),
            "read",
            "'u' says unknown, which is neither a true nor a false value",
        ),
        # fifth layout trial: a column of two date orders given both formats read 4 March
        # (03/04/2025) as 3 April, silently
        (
            ("      birth_date: DOB", '      birth_date: {column: DOB, formats: ["%d/%m/%Y", "%m/%d/%Y"]}'),
            "record_types.service_user.columns.birth_date.formats",
            "'%d/%m/%Y' and '%m/%d/%Y' read day and month in both orders: a value valid in both (such as 03/04/2025)",
        ),
        (
            ("value_maps:\n", 'read:\n  date_formats: ["%-d/%-m/%Y", "%Y-%m-%d", "%m/%d/%Y"]\nvalue_maps:\n'),
            "read.date_formats",
            "read day and month in both orders",
        ),
        # a column's own missing values replace read's: checked there too (found by a review)
        (
            (
                "      service_user_contributed: CONTRIBUTED",
                "      service_user_contributed: {column: CONTRIBUTED, missing_values: [N]}",
            ),
            "record_types.care_plan.columns.service_user_contributed",
            "'N' is a missing value and a yes/no value of this field",
        ),
        (("    file: plans.csv", "    file: ../plans.csv"), "record_types.care_plan.file", "relative to the extract"),
        (
            ("      service_user_id: ID\n      plan_type", "      plan_type"),
            "record_types.care_plan.columns",
            "service_user_id must be mapped",
        ),
    ],
)
def test_each_mistake_names_its_key(
    write_mapping: Callable[[str], Path], change: tuple[str, str], path: str, reason: str
) -> None:
    assert change[0] in MINIMAL
    error = load_error(write_mapping, MINIMAL.replace(*change))
    assert any(f": {path}: " in line and reason in line for line in error.lines()), error.lines()


def test_defaults_are_checked_and_ids_cannot_default(write_mapping: Callable[[str], Path]) -> None:
    text = MINIMAL + "    defaults:\n      status: activ\n      care_plan_id: X\n"
    lines = load_error(write_mapping, text).lines()
    assert any("record_types.care_plan.defaults.status: unknown code 'activ'" in line for line in lines)
    assert any(
        "record_types.care_plan.defaults.care_plan_id: 'care_plan_id' identifies a record" in line for line in lines
    )


def test_yaml_syntax_errors_have_a_line(write_mapping: Callable[[str], Path]) -> None:
    error = load_error(write_mapping, MINIMAL.replace("  gender: {M: male, F: female}", "  gender: {M: male"))
    assert error.line is not None and "not valid YAML" in str(error)


def test_scalars_stay_strings(write_mapping: Callable[[str], Path]) -> None:
    """YAML 1.1 would read NO as false and 01 as 1; a code list must keep them as written."""
    text = MINIMAL.replace("{M: male, F: female}", "{NO: male, 01: female, yes: unknown}")
    mapping = load_mapping(write_mapping(text))
    assert mapping.value_maps["gender"] == {"NO": "male", "01": "female", "yes": "unknown"}


def test_not_a_mapping_at_all(write_mapping: Callable[[str], Path]) -> None:
    assert "required key 'description' is missing" in "\n".join(load_error(write_mapping, "{}").lines())


@pytest.mark.parametrize("name", LAYOUTS)
def test_shipped_value_maps_cover_every_canonical_code(layouts: dict[str, TrustMapping], name: str) -> None:
    """A shipped layout can carry any canonical record (what synth relies on): every code
    of a field has a local code in some source of its record type (a source may take only
    some, like the Welsh referral row that holds only a lead)."""
    for rtype, plans in layouts[name].sources.items():
        covered: dict[str, set[str]] = {}
        mapped: dict[str, set[str]] = {}
        for plan in plans:
            for column in plan.columns:
                value_map, codes = column.options.value_map, column.field.codes
                if codes is None:
                    continue
                mapped.setdefault(column.field.name, {m.value for m in codes})
                found = set(value_map.values()) if value_map is not None else mapped[column.field.name]
                covered.setdefault(column.field.name, set()).update(v for v in found if v is not None)
        for field, codes in mapped.items():
            missing = codes - covered[field]
            assert not missing, f"{name}: {rtype}.{field} lacks {missing}"


# --- value maps written as FHIR ConceptMaps ----------------------------------------------

WELSH_ROWS = MAPPINGS.parent / "profiles" / "package" / "ConceptMap-welsh-policy-row-to-measure-area.json"


def _with_concept_map(write_mapping: Callable[[str], Path], concept_map: str) -> Path:
    """The RiO-like mapping with a ConceptMap (a path relative to the mapping file)."""
    text = (MAPPINGS / "rio-like.yaml").read_text(encoding="utf-8")
    text = text.replace("\nvalue_maps:\n", f"\nconcept_maps:\n  welsh_rows: {concept_map}\nvalue_maps:\n", 1)
    return write_mapping(text)


def test_a_concept_map_is_a_value_map(write_mapping: Callable[[str], Path], tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    shutil.copy(WELSH_ROWS, tmp_path / "maps" / WELSH_ROWS.name)
    path = _with_concept_map(write_mapping, f"maps/{WELSH_ROWS.name}")
    mapping = load_mapping(path)
    assert mapping.value_maps["welsh_rows"]["training-and-education"] == "education-and-training"
    assert mapping.value_maps["welsh_rows"]["other-treatment"] == "medical-and-other-treatment"  # wider


def test_a_concept_map_that_cannot_be_used_names_its_key(write_mapping: Callable[[str], Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"resourceType": "ConceptMap", "group": [{"element": [{"code": "A", "target": [{"code": "x",'
        ' "equivalence": "narrower"}]}]}]}'
    )
    with pytest.raises(MappingFileError) as caught:
        load_mapping(_with_concept_map(write_mapping, broken.name))
    [line] = caught.value.lines()
    assert "concept_maps.welsh_rows (group[0].element[0])" in line and "code 'A' has no target that covers it" in line
    shutil.copy(MAPPINGS.parent / "profiles" / "package" / "package.json", tmp_path / "package.json")
    with pytest.raises(MappingFileError, match="is not a FHIR ConceptMap"):
        load_mapping(_with_concept_map(write_mapping, "package.json"))
    (tmp_path / "notes.md").write_text("# not JSON\n")
    with pytest.raises(MappingFileError, match="is not JSON"):
        load_mapping(_with_concept_map(write_mapping, "notes.md"))


def test_a_concept_map_outside_the_mapping_folder_is_refused_unless_allowed(
    write_mapping: Callable[[str], Path],
) -> None:
    """A mapping file cannot make fhircare read any file on the machine (issue 14)."""
    path = _with_concept_map(write_mapping, str(WELSH_ROWS))
    with pytest.raises(MappingFileError, match=r"is outside the mapping file.s folder .*FHIRCARE_MAPPING_ALLOWED_DIRS"):
        load_mapping(path)
    allowed = ReadLimits(mapping_allowed_dirs=(WELSH_ROWS.parent,))
    assert "welsh_rows" in load_mapping(path, limits=allowed).value_maps
    with pytest.raises(MappingFileError, match="outside the mapping file's folder"):
        load_mapping(_with_concept_map(write_mapping, "../../../../../../../etc/passwd"))


def test_a_concept_map_target_a_field_cannot_take_is_blamed_on_the_concept_map(
    write_mapping: Callable[[str], Path], tmp_path: Path
) -> None:
    # a reviewer's ConceptMap to SNOMED CT used for a field of fhircare's own codes: the error
    # named 'value_maps' at the value_maps line (the map is a concept_maps entry) and added a
    # false "required field ... is neither mapped nor defaulted" for the column that uses it
    (tmp_path / "maps").mkdir()
    shutil.copy(WELSH_ROWS, tmp_path / "maps" / WELSH_ROWS.name)
    path = _with_concept_map(write_mapping, f"maps/{WELSH_ROWS.name}")
    text = path.read_text().replace(
        "gender: {column: GENDER, value_map: gender}", "gender: {column: GENDER, value_map: welsh_rows}"
    )
    path.write_text(text)
    with pytest.raises(MappingFileError) as caught:
        load_mapping(path)
    lines = caught.value.lines()
    concept_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("welsh_rows:"))
    assert lines and all(line.startswith(f"{path}:{concept_line}: concept_maps.welsh_rows: ") for line in lines)
    assert all("is not a gender code, as record_types.service_user.columns.gender reads it" in line for line in lines)
    assert not any("neither mapped nor defaulted" in line for line in lines)


def test_a_concept_map_that_cannot_be_read_hides_no_other_problem(
    write_mapping: Callable[[str], Path], tmp_path: Path
) -> None:
    # every problem is shown at once (mappings/README.md): a reviewer's unreadable ConceptMap
    # hid an unknown field elsewhere in the file, found only after fixing the map
    (tmp_path / "notes.md").write_text("# not JSON\n")
    path = _with_concept_map(write_mapping, "notes.md")
    path.write_text(path.read_text().replace("gender: {column: GENDER", "gendr: {column: GENDER", 1))
    with pytest.raises(MappingFileError) as caught:
        load_mapping(path)
    text = "\n".join(caught.value.lines())
    assert "concept_maps.welsh_rows" in text and "is not JSON" in text
    assert "unknown field 'gendr'" in text
