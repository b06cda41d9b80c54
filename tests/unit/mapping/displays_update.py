"""Regenerate the mapping's display table (src/fhircare/mapping/display_table.py) from the
loaded terminology:

    python tests/unit/mapping/displays_update.py

The mapping must not read terminology at run time (no I/O; UK Core is not a run-time
dependency), so the displays of the codes it writes are a table in code. Which codes: every
concept of fhircare's own code systems and of the small HL7 and UK Core code systems the
mapping uses, the codes it uses from large ones, SNOMED CT and BCP-47 codes as fhircare's
value sets list them, and fhircare's profiles (their URLs are codes of a Consent's
provision.class). ``test_displays.py`` fails when the committed table differs from this.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from fhircare.source.codes import FHIRCARE_CS, Relationship  # noqa: E402
from tests.unit.mapping.terminology_displays import BCP47, SNOMED, URI, terminology  # noqa: E402

TABLE = REPO / "src" / "fhircare" / "mapping" / "display_table.py"
_HL7 = "http://terminology.hl7.org/CodeSystem/"
_UKCORE = "https://fhir.hl7.org.uk/CodeSystem/"
#: code systems whose every concept goes in the table
WHOLE = (
    _HL7 + "discharge-disposition",
    _HL7 + "goal-achievement",
    _HL7 + "risk-probability",
    _HL7 + "condition-clinical",
    _HL7 + "condition-category",
    _HL7 + "flag-category",
    _HL7 + "observation-category",
    _HL7 + "data-absent-reason",
    _HL7 + "v2-0131",
    _HL7 + "v3-Confidentiality",
    _HL7 + "v3-ActPriority",
    _HL7 + "v3-DataOperation",
    _HL7 + "organization-type",
    _HL7 + "provenance-participant-type",
    _HL7 + "consentscope",
    _HL7 + "consentaction",
    _UKCORE + "UKCore-LegalStatusClassificationEngland",
    _UKCORE + "UKCore-LegalStatusClassificationWales",
    _UKCORE + "UKCore-LegalStatusContext",
    _UKCORE + "UKCore-NHSNumberVerificationStatusEngland",
    _UKCORE + "UKCore-AdditionalPersonRelationshipRole",
    _UKCORE + "UKCore-SDSJobRoleName",
    _UKCORE + "UKCore-EthnicCategoryEngland",
    SNOMED,
    BCP47,
    URI,
)
#: the codes the mapping uses from large code systems
SELECTED = {
    _HL7 + "v3-ActCode": ("PSY", "NOPAT", "IDSCL", "ICOL", "IMP", "ACUTE", "NONAC", "AMB", "VR"),
    _HL7 + "v3-RoleCode": tuple(sorted(r.value for r in Relationship)),
    _HL7 + "v3-ActReason": ("SUPNWK", "COC", "ETREAT"),
    _HL7 + "v3-ParticipationType": ("IRCP", "PPRF", "PART"),
    _HL7 + "service-category": ("22",),
    "http://hl7.org/fhir/resource-types": ("CarePlan", "CareTeam", "Goal", "RelatedPerson"),
}


def table() -> dict[str, dict[str, str]]:
    loaded = terminology()
    out: dict[str, dict[str, str]] = {}
    for system, codes in loaded.items():
        if system.startswith(FHIRCARE_CS) or system in WHOLE:
            out[system] = dict(sorted(codes.items()))
    for system, wanted in SELECTED.items():
        out[system] = {c: loaded[system][c] for c in sorted(wanted)}
    return dict(sorted(out.items()))


def _literal(text: str) -> str:
    """A string literal as ruff format writes it (double quotes)."""
    return json.dumps(text, ensure_ascii=False)


def render(displays: dict[str, dict[str, str]]) -> str:
    lines = [
        "# ruff: noqa: E501",
        '"""The display of every code the mapping writes, from the loaded terminology (generated:',
        "``python tests/unit/mapping/displays_update.py``; do not edit by hand). system → code → display.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "DISPLAYS: dict[str, dict[str, str]] = {",
    ]
    for system, codes in displays.items():
        lines.append(f"    {_literal(system)}: {{")
        lines.extend(f"        {_literal(code)}: {_literal(display)}," for code, display in codes.items())
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    TABLE.write_text(render(table()), encoding="utf-8")
    print(f"wrote {TABLE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
