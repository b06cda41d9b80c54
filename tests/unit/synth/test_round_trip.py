"""Issue 11 item 6: synth writes any layout its mapping can read. For every shipped layout
and for generated variations of it — wide and narrow DIALOG tables, record types sharing a
file or each in its own, other delimiters and quoting, encodings, date and time formats,
with or without header-count and trailer lines, other column names — what synth writes
reads back as exactly the records it was given, every service user accepted."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhircare.source.codes import DialogItem
from fhircare.source.mapping_file import _StringLoader, load_mapping
from fhircare.synth import synthesise
from tests.unit.source.conftest import LAYOUTS, MAPPINGS, read_all

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d.%m.%Y", "%d-%b-%Y", "%m/%d/%Y", "%-d/%-m/%Y")
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%d/%m/%Y %H:%M", "%Y%m%d%H%M", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H.%M")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")


def base(layout: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load((MAPPINGS / f"{layout}.yaml").read_text(), Loader=_StringLoader)
    return document


def sources(document: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for spec in document["record_types"].values():
        out.extend(spec if isinstance(spec, list) else [spec])
    return out


def as_narrow(document: dict[str, Any]) -> None:
    """Wide DIALOG columns → a file with one row per item."""
    assessment = document["record_types"]["dialog_assessment"]
    assessment["columns"] = {k: v for k, v in assessment["columns"].items() if "." not in k}
    document["record_types"]["dialog_rating"] = {
        "file": "dialog_items.csv",
        "format": "csv",
        "optional": "true",
        "encoding": "utf-8",
        "csv": {"delimiter": ",", "quoting": "minimal", "preamble": "", "trailer": ""},
        "columns": {
            "dialog_assessment_id": "ASSESSMENT",
            "item": "ITEM",
            "rating": "RATING",
            "more_help": {"column": "HELP", "value_map": {"Y": "true", "N": "false"}},
            "not_rated_reason": "WHY_NOT_RATED",
        },
    }


def as_wide(document: dict[str, Any]) -> None:
    """A narrow DIALOG table → three columns per item on the assessment's row."""
    del document["record_types"]["dialog_rating"]
    columns = document["record_types"]["dialog_assessment"]["columns"]
    for number, item in enumerate(DialogItem, start=1):
        columns[f"rating.{item.value}"] = f"SCORE_{number}"
        columns[f"more_help.{item.value}"] = {"column": f"HELP_{number}", "value_map": {"yes": "true", "no": "false"}}
        columns[f"not_rated_reason.{item.value}"] = f"NOT_RATED_{number}"


def own_files(document: dict[str, Any]) -> None:
    """Each single-source record type in a file of its own (no type column to tell them apart)."""
    for name, spec in document["record_types"].items():
        if isinstance(spec, dict) and spec.get("where"):
            spec.pop("where")
            spec.pop("ignore_rows", None)
            spec["file"] = f"{name}__*.{'jsonl' if spec['format'] == 'jsonl' else 'csv'}"


def rename_columns(document: dict[str, Any], prefix: str) -> None:
    """Every column of CSV files renamed (JSON key paths stay: nested objects)."""

    def renamed(value: str) -> str:
        return prefix + value

    for spec in sources(document):
        if spec["format"] != "csv":
            continue
        for field, column in list(spec["columns"].items()):
            if isinstance(column, str):
                spec["columns"][field] = renamed(column)
            elif "column" in column:
                column["column"] = renamed(column["column"])
            elif "columns" in column:
                column["columns"] = [renamed(c) for c in column["columns"]]
            else:
                column["template"] = column["template"].replace("{", "{" + prefix)
        spec["where"] = {renamed(k): v for k, v in spec.get("where", {}).items()}
        spec["ignore_rows"] = [{renamed(k): v for k, v in rule.items()} for rule in spec.get("ignore_rows", [])]
        if "when_filled" in spec:
            filled = spec["when_filled"]
            spec["when_filled"] = [renamed(c) for c in ([filled] if isinstance(filled, str) else filled)]


@st.composite
def variations(draw: st.DrawFn, layout: str) -> dict[str, Any]:
    document = copy.deepcopy(base(layout))
    read = document.setdefault("read", {})
    delimiter = draw(st.sampled_from([",", ";", "|", "\t"]))
    csv = read.setdefault("csv", {})
    csv["delimiter"] = delimiter
    csv["quoting"] = "none" if delimiter == "\t" and layout == "welsh-pas-like" else "minimal"
    framed = draw(st.booleans())
    csv["preamble"] = "HDR{*}|{rows}" if framed else None
    csv["trailer"] = "TRL|{rows}" if framed else None
    read["encoding"] = draw(st.sampled_from(ENCODINGS))
    read["date_formats"] = [draw(st.sampled_from(DATE_FORMATS))]
    read["datetime_formats"] = [draw(st.sampled_from(DATETIME_FORMATS))]
    for spec in sources(document):
        spec.pop("date_formats", None)
        spec.pop("datetime_formats", None)
        if spec.get("encoding") and not spec.get("csv"):
            spec.pop("encoding")
    if "dialog_rating" in document["record_types"]:
        if draw(st.booleans()):
            as_wide(document)
    elif draw(st.booleans()):
        as_narrow(document)
    if draw(st.booleans()):
        own_files(document)
    if draw(st.booleans()):
        rename_columns(document, draw(st.sampled_from(["X_", "col ", "Ä"])))
    return document


def round_trip(document: dict[str, Any], seed: int, patients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "layout.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        mapping = load_mapping(folder / "layout.yaml")
        kept: list[object] = []
        synthesise(mapping, folder / "extract", patients=patients, seed=seed, keep=kept.append)
        read = read_all(folder / "extract", mapping)
        assert read.file_problems == [] and read.directory_problems == [] and read.unattributed == []
        assert read.rejected == {}
        assert list(read.accepted.values()) == kept


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32), patients=st.integers(1, 4))
def test_every_shipped_layout_and_its_variations_round_trip(data: st.DataObject, seed: int, patients: int) -> None:
    for layout in LAYOUTS:
        round_trip(data.draw(variations(layout), label=layout), seed, patients)


def test_each_shipped_layout_as_shipped_round_trips_a_full_block_of_scenarios() -> None:
    for layout in LAYOUTS:
        round_trip(base(layout), seed=3, patients=12)
