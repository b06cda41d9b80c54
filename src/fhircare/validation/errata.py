"""Known errors in published definitions, corrected as they are loaded.

Each correction is one the HL7 validator makes too (its package loader,
``PackageHackerR5``), so both validators judge the same definitions; each is keyed on
the exact canonical URL and version it corrects, and leaves every other definition
untouched. The corrected copy is a new dict: the loaded resource is shared and stays
as published.
"""

from __future__ import annotations

from typing import Any

_CORE = "http://hl7.org/fhir/StructureDefinition/"
_VITAL_SIGNS = _CORE + "vitalsigns"
_VITAL_SIGNS_UNITS = "http://hl7.org/fhir/ValueSet/ucum-vitals-common|4.0.1"


def corrected(sd: dict[str, Any]) -> dict[str, Any]:
    """The StructureDefinition with the known errata of its published version mended."""
    if _is_r4_vital_signs(sd):
        return _vital_signs_component_units_extensible(sd)
    return sd


def _is_r4_vital_signs(sd: dict[str, Any]) -> bool:
    url = sd.get("url")
    return (
        isinstance(url, str)
        and url.startswith(_CORE)
        and sd.get("version") == "4.0.1"
        and sd.get("type") == "Observation"
        and _VITAL_SIGNS in (url, sd.get("baseDefinition"))
    )


def _vital_signs_component_units_extensible(sd: dict[str, Any]) -> dict[str, Any]:
    """R4's vital signs profiles bind ``Observation.component.value[x]`` (every type it
    may take, string and CodeableConcept included) *required* to the common vital signs
    UCUM units, so a component such as an inhaled oxygen flow rate in L/min could never
    be valid. The binding was meant for the units of a quantity; the HL7 validator backs
    it off to extensible (a code outside it is a warning), and so does fhircare."""
    out = dict(sd)
    for part in ("snapshot", "differential"):
        section = sd.get(part)
        if isinstance(section, dict) and isinstance(section.get("element"), list):
            out[part] = {**section, "element": [_extensible_units(e) for e in section["element"]]}
    return out


def _extensible_units(element: Any) -> Any:
    if not isinstance(element, dict):
        return element
    binding = element.get("binding")
    if (
        element.get("path") == "Observation.component.value[x]"
        and isinstance(binding, dict)
        and binding.get("valueSet") == _VITAL_SIGNS_UNITS
        and binding.get("strength") == "required"
    ):
        return {**element, "binding": {**binding, "strength": "extensible"}}
    return element
