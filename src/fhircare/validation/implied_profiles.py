"""Profiles the FHIR specification itself imposes on an instance, whatever it claims.

R4's vital signs page: an Observation that carries one of the vital signs codes SHALL
conform to the matching core profile (heartrate, bp, bodyweight, ...). The HL7 validator
applies this rule (its full-validation policy adds the profile), and so does fhircare. The
code lists are the HL7 validator's (7.0.6): LOINC codes and SNOMED CT codes per profile; a
code may name more than one profile (SNOMED CT 271306003 names both resprate and heartrate
there, and both are applied, as it does).
"""

from __future__ import annotations

from typing import Any

from fhircare.validation.snomed import SNOMED

_LOINC = "http://loinc.org"
_BASE = "http://hl7.org/fhir/StructureDefinition/"

_BY_PROFILE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # profile: (LOINC codes, SNOMED CT codes)
    "vitalspanel": (("85353-1",), ("46680005",)),
    "resprate": (
        ("9279-1", "76170-0", "76172-6", "76171-8", "19840-8", "33438-3", "76270-8", "11291-2"),
        ("86290005", "271625008", "271306003"),
    ),
    "heartrate": (
        (
            "60978-4", "73795-7", "73799-9", "76476-1", "76477-9", "8867-4", "8889-8", "8890-6", "8891-4",
            "8892-2", "8893-0", "40443-4", "55425-3", "68999-2", "11328-2", "69000-8", "8886-4",
        ),
        ("271306003", "249043002", "444981005", "399017001", "251670001", "429525003", "429614003"),
    ),
    "oxygensat": (
        ("2708-6", "19224-5", "20564-1", "2709-4", "2710-2", "2713-6", "51733-4", "59408-5", "59417-6",
         "89276-0", "97549-0"),
        ("442476006", "431314004"),
    ),
    "bodytemp": (
        (
            "8310-5", "60834-9", "60835-6", "60836-4", "60838-0", "60955-2", "61009-7", "75539-7", "75987-8",
            "76010-8", "76011-6", "76278-1", "8309-7", "8328-7", "8329-5", "8330-3", "8331-1", "8332-9",
            "8333-7", "8334-5", "91371-5", "98657-0", "98663-8",
        ),
        (
            "386725007", "276885007", "300076005", "1222808002", "364246006", "307047009", "708499008",
            "431598003", "698831002", "698832009", "415882003", "415974002", "415929009", "415945006",
        ),
    ),
    "bodyheight": (
        ("8302-2", "3137-7", "3138-5", "8306-3", "8308-9"),
        ("1153637007", "1162419008", "50373000", "1162418000", "1230278008", "1162392001", "1162417005"),
    ),
    "headcircum": (("9843-4", "8287-5"), ("363812007", "169876006", "1269262007", "363811000")),
    "bodyweight": (
        ("29463-7", "3141-9", "3142-7", "75292-3", "79348-9", "8350-1", "8351-9"),
        ("735395000", "425024002", "424927000", "784399000", "1162416001", "1162415002"),
    ),
    "bmi": (("39156-5", "89270-3"), ("60621009",)),
    "bp": (
        ("85354-9", "35094-2", "8459-0", "76534-7", "55284-4", "8480-6"),
        (
            "251076008", "163033001", "163035008", "386534000", "386536003", "271649006", "271650006",
            "407556006", "407554009", "716579001", "399304008",
        ),
    ),
}  # fmt: skip

#: (system, code) → the profiles it implies, in the order above
_IMPLIED: dict[tuple[str, str], tuple[str, ...]] = {}
for _name, (_loinc, _snomed) in _BY_PROFILE.items():
    for _system, _codes in ((_LOINC, _loinc), (SNOMED, _snomed)):
        for _code in _codes:
            _IMPLIED[(_system, _code)] = (*_IMPLIED.get((_system, _code), ()), _BASE + _name)


def implied_profiles(resource: dict[str, Any]) -> list[str]:
    """The core profiles an Observation must meet because of its code (empty for others)."""
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    if not isinstance(codings, list):
        return []
    found: list[str] = []
    for coding in codings:
        if not isinstance(coding, dict):
            continue
        system, value = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(value, str):
            for url in _IMPLIED.get((system, value), ()):
                if url not in found:
                    found.append(url)
    return found
