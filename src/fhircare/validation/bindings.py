"""Terminology bindings on elements, and codes checked against their code systems."""

from __future__ import annotations

from typing import Any

from fhircare.validation.issues import IssueSink, Severity
from fhircare.validation.structure import Binding
from fhircare.validation.terminology import IN, NOT_IN, UNKNOWN, Expansion, Terminology

_CODED_TYPES = ("code", "Coding", "CodeableConcept", "Quantity", "string", "uri")


def _codings(value: Any, type_code: str | None) -> list[tuple[str | None, str]]:
    """(system, code) pairs a coded value carries."""
    if isinstance(value, str):
        return [(None, value)]
    if not isinstance(value, dict):
        return []
    if type_code == "CodeableConcept" or (type_code is None and "coding" in value):
        return [
            (c.get("system"), c["code"])
            for c in value.get("coding", ())
            if isinstance(c, dict) and isinstance(c.get("code"), str)
        ]
    if isinstance(value.get("code"), str):
        return [(value.get("system"), value["code"])]
    return []


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
        for system, code in _codings(value, type_code):
            membership, _ = self.terminology.check(value_set, system, code)
            if membership is IN:
                return True
            unknown = unknown or membership is UNKNOWN
        return None if unknown else False

    def settles(self, code: str, binding: Binding | None) -> bool:
        """Is this code (no system) plainly in the binding's value set, so that check()
        would have nothing to say? False whenever it might: the caller then checks."""
        exp = self.terminology.expand(binding.value_set) if binding is not None and binding.value_set else None
        return exp is not None and exp.contains(None, code) is IN

    def check(self, value: Any, type_code: str, binding: Binding, loc: str, sink: IssueSink, profile: bool) -> None:
        if binding.strength not in ("required", "extensible") or type_code not in _CODED_TYPES:
            return
        vs = binding.value_set
        assert vs is not None
        codings = _codings(value, type_code)
        if not codings:
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
        contains = exp.contains
        memberships = []
        for s, c in codings:
            membership = contains(s, c)
            if membership is IN:
                return
            memberships.append(membership)
        results = [(s, c, m) for (s, c), m in zip(codings, memberships, strict=True)]
        if all(m is UNKNOWN for _, _, m in results):
            shown = ", ".join(f"{s}#{c}" if s else c for s, c, _ in results)
            sink.warning(
                "not-supported",
                loc,
                f"The code(s) {shown} could not be checked against the value set {_label(exp, vs)}: "
                "the code system is not available offline",
            )
            return
        required = binding.strength == "required"
        severity: Severity = "error" if required else "warning"
        must = "is required" if required else "should come from this value set unless it has no suitable code"
        if type_code == "CodeableConcept":
            codes = ", ".join(f"{s}#{c}" for s, c, _ in results)
            text = (
                f"None of the codings provided are in the value set {_label(exp, vs)}, "
                f"and a coding {must}) (codes = {codes})"
            )
        elif type_code in ("code", "string", "uri"):
            text = (
                f"The value provided ('{results[0][1]}') was not found in the value set "
                f"{_label(exp, vs)}, and a code {must}"
            )
        else:
            s, c, _ = results[0]
            text = f"The code provided ({s}#{c}) was not found in the value set {_label(exp, vs)}"
        sink.add(severity, "code-invalid", loc, text)

    def check_codes(self, value: Any, type_code: str, loc: str, sink: IssueSink) -> None:
        """Codes claimed from a code system we hold in full must exist in it."""
        if type_code == "Coding":
            self.check_coding(value, loc, sink)
        elif type_code == "CodeableConcept" and isinstance(value, dict):
            for i, c in enumerate(value.get("coding", ()) if isinstance(value.get("coding"), list) else ()):
                self.check_coding(c, f"{loc}.coding[{i}]", sink)

    def check_coding(self, coding: Any, loc: str, sink: IssueSink) -> None:
        """One Coding's code (and display) against its code system, when we hold it."""
        if not isinstance(coding, dict):
            return
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(system, str) or not isinstance(code, str):
            return
        membership, problem = self.terminology.coding_problem(system, code, coding.get("display"))
        if membership is NOT_IN:
            sink.error("code-invalid", f"{loc}.code", f"Unknown code '{code}' in the CodeSystem '{system}'")
        elif problem:
            sink.error("code-invalid", f"{loc}.display", problem)
