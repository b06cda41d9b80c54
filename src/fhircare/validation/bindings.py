"""Terminology bindings on elements, and codes checked against their code systems."""

from __future__ import annotations

from typing import Any

from fhircare.validation.datatypes import RFC_3986, URI_SCHEME
from fhircare.validation.issues import IssueSink, Severity
from fhircare.validation.primitives import as_read
from fhircare.validation.snomed import SNOMED, concept_id_problem
from fhircare.validation.structure import Binding
from fhircare.validation.terminology import IN, NOT_IN, UNKNOWN, Expansion, Terminology

_CODED_TYPES = ("code", "Coding", "CodeableConcept", "Quantity", "string", "uri")


def _codings(value: Any, type_code: str | None) -> list[tuple[str | None, str | None, Any]]:
    """(system, code, display) a coded value carries. A CodeableConcept's coding with a system
    and no code, or a code and no system, is one too: it names no member of any value set
    (a value set's members are codes *of a system*), so it does not meet a required binding
    (as the HL7 validator finds; a Coding of its own without a code is not checked, as there).
    So is a coding with a display and neither system nor code (null#null): words in a coding
    name no code either. A coding with nothing but extensions is no coding at all."""
    if not isinstance(value, dict):
        text = as_read(value)  # a code of 42 is the code '42' (its JSON error is the walk's)
        return [] if text is None else [(None, text, None)]
    if _is_concept(value, type_code):
        codings = value.get("coding")
        if not isinstance(codings, list):
            return []
        return [_pair(c) for c in codings if isinstance(c, dict) and ("system" in c or "code" in c or "display" in c)]
    if isinstance(value.get("code"), str):
        return [(value.get("system"), value["code"], value.get("display"))]
    return []


def _pair(coding: dict[str, Any]) -> tuple[str | None, str | None, Any]:
    # a number is read as its text, as the HL7 validator reads it (the JSON error is the
    # walk's): a system of 42 names no code system of the value set
    return as_read(coding.get("system")), as_read(coding.get("code")), coding.get("display")


def _is_concept(value: Any, type_code: str | None) -> bool:
    """Is the coded value a CodeableConcept (named so, or, unnamed, carrying codings)?"""
    return type_code == "CodeableConcept" or (type_code is None and isinstance(value, dict) and "coding" in value)


def _shown(system: str | None, code: str | None) -> str:
    """A coding as the HL7 validator shows it: system#code, a missing part as null."""
    return f"{system if system is not None else 'null'}#{code if code is not None else 'null'}"


def _label(exp: Expansion | None, url: str) -> str:
    if exp is None:
        return url
    return f"'{exp.display_name}' ({exp.versioned_url})"


class BindingChecker:
    def __init__(self, terminology: Terminology) -> None:
        self.terminology = terminology

    def in_value_set(self, value: Any, type_code: str | None, value_set: str) -> bool | None:
        """Is any coding of ``value`` in the value set? None when it cannot be told offline."""
        unknown = False
        concept = _is_concept(value, type_code)
        for system, code, _ in _codings(value, type_code):
            if code is None or (concept and system is None):
                continue  # in no value set (see _codings)
            membership, _ = self.terminology.check(value_set, system, code)
            if membership is IN:
                return True
            unknown = unknown or membership is UNKNOWN
        return None if unknown else False

    def settles(self, code: str, binding: Binding | None) -> bool:
        """Is this code (no system) plainly in the binding's value set, so that check()
        would have nothing to say? False whenever it might: the caller then checks."""
        if binding is None or not binding.value_set or binding.additional:
            return False
        exp = self.terminology.expand(binding.value_set)
        return exp is not None and exp.contains(None, code) is IN

    def check(self, value: Any, type_code: str, binding: Binding, loc: str, sink: IssueSink, profile: bool) -> None:
        if type_code not in _CODED_TYPES:
            return
        if type_code == "CodeableConcept" and binding.value_set and binding.strength != "example":
            self._check_systems(value, loc, sink)
        if binding.strength in ("required", "extensible") and binding.value_set:
            self._check(value, type_code, binding.value_set, binding.strength == "required", loc, sink, "")
        for extra in binding.additional:
            assert extra.value_set is not None
            self._check(
                value,
                type_code,
                extra.value_set,
                extra.strength == "required",
                loc,
                sink,
                " specified in an additional binding",
            )

    def _check_systems(self, concept: Any, loc: str, sink: IssueSink) -> None:
        """A bound concept's codings name code systems, not value sets: a value set's url as a
        coding's system names no code (a value set defines none), as the HL7 validator finds
        when it checks the codings against the value set (at each coding's system). (A local
        name as system, 'Location1', is reported there too by the HL7 validator with a
        terminology server, not offline: left, as for any concept's codings, see
        datatypes.check_code_system.)"""
        if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
            return
        for n, coding in enumerate(concept["coding"]):
            system = coding.get("system") if isinstance(coding, dict) else None
            if type(system) is str and self.terminology.context.type_of(system) == "ValueSet":
                text = f"The Coding references a value set, not a code system ('{system}')"
                sink.error("code-invalid", f"{loc}.coding[{n}].system", text)

    def _check(
        self, value: Any, type_code: str, vs: str, required: bool, loc: str, sink: IssueSink, which: str
    ) -> None:
        codings = _codings(value, type_code)
        if not codings:
            if (
                type_code == "CodeableConcept"
                and isinstance(value, dict)
                and isinstance(value.get("coding", []), list)  # else its shape is the error
                and not which
            ):
                # text alone (or codings with nothing but extensions): what it means is left to
                # a reader (a community treatment order flag that says so only in words), as
                # the HL7 validator reports it
                exp = self.terminology.expand(vs)
                if exp is not None:
                    if required:
                        text = f"No code provided, and a code is required from the value set {_label(exp, vs)}"
                        sink.error("code-invalid", loc, text)
                    else:
                        text = f"No code provided, and a code should be provided from the value set {_label(exp, vs)}"
                        sink.warning("code-invalid", loc, text)
            return
        exp = self.terminology.expand(vs)
        if exp is None:
            sink.warning(
                "not-found",
                loc,
                f"ValueSet {vs} not found by the validator, so the code cannot be checked",
            )
            return
        # the expansion in hand answers each coding (Terminology.check would look it up
        # again per coding); any coding in the value set settles it
        concept = _is_concept(value, type_code)
        memberships = [NOT_IN if c is None or (concept and s is None) else exp.contains(s, c) for s, c, _ in codings]
        if IN in memberships:
            if not any(self._refused_by_its_system(s, c, d) for s, c, d in codings):
                return
            # a coding its own code system refuses (an unknown code, or a member code under
            # another display) fails the whole value, its other codings with it: the HL7
            # validator reports both the coding and the value as not in the value set
            memberships = [NOT_IN if m is IN else m for m in memberships]
        results = [(s, c, m) for (s, c, _), m in zip(codings, memberships, strict=True)]
        if all(m is UNKNOWN for _, _, m in results):
            shown = ", ".join(f"{s}#{c}" if s else str(c) for s, c, _ in results)
            sink.warning(
                "not-supported",
                loc,
                f"The code(s) {shown} could not be checked against the value set {_label(exp, vs)}: "
                "the code system is not available offline",
            )
            return
        severity: Severity = "error" if required else "warning"
        must = "is required" if required else "should come from this value set unless it has no suitable code"
        if which:
            must = "from this value set " + must
        if type_code == "CodeableConcept":
            # in the HL7 validator's words (its closing parenthesis included)
            concept_must = (
                "from this value set is required)"
                if required
                else "SHALL come from this value set unless it has no suitable code"
                " (note that the validator cannot judge what is suitable)"
            )
            codes = ", ".join(_shown(s, c) for s, c, _ in results)
            text = (
                f"None of the codings provided are in the value set {_label(exp, vs)}{which}, "
                f"and a coding {concept_must} (codes = {codes})"
            )
        elif type_code in ("code", "string", "uri"):
            text = (
                f"The value provided ('{results[0][1]}') was not found in the value set "
                f"{_label(exp, vs)}{which}, and a code {must}"
            )
        else:
            s, c, _ = results[0]
            text = f"The code provided ({_shown(s, c)}) was not found in the value set {_label(exp, vs)}{which}"
        sink.add(severity, "code-invalid", loc, text)

    def _refused_by_its_system(self, system: str | None, code: str | None, display: Any) -> bool:
        """Does a code system we hold in full refuse this coding (its code, or its display)?"""
        if system is None or code is None:
            return False
        membership, display_problem = self.terminology.coding_problem(system, code, display)
        return membership is NOT_IN or display_problem is not None

    def check_codes(self, value: Any, type_code: str, loc: str, sink: IssueSink) -> None:
        """Codes claimed from a code system we hold in full must exist in it."""
        if type_code == "Coding":
            self.check_coding(value, loc, sink)
        elif type_code == "CodeableConcept" and isinstance(value, dict):
            for i, c in enumerate(value.get("coding", ()) if isinstance(value.get("coding"), list) else ()):
                self.check_coding(c, f"{loc}.coding[{i}]", sink)

    def check_quantity_code(self, quantity: dict[str, Any], loc: str, sink: IssueSink) -> None:
        """A Quantity's code claimed from a code system we hold in full must exist in it
        (a dose per tablet from v3-orderableDrugForm: 'TAB', not 'Tab')."""
        system, code = quantity.get("system"), quantity.get("code")
        if (
            isinstance(system, str)
            and isinstance(code, str)
            and self.terminology.code_in_system(system, code) is NOT_IN
        ):
            sink.error("code-invalid", f"{loc}.code", f"Unknown code '{code}' in the CodeSystem '{system}'")

    def check_coding(self, coding: Any, loc: str, sink: IssueSink, binding: Binding | None = None) -> None:
        """One Coding's code (and display) against its code system, when we hold it
        (``binding``: the element's own, if any)."""
        if not isinstance(coding, dict):
            return
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(system, str) or not isinstance(code, str):
            if isinstance(system, str) and "code" not in coding:
                # a system held in full and no code: which of its concepts was meant is lost
                cs = self.terminology.code_system(system)
                if cs is not None and cs.complete:
                    version = f" version '{cs.version}'" if cs.version else ""
                    sink.warning("code-invalid", loc, f"No code provided for CodeSystem '{system}'{version}")
            return
        if system == RFC_3986:
            # its codes are URIs: a code is one of them only if it is an absolute URI, as
            # the HL7 validator finds ('Patient' is not one)
            if (
                binding is not None
                and binding.strength in ("required", "extensible")
                and binding.value_set
                and self.terminology.expand(binding.value_set) is None
            ):
                return  # bound to a value set not held (DICOM's SOP classes): checked no further, as there
            if not URI_SCHEME.match(code):
                sink.error("code-invalid", f"{loc}.code", f"Unknown code '{code}' in the CodeSystem '{system}'")
            return
        cs = self.terminology.code_system(system)
        if cs is not None and cs.supplement:
            # a supplement's concepts are another system's, told about: a code "from" the
            # supplement is from no system a reader can look it up in
            versioned = f"{system}|{cs.version}" if cs.version else system
            text = f"CodeSystem {versioned} is a supplement, so can't be used as a value in Coding.system"
            sink.error("not-found", f"{loc}.system", text)
            return
        membership, problem = self.terminology.coding_problem(system, code, coding.get("display"))
        if membership is NOT_IN:
            sink.error("code-invalid", f"{loc}.code", f"Unknown code '{code}' in the CodeSystem '{system}'")
        elif system == SNOMED and membership is UNKNOWN and (why := concept_id_problem(code)):
            # SNOMED CT is not held, but a code of the wrong form is no concept of any
            # edition (see snomed.py). A warning: the HL7 validator offline says nothing
            # (with a terminology server it refuses the code)
            text = f"Unknown code '{code}' in the CodeSystem '{system}': it cannot be a SNOMED CT concept ({why})"
            sink.warning("code-invalid", f"{loc}.code", text)
        elif problem:
            sink.error("code-invalid", f"{loc}.display", problem)
