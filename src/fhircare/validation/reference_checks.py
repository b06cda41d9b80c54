"""Reference checks: target types, contained and in-bundle resolution."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fhircare.errors import DefinitionError
from fhircare.validation.datatypes import URI_SCHEME
from fhircare.validation.primitives import plain_string
from fhircare.validation.references import ParsedReference, parse_reference
from fhircare.validation.structure import ElementNode

if TYPE_CHECKING:
    from fhircare.validation.services import WalkServices
    from fhircare.validation.walk import Walk


_HAS_SPACE = re.compile(r"\s").search


def _allowed_types(validator: WalkServices, node: ElementNode) -> set[str]:
    """(Callers look in validator.reference_targets first: this runs once per element.)
    The target profiles fhircare cannot use are noted in validator.unusable_targets."""
    allowed: set[str] = set()
    unusable: list[str] = []
    for t in node.types:
        if t.code != "Reference":
            continue
        for target in t.target_profiles:
            try:
                allowed.add(validator.context.model(target).type)
            except DefinitionError:
                unusable.append(target)
    if unusable:
        # their types cannot be known offline: any target type passes the type check, and
        # a resolved target is reported (_check_unusable_target_profiles) unless the element
        # allows any resource anyway
        if "Resource" not in allowed:
            validator.unusable_targets[node] = (tuple(unusable), frozenset(allowed))
        allowed.add("Resource")
    validator.reference_targets[node] = allowed
    return allowed


def plain_reference_targets(validator: WalkServices, node: ElementNode) -> set[str] | None:
    """The resource types a Reference element may point at, when plain_reference may settle
    its values: None when it may settle none (the element has children, type profiles, value
    rules or aggregation modes: a walk of its values has more to say than their form)."""
    if node.children or node.has_type_profiles or node.has_value_rules or node.aggregation:
        return None
    allowed = validator.reference_targets.get(node)
    return allowed if allowed is not None else _allowed_types(validator, node)


def plain_reference(validator: WalkServices, value: dict[str, Any], allowed: set[str]) -> bool:
    """True when a walk of this Reference value would report nothing: the commonest
    reference of all, ``{"reference": "Patient/p1", "display": "..."}`` outside a Bundle,
    to a type the element allows (``allowed``: its plain_reference_targets). False whenever
    anything may be amiss: the walk then checks it the usual way. (The caller knows that the
    value is outside a Bundle, that its element is one plain_reference_targets allows, and
    that R4's Reference datatype itself has nothing to say of one or two plain strings: see
    Validator._reference_is_plain.)"""
    n = len(value)
    if n == 2:
        display = value.get("display")
        if type(display) is not str or len(display) >= 4096 or not plain_string(display):
            return False
    elif n != 1:
        return False
    ref = value.get("reference")
    if type(ref) is not str or not 0 < len(ref) < 4096 or ref[0] == "#":
        return False
    parsed = parse_reference(ref)
    if parsed.kind == "relative":
        if parsed.base is not None:
            return False  # its syntax is suspect (see _looks_incorrect)
        # [type]/[id] as references.py matches it holds no whitespace, but for a newline
        # at the very end (where its '$' matches too): no need to search for any
        if ref[-1] == "\n":
            return False
    elif parsed.kind != "absolute" or _HAS_SPACE(ref):
        return False
    if parsed.type in allowed:
        return True  # the commonest: a type the element allows (so a resource type)
    if allowed and "Resource" not in allowed:
        return False
    # any type allowed: a relative one must still name a resource type (see _looks_incorrect)
    return parsed.kind != "relative" or validator.is_resource_type(str(parsed.type))


def _looks_incorrect(validator: WalkServices, parsed: ParsedReference) -> bool:
    """Is a reference that is neither absolute nor '#id' something other than [type]/[id]
    or [type]/[id]/_history/[version]? Taken as a REST URL on the shared care record, it
    then names nothing there: the HL7 validator warns that its syntax looks incorrect (a
    target's id alone, 'UKCore-MedicationRequest-Amoxicillin-Example'; 'Chicken/1')."""
    if URI_SCHEME.match(parsed.text):
        return False
    return not (parsed.kind == "relative" and parsed.base is None and validator.is_resource_type(str(parsed.type)))


def check_reference(validator: WalkServices, value: dict[str, Any], node: ElementNode, loc: str, w: Walk) -> None:
    ref = value.get("reference")
    if not isinstance(ref, str):
        if "reference" not in value and "identifier" not in value and "display" not in value:
            # a type, or a data-absent extension, and nothing a reader can follow or read
            w.sink.warning(
                "invalid", loc, "A Reference without an actual reference or identifier should have a display"
            )
        return
    if not ref or _HAS_SPACE(ref):
        w.sink.error("invalid", loc, f"The reference '{ref}' is not a valid reference")
        return
    parsed = parse_reference(ref)
    target: dict[str, Any] | None = None
    if parsed.kind != "contained":
        w.frame.refers_out = True
    stated = value.get("type")
    if parsed.type and isinstance(stated, str) and stated != parsed.type and validator.is_resource_type(parsed.type):
        # the reference says one type and its URL another: which is the target? (as the
        # HL7 validator words it: the type stated, then the type its URL names). A URL
        # naming no resource type (Chicken/1) is a different fault, reported where the
        # element's target types are known, as there
        w.sink.error(
            "structure", loc, f"Invalid Resource target type. Found {stated}, but expected one of ({parsed.type})"
        )
    if parsed.kind == "contained":
        target = validator.resolve(ref, w.frame)
        if target is None:
            w.sink.error("structure", loc, f"Unable to resolve resource with reference '{ref}'")
            return
    elif parsed.kind == "other" and "/" in ref and ":" not in ref:
        w.sink.error(
            "structure",
            loc,
            f"Relative URLs must be of the format [ResourceName]/[id]. Encountered {ref}",
        )
        return
    elif w.frame.bundle is not None:
        bundle = w.frame.bundle
        if ":" not in ref and (parsed.kind == "other" or (parsed.kind == "relative" and parsed.base is not None)):
            # resolved against the entry's fullUrl, a relative reference must be [type]/[id]
            # ('care-plan-1' alone, 'foo/Patient/1' are not), as the HL7 validator holds in a Bundle
            w.sink.error(
                "structure", loc, f"Relative URLs must be of the format [ResourceName]/[id]. Encountered {ref}"
            )
        if parsed.kind == "relative" and w.frame.no_full_url:
            # a relative reference is relative to the entry's fullUrl: with none, it points
            # nowhere (as the HL7 validator finds)
            w.sink.error("structure", loc, "Relative Reference appears inside Bundle whose entry is missing a fullUrl")
        found = bundle.resolve(parsed, w.frame.full_url)
        if len(found) > 1:
            w.sink.error("structure", loc, f"Found {len(found)} matches for '{ref}' in the bundle")
        elif found:
            target = found[0]
        elif bundle.type == "parameters" and parsed.kind == "relative":
            w.sink.error("structure", loc, f"Unable to resolve resource with reference '{ref}'")
        elif bundle.type == "document" and parsed.kind in ("relative", "urn"):
            w.sink.error("structure", loc, f"Can't find '{ref}' in the bundle")
    contained = parsed.kind == "contained"
    if not contained and _looks_incorrect(validator, parsed):
        w.sink.warning("invalid", loc, f"The syntax of the reference '{ref}' looks incorrect, and it should be checked")
    if node.aggregation:
        _check_aggregation(node.aggregation, ref, target, contained, loc, w)
    profiles = _target_profiles(validator, node, target) if isinstance(target, dict) else []
    if (
        profiles
        and isinstance(target, dict)
        and not any(validator.conforms(target, p, w.frame, contained=contained) for p in profiles)
    ):
        shown = ", ".join(profiles)
        w.sink.error(
            "structure",
            loc,
            f"The resource referred to by '{ref}' does not conform to the target profile(s) [{shown}]",
        )
    found_type = target.get("resourceType") if isinstance(target, dict) else parsed.type
    if found_type is None:
        declared = value.get("type")
        found_type = declared if isinstance(declared, str) else None
    allowed = validator.reference_targets.get(node)
    if allowed is None:
        allowed = _allowed_types(validator, node)
    if isinstance(target, dict) and node in validator.unusable_targets:
        _check_unusable_target_profiles(validator, node, target, loc, w)
    if not found_type or not allowed or "Resource" in allowed:
        return
    if found_type not in allowed:
        shown = ", ".join(sorted(allowed))
        w.sink.error(
            "structure",
            loc,
            f"The type '{found_type}' implied by the reference URL {ref} is not a valid Target "
            f"for this element (must be one of [{shown}])",
        )


def _check_aggregation(modes: tuple[str, ...], ref: str, target: Any, contained: bool, loc: str, w: Walk) -> None:
    """ElementDefinition.type.aggregation: where the target must be held. 'contained' and
    'bundled' ask for it inside this resource or in the same Bundle; 'referenced' allows it
    anywhere else. (R4 applies 'bundled' outside a Bundle too, as the HL7 validator does.)"""
    if target is None:
        if "referenced" not in modes:
            w.sink.error("required", loc, f"Bundled or contained reference not found within the bundle/resource {ref}")
        return
    held = "contained" if contained else "bundled"
    allowed = held in modes or (held == "bundled" and "referenced" in modes)
    if not allowed:
        w.sink.error(
            "structure",
            loc,
            f"Reference is {held} which isn't supported by the specified aggregation mode(s) for the reference"
            f" ({', '.join(modes)})",
        )


def _check_unusable_target_profiles(
    validator: WalkServices, node: ElementNode, target: dict[str, Any], loc: str, w: Walk
) -> None:
    """A resolved target (contained, or in the Bundle) of an element whose target profiles
    fhircare does not all hold: whether the target meets them cannot be known, which is an
    error (as in the HL7 validator) rather than a silent pass; and the target must still be
    of a type one of the profiles it does hold allows. Unresolved references are left
    alone: nothing is known of their target."""
    unusable, known = validator.unusable_targets[node]
    for url in unusable:
        if validator.context.has(url):  # loaded, but its definition cannot be used
            text = f"The target profile '{url}' of this reference cannot be used (see the errors on its definition)"
        else:
            text = (
                f"Unable to resolve the profile reference '{url}' (a target profile of this reference:"
                " load the package that defines it with --ig)"
            )
        w.sink.error("not-found", loc, text)
    found_type = target.get("resourceType")
    if found_type not in known:
        shown = ", ".join(sorted(known))
        w.sink.error(
            "structure", loc, f"Invalid Resource target type. Found {found_type}, but expected one of ([{shown}])"
        )


def _target_profiles(validator: WalkServices, node: ElementNode, target: dict[str, Any]) -> list[str]:
    """Profiles (not base resource types) this element requires of a target of that type."""
    rt = target.get("resourceType")
    key = (node, rt if isinstance(rt, str) else "")
    found = validator.target_profiles.get(key)
    if found is None:
        found = validator.target_profiles[key] = _find_target_profiles(validator, node, rt)
    return found


def _find_target_profiles(validator: WalkServices, node: ElementNode, rt: Any) -> list[str]:
    out = []
    for t in node.types:
        for url in t.target_profiles:
            model = validator.profile_model(url)
            if model is not None and model.type == rt and model.derivation == "constraint":
                out.append(url)
    return out
