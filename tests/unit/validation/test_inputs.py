"""Reading what to validate: files, folders, NDJSON; problems located, never raised."""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhircare.errors import MalformedJSONError, NotFHIRError
from fhircare.validation.inputs import (
    InputProblem,
    InputResource,
    count_inputs,
    iter_inputs,
    parse_resource,
)

PATIENT = {"resourceType": "Patient", "id": "p1"}


def write(path: Path, content: bytes | str | dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, dict):
        content = orjson.dumps(content)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_a_json_file_is_one_resource_labelled_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path / "patient.json", PATIENT)

    [item] = iter_inputs([path])

    assert item == InputResource(str(path), PATIENT, path)


def test_a_bundle_is_one_item(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": PATIENT}]}
    path = write(tmp_path / "bundle.json", bundle)

    items = list(iter_inputs([path]))

    assert [type(i) for i in items] == [InputResource]
    assert isinstance(items[0], InputResource) and items[0].resource == bundle


def test_malformed_json_is_a_problem_with_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", '{"resourceType": "Patient",\n  "id" "p1"}')

    [item] = iter_inputs([path])

    assert isinstance(item, InputProblem)
    assert (item.line, item.column) == (2, 8)
    assert isinstance(item.error, MalformedJSONError)
    assert str(item) == f"{path}:2:8: malformed JSON: Expecting ':' delimiter"
    assert item.where() == f"{path}:2:8"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"resourceType": NaN}', "malformed JSON"),
        (b'{"resourceType": "Patient",}', "malformed JSON"),
    ],
)
def test_bytes_that_are_not_json(tmp_path: Path, content: bytes, fragment: str) -> None:
    [item] = iter_inputs([write(tmp_path / "x.json", content)])

    assert isinstance(item, InputProblem)
    assert fragment in item.message
    assert item.line is not None


@pytest.mark.parametrize("content", ["[1, 2]", '"Patient"', "{}", '{"resourceType": 3}', '{"id": "p1"}'])
def test_json_that_is_not_a_resource(tmp_path: Path, content: str) -> None:
    [item] = iter_inputs([write(tmp_path / "x.json", content)])

    assert isinstance(item, InputProblem)
    assert isinstance(item.error, NotFHIRError)
    assert item.message == "not a FHIR resource (no resourceType)"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    [item] = iter_inputs([write(tmp_path / "bom.json", b"\xef\xbb\xbf" + orjson.dumps(PATIENT))])

    assert isinstance(item, InputResource)


def test_ndjson_gives_one_item_per_line_and_locates_bad_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "extract.ndjson",
        '{"resourceType": "Patient", "id": "a"}\n'
        "\n"
        '{"resourceType": "Patient", "id" "b"}\n'
        "[]\n"
        '{"resourceType": "Patient", "id": "c"}',
    )

    items = list(iter_inputs([path]))

    assert [item.label for item in items] == [f"{path}:1", f"{path}:3", f"{path}:4", f"{path}:5"]
    good_1, bad, not_fhir, good_5 = items
    assert isinstance(good_1, InputResource) and good_1.line == 1
    assert isinstance(good_5, InputResource) and good_5.resource["id"] == "c"
    assert isinstance(bad, InputProblem) and bad.where() == f"{path}:3:34"
    assert isinstance(not_fhir, InputProblem) and not_fhir.where() == f"{path}:4"


def test_folders_are_walked_recursively_sorted_skipping_hidden_and_other_files(
    tmp_path: Path,
) -> None:
    write(tmp_path / "b.json", PATIENT)
    write(tmp_path / "a" / "z.json", PATIENT)
    write(tmp_path / "a" / "lines.jsonl", orjson.dumps(PATIENT) + b"\n")
    write(tmp_path / "c.ndjson", orjson.dumps(PATIENT))
    write(tmp_path / "notes.txt", "not json")
    write(tmp_path / ".hidden.json", "{")
    write(tmp_path / ".git" / "x.json", "{")

    labels = [item.label for item in iter_inputs([tmp_path])]

    assert labels == [
        f"{tmp_path}/a/lines.jsonl:1",
        f"{tmp_path}/a/z.json",
        f"{tmp_path}/b.json",
        f"{tmp_path}/c.ndjson:1",
    ]
    assert count_inputs([tmp_path]) == 4


def test_a_file_given_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "p.json", PATIENT)

    assert len(list(iter_inputs([path, tmp_path, Path(os.path.relpath(path))]))) == 1


def test_a_missing_path_is_a_problem_and_the_others_are_still_read(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", PATIENT)
    missing = tmp_path / "missing.json"

    items = list(iter_inputs([missing, good]))

    assert isinstance(items[0], InputProblem)
    assert str(items[0]) == f"{missing}: no such file or folder"
    assert isinstance(items[1], InputResource)


def test_an_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "p.json", PATIENT)

    def refuse(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # root reads a chmod 000 file anyway: refuse the open itself
    monkeypatch.setattr(Path, "open", refuse)
    [item] = iter_inputs([path])

    assert isinstance(item, InputProblem)
    assert str(item) == f"{path}: cannot read file: Permission denied"


def test_a_file_given_by_name_is_json_whatever_its_extension(tmp_path: Path) -> None:
    [item] = iter_inputs([write(tmp_path / "patient.fhir", PATIENT)])

    assert isinstance(item, InputResource)


# -- properties ---------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inputs")


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=200))
def test_any_bytes_in_a_json_file_give_exactly_one_item(scratch: Path, content: bytes) -> None:
    path = write(scratch / "any.json", content)

    [item] = iter_inputs([path])

    if isinstance(item, InputResource):
        assert isinstance(item.resource.get("resourceType"), str)
    else:
        assert isinstance(item, InputProblem)
        assert str(item).startswith(str(path))
        assert item.message


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.binary(max_size=40).filter(lambda b: b"\n" not in b), max_size=6))
def test_any_ndjson_gives_one_item_per_non_blank_line(scratch: Path, lines: list[bytes]) -> None:
    path = write(scratch / "any.ndjson", b"\n".join(lines))

    items = list(iter_inputs([path]))

    expected = [n for n, line in enumerate(lines, start=1) if line.strip()]
    if lines and lines[0].startswith(b"\xef\xbb\xbf") and not lines[0][3:].strip():
        expected = expected[1:]
    assert [item.label for item in items] == [f"{path}:{n}" for n in expected]
    for item, number in zip(items, expected, strict=True):
        if isinstance(item, InputProblem):
            assert item.line == number


@settings(max_examples=100, deadline=None)
@given(body=st.dictionaries(st.text(), _json_values, max_size=5), resource_type=st.text())
def test_json_objects_with_a_resource_type_are_read_back_unchanged(body: dict[str, object], resource_type: str) -> None:
    resource = {**body, "resourceType": resource_type}
    text = json.dumps(resource, ensure_ascii=False)

    parsed = parse_resource(text.encode("utf-8", "surrogatepass"), file="x.json")

    if any("\ud800" <= ch <= "\udfff" for ch in text):
        assert isinstance(parsed, MalformedJSONError)  # lone surrogates are not UTF-8
    else:
        assert parsed == resource
