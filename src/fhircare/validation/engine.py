"""The instance walker: one resource against base R4 and every profile it claims.

The walk visits the JSON once per structure — the base resource definition first,
then each profile — keeping every issue (it never stops at the first). In a profile
walk, whatever the base walk already checked identically (datatype content the
profile does not constrain, invariants from the core definitions, extensions by
url) is not walked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fhircare.errors import DefinitionError
from fhircare.validation.bindings import BindingChecker
from fhircare.validation.context import DefinitionContext, split_canonical
from fhircare.validation.fhirpath import EvalEnv, FhirPathEngine, InvariantError
from fhircare.validation.issues import IssueSink, ValidationResult
from fhircare.validation.primitives import check_primitive, check_resource_id, is_primitive
from fhircare.validation.references import BundleIndex, parse_reference
from fhircare.validation.slicing import SliceServices, assign
from fhircare.validation.structure import ElementNode, StructureModel
from fhircare.validation.terminology import Terminology
from fhircare.validation.values import compare_ordered, equals_fixed, fixed_mismatches, matches_pattern

_RESOURCE_TYPES = ("Resource", "DomainResource")


@dataclass(slots=True)
class Frame:
    """The resource being walked and what surrounds it."""

    resource: dict[str, Any]
    root: dict[str, Any]  # the container, for contained references (%rootResource)
    bundle: BundleIndex | None = None
    full_url: str | None = None


@dataclass(slots=True)
class Walk:
    sink: IssueSink
    frame: Frame
    model: StructureModel
    profile: bool  # False for the base resource's own definition
    walked: set[tuple[int, str]] = field(default_factory=set)


class Validator:
    """Validates FHIR R4 JSON resources against base R4 and profiles.

    Build one and reuse it: definitions are compiled on first use and kept.
    """

    def __init__(self, context: DefinitionContext) -> None:
        self.context = context
        self.terminology = Terminology(context)
        self.fhirpath = FhirPathEngine()
        self.bindings = BindingChecker(self.terminology)

    # -- public --------------------------------------------------------------
    def validate(
        self, resource: Any, profiles: Sequence[str] = (), *, source: str | None = None
    ) -> ValidationResult:
        sink = IssueSink()
        if not isinstance(resource, dict):
            sink.add("fatal", "structure", "$this", "The content is not a JSON object")
        else:
            rt = resource.get("resourceType")
            location = rt if isinstance(rt, str) else "$this"
            self._resource(resource, location, None, sink, list(profiles))
        return ValidationResult(issues=sink.issues, source=source)

    def conforms(self, resource: dict[str, Any], profile: str) -> bool:
        sink = IssueSink()
        self._resource(resource, str(resource.get("resourceType", "$this")), None, sink, [profile], claimed=False)
        return not any(i.is_error for i in sink.issues)

    # -- resources -----------------------------------------------------------
    def _resource(
        self,
        resource: dict[str, Any],
        loc: str,
        outer: Frame | None,
        sink: IssueSink,
        profiles: list[str],
        *,
        contained: bool = False,
        full_url: str | None = None,
        claimed: bool = True,
    ) -> None:
        rt = resource.get("resourceType")
        if not isinstance(rt, str):
            sink.add("fatal", "structure", loc, "Unable to find resourceType property")
            return
        model = self.context.type_model(rt)
        if model is None or model.kind != "resource" or model.abstract:
            sink.add("fatal", "structure", loc, f"Unknown resource type '{rt}'")
            return
        if "id" in resource:
            problem = check_resource_id(resource["id"])
            if problem:
                sink.error("invalid", f"{loc}.id", problem)
        frame = Frame(
            resource=resource,
            root=outer.root if (contained and outer is not None) else resource,
            bundle=outer.bundle if outer is not None else None,
            full_url=full_url if full_url is not None else (outer.full_url if contained and outer else None),
        )
        if rt == "Bundle":
            frame.bundle = BundleIndex.of(resource)
        walk = Walk(sink, frame, model, profile=False)
        self._object(resource, model.root, rt, loc, walk)
        wanted: list[tuple[str, bool]] = []
        if claimed:
            meta = resource.get("meta")
            for p in meta.get("profile", ()) if isinstance(meta, dict) else ():
                if isinstance(p, str):
                    wanted.append((p, True))
        wanted += [(p, False) for p in profiles]
        for url, from_meta in wanted:
            try:
                profile_model = self.context.model(url)
            except DefinitionError as exc:
                if from_meta:
                    sink.warning("not-found", loc, f"Profile reference '{url}' has not been checked because it is unknown ({exc.message})")
                else:
                    sink.error("not-found", loc, f"Unable to resolve the profile reference '{url}'")
                continue
            if profile_model.type != rt:
                sink.error("invalid", loc, f"The profile {url} is for {profile_model.type}, not {rt}")
                continue
            if profile_model.url == model.url:
                continue
            self._object(resource, profile_model.root, rt, loc, Walk(sink, frame, profile_model, profile=True, walked=walk.walked))
        if rt == "Bundle":
            from fhircare.validation.bundles import check_bundle

            check_bundle(resource, loc, sink)

    # -- complex values --------------------------------------------------------
    def _object(self, obj: dict[str, Any], node: ElementNode, type_code: str, loc: str, w: Walk) -> None:
        """Walk a complex value's properties against ``node``'s children."""
        owner = node
        if not node.children:
            if type_code in _RESOURCE_TYPES:
                return
            if w.profile and not any(t.profiles for t in node.types):
                return  # the base walk checked this datatype's content already
            type_model = self.context.type_model(type_code)
            if type_model is None:
                w.sink.error("structure", loc, f"Unknown type '{type_code}'")
                return
            owner = type_model.root
            if owner.constraints and not w.profile:
                self._invariants(obj, owner, type_code, loc, w)
        keys = owner.json_keys()
        buckets: dict[int, list[tuple[str, str | None]]] = {}
        is_resource_root = owner is node and node.path == type_code and "resourceType" in obj
        for key in obj:
            hit = keys.get(key)
            if hit is None and key[:1] == "_":
                hit = keys.get(key[1:])
                if hit is not None:
                    if key[1:] in obj:
                        continue  # handled with its value
                    buckets.setdefault(id(hit[0]), []).append((key[1:], hit[1]))
                    continue
            if hit is None:
                if key == "resourceType" and is_resource_root:
                    continue
                if key == "fhir_comments":
                    continue
                w.sink.error("structure", loc, f"Unrecognized property '{key}'")
                continue
            buckets.setdefault(id(hit[0]), []).append((key, hit[1]))
        for child in owner.children.values():
            found = buckets.get(id(child))
            self._child(obj, child, found or [], loc, w)

    def _child(self, obj: dict[str, Any], child: ElementNode, found: list[tuple[str, str | None]], loc: str, w: Walk) -> None:
        items: list[tuple[Any, Any, str | None, str]] = []  # value, primitive-extension, type, loc
        for key, type_code in found:
            raw = obj.get(key)
            ext = obj.get("_" + key)
            base_loc = f"{loc}.{child.json_name}" if child.is_choice else f"{loc}.{key}"
            if child.is_choice:
                base_loc += f".ofType({type_code})"
            if isinstance(raw, list) or isinstance(ext, list):
                values = raw if isinstance(raw, list) else []
                exts = ext if isinstance(ext, list) else []
                if not child.is_array:
                    w.sink.error("structure", loc, f"The property {key} must be a JSON Object, not an Array (at {loc})")
                if not values and not exts:
                    w.sink.error("invalid", base_loc, "Array cannot be empty - the property should not be present if it has no values")
                for i in range(max(len(values), len(exts))):
                    v = values[i] if i < len(values) else None
                    e = exts[i] if i < len(exts) else None
                    items.append((v, e, type_code, f"{base_loc}[{i}]"))
            else:
                if child.is_array and raw is not None:
                    shape = "an Object" if isinstance(raw, dict) else "a primitive"
                    w.sink.error("structure", loc, f"The property {key} must be a JSON Array, not {shape} (at {loc})")
                    items.append((raw, ext, type_code, f"{base_loc}[0]"))
                else:
                    items.append((raw, ext, type_code, base_loc))
        count = len(items)
        if count < child.min:
            w.sink.error("required", loc, f"{child.path}: minimum required = {child.min}, but only found {count} (from {w.model.versioned_url})")
        if child.max >= 0 and count > child.max:
            w.sink.error("structure", loc, f"{child.path}: max allowed = {child.max}, but found {count} (from {w.model.versioned_url})")
        if not items:
            return
        if len({t for _, _, t, _ in items}) > 1 and child.is_choice:
            w.sink.error("structure", loc, f"Only one {child.json_name}[x] may be present")
        slices: list[ElementNode | None] = [None] * count
        if child.slicing is not None and child.slices:
            slices = self._slices(items, child, loc, w)
        for (value, ext, type_code, item_loc), slice_node in zip(items, slices, strict=True):
            self._item(value, ext, child, type_code, item_loc, w)
            if slice_node is not None:
                self._item(value, ext, slice_node, type_code, item_loc, w)

    def _slices(self, items: list[tuple[Any, Any, str | None, str]], child: ElementNode, loc: str, w: Walk) -> list[ElementNode | None]:
        services = self._slice_services(w)
        typed = [(v, t or self._declared_type(child, v)) for v, _, t, _ in items]
        chosen = assign(typed, child, services)
        slicing = child.slicing
        assert slicing is not None
        for s in child.slices:
            n = sum(1 for c in chosen if c is s)
            name = f"{child.path}:{s.slice_name}"
            if n < s.min:
                if n == 0:
                    w.sink.error("structure", loc, f"Slice '{name}': a matching slice is required, but not found (from {w.model.versioned_url})")
                else:
                    w.sink.error("structure", loc, f"{name}: minimum required = {s.min}, but only found {n} (from {w.model.versioned_url})")
            if s.max >= 0 and n > s.max:
                w.sink.error("structure", loc, f"{name}: max allowed = {s.max}, but found {n} (from {w.model.versioned_url})")
        order = [child.slices.index(c) for c in chosen if c is not None]
        if slicing.ordered and order != sorted(order):
            w.sink.error("structure", loc, f"As specified by profile {w.model.versioned_url}, the elements of {child.path} are out of order")
        if slicing.rules in ("closed", "openAtEnd"):
            seen_unmatched = False
            for c, (_, _, _, item_loc) in zip(chosen, items, strict=True):
                if c is None and slicing.rules == "closed":
                    w.sink.error("structure", item_loc, f"This element does not match any known slice defined in the profile {w.model.versioned_url} and slicing is CLOSED: {child.path}")
                elif c is None:
                    seen_unmatched = True
                elif seen_unmatched:
                    w.sink.error("structure", item_loc, f"The element is in a slice of {child.path} after unmatched elements, but slicing is openAtEnd (profile {w.model.versioned_url})")
        return chosen

    def _declared_type(self, node: ElementNode, value: Any) -> str | None:
        if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
            return str(value["resourceType"])
        return node.types[0].code if len(node.types) == 1 else None

    def _slice_services(self, w: Walk) -> SliceServices:
        def model_root(url: str) -> ElementNode | None:
            try:
                return self.context.model(url).root
            except DefinitionError:
                return None

        def type_children(code: str) -> ElementNode | None:
            m = self.context.type_model(code)
            return m.root if m else None

        def conforms(value: Any, profile: str, type_code: str | None) -> bool:
            if isinstance(value, dict) and "resourceType" in value:
                return self.conforms(value, profile)
            try:
                model = self.context.model(profile)
            except DefinitionError:
                return False
            sink = IssueSink()
            self._item(value, None, model.root, type_code or model.type, "$this", Walk(sink, w.frame, model, profile=False))
            return not any(i.is_error for i in sink.issues)

        return SliceServices(
            conforms=conforms,
            in_value_set=self.bindings.in_value_set,
            resolve=lambda ref: self._resolve(ref, w.frame),
            type_children=type_children,
            model_root=model_root,
        )

    # -- one value -----------------------------------------------------------------
    def _item(self, value: Any, ext: Any, node: ElementNode, type_code: str | None, loc: str, w: Walk) -> None:
        if type_code is None:
            if not node.types:
                type_code = "BackboneElement" if node.children else "Element"
            elif len(node.types) == 1:
                type_code = node.types[0].code
            else:
                w.sink.error("structure", loc, f"The type of element {node.json_name} is not known")
                return
        if type_code not in node.type_codes and node.types and not node.is_choice:
            pass
        if node.is_choice and node.types and type_code not in node.type_codes:
            allowed = ", ".join(node.type_codes)
            w.sink.error("structure", loc, f"The Profile '{w.model.versioned_url}' definition allows for the type {allowed} but found type {type_code}")
            return
        if is_primitive(type_code):
            self._primitive(value, ext, node, type_code, loc, w)
            return
        if not isinstance(value, dict):
            w.sink.error("structure", loc, f"The property {node.json_name} must be an Object, not a primitive")
            return
        if type_code in _RESOURCE_TYPES or (type_code[:1].isupper() and self._is_resource_type(type_code)):
            if not w.profile:
                self._contained_resource(value, node, loc, w)
            elif any(t.profiles for t in node.types):
                profiles = [p for t in node.types for p in t.profiles]
                rt = value.get("resourceType")
                self._resource(value, f"{loc}/*{rt}/{value.get('id')}*/", w.frame, w.sink, profiles, claimed=False)
            return
        if type_code == "Extension" and not node.children:
            self._extension(value, node, loc, w)
        else:
            key = (id(value), f"{w.model.url}#{node.id}")
            if key not in w.walked:
                w.walked.add(key)
                self._object(value, node, type_code, loc, w)
        self._constraints_on(value, node, type_code, loc, w)
        if type_code == "Reference" and not w.profile:
            self._reference(value, node, loc, w)

    def _is_resource_type(self, code: str) -> bool:
        m = self.context.type_model(code)
        return m is not None and m.kind == "resource"

    def _primitive(self, value: Any, ext: Any, node: ElementNode, type_code: str, loc: str, w: Walk) -> None:
        if value is None and ext is None:
            w.sink.error("structure", loc, f"The property {node.json_name} has no value and no extensions")
            return
        if value is not None and not w.profile:
            if isinstance(value, dict | list):
                w.sink.error("structure", loc, f"The property {node.json_name} must be a primitive, not an {'Object' if isinstance(value, dict) else 'Array'}")
                return
            problem = check_primitive(type_code, value)
            if problem:
                w.sink.error("invalid", loc, problem)
            elif type_code == "canonical" and isinstance(value, str) and not value.startswith("#") and ":" not in value:
                w.sink.error("invalid", loc, f"Canonical URLs must be absolute URLs if they are not fragment references ({value})")
        if isinstance(ext, dict) and not w.profile:
            type_model = self.context.type_model(type_code)
            if type_model is not None:
                key = (id(ext), type_model.url)
                if key not in w.walked:
                    w.walked.add(key)
                    self._object(ext, type_model.root, type_code, loc, Walk(w.sink, w.frame, type_model, False, w.walked))
        if value is None:
            return
        if node.max_length is not None and isinstance(value, str) and len(value) > node.max_length:
            w.sink.error("invalid", loc, f"value is longer than permitted maximum length of {node.max_length}")
        self._constraints_on(value, node, type_code, loc, w)

    # -- checks on one element ----------------------------------------------------
    def _constraints_on(self, value: Any, node: ElementNode, type_code: str, loc: str, w: Walk) -> None:
        if node.fixed is not None and not equals_fixed(value, node.fixed):
            if isinstance(node.fixed, dict) and isinstance(value, dict):
                for rel, problem in fixed_mismatches(value, node.fixed):
                    name = rel.rsplit(".", 1)[-1]
                    if problem == "extra":
                        w.sink.error("value", f"{loc}.{rel}", f"The element {name} is present in the instance but not allowed in the applicable fixed value specified in profile")
                    else:
                        w.sink.error("value", loc, f"Value is not the fixed value in the profile (at {rel})")
            else:
                w.sink.error("value", loc, f"Value is '{value}' but is fixed to '{node.fixed}' in the profile {w.model.versioned_url}")
        if node.pattern is not None and not matches_pattern(value, node.pattern):
            w.sink.error("value", loc, f"The value does not match the pattern required by the profile {w.model.versioned_url} ({node.id})")
        if node.binding is not None and node.binding.value_set:
            self.bindings.check(value, type_code, node.binding, loc, w.sink, w.profile)
        if node.min_value is not None:
            order = compare_ordered(_quantity_value(value), node.min_value[1], node.min_value[0])
            if order is not None and order < 0:
                w.sink.error("value", loc, f"The value in the instance ({_quantity_value(value)}) is less than the specified minimum value ({node.min_value[1]})")
        if node.max_value is not None:
            order = compare_ordered(_quantity_value(value), node.max_value[1], node.max_value[0])
            if order is not None and order > 0:
                w.sink.error("value", loc, f"The value in the instance ({_quantity_value(value)}) is greater than the specified maximum value ({node.max_value[1]})")
        if node.constraints:
            self._invariants(value, node, node.path if type_code in ("BackboneElement", "Element") else type_code, loc, w)

    def _invariants(self, value: Any, node: ElementNode, type_path: str, loc: str, w: Walk) -> None:
        env: EvalEnv | None = None
        for c in node.constraints:
            if w.profile and c.from_core:
                continue
            if env is None:
                env = self._env(w.frame)
            try:
                ok = self.fhirpath.holds(c.key, c.expression, value, type_path, env)
            except InvariantError as exc:
                w.sink.warning("invariant", loc, f"Unable to evaluate constraint {c.key} ({c.expression}): {exc}"[:400], c.key)
                continue
            if not ok:
                severity = "error" if c.severity == "error" else "warning"
                suffix = "" if c.from_core or not c.source else f" (defined in {c.source})"
                w.sink.add(severity, "invariant", loc, f"Constraint failed: {c.key}: '{c.human}'{suffix}", c.key)

    def _env(self, frame: Frame) -> EvalEnv:
        return EvalEnv(
            resource=frame.resource,
            root_resource=frame.root,
            resolve=lambda ref: self._resolve(ref, frame),
            member_of=lambda v, vs: self.bindings.in_value_set(v, None, vs),
            conforms_to=self.conforms,
        )

    # -- resources inside resources ----------------------------------------------------
    def _contained_resource(self, value: dict[str, Any], node: ElementNode, loc: str, w: Walk) -> None:
        rt = value.get("resourceType")
        rid = value.get("id")
        inner_loc = f"{loc}/*{rt}/{rid if isinstance(rid, str) else 'null'}*/"
        is_contained = node.path.endswith(".contained")
        full_url = None
        if node.path == "Bundle.entry.resource":
            parent_entry = self._entry_of(value, w.frame.resource)
            full_url = parent_entry.get("fullUrl") if parent_entry else None
        profiles = [p for t in node.types for p in t.profiles]
        self._resource(value, inner_loc, w.frame, w.sink, profiles, contained=is_contained, full_url=full_url)

    @staticmethod
    def _entry_of(resource: dict[str, Any], bundle: dict[str, Any]) -> dict[str, Any] | None:
        for entry in bundle.get("entry", ()) if isinstance(bundle.get("entry"), list) else ():
            if isinstance(entry, dict) and entry.get("resource") is resource:
                return entry
        return None

    def _resolve(self, ref: str, frame: Frame) -> dict[str, Any] | None:
        parsed = parse_reference(ref)
        if parsed.kind == "contained":
            if parsed.id is None:
                return frame.root
            for r in frame.root.get("contained", ()) if isinstance(frame.root.get("contained"), list) else ():
                if isinstance(r, dict) and r.get("id") == parsed.id:
                    return r
            return None
        if frame.bundle is not None:
            found = frame.bundle.resolve(parsed, frame.full_url)
            return found[0] if found else None
        return None

    def _reference(self, value: dict[str, Any], node: ElementNode, loc: str, w: Walk) -> None:
        from fhircare.validation.reference_checks import check_reference

        check_reference(self, value, node, loc, w)

    def _extension(self, value: dict[str, Any], node: ElementNode, loc: str, w: Walk) -> None:
        from fhircare.validation.extensions import check_extension

        check_extension(self, value, node, loc, w)


def _quantity_value(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else value


def profile_url(canonical: str) -> str:
    return split_canonical(canonical)[0]
