"""A StructureDefinition being validated, read as the profile it defines.

Validated as a resource, a profile can be perfectly formed and still not mean what its
author thinks: a differential element that matches nothing in the base (``Patient.gendr``)
is dropped from the snapshot, so the constraint it carries is never checked; a slice that
declares a slicing of its own other than the one in force changes how items are matched;
a discriminator path that names nothing the sliced element has matches no item, or every
item. The HL7 validator reports each of these when it validates the profile, and so does
fhircare, with the HL7 validator's texts and locations:

* the snapshot generated from the differential, and every differential element it could
  not place, or found out of the base's order (``differential.element[n]``, and once on
  the profile);
* a slice that redefines the slicing declared on the element it slices (on the profile);
* each discriminator path, against the types of the sliced element where the element
  names them (as the HL7 validator, it does not guess the types of an element that names
  none): a path through elements, ``extension('url')``, ``ofType()`` and ``resolve()``;
* a constraint no type of the element can carry (a binding on a date);
* a kind or type other than the base's.

Only constraints (``derivation = constraint``) are read this way: a specialisation
defines a type, and its base is checked as fhircare's own model of the type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fhircare.errors import DefinitionError
from fhircare.validation.issues import IssueSink
from fhircare.validation.slicing import split_path
from fhircare.validation.snapshot import (
    MalformedDifferential,
    TypeResolver,
    differential_elements,
    generate_snapshot,
)
from fhircare.validation.structure import ElementNode, objects_in

_CONTAINER_TYPES = ("BackboneElement", "Element")


@dataclass(slots=True)
class DefinitionServices:
    #: a StructureDefinition with its snapshot, by canonical URL (None: not loaded)
    structure_definition: Callable[[str], dict[str, Any] | None]
    #: what the snapshot generator resolves types and type profiles with
    resolve_type: TypeResolver
    #: a type's (or resource's) root element, by type code (None: no such type)
    type_root: Callable[[str], ElementNode | None]


def _elements(sd: dict[str, Any], part: str) -> list[dict[str, Any]]:
    holder = sd.get(part)
    return objects_in(holder.get("element")) if isinstance(holder, dict) else []


def check_structure_definition(sd: dict[str, Any], loc: str, sink: IssueSink, services: DefinitionServices) -> None:
    if sd.get("derivation") != "constraint" or not isinstance(sd.get("type"), str):
        return
    differential = differential_elements(sd)
    base_url = sd.get("baseDefinition")
    base = None
    if isinstance(base_url, str):
        try:
            base = services.structure_definition(base_url)
        except DefinitionError:
            base = None  # a base that cannot be read is reported where the profile is used
    if base is not None:
        _check_kind_and_type(sd, base, loc, sink)
    if base is not None and differential:
        try:
            generated = generate_snapshot(sd, base, services.resolve_type)
        except MalformedDifferential:
            sink.error("value", loc, "Error generating Snapshot: the differential holds values of the wrong shape")
        else:
            _report_unmatched(sd, differential, sorted(generated.unplaced + generated.out_of_order), loc, sink)
            for index, key, text in generated.conflicts:
                sink.error("value", f"{loc}.differential.element[{index}].{key}", text)
        _check_slicing_kept(objects_in(differential), loc, sink)
        _check_choice_renames(objects_in(differential), sd["type"], loc, sink, services)
    for part in ("differential", "snapshot"):
        for index, element in enumerate(_elements(sd, part)):
            where = f"{loc}.{part}.element[{index}]"
            _check_discriminators(sd["type"], element, where, sink, services)
            _check_constraints_fit_types(element, where, sink, services)


def _check_kind_and_type(sd: dict[str, Any], base: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """A constraint is of its base's kind and type: a profile of Composition declared a
    complex-type, or of another type than its base, is not a profile of the base at all."""
    kind, base_kind, base_type = sd.get("kind"), base.get("kind"), base.get("type")
    if isinstance(kind, str) and isinstance(base_kind, str) and kind != base_kind and base.get("abstract") is not True:
        sink.error(
            "not-found",
            loc,
            f"The kind {kind} must be the same as the kind {base_kind} in the base structure {base.get('url')} "
            f"(base type = {base_type})",
        )
    if isinstance(kind, str) and isinstance(base_kind, str) and kind != base_kind:
        sink.error(
            "not-found",
            loc,
            f"The structure definition constrains a kind of {base_kind}, but has a different kind ({kind})",
        )
    if isinstance(base_type, str) and sd.get("type") != base_type:
        sink.error(
            "not-found",
            loc,
            f"The type {sd.get('type')} must be the same as the type in the base structure {base.get('url')} "
            "that is being constrained",
        )


def _report_unmatched(
    sd: dict[str, Any], differential: list[Any], unmatched: list[tuple[int, str]], loc: str, sink: IssueSink
) -> None:
    """Each differential element the snapshot does not place (or places only because
    fhircare forgives the order) on itself, and all of them once on the profile."""
    if not unmatched:
        return
    ids = {i: e.get("id") if isinstance(e, dict) else None for i, e in enumerate(differential)}
    for index, text in unmatched:
        if isinstance(ids[index], str):
            sink.error("value", f"{loc}.differential.element[{index}]", text)
    named = ", ".join(
        f"id: {ids[i]}"
        if isinstance(ids[i], str)
        else f"path: {differential[i].get('path') if isinstance(differential[i], dict) else None}"
        for i, _ in unmatched
    )
    count = len(unmatched)
    sink.error(
        "value",
        loc,
        f"The profile {sd.get('url')} has {count} {'element' if count == 1 else 'elements'} in the differential "
        f"({named}) that don't have a matching element in the snapshot: check that the path and definitions are "
        "legal in the differential (including order)",
    )


# -- a constraint only some types can carry -----------------------------------------

#: what each type can be constrained by (the HL7 validator's table of type
#: characteristics; a type not named here can carry none of these)
_CHARACTERISTICS: dict[str, frozenset[str]] = {
    code: frozenset(kinds.split())
    for code, kinds in {
        "integer": "range length",
        "integer64": "range length",
        "decimal": "range continuous length",
        "base64Binary": "size",
        "instant": "range continuous length",
        "string": "length bind",
        "uri": "length bind",
        "date": "range length",
        "dateTime": "range continuous length",
        "time": "range continuous length",
        "canonical": "length",
        "code": "length bind",
        "id": "length",
        "markdown": "length",
        "oid": "length bind",
        "positiveInt": "range length",
        "unsignedInt": "range length",
        "url": "length bind",
        "uuid": "length bind",
        "Age": "range continuous bind",
        "Attachment": "size",
        "CodeableConcept": "bind",
        "CodeableReference": "bind",
        "Coding": "bind",
        "Count": "range",
        "Distance": "range continuous bind",
        "Duration": "range continuous bind",
        "Money": "range continuous",
        "Quantity": "range continuous bind",
        "Range": "bind",
        "Extension": "bind",
        "MoneyQuantity": "range continuous bind",
        "SimpleQuantity": "range continuous bind",
    }.items()
}
_EXT_MIN_LENGTH = "http://hl7.org/fhir/StructureDefinition/minLength"
_EXT_MAX_DECIMALS = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces"
_EXT_MAX_SIZE = "http://hl7.org/fhir/StructureDefinition/maxSize"


def _constraints_asked(element: dict[str, Any]) -> list[tuple[str, str]]:
    """(what the HL7 validator calls it, the characteristic it needs) for each constraint
    the element carries that only some types can."""
    extensions = {e.get("url") for e in objects_in(element.get("extension"))}
    asked = []
    if "binding" in element:
        asked.append(("Binding", "bind"))
    if "maxLength" in element:
        asked.append(("MaxLength", "length"))
    if _EXT_MIN_LENGTH in extensions:
        asked.append(("MinLength Extension", "length"))
    if any(k.startswith("minValue") for k in element):
        asked.append(("MinValue", "range"))
    if any(k.startswith("maxValue") for k in element):
        asked.append(("MaxValue", "range"))
    if _EXT_MAX_DECIMALS in extensions:
        asked.append(("Max Decimal Places Extension", "continuous"))
    if _EXT_MAX_SIZE in extensions:
        asked.append(("Max Size", "size"))
    return asked


def _check_constraints_fit_types(
    element: dict[str, Any], loc: str, sink: IssueSink, services: DefinitionServices
) -> None:
    """A binding on a date, a maxLength on a Reference: a constraint no type of the element
    can carry means nothing, so its author's intent is never checked."""
    asked = _constraints_asked(element)
    if not asked:
        return
    codes = [t["code"] for t in objects_in(element.get("type")) if isinstance(t.get("code"), str)]
    known = [c for c in codes if services.type_root(c) is not None]
    if not known:
        return  # no type named, or none fhircare holds: nothing to judge by
    can = frozenset().union(*(_CHARACTERISTICS.get(c, frozenset()) for c in known))
    for what, needed in asked:
        if needed not in can:
            sink.error(
                "business-rule",
                loc,
                f"This element has a {what} but the types [{', '.join(codes)}] do not make this kind of "
                "constraint relevant",
            )


# -- a slice may not declare a slicing other than the one in force ------------------


def _slicing_text(slicing: dict[str, Any]) -> str:
    """The slicing as the HL7 validator writes it: ``unordered/open [value=url]``."""
    ordered = slicing.get("ordered")
    order = "??" if not isinstance(ordered, bool) else ("ordered" if ordered else "unordered")
    rules = slicing.get("rules") if isinstance(slicing.get("rules"), str) else "??"
    discriminators = ", ".join(
        f"{d.get('type', '??')}={d.get('path', '??')}" for d in objects_in(slicing.get("discriminator"))
    )
    return f"{order}/{rules} [{discriminators}]"


def _same_slicing(declared: dict[str, Any], again: dict[str, Any]) -> bool:
    """As the HL7 validator compares them: what the slice says must be what is in force
    (ordered and rules only where the slice says them; the discriminators always)."""
    for key in ("ordered", "rules"):
        if key in again and again.get(key) != declared.get(key):
            return False
    return objects_in(declared.get("discriminator")) == objects_in(again.get("discriminator"))


def _check_slicing_kept(differential: list[dict[str, Any]], loc: str, sink: IssueSink) -> None:
    by_id = {e["id"]: e for e in differential if isinstance(e.get("id"), str)}
    for element in differential:
        element_id, slicing, slice_name = element.get("id"), element.get("slicing"), element.get("sliceName")
        if not (isinstance(element_id, str) and isinstance(slicing, dict) and isinstance(slice_name, str)):
            continue
        if "/" in slice_name or not element_id.endswith(f":{slice_name}"):
            continue  # a reslice declares the slicing of its own slices
        sliced = by_id.get(element_id[: -len(slice_name) - 1])
        declared = sliced.get("slicing") if sliced is not None else None
        if isinstance(declared, dict) and not _same_slicing(declared, slicing):
            sink.error(
                "business-rule",
                loc,
                f"The element at {sliced['id']} defines the slicing {_slicing_text(declared)} but then an element in "  # type: ignore[index]
                f"the slicing {element_id} tries to redefine the slicing to {_slicing_text(slicing)}",
            )


# -- discriminator paths --------------------------------------------------------------


def _check_discriminators(
    profile_type: str, element: dict[str, Any], loc: str, sink: IssueSink, services: DefinitionServices
) -> None:
    slicing = element.get("slicing")
    path = element.get("path")
    if not isinstance(slicing, dict) or not isinstance(path, str):
        return
    starts = _sliced_element_types(profile_type, element, services)
    if not starts:
        return  # the element names no type fhircare can follow: nothing to judge by
    for index, discriminator in enumerate(objects_in(slicing.get("discriminator"))):
        expression = discriminator.get("path")
        if isinstance(expression, str) and not _names_something(starts, expression, services):
            sink.error(
                "invalid",
                f"{loc}.slicing.discriminator[{index}]",
                f"The discriminator path '{expression}' does not appear to be valid for the element "
                f"that is being sliced '{path}'",
            )


def _sliced_element_types(
    profile_type: str, element: dict[str, Any], services: DefinitionServices
) -> list[ElementNode]:
    """Where a discriminator path starts: the type the sliced element names (its own
    children, for a backbone element), as the HL7 validator reads it."""
    path = element["path"]
    if "." not in path:
        root = services.type_root(profile_type)
        return [root] if root is not None else []
    starts: list[ElementNode] = []
    for entry in objects_in(element.get("type")):
        code = entry.get("code")
        if not isinstance(code, str):
            continue
        node = _element_in_type(profile_type, path, services) if code in _CONTAINER_TYPES else services.type_root(code)
        if node is None:
            return []  # a type fhircare does not hold: do not guess
        starts.append(node)
    return starts


def _check_choice_renames(
    differential: list[dict[str, Any]], profile_type: str, loc: str, sink: IssueSink, services: DefinitionServices
) -> None:
    """A choice element is named in a differential by its definition's name (value[x]) or
    renamed for one of its types (valueQuantity); any other name (valueBla) names no type,
    so the snapshot cannot be made, as the HL7 validator's generator says (it follows the
    path, where fhircare's follows the id: an id that names the element does not save it)."""
    for element in differential:
        path = element.get("path")
        if not isinstance(path, str) or "." not in path:
            continue
        parent_path, name = path.rsplit(".", 1)
        parent = _element_in_type(profile_type, parent_path, services)
        if parent is None:
            continue
        children = _children(parent, services)
        if name in children:
            continue
        for child in children.values():
            base = child.json_name
            renamed = child.is_choice and name.startswith(base) and name[len(base) : len(base) + 1].isupper()
            if renamed and name[len(base) :] not in {t[:1].upper() + t[1:] for t in child.type_codes}:
                sink.error(
                    "value",
                    loc,
                    f"Error generating Snapshot: The path must be '{parent_path}.{child.name}' not '{path}' when the "
                    "type list is not constrained (this usually arises from a problem in the differential)",
                )


def _element_in_type(profile_type: str, path: str, services: DefinitionServices) -> ElementNode | None:
    node = services.type_root(profile_type)
    for name in path.split(".")[1:]:
        if node is None:
            return None
        node = _children(node, services).get(name)
    return node


def _children(node: ElementNode, services: DefinitionServices) -> dict[str, ElementNode]:
    if node.children:
        return node.children
    if len(node.types) == 1:
        root = services.type_root(node.types[0].code)
        if root is not None:
            return root.children
    return {}


def _names_something(starts: list[ElementNode], expression: str, services: DefinitionServices) -> bool:
    """Does the discriminator path lead anywhere from any of the starting types? A step
    fhircare cannot follow statically (resolve(), an unknown function, a type it does not
    hold, a content reference) ends the check with 'yes'."""
    current = starts
    for segment in split_path(expression.strip()):
        segment = segment.strip()
        if segment == "$this":
            continue
        if segment.startswith("extension(") or segment.startswith("ofType(") or segment.startswith("as("):
            inner = segment[segment.index("(") + 1 : -1].strip()
            if segment.startswith("extension("):
                inner = "Extension"
            root = services.type_root(inner)
            if root is None:
                return True
            current = [root]
            continue
        if "(" in segment or not segment.isidentifier():
            return True  # resolve() and anything else fhircare does not follow statically
        found: list[ElementNode] = []
        for node in current:
            if node.content_reference and not node.children:
                return True
            kids = _children(node, services)
            child = kids.get(segment) or kids.get(f"{segment}[x]")
            if child is None and not kids and node.types and not node.children:
                return True  # a type whose children fhircare does not hold
            if child is not None:
                found.append(child)
        if not found:
            return False
        current = found
    return True
