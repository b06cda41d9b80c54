"""The general case of one property: arrays with extensions, cardinality, choices, slicing.

The walker handles the common case (one value or array of one type, no slicing)
inline; everything else about a property comes here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fhircare.validation.issues import read_location
from fhircare.validation.primitives import PRIMITIVE_CHECKS, choice_type
from fhircare.validation.slicing import check_slices
from fhircare.validation.structure import ElementNode
from fhircare.validation.walk import Walk

if TYPE_CHECKING:
    from fhircare.validation.services import WalkServices

#: (value, sibling '_name' object, type code, location)
Item = tuple[Any, Any, str | None, str]


def unusual_key(
    validator: WalkServices,
    obj: dict[str, Any],
    key: str,
    owner: ElementNode,
    node: ElementNode,
    type_code: str,
    loc: str,
    w: Walk,
) -> tuple[ElementNode, str | None, str] | None:
    """A key no child declares: resourceType, a choice of an undeclared type, or unknown."""
    if key == "resourceType" and owner is node and node.path == type_code:
        return None
    name = key[1:] if key[:1] == "_" else key
    for child in owner.children.values():
        base = child.json_name
        if child.is_choice and name.startswith(base) and name[len(base) : len(base) + 1].isupper():
            # valueString where a profile allows only Quantity: report the type, not the name
            choice = choice_type(name[len(base) :])
            if choice in PRIMITIVE_CHECKS or validator.type_model(choice) is not None:
                if key[:1] == "_" and name in obj:
                    return None
                return child, choice, name
    w.sink.error("structure", read_location(loc), f"Unrecognized property '{key}'")
    w.frame.not_read(obj, key)
    return None


def walk_property(
    validator: WalkServices,
    obj: dict[str, Any],
    child: ElementNode,
    found: list[tuple[str, str | None]],
    loc: str,
    w: Walk,
) -> None:
    """The general case: arrays of primitives with extensions, cardinality, slicing."""
    if child.is_choice and len(found) > 1:
        # two types of one choice (valueString and valueBoolean): the HL7 validator's reader
        # reads the first in the JSON and no other, so the others are unknown properties
        for key, _ in found[1:]:
            unread = key if key in obj else "_" + key
            w.sink.error("structure", read_location(loc), f"Unrecognized property '{unread}'")
            w.frame.not_read(obj, unread)
        found = found[:1]
    items: list[Item] = []
    for key, type_code in found:
        raw = obj.get(key)
        ext = obj.get("_" + key)
        base_loc = f"{loc}.{child.json_name}.ofType({type_code})" if child.is_choice else f"{loc}.{key}"
        primitive = type_code is not None and type_code[:1].islower()
        if isinstance(raw, list) or isinstance(ext, list):
            if not child.is_array:
                # in the HL7 validator's words, where its JSON reader stops: the value is not
                # read, so the element is absent (its cardinality then says so, as there)
                # a choice by its definition's name (value[x]), as the reader names it
                at = read_location(f"{loc}.{child.json_name}[x]" if child.is_choice else f"{loc}.{key}")
                if primitive:
                    text = f"This property must be a simple value, not an Array ({key} at {at})"
                else:
                    text = f"The property {key} must be an Object, not an Array (at {at})"
                w.sink.error("structure", at, text)
                w.frame.not_read(obj, key)
                continue
            values = raw if isinstance(raw, list) else []
            exts = ext if isinstance(ext, list) else []
            if not values and not exts:
                w.sink.error(
                    "invalid",
                    base_loc,
                    "Array cannot be empty - the property should not be present if it has no values",
                )
                # (read still: the HL7 validator 7.0.6 then finds an object left with nothing
                # else empty, ele-1; today's HL7 validator, and HL7's recorded outcome of its
                # empty-array case, do not)
            for i in range(max(len(values), len(exts))):
                v = values[i] if i < len(values) else None
                e = exts[i] if i < len(exts) else None
                items.append((v, e, type_code, f"{base_loc}[{i}]"))
        elif child.is_array and raw is not None:
            at = read_location(loc)
            shape = "an Object" if isinstance(raw, dict) else "a Primitive property"
            w.sink.error(
                "structure",
                read_location(f"{loc}.{key}"),
                f"The property {key} must be a JSON Array, not {shape} (at {at})",
            )
            if primitive:
                w.frame.not_read(obj, key)
            else:
                # an object where an array is due is read as the array's one item, as the
                # HL7 validator's reader does; a primitive is not read at all (there neither)
                items.append((raw, ext, type_code, f"{base_loc}[0]"))
        else:
            items.append((raw, ext, type_code, base_loc))
    count = len(items)
    if count < child.min:
        w.sink.error(
            "required",
            loc,
            f"{child.path}: minimum required = {child.min}, but only found {count} (from {child.sd_url})",
        )
    if child.max >= 0 and count > child.max:
        w.sink.error(
            "structure",
            loc,
            f"{child.path}: max allowed = {child.max}, but found {count} (from {child.sd_url})",
        )
    if child.slicing is not None and child.slices:
        chosen = check_slices(validator, items, child, loc, w)
    else:
        chosen = [None] * count
    for (value, ext, type_code, item_loc), slice_node in zip(items, chosen, strict=True):
        validator.item(value, ext, child, type_code, item_loc, w)
        if slice_node is not None:
            validator.item(value, ext, slice_node, type_code, item_loc, w)
