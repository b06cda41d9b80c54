"""Slicing: which slice each repetition of a sliced element belongs to.

A repetition belongs to a slice when every discriminator agrees: ``value`` and
``pattern`` compare what the instance has at the discriminator path with the
slice's fixed/pattern value there (or its required binding); ``type`` compares
types; ``profile`` asks whether the item conforms to the slice's profile;
``exists`` checks presence.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.primitives import choice_type
from fhircare.validation.structure import Discriminator, ElementNode
from fhircare.validation.values import equals_fixed, matches_pattern
from fhircare.validation.walk import Walk

_SEGMENT = re.compile(r"(?:[^.(]|\([^)]*\))+")
_EXT_FN = re.compile(r"extension\('([^']*)'\)")
_OFTYPE_FN = re.compile(r"ofType\(([^)]*)\)")

if TYPE_CHECKING:
    from fhircare.validation.services import WalkServices

#: (value, type code when known)
Item = tuple[Any, str | None]


@functools.lru_cache(maxsize=1024)
def split_path(path: str) -> tuple[str, ...]:
    """A discriminator path's segments (remembered: a profile's few paths are followed for
    every repetition of the elements it slices)."""
    return tuple(_SEGMENT.findall(path))


@dataclass(slots=True)
class SliceServices:
    """What slicing needs from the validator, bound to one walk (its bundle, its contained
    resources). Methods, not closures: every sliced element of every resource makes one,
    and most slicing never calls them (made as closures, they cost more than the slicing
    of a plan's two categories)."""

    validator: WalkServices
    walk: Walk
    #: (slice, discriminator path) → (element there, fixed, pattern), looked up once
    expected: dict[tuple[ElementNode, str], tuple[ElementNode | None, Any, Any]]
    #: sliced element → its slices by the string each fixes, when that is how it slices
    indexes: dict[ElementNode, dict[str, int] | None]
    #: (slice, discriminator path) met in this walk that a value cannot be matched against:
    #: the slice fixes nothing there (no fixed or pattern value, no required binding)
    unevaluable: list[tuple[ElementNode, str]] = field(default_factory=list)

    def conforms(self, value: Any, profile: str, type_code: str | None) -> bool:
        """Does the value (a resource, or a datatype of ``type_code``) meet the profile?"""
        validator = self.validator
        if isinstance(value, dict) and "resourceType" in value:
            return validator.conforms(value, profile, self.walk.frame)
        model = validator.profile_model(profile)
        if model is None:
            return False
        sink = IssueSink()
        validator.item(
            value,
            None,
            model.root,
            type_code or model.type,
            "$this",
            Walk(sink, self.walk.frame, False),
        )
        return not any(i.is_error for i in sink.issues)

    def in_value_set(self, value: Any, type_code: str | None, value_set: str) -> bool | None:
        return self.validator.bindings.in_value_set(value, type_code, value_set)

    def resolve(self, ref: str) -> dict[str, Any] | None:
        return self.validator.resolve(ref, self.walk.frame)

    def type_children(self, code: str) -> ElementNode | None:
        """The root node of a type's model."""
        model = self.validator.type_model(code)
        return model.root if model else None

    def model_root(self, url: str) -> ElementNode | None:
        """The root node of a profile's model."""
        model = self.validator.profile_model(url)
        return model.root if model else None


#: how navigate follows one segment of a discriminator path
_EXTENSION, _RESOLVE, _OF_TYPE, _MEMBER = range(4)


@functools.lru_cache(maxsize=1024)
def _steps(path: str) -> tuple[tuple[int, str], ...]:
    """A discriminator path as navigate follows it: each segment's kind (and its argument)
    told once, not by two regular expressions for every repetition and every slice."""
    steps: list[tuple[int, str]] = []
    for seg in split_path(path):
        if seg == "$this":
            continue
        m = _EXT_FN.fullmatch(seg)
        if m:
            steps.append((_EXTENSION, m.group(1)))
        elif seg == "resolve()":
            steps.append((_RESOLVE, seg))
        else:
            m = _OFTYPE_FN.fullmatch(seg)
            steps.append((_OF_TYPE, m.group(1)) if m else (_MEMBER, seg))
    return tuple(steps)


def navigate(items: list[Item], path: str, services: SliceServices) -> list[Item]:
    """Follow a discriminator path (a small FHIRPath subset) from the items."""
    current = items
    for kind, arg in _steps(path):
        nxt: list[Item] = []
        if kind == _EXTENSION:
            for value, _ in current:
                if isinstance(value, dict):
                    for ext in value.get("extension", ()):
                        if isinstance(ext, dict) and ext.get("url") == arg:
                            nxt.append((ext, "Extension"))
            current = nxt
            continue
        if kind == _RESOLVE:
            for value, _ in current:
                ref = value.get("reference") if isinstance(value, dict) else value
                target = services.resolve(ref) if isinstance(ref, str) else None
                if target is not None:
                    nxt.append((target, target.get("resourceType")))
            current = nxt
            continue
        if kind == _OF_TYPE:
            current = [(v, t) for v, t in current if t is None or t == arg]
            continue
        seg = arg
        for value, _ in current:
            if not isinstance(value, dict):
                continue
            if seg in value:
                found = value[seg]
                kind_of = found.get("resourceType") if isinstance(found, dict) else None
                for v in found if isinstance(found, list) else [found]:
                    nxt.append((v, v.get("resourceType") if isinstance(v, dict) else kind_of))
            else:
                for key, v in value.items():
                    if key.startswith(seg) and len(key) > len(seg) and key[len(seg)].isupper():
                        nxt.append((v, choice_type(key[len(seg) :])))
        current = nxt
    return current


def _child(node: ElementNode, seg: str, services: SliceServices) -> ElementNode | None:
    m = _EXT_FN.fullmatch(seg)
    if m:
        ext = _children(node, services).get("extension")
        if ext is None:
            return None
        for s in ext.slices:
            url_node = s.children.get("url")
            if url_node is not None and url_node.fixed == m.group(1):
                return s
            if any(m.group(1) in t.profiles for t in s.types):
                return s
        return None
    m = _OFTYPE_FN.fullmatch(seg)
    if m:
        for s in node.slices:
            if s.type_codes == (m.group(1),):
                return s
        return node
    if seg == "resolve()":
        for t in node.types:
            for p in t.target_profiles:
                root = services.model_root(p)
                if root is not None:
                    return root
        return None
    kids = _children(node, services)
    return kids.get(seg) or kids.get(seg + "[x]")


def _children(node: ElementNode, services: SliceServices) -> dict[str, ElementNode]:
    if node.children:
        return node.children
    for t in node.types:
        for p in t.profiles:
            root = services.model_root(p)
            if root is not None:
                return root.children
        root = services.type_children(t.code)
        if root is not None:
            return root.children
    return {}


def _element_at(slice_node: ElementNode, path: str, services: SliceServices) -> tuple[ElementNode | None, Any, Any]:
    """The element the discriminator path names inside the slice, plus any fixed/pattern
    value inherited from an ancestor's fixed/pattern (a pattern on the slice itself)."""
    node: ElementNode | None = slice_node
    fixed, pattern = slice_node.fixed, slice_node.pattern
    for seg in split_path(path):
        if seg == "$this" or node is None:
            continue
        nxt = _child(node, seg, services)
        if nxt is not None and nxt.slices and fixed is None and pattern is None:
            # through a sliced element (bp's code.coding, sliced to one required coding
            # that fixes system and code): the one slice every instance must have says it
            required = [s for s in nxt.slices if s.min > 0]
            if len(required) == 1:
                nxt = required[0]
        fixed = fixed.get(seg) if isinstance(fixed, dict) else None
        pattern = pattern.get(seg) if isinstance(pattern, dict) else None
        if isinstance(pattern, list) and pattern:
            pattern = pattern[0]
        if nxt is not None:
            fixed = nxt.fixed if nxt.fixed is not None else fixed
            pattern = nxt.pattern if nxt.pattern is not None else pattern
        node = nxt
    return node, fixed, pattern


def item_matches(
    item: Item,
    slice_node: ElementNode,
    discriminators: tuple[Discriminator, ...],
    services: SliceServices,
) -> bool:
    for d in discriminators:  # noqa: SIM110 (a plain loop: asked of every repetition and slice)
        if not _discriminator_matches(item, slice_node, d, services):
            return False
    return True


def _discriminator_matches(item: Item, slice_node: ElementNode, d: Discriminator, services: SliceServices) -> bool:
    # what the slice expects at the discriminator path does not change: look it up once
    key = (slice_node, d.path)
    found = services.expected.get(key)
    if found is None:
        found = services.expected[key] = _element_at(slice_node, d.path, services)
    element, fixed, pattern = found
    values = navigate([item], d.path, services)
    if d.type in ("value", "pattern"):
        if fixed is not None:
            return any(equals_fixed(v, fixed) for v, _ in values)
        if pattern is not None:
            for v, _ in values:  # noqa: SIM110 (a plain loop: see item_matches)
                if matches_pattern(v, pattern):
                    return True
            return False
        if (
            element is not None
            and element.binding is not None
            and element.binding.strength == "required"
            and element.binding.value_set
        ):
            vs = element.binding.value_set
            return any(
                services.in_value_set(v, t or (element.type_codes[0] if element.types else None), vs) for v, t in values
            )
        if element is None or not element.primitive or slice_node.has_type_profiles:
            # the slice does not constrain this discriminator (type/subtype slicing where
            # the subtype is not given for every slice), or one its type profile would give
            # (a profile not loaded): it does not rule the item out
            return True
        # a primitive with nothing to compare it with: the HL7 validator calls the slicing
        # unevaluable (an error in the profile, reported on the instance); no match
        services.unevaluable.append((slice_node, d.path))
        return False
    if d.type == "exists":
        if element is None:
            return False
        if element.max == 0:
            return not values
        return bool(values) if element.min > 0 else True
    if d.type == "type":
        if element is None:
            return False
        if element.types:
            wanted = set(element.type_codes)
        elif "." not in element.path:
            # reached through resolve(): the root of the target's definition, whose type is
            # the resource it defines (a slice of references to a Device)
            wanted = {element.path}
        else:
            return False
        return any(t in wanted for _, t in values)
    if d.type == "profile":
        if element is None:
            return False
        profiles = [p for t in element.types for p in (t.profiles or t.target_profiles)]
        if not profiles:
            return False
        return any(services.conforms(v, p, t) for v, t in values for p in profiles)
    return False


def _string_index(sliced: ElementNode, services: SliceServices) -> dict[str, int] | None:
    """For slicing on one value (or pattern) discriminator where every slice fixes a string
    there (``linkId``, ``url``, ``system``): the string → the first slice fixing it. Items
    are then assigned by look-up, not by trying each slice in turn. None otherwise."""
    if sliced in services.indexes:
        return services.indexes[sliced]
    slicing = sliced.slicing
    assert slicing is not None
    services.indexes[sliced] = index = _build_string_index(sliced, slicing.discriminators, services)
    return index


def _build_string_index(
    sliced: ElementNode, discriminators: tuple[Discriminator, ...], services: SliceServices
) -> dict[str, int] | None:
    if len(discriminators) != 1 or discriminators[0].type not in ("value", "pattern") or "(" in discriminators[0].path:
        return None
    path = discriminators[0].path
    index: dict[str, int] = {}
    for rank, s in enumerate(sliced.slices):
        key = (s, path)
        found = services.expected.get(key)
        if found is None:
            found = services.expected[key] = _element_at(s, path, services)
        _, fixed, pattern = found
        wanted = fixed if fixed is not None else pattern
        if not isinstance(wanted, str) or (fixed is not None and pattern is not None):
            return None
        index.setdefault(wanted, rank)
    return index


def assign(items: list[Item], sliced: ElementNode, services: SliceServices) -> list[ElementNode | None]:
    """The slice each item belongs to (the first that matches), or None."""
    slicing = sliced.slicing
    if slicing is None or not sliced.slices:
        return [None] * len(items)
    index = _string_index(sliced, services)
    if index is not None:
        path = slicing.discriminators[0].path
        by_index: list[ElementNode | None] = []
        for item in items:
            ranks = [index[v] for v, _ in navigate([item], path, services) if isinstance(v, str) and v in index]
            by_index.append(sliced.slices[min(ranks)] if ranks else None)
        return by_index
    out: list[ElementNode | None] = []
    for item in items:
        chosen = None
        for s in sliced.slices:
            if item_matches(item, s, slicing.discriminators, services):
                chosen = s
                break
        out.append(chosen)
    return out


def services_for(validator: WalkServices, w: Walk) -> SliceServices:
    """What slicing needs, bound to one walk (its bundle, its contained resources)."""
    return SliceServices(validator, w, validator.slice_expectations, validator.slice_indexes)


def check_slices(
    validator: WalkServices,
    items: list[tuple[Any, Any, str | None, str]],
    child: ElementNode,
    loc: str,
    w: Walk,
) -> list[ElementNode | None]:
    """Assign items to slices and report slice cardinality, order and closed-ness."""
    slicing = child.slicing
    assert slicing is not None
    services = services_for(validator, w)
    typed: list[Item] = []
    for value, _, type_code, _ in items:
        if type_code is None and isinstance(value, dict) and isinstance(value.get("resourceType"), str):
            type_code = value["resourceType"]
        elif type_code is None and len(child.types) == 1:
            type_code = child.types[0].code
        typed.append((value, type_code))
    chosen = assign(typed, child, services)
    source = child.sd_url
    unevaluated: set[int] = set()
    if services.unevaluable:
        for n, ((_, _, _, item_loc), c) in enumerate(zip(items, chosen, strict=True)):
            for s, path in dict.fromkeys(services.unevaluable):
                if c is None or child.slices.index(s) < child.slices.index(c):
                    unevaluated.add(n)
                    w.sink.error(
                        "processing",
                        item_loc,
                        f"Slicing cannot be evaluated: Could not match discriminator ({path}) for slice "
                        f"{child.path}:{s.slice_name} in profile {source}",
                    )
    for s in child.slices:
        n = chosen.count(s)  # by identity: an ElementNode is equal to itself only (eq=False)
        if s.min <= n and (s.max < 0 or n <= s.max):
            continue  # the commonest: the slice's cardinality is met
        name = f"{child.path}:{s.slice_name}"
        if n < s.min:
            if n == 0:
                w.sink.error(
                    "structure",
                    loc,
                    f"Slice '{name}': a matching slice is required, but not found (from {source})",
                )
            else:
                w.sink.error(
                    "structure",
                    loc,
                    f"{name}: minimum required = {s.min}, but only found {n} (from {source})",
                )
        if s.max >= 0 and n > s.max:
            w.sink.error("structure", loc, f"{name}: max allowed = {s.max}, but found {n} (from {source})")
    if slicing.ordered and (order := [child.slices.index(c) for c in chosen if c is not None]) != sorted(order):
        w.sink.error(
            "structure",
            loc,
            f"As specified by profile {source}, the elements of {child.path} are out of order",
        )
    if slicing.rules in ("closed", "openAtEnd"):
        seen_unmatched = False
        for n, (c, (_, _, _, item_loc)) in enumerate(zip(chosen, items, strict=True)):
            if n in unevaluated:
                continue  # already reported: its slice could not be worked out
            if c is None and slicing.rules == "closed":
                w.sink.error(
                    "structure",
                    item_loc,
                    f"This element does not match any known slice defined in the profile {source} "
                    f"and slicing is CLOSED: {child.path}",
                )
            elif c is None:
                seen_unmatched = True
            elif seen_unmatched:
                w.sink.error(
                    "structure",
                    item_loc,
                    f"The element is in a slice of {child.path} after unmatched elements, "
                    f"but slicing is openAtEnd (profile {source})",
                )
    return chosen
