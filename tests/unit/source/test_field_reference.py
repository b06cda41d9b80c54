"""Issue 11 item 7: the field reference in mappings/README.md is generated from the source
model and must match it (regenerate: python -m fhircare.source.field_reference mappings/README.md)."""

from __future__ import annotations

from fhircare.source.field_reference import field_reference, section_of
from fhircare.source.records import RECORD_TYPES
from tests.unit.source.conftest import MAPPINGS


def test_the_readme_field_reference_matches_the_source_model() -> None:
    readme = (MAPPINGS / "README.md").read_text(encoding="utf-8")
    assert section_of(readme) == field_reference(), (
        "mappings/README.md is out of date: python -m fhircare.source.field_reference mappings/README.md"
    )


def test_it_names_every_record_type_field_and_code() -> None:
    reference = field_reference()
    for name, rt in RECORD_TYPES.items():
        assert f"#### `{name}`" in reference
        for spec in rt.fields.values():
            if "." not in spec.name:
                assert f"| `{spec.name}` |" in reference, (name, spec.name)
            for code in spec.codes or ():
                assert f"`{code.value}`" in reference
