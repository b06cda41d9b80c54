"""Snapshot generation: differential + base snapshot → full snapshot.

Profiles are published differential-only (SUSHI, UK Core, most IGs); the validator
needs a snapshot. This follows the FHIR rules closely enough for validation:

* the base snapshot is copied, then each differential element is merged into the
  element with the same id (ids are derived from path + sliceName where absent);
* a differential element below an element whose children are not yet in the
  snapshot unfolds that element's type (or its type profile, or its
  contentReference) first;
* a new slice copies the sliced element and its descendants under the slice's id,
  after the slices already there;
* an old-style renamed choice (``Observation.valueQuantity``) constrains
  ``value[x]`` to that type.

Anything that cannot be placed is reported, as the reference validator does, and
the rest of the snapshot is still built. Differential elements listed out of the base's
order are placed, and reported apart (the reference validator does not place them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from fhircare.validation.primitives import choice_type
from fhircare.validation.structure import type_code
from fhircare.validation.values import equals_fixed

Element = dict[str, Any]
#: resolves a type code or profile URL to a StructureDefinition that has a snapshot
TypeResolver = Callable[[str], dict[str, Any] | None]

_MERGE_SKIP = {"id", "path", "base"}


_NO_MATCH = (
    "No match found for {id} in the generated snapshot: check that the path and definitions are legal in the "
    "differential (including order)"
)


class GeneratedSnapshot(NamedTuple):
    elements: list[Element]
    #: differential elements that match nothing in the base: (index, text); their
    #: constraints are not in the snapshot
    unplaced: list[tuple[int, str]]
    #: differential elements listed out of the base's order: (index, text). fhircare
    #: places them; the HL7 validator, which walks base and differential together, does
    #: not (and says so with the same text)
    out_of_order: list[tuple[int, str]]
    #: differential fixed[x] values that depart from their base's fixed value: (index,
    #: the differential's key, text). No instance can meet both: the base still applies
    conflicts: list[tuple[int, str, str]]


def _rename(elements: list[Element], old_id: str, new_id: str, old_path: str, new_path: str) -> list[Element]:
    out = []
    for e in elements:
        c = dict(e)
        eid = c.get("id") or c["path"]
        c["id"] = new_id + eid[len(old_id) :]
        c["path"] = new_path + c["path"][len(old_path) :]
        out.append(c)
    return out


class _Builder:
    def __init__(
        self, base_elements: list[Element], resolve: TypeResolver, profile_url: str = "", base_url: str = ""
    ) -> None:
        self.profile_url = profile_url  # the source of constraints the profile adds
        self.base_url = base_url
        self.elements = [dict(e) for e in base_elements]
        #: the base as it was: a contentReference means the base's definition, not the
        #: profile's constrained copy of it
        self.pristine = {e.get("id") or e["path"]: e for e in base_elements}
        for e in self.elements:
            e.setdefault("id", e["path"])
        self.resolve = resolve
        self.problems: list[tuple[int, str]] = []
        self.conflicts: list[tuple[int, str, str]] = []
        self._reindex()

    def _reindex(self) -> None:
        self.index = {e["id"]: i for i, e in enumerate(self.elements)}

    def _end_of(self, pos: int) -> int:
        """Index just past the element at pos, its slices and all their descendants."""
        own = self.elements[pos]["id"]
        j = pos + 1
        while j < len(self.elements):
            eid = self.elements[j]["id"]
            if eid.startswith(own + ".") or eid.startswith(own + ":"):
                j += 1
            else:
                break
        return j

    def _insert(self, at: int, new: list[Element]) -> None:
        self.elements[at:at] = new
        self._reindex()

    # -- making an id exist -------------------------------------------------
    def ensure(self, element_id: str) -> int | None:
        if element_id in self.index:
            return self.index[element_id]
        if "." not in element_id:
            return None
        parent_id, last = element_id.rsplit(".", 1)
        if ":" in last:
            name, slice_name = last.split(":", 1)
            return self._new_slice(parent_id, name, slice_name)
        parent_pos = self.ensure(parent_id)
        if parent_pos is None:
            return None
        # the parent may have been found under another id: Observation.valueQuantity is
        # the element Observation.value[x], so its children are Observation.value[x].*
        parent_id = self.elements[parent_pos]["id"]
        element_id = f"{parent_id}.{last}"
        if element_id in self.index:
            return self.index[element_id]
        if not self._unfold(parent_pos):
            return self._renamed_choice(parent_id, last)
        if element_id in self.index:
            return self.index[element_id]
        return self._renamed_choice(parent_id, last)

    def _renamed_choice(self, parent_id: str, name: str) -> int | None:
        """``valueQuantity`` → the ``value[x]`` element, restricted to Quantity."""
        found = self._choice_named(parent_id, name)
        if found is None:
            return None
        pos, type_entry = found
        self.elements[pos]["type"] = [type_entry]
        return pos

    def _choice_named(self, parent_id: str, name: str) -> tuple[int, dict[str, Any]] | None:
        """The choice element a renamed choice (``valueQuantity``) stands for, with the
        type entry its name picks; None when ``name`` is an element of its own."""
        if f"{parent_id}.{name}" in self.index or "[" in name:
            return None
        for i in range(len(name) - 1, 0, -1):
            if name[i].isupper():
                base, type_name = name[:i], name[i:]
                pos = self.index.get(f"{parent_id}.{base}[x]")
                if pos is None:
                    continue
                for t in _type_entries(self.elements[pos]):
                    code = t.get("code")
                    if isinstance(code, str) and code[:1].upper() + code[1:] == type_name:
                        return pos, t
        return None

    def _new_slice(self, parent_id: str, name: str, slice_name: str) -> int | None:
        parent_pos = self.ensure(parent_id)
        if parent_pos is not None:
            parent_id = self.elements[parent_pos]["id"]
            self._unfold(parent_pos)
        sliced_id = f"{parent_id}.{name}"
        choice = self._choice_named(parent_id, name)
        if choice is not None:
            # a type slice written with the renamed choice (Extension.valueBoolean:valueBoolean,
            # as R4 extension definitions do): a slice of value[x] held to that one type; the
            # choice itself keeps all its types for the other slices
            choice_pos, type_entry = choice
            slice_pos = self._new_slice(parent_id, self.elements[choice_pos]["id"].rsplit(".", 1)[1], slice_name)
            if slice_pos is not None:
                self.elements[slice_pos]["type"] = [type_entry]
            return slice_pos
        pos = self.ensure(sliced_id)
        if pos is None:
            return None
        slice_id = f"{self.elements[pos]['id']}:{slice_name}"
        if slice_id in self.index:
            return self.index[slice_id]
        sliced_id = self.elements[pos]["id"]
        end = self._end_of(pos)
        sliced = self.elements[pos]
        # the sliced element and its own descendants, not its other slices
        family = [sliced] + [e for e in self.elements[pos + 1 : end] if e["id"].startswith(sliced_id + ".")]
        copies = _rename(family, sliced_id, slice_id, sliced["path"], sliced["path"])
        copies[0].pop("slicing", None)
        copies[0]["sliceName"] = slice_name
        # a new slice starts from the base cardinality, not the sliced element's
        # constrained one (min 2 on the extensions does not make each slice min 2)
        base = self.pristine.get(sliced_id)
        copies[0]["min"] = base.get("min", 0) if base is not None else 0
        if base is not None and "max" in base:
            copies[0]["max"] = base["max"]
        self._insert(end, copies)
        return self.index[slice_id]

    def _unfold(self, pos: int) -> bool:
        """Bring the children of the element at pos into the snapshot from its type."""
        element = self.elements[pos]
        eid = element["id"]
        if pos + 1 < len(self.elements) and self.elements[pos + 1]["id"].startswith(eid + "."):
            return False  # children already there
        ref = element.get("contentReference")
        if ref:
            ref_id = ref.split("#", 1)[-1]
            ref_element = self.pristine.get(ref_id)
            if ref_element is None:
                return False
            ref_path = ref_element["path"]
            family = [
                {**e, "id": eid}
                for eid, e in self.pristine.items()
                if eid.startswith(ref_id + ".") and ":" not in eid[len(ref_id) :]
            ]
            kids = _rename(family, ref_id, eid, ref_path, element["path"])
            element.pop("contentReference", None)
            element["type"] = [{"code": "BackboneElement"}]
            self._insert(pos + 1, kids)
            return True
        types = _type_entries(element)
        if len(types) != 1:
            return False
        t = types[0]
        profiles = [p for p in t.get("profile", ()) if isinstance(p, str)] if isinstance(t.get("profile"), list) else []
        code = t.get("code")
        source = profiles[0] if profiles else code
        if not isinstance(source, str) or not source:
            return False
        type_sd = self.resolve(source)
        if type_sd is None and source != code and isinstance(code, str):
            type_sd = self.resolve(code)
        if type_sd is None or "snapshot" not in type_sd:
            return False
        type_elements = type_sd["snapshot"]["element"]
        root = type_elements[0]
        root_id = root.get("id") or root["path"]
        kids = _rename(type_elements[1:], root_id, eid, root["path"], element["path"])
        _attribute_constraints(kids, str(type_sd.get("url", "")))
        self._insert(pos + 1, kids)
        return True

    # -- merging -----------------------------------------------------------
    def merge(self, pos: int, diff: Element, index: int) -> None:
        target = self.elements[pos]
        self._check_fixed_kept(target, diff, index)
        for key, value in diff.items():
            if key in _MERGE_SKIP:
                continue
            if key == "constraint":
                if not isinstance(value, list):
                    continue  # malformed: the walk of the profile reports it
                have = {c.get("key") for c in target.get("constraint", ())}
                target["constraint"] = list(target.get("constraint", ())) + [
                    c if "source" in c else {**c, "source": self.profile_url}
                    for c in value
                    if isinstance(c, dict) and c.get("key") not in have
                ]
            elif key == "type" and target.get("contentReference"):
                # typing a contentReference element as BackboneElement keeps what it
                # refers to (its children come from there); any other type replaces it
                codes = [t.get("code") for t in value if isinstance(t, dict)] if isinstance(value, list) else []
                if codes not in (["BackboneElement"], ["Element"]):
                    target.pop("contentReference", None)
                target[key] = value
            else:
                target[key] = value

    def _check_fixed_kept(self, base: Element, diff: Element, index: int) -> None:
        """A fixed value the base gives can be restated, never changed: an extension
        profiled from another that fixes its url to its own (the HL7 validator's rule)."""
        base_key = next((k for k in base if k.startswith("fixed")), None)
        if base_key is None:
            return
        for key in (k for k in diff if k.startswith("fixed")):
            if key != base_key:
                text = (
                    f"The base element has a fixed value of type {base_key[5:]}, so this element must have a "
                    f"fixed value of the same type, not {key[5:]}"
                )
            elif not equals_fixed(diff[key], base[base_key]):
                text = (
                    f"Value is {_shown(diff[key])} but is fixed to {_shown(base[base_key])} in the base profile, "
                    f"because the value must match the fixed value defined in '{self.base_url}'"
                )
            else:
                continue
            self.conflicts.append((index, key, text))


def _value_type_problems(diff: Element, element: Element, index: int) -> list[tuple[int, str, str]]:
    """A fixed or pattern value is of one of the element's types: a fixedString on a date
    can be met by nothing the element may hold."""
    types = sorted({type_code(t) for t in _type_entries(element)})
    if not types or "*" in types:
        return []
    return [
        (
            index,
            key,
            f"The {kind} value has type '{choice_type(suffix)}' which is not valid (valid type: [{', '.join(types)}])",
        )
        for key in diff
        for kind in ("fixed", "pattern")
        if key.startswith(kind) and (suffix := key[len(kind) :])[:1].isupper() and choice_type(suffix) not in types
    ]


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str | int | float) else json.dumps(value, sort_keys=True)


def _type_entries(element: Element) -> list[dict[str, Any]]:
    """An element's type entries that are objects (a hand-written profile may hold anything)."""
    types = element.get("type")
    return [t for t in types if isinstance(t, dict)] if isinstance(types, list) else []


def differential_elements(sd: dict[str, Any]) -> list[Any]:
    """The differential's element list as it stands (its indexes are the ones reported)."""
    differential = sd.get("differential")
    elements = differential.get("element") if isinstance(differential, dict) else None
    return elements if isinstance(elements, list) else []


def _well_formed(e: Any) -> bool:
    """Can the element be placed at all (a string path; id and sliceName strings if given)?"""
    return (
        isinstance(e, dict)
        and isinstance(e.get("path"), str)
        and isinstance(e.get("id", ""), str)
        and isinstance(e.get("sliceName", ""), str)
    )


def _diff_ids(differential: list[Element]) -> list[str]:
    """Ids for differential elements, deriving them from path + sliceName where absent
    ('' for an element that is not well formed: it is placed nowhere)."""
    ids: list[str] = []
    slice_context: dict[str, str] = {}  # path → id prefix of the slice in force there
    for e in differential:
        if not _well_formed(e):
            ids.append("")
            continue
        if e.get("id"):
            ids.append(e["id"])
            continue
        path = e["path"]
        prefix_id = path
        # find the longest path prefix that is inside a slice declared earlier
        parts = path.split(".")
        for n in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:n])
            if head in slice_context:
                prefix_id = slice_context[head] + "." + ".".join(parts[n:])
                break
        if e.get("sliceName"):
            prefix_id = f"{prefix_id}:{e['sliceName']}"
            slice_context[path] = prefix_id
        else:
            slice_context.pop(path, None)
        ids.append(prefix_id)
    return ids


def _attribute_constraints(elements: list[Element], source: str) -> None:
    """Constraints copied from the base keep saying where they come from."""
    for e in elements:
        constraints = e.get("constraint")
        if constraints and any("source" not in c for c in constraints):
            e["constraint"] = [c if "source" in c else {**c, "source": source} for c in constraints]


class MalformedDifferential(Exception):
    """A differential the generator cannot read at all (its elements hold values of the
    wrong shape where it must follow them: a type, a profile, a constraint)."""


def generate_snapshot(sd: dict[str, Any], base_sd: dict[str, Any], resolve: TypeResolver) -> GeneratedSnapshot:
    """The snapshot elements for ``sd``, with the differential elements that could not be
    placed and those listed out of order. Raises MalformedDifferential for a differential
    whose values it cannot follow (the walk of the profile says which are wrong)."""
    try:
        return _generate(sd, base_sd, resolve)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise MalformedDifferential(type(exc).__name__) from exc


def _generate(sd: dict[str, Any], base_sd: dict[str, Any], resolve: TypeResolver) -> GeneratedSnapshot:
    base_elements = base_sd["snapshot"]["element"]
    builder = _Builder(base_elements, resolve, str(sd.get("url", "")), str(base_sd.get("url", "")))
    _attribute_constraints(builder.elements, str(base_sd.get("url", "")))
    root = builder.elements[0]
    own_type = sd.get("type") or root["path"]
    if root["path"] != own_type:
        builder.elements = _rename(builder.elements, root["id"], own_type, root["path"], own_type)
        builder._reindex()
    differential = differential_elements(sd)
    placed: list[tuple[int, str, str]] = []  # (diff index, its id, the snapshot id it went to)
    for n, (diff, diff_id) in enumerate(zip(differential, _diff_ids(differential), strict=True)):
        pos = builder.ensure(diff_id) if diff_id else None
        if pos is None:
            builder.problems.append((n, _NO_MATCH.format(id=diff_id)))
            continue
        placed.append((n, diff_id, builder.elements[pos]["id"]))
        builder.merge(pos, diff, n)
    for n, _, snapshot_id in placed:
        builder.conflicts += _value_type_problems(differential[n], builder.elements[builder.index[snapshot_id]], n)
    return GeneratedSnapshot(
        builder.elements, builder.problems, _out_of_order(placed, builder.elements), builder.conflicts
    )


def _out_of_order(placed: list[tuple[int, str, str]], elements: list[Element]) -> list[tuple[int, str]]:
    """Differential elements that come before, in the differential, one that the snapshot
    puts ahead of them. Walking base and differential together (as the HL7 validator
    does), once an element is matched the ones listed before it are never reached."""
    position = {e["id"]: i for i, e in enumerate(elements)}
    cursor = 0
    found = []
    for n, diff_id, _ in sorted(placed, key=lambda p: (position[p[2]], p[0])):
        if n < cursor:
            found.append((n, _NO_MATCH.format(id=diff_id)))
        else:
            cursor = n + 1
    return sorted(found)
