"""The instance walker: one resource against base R4 and every profile it claims.

The walk visits the JSON once per structure — the base resource definition first,
then each profile — keeping every issue (it never stops at the first). In a profile
walk, whatever the base walk already checked identically (datatype content the
profile does not constrain, invariants from the core definitions, extensions by
url) is not walked again.

This is the hot path of every validation: the common case (one property, one
type, no slicing) is handled inline, and everything a node needs is precomputed
on ``ElementNode``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from fhircare.errors import DefinitionError, UnknownProfileError
from fhircare.validation.bindings import BindingChecker
from fhircare.validation.bundles import check_bundle
from fhircare.validation.canonical_resources import CANONICAL_RESOURCE_TYPES, check_canonical_url
from fhircare.validation.code_systems import check_code_system_resource
from fhircare.validation.concept_maps import check_concept_map
from fhircare.validation.context import DefinitionContext
from fhircare.validation.datatypes import (
    check_attachment,
    check_code_system,
    check_identifier,
    check_ucum_annotation,
)
from fhircare.validation.entry_memo import EntryMemo
from fhircare.validation.extensions import check_extension
from fhircare.validation.fhirpath import REF_1, EvalEnv, FhirPathEngine
from fhircare.validation.implied_profiles import implied_profiles
from fhircare.validation.issues import IssueSink, ValidationResult, read_location
from fhircare.validation.observations import check_observation
from fhircare.validation.primitives import (
    CHOICE_SUFFIXES,
    PRIMITIVE_CHECKS,
    QUICK_CHECKS,
    check_resource_id,
    choice_type,
    example_url_problem,
    plain_string,
    report_lexical,
    well_formed,
)
from fhircare.validation.properties import unusual_key, walk_property
from fhircare.validation.questionnaire import (
    QuestionnaireServices,
    check_questionnaire,
    check_questionnaire_response,
)
from fhircare.validation.questionnaire_answers import AnswerServices
from fhircare.validation.reference_checks import check_reference, plain_reference, plain_reference_targets
from fhircare.validation.references import BundleIndex, parse_reference
from fhircare.validation.remembered import REMEMBERED
from fhircare.validation.rules import check_best_practices, check_value_rules, run_invariants
from fhircare.validation.search_parameters import check_capability_statement, check_search_parameter
from fhircare.validation.services import InvariantPlan
from fhircare.validation.structure import (
    ARRAY,
    EXT_KEY,
    SINGLE,
    URL_TYPES,
    Constraint,
    ElementNode,
    StructureModel,
)
from fhircare.validation.structure_definitions import DefinitionServices, check_structure_definition
from fhircare.validation.terminology import Terminology
from fhircare.validation.value_sets import check_value_set
from fhircare.validation.walk import Frame, Walk
from fhircare.validation.xhtml import Anchors, fragment_links, unresolved_links

_RESOURCE_TYPES = ("Resource", "DomainResource")
_UNKNOWN_NAMES_REMEMBERED = 4096
_CLEAN_VALUES_REMEMBERED = 65536
#: element types whose children are defined in place, with no definition of their own
_NO_TYPE_ROOT = frozenset({"BackboneElement", "Element", *_RESOURCE_TYPES})
#: a code's own lexical check passes when this does (see primitives.QUICK_CHECKS)
_CODE_WELL_FORMED = QUICK_CHECKS["code"]
#: datatypes with rules of their own that item() checks (one test for all the others)
#: R4's constraints on Quantity, whose code is a Quantity's code (a code system held in
#: full judges it the same way)
_QUANTITY_KINDS = frozenset({"Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"})
_RULED_TYPES = frozenset({"Attachment", "Identifier", "Coding", "Quantity"} | _QUANTITY_KINDS)


class Validator:
    """Validates FHIR R4 JSON resources against base R4 and profiles.

    Build one and reuse it: definitions are compiled on first use and kept.
    """

    def __init__(self, context: DefinitionContext, *, allow_example_urls: bool = False) -> None:
        self.context = context
        #: example.org / acme.com URLs are errors in real data; examples in a spec may use them
        self.allow_example_urls = allow_example_urls
        self.terminology = Terminology(context)
        self.fhirpath = FhirPathEngine()
        self.bindings = BindingChecker(self.terminology)
        self._type_models: dict[str, StructureModel | None] = {}
        self._resource_kinds: dict[str, bool] = {}  # type code → is it a resource type?
        self._plain_types: dict[str, bool] = {}  # type code → walked as nothing in particular?
        self._reference_plain: bool | None = None  # see _reference_is_plain
        #: Reference element → its target types, when _plain_reference may settle its values
        self._plain_targets: dict[ElementNode, set[str] | None] = {}
        self._conform_depth = 0  # nested conforms() checks (target profiles, slices)
        self._cross_entry_lookups = 0  # see _bundle_anchors
        #: (element, profile walk?, host, a plain value) found with nothing to report
        self._clean_values: set[tuple[ElementNode, bool, tuple[str, str] | None, tuple[Any, ...]]] = set()
        self._memo_open = True  # False while a value is walked to be remembered
        #: (id of a resource, profile) → conforms, for the validation under way
        self._conformance: dict[tuple[int, str], bool] = {}
        #: bundle entries already validated, by everything their validation depends on
        self.entry_memo = EntryMemo()
        #: the day an invariant's today() means (None: the machine's date): `map` and `load`
        #: validate as of their --as-of, as their consistency rules judge (a key worker who
        #: left after that day was the lead on it; found by a trial of a new layout)
        self.today: date | None = None
        #: Reference element → resource types it may point at (target profiles resolved)
        self.reference_targets: dict[ElementNode, set[str]] = {}
        #: Reference element → (its target profiles it cannot use, the types of the rest)
        self.unusable_targets: dict[ElementNode, tuple[tuple[str, ...], frozenset[str]]] = {}
        #: what each slice expects at each discriminator path (see slicing.py)
        self.slice_expectations: dict[tuple[ElementNode, str], tuple[ElementNode | None, Any, Any]] = {}
        self.slice_indexes: dict[ElementNode, dict[str, int] | None] = {}
        #: (Reference element, target resource type) → profiles the target must meet
        self.target_profiles: dict[tuple[ElementNode, str], list[str]] = {}
        #: each invariant's evaluator, chosen once (native, compiled or interpreted)
        self.invariant_checks: dict[Constraint, Callable[[Any, str, EvalEnv], bool]] = {}
        #: each element's invariants with their evaluators, for base and profile walks
        self.invariant_plans: dict[ElementNode, InvariantPlan] = {}
        self.profile_invariant_plans: dict[ElementNode, InvariantPlan] = {}
        #: (element with children, its type) → the type's root, whose invariants a walk of
        #: the element evaluates too (see _expanded_type_root)
        self._expanded_type_roots: dict[tuple[ElementNode, str], ElementNode | None] = {}
        self._rebound_paths: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}
        #: element with a contentReference → the base element it stands for (_content_target)
        self._content_targets: dict[ElementNode, ElementNode] = {}
        #: what a QuestionnaireResponse's check needs: its Questionnaire, value sets, types
        self.questionnaires = QuestionnaireServices(
            answers=AnswerServices(
                in_value_set=lambda value, vs: self.bindings.in_value_set(
                    value, "Coding" if isinstance(value, dict) else "code", vs
                ),
                has_value_set=lambda vs: self.terminology.expand(vs) is not None,
                is_resource_type=lambda code: code[:1].isupper() and self.is_resource_type(code),
            ),
            find=context.questionnaire,
            type_of=context.type_of,
        )
        #: what a StructureDefinition's check as a profile needs: its base, types
        self.definitions = DefinitionServices(
            structure_definition=context.structure_definition,
            resolve_type=context.resolve_type,
            type_root=self._type_root,
        )
        #: the rules of one resource type that no element of it states (resource, loc, sink)
        self._type_rules: dict[str, Callable[[dict[str, Any], str, IssueSink], None]] = {
            "Bundle": lambda r, loc, sink: check_bundle(r, loc, sink, self.is_resource_type),
            "QuestionnaireResponse": lambda r, loc, sink: check_questionnaire_response(
                r, loc, sink, self.questionnaires
            ),
            "Questionnaire": check_questionnaire,
            "StructureDefinition": lambda r, loc, sink: check_structure_definition(r, loc, sink, self.definitions),
            "ConceptMap": lambda r, loc, sink: check_concept_map(r, loc, sink, self.terminology),
            "ValueSet": lambda r, loc, sink: check_value_set(r, loc, sink, self.terminology),
            "CodeSystem": check_code_system_resource,
            "SearchParameter": lambda r, loc, sink: check_search_parameter(r, loc, sink, self.context.fetch),
            "CapabilityStatement": lambda r, loc, sink: check_capability_statement(r, loc, sink, self.context.fetch),
            "Observation": check_observation,
        }

    # -- public --------------------------------------------------------------
    def validate(self, resource: Any, profiles: Sequence[str] = (), *, source: str | None = None) -> ValidationResult:
        sink = IssueSink()
        self._conformance.clear()
        self.entry_memo.start()
        try:
            if not isinstance(resource, dict):
                sink.add("fatal", "structure", "$this", "The content is not a JSON object")
            else:
                rt = resource.get("resourceType")
                location = rt if isinstance(rt, str) else "$this"
                self.resource(resource, location, None, sink, list(profiles))
        finally:
            self._conformance.clear()
        return ValidationResult(issues=sink.issues, source=source)

    def conforms(
        self, resource: dict[str, Any], profile: str, outer: Frame | None = None, *, contained: bool = False
    ) -> bool:
        """Does the resource meet the profile? (``outer``: the Bundle it sits in, if any;
        ``contained``: it is a contained resource of ``outer``'s, whose ``#`` references
        resolve among its container's contained resources)

        Answered once per resource and profile in one validation: in a bundle where
        thirty resources refer to the same Patient, its target profile is checked once,
        not thirty times (and again for every reference inside each check).
        """
        key = (id(resource), profile)
        known = self._conformance.get(key)
        if known is not None:
            return known
        if self._conform_depth > 4:
            return True  # references that lead round in a circle: stop asking
        # while the answer is being worked out, a reference back to the same resource
        # is taken to conform (a cycle proves nothing either way)
        self._conformance[key] = True
        self._conform_depth += 1
        try:
            sink = IssueSink()
            loc = str(resource.get("resourceType", "$this"))
            self.resource(resource, loc, outer, sink, [profile], claimed=False, contained=contained)
        finally:
            self._conform_depth -= 1
        answer = self._conformance[key] = not any(i.is_error for i in sink.issues)
        return answer

    def type_model(self, code: str) -> StructureModel | None:
        """The core definition of a type or resource, memoised (looked up per element)."""
        try:
            return self._type_models[code]
        except KeyError:
            found = self.context.type_model(code)
            if found is not None or len(self._type_models) < _UNKNOWN_NAMES_REMEMBERED:
                # names that are no type come from the data (a self link's path, a hostile
                # profile's type codes): remembered only up to a bound
                self._type_models[code] = found
            return found

    def _type_root(self, code: str) -> ElementNode | None:
        model = self.type_model(code)
        return model.root if model is not None else None

    def profile_model(self, url: str) -> StructureModel | None:
        try:
            return self.context.model(url)
        except DefinitionError:
            return None

    # -- resources -----------------------------------------------------------
    def resource(
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
        entry_loc: str | None = None,
    ) -> None:
        rt = resource.get("resourceType")
        if not isinstance(rt, str):
            sink.add("fatal", "structure", loc, "Unable to find resourceType property")
            return
        issues_before = len(sink.issues)
        lookups_before = self._cross_entry_lookups
        memo_key = None
        bundle = outer.bundle if outer is not None and claimed and not contained else None
        entry = bundle is not None
        if bundle is not None and full_url is not None:
            # a bundle entry: answered before, in this bundle stream, if it came round again
            # (one with no fullUrl is not remembered: what is said of it at the end of this
            # method lies outside its own location)
            memo_key = self.entry_memo.key(resource, full_url, bundle, profiles, self.today_iso())
            remembered = self.entry_memo.get(memo_key) if memo_key is not None else None
            if remembered is not None:
                for severity, code, where, text, rule in remembered:
                    sink.add(severity, code, loc + where, text, rule)  # type: ignore[arg-type]
                wanted = self._profiles_for(resource, rt, profiles, claimed)
                self._remember_conformance(resource, wanted, profiles, sink.issues[issues_before:])
                return
        model = self.type_model(rt)
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
            container=(outer.container or outer) if (contained and outer is not None) else None,
        )
        if entry_loc is not None and full_url is None:
            frame.no_full_url = True
        if rt == "Bundle":
            frame.bundle = BundleIndex.of(resource)
        elif rt == "Parameters" and frame.bundle is None:
            frame.bundle = BundleIndex.of_parameters(resource)
        wanted = self._profiles_for(resource, rt, profiles, claimed)
        if wanted:
            frame.rebound = self._rebound(model, tuple(url for url, _ in wanted))
        walk = Walk(sink, frame, profile=False)
        self.walk_object(resource, model.root, rt, loc, walk)
        if model.root.invariants:
            run_invariants(self, resource, model.root, rt, loc, walk)
        if model.root.best_practices and not contained:
            check_best_practices(self, resource, model.root, rt, loc, walk)
        for url, from_meta in wanted:
            try:
                profile_model, problems = self.context.model_and_problems(url)
            except UnknownProfileError as exc:
                if from_meta and exc.message.startswith("Unknown profile"):
                    # claimed but not loaded: say so, as the HL7 validator does
                    sink.warning(
                        "not-found", loc, f"Profile reference '{url}' has not been checked because it is unknown"
                    )
                else:
                    sink.error("not-found", loc, f"Unable to resolve the profile reference '{url}': {exc.message}")
                continue
            except DefinitionError as exc:
                sink.error("not-found", loc, f"The profile '{url}' cannot be used: {exc.message}")
                continue
            if profile_model.type != rt:
                sink.error("invalid", loc, f"The profile {url} is for {profile_model.type}, not {rt}")
                continue
            for _, problem in problems:
                # the profile's author meant a rule fhircare cannot place: say so, or the
                # resource would seem to meet a constraint that was never checked
                sink.warning("incomplete", loc, f"The profile {url} is not checked in full: {problem}")
            if profile_model.url != model.url:
                profile_walk = Walk(sink, frame, True, walk.walked)
                self.walk_object(resource, profile_model.root, rt, loc, profile_walk)
                if profile_model.root.invariants:
                    run_invariants(self, resource, profile_model.root, rt, loc, profile_walk)
        if rt in CANONICAL_RESOURCE_TYPES:
            check_canonical_url(resource, loc, contained, sink)
        type_rules = self._type_rules.get(rt)
        if type_rules is not None:
            type_rules(resource, loc, sink)
        if entry_loc is not None and frame.no_full_url and frame.refers_out:
            # its references resolve from the entry's fullUrl: with none, from nowhere
            sink.error("required", entry_loc, "Bundle entry missing fullUrl")
        # the frame's FHIRPath environment holds closures over the frame: without this the
        # pair is a reference cycle, left for the garbage collector (a few % of the time)
        frame.env = None
        if entry:
            self._remember_conformance(resource, wanted, profiles, sink.issues[issues_before:])
        if memo_key is not None and self._cross_entry_lookups == lookups_before:
            self.entry_memo.put(memo_key, loc, sink.issues[issues_before:])

    def _remember_conformance(
        self, entry: dict[str, Any], walked: list[tuple[str, bool]], asked: list[str], issues: list[Any]
    ) -> None:
        """What an entry's own walk says about whether it conforms to the profiles it
        claims, so that references to it need not walk it again: no error means it meets
        each of them; an error means it fails its profile when that is all it was walked
        against (beside the base and global profiles a conformance check walks too)."""
        claimed = [
            url
            for url, from_meta in walked
            if from_meta and url not in self.context.global_profiles.get(str(entry.get("resourceType")), ())
        ]
        failed = any(i.is_error for i in issues)
        if failed and (len(claimed) != 1 or asked):
            return
        for url in claimed:
            self._conformance.setdefault((id(entry), url), not failed)

    def _rebound(self, model: StructureModel, urls: tuple[str, ...]) -> frozenset[str]:
        """Paths of the base's extensible bindings that a profile in play binds to another
        value set. A profile may do that (extensible allows it), and then its binding is the
        one checked: the HL7 validator validates against the profile's snapshot, not the base
        again, so a Consent.policyRule from fhircare's ConsentBasisVS is not warned of as
        outside the core consent-policy value set."""
        key = (model.url, urls)
        found = self._rebound_paths.get(key)
        if found is None:
            paths: set[str] = set()
            for url in urls:
                try:
                    profile = self.context.model(url)
                except DefinitionError:  # reported where the profile is walked
                    continue
                if profile.type == model.type:
                    _collect_rebound(model.root, profile.root, paths)
            found = self._rebound_paths[key] = frozenset(paths)
        return found

    def _profiles_for(
        self, resource: dict[str, Any], rt: str, profiles: list[str], claimed: bool
    ) -> list[tuple[str, bool]]:
        """(profile, claimed by the instance or its IG) to walk after the base walk."""
        wanted: list[tuple[str, bool]] = []
        if claimed:
            meta = resource.get("meta")
            for p in meta.get("profile", ()) if isinstance(meta, dict) else ():
                if isinstance(p, str):
                    wanted.append((p, True))
        # (loops: a comprehension is a function call of its own, and this runs per resource)
        for p in self.context.global_profiles.get(rt, ()):
            wanted.append((p, True))
        for p in profiles:
            wanted.append((p, False))
        if rt == "Observation" and claimed:
            # vital signs: the specification makes the core profile apply (see implied_profiles)
            wanted += [(p, False) for p in implied_profiles(resource) if all(p != url for url, _ in wanted)]
        return wanted

    # -- complex values --------------------------------------------------------
    def walk_object(self, obj: dict[str, Any], node: ElementNode, type_code: str, loc: str, w: Walk) -> None:
        """Walk a complex value's properties against ``node``'s children."""
        owner = node
        if not node.children:
            if node.content_reference:
                # a contentReference (Parameters.parameter.part → #Parameters.parameter)
                # means the *base* definition of that element, not a profile's version
                if w.profile:
                    return
                target = self._content_targets.get(node)
                if target is None:
                    target = self._content_target(node)
                if target is not None:
                    owner = target
                    if target.invariants:
                        # the element it stands for carries the invariants (rqg-1 on every
                        # RequestGroup.action.action, que-* on every nested Questionnaire.item)
                        run_invariants(self, obj, target, target.path, loc, w)
            if not owner.children:
                if type_code in _RESOURCE_TYPES:
                    return
                if w.profile and not node.has_type_profiles:
                    return  # the base walk checked this datatype's content already
                type_model = self._type_models.get(type_code) or self.type_model(type_code)
                if type_model is None:
                    w.sink.error("structure", loc, f"Unknown type '{type_code}'")
                    return
                owner = type_model.root
                if "extension" in obj or "modifierExtension" in obj:
                    # extensions here check their context against this element
                    w = Walk(w.sink, w.frame, w.profile, w.walked, (node.path, type_code))
                if owner.invariants and not w.profile:
                    run_invariants(self, obj, owner, type_code, loc, w)
        elif not w.profile and type_code not in _NO_TYPE_ROOT:
            type_root = self._expanded_type_root(node, type_code)
            if type_root is not None:
                run_invariants(self, obj, type_root, type_code, loc, w)
        if w.profile:
            self._walk_profile_object(obj, owner, loc, w)
            return
        # from here on: the base walk (profile walks took the branch above)
        lenient = self.allow_example_urls
        keys = (owner._plan_lenient if lenient else owner._plan) or owner.key_plan(lenient)
        quick_keys = owner._quick_lenient if lenient else owner._quick
        if quick_keys is None:
            quick_keys = owner.quick_keys(lenient)
        sink = w.sink
        item = self.item
        general: dict[ElementNode, list[tuple[str, str | None]]] | None = None
        for key in obj:
            fast = quick_keys.get(key)
            if fast is not None:
                # the commonest case of all: one well-formed primitive, no '_name' beside it
                raw = obj[key]
                if type(raw) is str and len(raw) < 4096 and fast[0](raw) and fast[1] not in obj:
                    continue
            step = keys.get(key)
            if step is None:
                hit = unusual_key(self, obj, key, owner, node, type_code, loc, w)
                if hit is None:
                    continue
                child, t, value_key = hit  # a choice of an undeclared type: the general case
            else:
                child, t, value_key, shape, ext_key, lexical, quick = step
                if shape is SINGLE or shape is ARRAY:
                    if ext_key is None or ext_key not in obj:
                        # the common case, inline: one property, one type, no slicing
                        raw = obj[key]
                        if shape is ARRAY:
                            if type(raw) is list and raw and (child.max < 0 or len(raw) <= child.max):
                                base = f"{loc}.{key}"
                                for i, value in enumerate(raw):
                                    if (
                                        lexical is not None
                                        and type(value) is str
                                        and (t != "canonical" or value[:1] != "#")
                                    ):
                                        if quick is not None and len(value) < 4096 and quick(value):
                                            continue  # well formed: the check would say so
                                        if problem := lexical(value):
                                            report_lexical(sink, problem, t, value, f"{base}[{i}]", True)
                                    elif t != "Reference" or not self._plain_reference(value, child, w):
                                        item(value, None, child, t, f"{base}[{i}]", w)
                                continue
                        elif raw is not None and type(raw) is not list:
                            if (
                                lexical is not None
                                and type(raw) is not dict
                                and (t != "canonical" or type(raw) is not str or raw[:1] != "#")
                            ):
                                # a primitive whose only rule is its lexical form (most of them;
                                # a '#id' canonical is walked: its target must be there)
                                if quick is not None and type(raw) is str and len(raw) < 4096 and quick(raw):
                                    continue
                                if problem := lexical(raw):
                                    report_lexical(sink, problem, t, raw, f"{loc}.{key}")
                            elif (
                                child.bound_code
                                and type(raw) is str
                                and len(raw) < 4096
                                and _CODE_WELL_FORMED(raw)
                                and self.bindings.settles(raw, child.binding)
                            ):
                                pass  # a well-formed code in its value set: nothing to report
                            elif t != "Reference" or not self._plain_reference(raw, child, w):
                                item(raw, None, child, t, f"{loc}.{key}", w)
                            continue
                elif shape is EXT_KEY and value_key in obj:
                    continue  # a primitive's '_name': walked with its value
            if general is None:
                general = {}
            general.setdefault(child, []).append((value_key, t))
        required = owner._required if owner._required is not None else owner.required_children()
        for child in required:
            for k in child.keys_in_json:
                if k in obj:
                    break
            else:
                if not (general and child in general):
                    walk_property(self, obj, child, [], loc, w)
        if general:
            for child, found in general.items():
                if not (child.single_choice and len(found) == 1 and self._one_choice(obj, child, found[0], loc, w)):
                    walk_property(self, obj, child, found, loc, w)

    def _content_target(self, node: ElementNode) -> ElementNode | None:
        """The base element a contentReference names, found once per element (every nested
        Questionnaire item, every answer's item, comes through here); not found is not
        remembered."""
        ref_id = str(node.content_reference).split("#", 1)[-1]
        base_model = self.type_model(ref_id.split(".", 1)[0])
        target = base_model.by_id.get(ref_id) if base_model else None
        if target is not None:
            self._content_targets[node] = target
        return target

    def _expanded_type_root(self, node: ElementNode, type_code: str) -> ElementNode | None:
        """The root of ``type_code``'s own definition, when its invariants must be evaluated
        on a value walked against ``node``'s children: a definition that lists a datatype's
        children (a complex extension's valuePeriod, expanded in its snapshot) does not
        repeat the datatype's invariants on the element, and per-1 must still hold there, as
        the HL7 validator finds. None when there is nothing more to evaluate: a resource (its
        own walk evaluates its root's invariants), or invariants the element already carries."""
        key = (node, type_code)
        try:
            return self._expanded_type_roots[key]
        except KeyError:
            pass
        model = self.type_model(type_code)
        root = None
        if model is not None and model.kind != "resource" and model.root is not node and model.root.invariants:
            carried = {c.key for c in node.invariants}
            if not any(c.key in carried for c in model.root.invariants):
                root = model.root
        self._expanded_type_roots[key] = root
        return root

    def _walk_profile_object(self, obj: dict[str, Any], owner: ElementNode, loc: str, w: Walk) -> None:
        """A profile walk looks only at the elements the profile says something about.

        Unknown properties and everything the base definition says were reported by the
        base walk; here each relevant child finds its own properties in the object.
        """
        for child, name, cardinality_only, is_array, least, most in (
            owner._profile_plan if owner._profile_plan is not None else owner.profile_plan()
        ):
            if name is None:  # a choice
                base = child.json_name
                n = len(base)
                found: list[tuple[str, str | None]] = []
                for key in obj:
                    plain = key[1:] if key[0] == "_" else key
                    if plain.startswith(base) and plain[n:] in CHOICE_SUFFIXES and (key == plain or plain not in obj):
                        found.append((plain, choice_type(plain[n:])))
            elif name in obj:
                raw = obj[name]
                if cardinality_only and (type(raw) is list) == is_array:
                    count = len(raw) if is_array else 1
                    if least <= count and (most < 0 or count <= most):
                        continue  # the only thing the profile adds here is met
                if child.simple and child.ext_key not in obj:
                    # one property, one type, no slicing: each value straight to item(), or
                    # a backbone element's object straight to its own profile walk (all
                    # item() and walk_object() would do with it in a profile walk)
                    backbone = child.profile_backbone
                    if not is_array and type(raw) is not list and raw is not None:
                        if backbone and type(raw) is dict:
                            self._walk_profile_object(raw, child, f"{loc}.{name}", w)
                        else:
                            self.item(raw, None, child, child.single_type, f"{loc}.{name}", w)
                        continue
                    if is_array and type(raw) is list and raw and (most < 0 or len(raw) <= most):
                        base = f"{loc}.{name}"
                        for i, value in enumerate(raw):
                            if backbone and type(value) is dict:
                                self._walk_profile_object(value, child, f"{base}[{i}]", w)
                            else:
                                self.item(value, None, child, child.single_type, f"{base}[{i}]", w)
                        continue
                found = [(child.name, child.single_type)]
            elif child.ext_key in obj:
                found = [(child.name, child.single_type)]
            else:
                found = []
            if len(found) == 1 and child.single_choice and self._one_choice(obj, child, found[0], loc, w):
                continue
            if found or child.min > 0 or child.slicing is not None:
                walk_property(self, obj, child, found, loc, w)

    def _one_choice(
        self, obj: dict[str, Any], child: ElementNode, found: tuple[str, str | None], loc: str, w: Walk
    ) -> bool:
        """The one value of a single choice (valueQuantity, startDate, authorReference...)
        with no '_name' beside it, walked as walk_property would walk it (one item, at
        '….ofType(T)'), or left when a well-formed primitive needs nothing; False when
        walk_property must take it (arrays, '_name', a type the choice does not allow)."""
        value_key, t = found
        if t not in child.type_codes or "_" + value_key in obj:
            return False
        raw = obj.get(value_key)
        if type(raw) is dict:
            self.item(raw, None, child, t, f"{loc}.{child.json_name}.ofType({t})", w)
            return True
        return child.plain_choice and well_formed(t, raw)

    # -- one value -----------------------------------------------------------------
    def item(self, value: Any, ext: Any, node: ElementNode, type_code: str | None, loc: str, w: Walk) -> None:
        if type(value) is dict and type_code is not None:
            plain = self._plain_types.get(type_code)
            if plain is None:
                plain = self._plain_type(type_code)
            if plain and (not node.is_choice or type_code in node.type_codes):
                # the commonest value of all (a backbone element, a CodeableConcept, a
                # Period...): what the rest of this method does with it, without the tests
                # for kinds of value it is not, in the same order
                if w.profile:
                    if node.children or node.has_type_profiles:
                        self.walk_object(value, node, type_code, loc, w)
                    if node.has_value_rules and node.profile_rules:
                        check_value_rules(self, value, node, type_code, loc, w)
                    return
                if not value:
                    w.sink.error("invalid", read_location(loc), "Object must have some content")
                self.walk_object(value, node, type_code, loc, w)
                n = len(value) if w.frame.unread is None else w.frame.read_count(value)
                if n < 2 and node.ele1 is not None and (n == 0 or "id" in value):
                    w.sink.error("invariant", loc, f"Constraint failed: ele-1: '{node.ele1.human}'", "ele-1")
                if node.has_value_rules:
                    check_value_rules(self, value, node, type_code, loc, w)
                return
        if type_code in REMEMBERED and self._memo_open and ext is None and type(value) is dict:
            key = REMEMBERED[type_code](value)
            if key is not None:
                # the same codes come again and again (every plan's categories, every DIALOG
                # item, a patient's ethnic category): a plain value found clean against this
                # element (on this host, for an extension's context) is clean again
                memo = (node, w.profile, w.host, key)
                if memo in self._clean_values:
                    return
                raised = w.sink.raised
                self._memo_open = False
                try:
                    self.item(value, ext, node, type_code, loc, w)
                finally:
                    self._memo_open = True
                if w.sink.raised == raised and len(self._clean_values) < _CLEAN_VALUES_REMEMBERED:
                    self._clean_values.add(memo)
                return
        if type_code is None:
            type_code = self._type_of(value, node, loc, w)
            if type_code is None:
                return
        elif node.is_choice and type_code not in node.type_codes:
            allowed = ", ".join(node.type_codes)
            if node.path == "Extension.value[x]" and ".value.ofType(" in loc:
                # an extension's value of a type its definition does not allow: said of the
                # extension, by its url, as the HL7 validator says it
                at = loc[: loc.rindex(".value.ofType(")]
                url = node.sd_url.split("|", 1)[0]
                text = f"The Extension '{url}' definition allows for the types [{allowed}] but found type {type_code}"
            else:
                at, text = loc, f"The Profile '{node.sd_url}' definition allows for the type {allowed}"
                text += f" but found type {type_code}"
            w.sink.error("structure", at, text)
            return
        check = PRIMITIVE_CHECKS.get(type_code)
        if check is not None:
            self._primitive(value, ext, node, type_code, check, loc, w)
            return
        if type(value) is not dict:
            at = read_location(loc)
            w.sink.error(
                "structure", at, f"The property {node.json_name} must be an Object, not a Primitive property (at {at})"
            )
            return
        if not value and not w.profile:
            # '{}' says nothing at all; the HL7 validator's reader says so (and ele-1 below)
            w.sink.error("invalid", read_location(loc), "Object must have some content")
        is_resource = self._resource_kinds.get(type_code)
        if is_resource is None:
            is_resource = self._resource_kinds[type_code] = self.is_resource_type(type_code)
        if is_resource:
            self._inner_resource(value, node, loc, w)
            return
        profile = w.profile
        if type_code == "Reference" and self._plain_reference(value, node, w):
            # a plain reference the walk below would find nothing wrong with: in a profile
            # walk too, where all that is left of it is check_reference (a profile narrowing
            # the targets), which plain_reference answers for the element (the profile's)
            return
        if type_code == "Extension" and not node.children:
            check_extension(self, value, node, loc, w)
        elif not profile or node.children or node.has_type_profiles:
            self.walk_object(value, node, type_code, loc, w)
        if not profile:
            # ele-1: no content but an id (most values have two properties or more); what
            # the reader could not read is no content
            n = len(value) if w.frame.unread is None else w.frame.read_count(value)
            if n < 2 and node.ele1 is not None and (n == 0 or "id" in value):
                w.sink.error("invariant", loc, f"Constraint failed: ele-1: '{node.ele1.human}'", "ele-1")
            if type_code not in _RULED_TYPES:
                pass
            elif type_code == "Attachment":
                check_attachment(value, loc, w.sink)
            elif type_code == "Identifier":
                check_identifier(value, loc, w.sink)
            elif type_code == "Coding":
                # a CodeableConcept's codings are each checked here, as the walk of the
                # CodeableConcept reaches them (at the same locations): checking them again
                # from the CodeableConcept only found the same issues, which the sink drops
                in_concept = node.path.endswith(".coding")
                if not in_concept:  # CodeableConcept.coding: see check_code_system
                    # a bound coding's system is judged with its value set, at the system
                    # (as the HL7 validator places it); any other at the coding
                    bound = node.binding is not None and node.binding.is_rule
                    check_code_system(value, f"{loc}.system" if bound else loc, w.sink)
                    system = value.get("system")
                    if type(system) is str and self.context.type_of(system) == "ValueSet":
                        # a value set's url where the code system's belongs: the code means
                        # nothing there (a value set defines no codes), as the HL7 validator says
                        w.sink.error(
                            "code-invalid", loc, f"The Coding references a value set, not a code system ('{system}')"
                        )
                if "system" not in value and type(value.get("code")) is str:
                    # a code alone names nothing (which "4"? which "R"?); in the HL7
                    # validator's words, where it says so
                    w.sink.warning(
                        "code-invalid",
                        loc,
                        ("Coding has no system. " if in_concept else "")
                        + "A code with no system has no defined meaning, and it cannot be validated. "
                        "A system should be provided",
                    )
                elif "display" in value and "system" not in value and "code" not in value:
                    # words only: what was meant cannot be known (see bindings._codings)
                    w.sink.warning(
                        "code-invalid",
                        loc,
                        "Coding has neither a system nor a code, so it cannot be validated. "
                        "A system and a code should be provided",
                    )
                self.bindings.check_coding(value, loc, w.sink, node.binding)
            elif type_code == "Quantity":
                check_code_system(value, loc, w.sink)
                self.bindings.check_quantity_code(value, loc, w.sink)
                check_ucum_annotation(value, loc, w.sink)
            else:  # an Age, a Duration, ... (see _QUANTITY_KINDS)
                self.bindings.check_quantity_code(value, loc, w.sink)
                check_ucum_annotation(value, loc, w.sink)
        if node.has_value_rules and (not profile or node.profile_rules):
            check_value_rules(self, value, node, type_code, loc, w)
        if type_code == "Reference" and (not profile or node.narrows_targets):
            check_reference(self, value, node, loc, w)

    def _plain_type(self, type_code: str) -> bool:
        """Is an object of this type walked with nothing particular to its type (item()'s
        first branch): not remembered (REMEMBERED), not a primitive, resource, Reference or
        Extension, and with no rules of its own (_RULED_TYPES)? A backbone element, a
        CodeableConcept, a Period, ... Worked out once per type."""
        plain = (
            type_code not in REMEMBERED
            and type_code not in PRIMITIVE_CHECKS
            and type_code not in _RULED_TYPES
            and type_code != "Reference"
            and type_code != "Extension"
            and not self.is_resource_type(type_code)
        )
        if len(self._plain_types) < _UNKNOWN_NAMES_REMEMBERED:
            self._plain_types[type_code] = plain
        return plain

    def _plain_reference(self, value: Any, node: ElementNode, w: Walk) -> bool:
        """Is this value of a Reference element one a walk leaves at once (item() returns
        before anything else; see plain_reference)? The base walk asks it before it calls
        item(): the commonest complex value of all is settled without that call, or the
        building of the value's location. (Reference, a datatype, is never walked as a
        resource.) What it asks of the element is worked out once per element."""
        if type(value) is not dict or w.frame.bundle is not None:
            return False
        try:
            allowed = self._plain_targets[node]
        except KeyError:
            allowed = self._plain_targets[node] = (
                plain_reference_targets(self, node)
                if not node.content_reference
                and (self._reference_plain if self._reference_plain is not None else self._reference_is_plain())
                else None
            )
        return allowed is not None and plain_reference(self, value, allowed)

    def _reference_is_plain(self) -> bool:
        """Does walking a Reference's own content find nothing in a value holding only a
        ``reference`` and ``display`` of under 4096 characters that are plain strings (see
        primitives.plain_string; plain_reference tests them)? True for R4's
        Reference (two strings, no required element, ref-1 only, which holds of a reference
        not starting with '#'); worked out once from the definitions actually loaded."""
        model = self.type_model("Reference")
        plain = False
        if model is not None and model.kind != "resource":
            root = model.root
            quick = root.quick_keys(self.allow_example_urls)
            plain = (
                all(quick.get(k, (None, ""))[0] is plain_string for k in ("reference", "display"))
                and not root.required_children()
                and all(self.fhirpath.native(c.key, c.expression) is REF_1 for c in root.invariants)
            )
        self._reference_plain = plain
        return plain

    def _type_of(self, value: Any, node: ElementNode, loc: str, w: Walk) -> str | None:
        if node.single_type is not None:
            return node.single_type  # a slice typed where the sliced element is not
        if not node.types and node.content_reference:
            return "BackboneElement"
        if not node.types:
            return "BackboneElement" if node.children else "Element"
        if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
            return str(value["resourceType"])
        w.sink.error("structure", loc, f"The type of element {node.json_name} is not known")
        return None

    def _primitive(
        self, value: Any, ext: Any, node: ElementNode, type_code: str, check: Any, loc: str, w: Walk
    ) -> None:
        if value is None:
            if ext is None:
                if node.is_array and loc.endswith("]"):
                    # a null in both arrays (given and _given): the reader names the array
                    index = loc[loc.rindex("[") + 1 : -1]
                    text = (
                        f"The JSON array for '{node.json_name}' is invalid at index {index} - must have at least "
                        "one valid value"
                    )
                    w.sink.error("invalid", read_location(loc, True), text)
                else:  # "birthDate": null, in the reader's words
                    at = read_location(loc)
                    text = f"This property must be a simple value, not a Null ({node.json_name} at {at})"
                    w.sink.error("structure", at, text)
                return
        elif not w.profile:
            if type(value) is dict or type(value) is list:
                shape = "an Object" if isinstance(value, dict) else "an Array"
                at = read_location(loc, node.is_array)
                text = f"This property must be a simple value, not {shape} ({node.json_name} at {at})"
                w.sink.error("structure", at, text)
                return
            problem = check(value)
            if problem is None and node.checks_example_urls and type_code in URL_TYPES and not self.allow_example_urls:
                problem = example_url_problem(value)
            if problem:
                report_lexical(w.sink, problem, type_code, value, loc, node.is_array)
            elif type_code == "xhtml" and fragment_links(value):
                # a link into the resource that leads nowhere: a reader of the plan clicks
                # through to nothing (or, in a document, to another entry's section)
                for unresolved in unresolved_links(
                    value, loc, w.frame.own_anchors, lambda: self._bundle_anchors(w.frame)
                ):
                    w.sink.error("invalid", loc, unresolved)
            elif type_code == "canonical" and value.startswith("#"):
                # a contained definition (a Questionnaire's answer value set) that is not
                # there; found anywhere the HL7 validator looks (the root, then the Bundle)
                target = value[1:]
                if w.frame.root_anchors().count(target) == 0:
                    bundle = self._bundle_anchors(w.frame)
                    if bundle is None or bundle.count(target) == 0:
                        w.sink.error(
                            "invalid", loc, f"The URL value '{value}' is invalid because there is no matching target"
                        )
            if node.max_length is not None and isinstance(value, str) and len(value) > node.max_length:
                w.sink.error(
                    "invalid",
                    loc,
                    f"value is longer than permitted maximum length of {node.max_length}",
                )
        if isinstance(ext, dict) and not w.profile:
            if not ext:
                w.sink.error("invalid", read_location(loc, node.is_array), "Object must have some content")
            elif "value" in ext:
                # '_birthDate': {"value": ...} is not the primitive's value (that lives in
                # 'birthDate'); a reader that took it as one would read a value nobody sent
                w.sink.error("structure", loc, "The property 'value' is invalid")
            type_model = self.type_model(type_code)
            if type_model is not None:
                host_walk = Walk(w.sink, w.frame, False, w.walked, (node.path, type_code))
                self.walk_object(ext, type_model.root, type_code, loc, host_walk)
        if value is not None and node.has_value_rules and (not w.profile or node.profile_rules):
            check_value_rules(self, value, node, type_code, loc, w)
        elif (
            value is None
            and type_code == "code"
            and node.binding is not None
            and node.binding.strength == "required"
            and (not w.profile or node.profile_rules)
        ):
            # only extensions (a data-absent-reason): a required code says nothing the
            # value set allows, as the HL7 validator reads it
            w.sink.error("code-invalid", loc, "No code provided, and a code is required from the value set")

    # -- resources inside resources ----------------------------------------------------
    def _inner_resource(self, value: dict[str, Any], node: ElementNode, loc: str, w: Walk) -> None:
        rt = value.get("resourceType")
        rid = value.get("id")
        inner_loc = f"{loc}/*{rt}/{rid if isinstance(rid, str) else 'null'}*/"
        if w.profile:
            # the base walk validated it; a profile may add profiles for it to meet
            profiles = [p for t in node.types for p in t.profiles if self._profile_type(p) in (rt, None)]
            if len(profiles) > 1 and any(self.conforms(value, p) for p in profiles):
                return  # several profiles allowed here: meeting one is enough
            if profiles:
                self.resource(value, inner_loc, w.frame, w.sink, profiles[:1], claimed=False)
            return
        full_url = None
        entry_loc = None
        if node.path == "Bundle.entry.resource":
            bundle = w.frame.bundle
            full_url = bundle.full_url_of.get(id(value)) if bundle is not None else None
            entry_loc = loc.removesuffix(".resource")
        profiles = [p for t in node.types for p in t.profiles]
        contained = node.path.endswith(".contained")
        self.resource(
            value, inner_loc, w.frame, w.sink, profiles, contained=contained, full_url=full_url, entry_loc=entry_loc
        )

    def _bundle_anchors(self, frame: Frame) -> Anchors | None:
        """The anchors of the whole Bundle, for a link its own resource does not hold. What
        an entry finds this way depends on the other entries, so the entry's result is not
        remembered for another Bundle (see resource())."""
        self._cross_entry_lookups += 1
        return frame.bundle_anchors()

    def is_resource_type(self, code: str) -> bool:
        """Does ``code`` name a resource type (Patient, or the abstract Resource)?"""
        if code in _RESOURCE_TYPES:
            return True
        model = self.type_model(code) if code[:1].isupper() else None
        return model is not None and model.kind == "resource"

    def _profile_type(self, url: str) -> str | None:
        model = self.profile_model(url)
        return model.type if model else None

    def resolve(self, ref: str, frame: Frame) -> dict[str, Any] | None:
        """The resource a reference points at, among contained resources or in the Bundle."""
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

    def today_iso(self) -> str:
        """The day today() means, ISO."""
        return (self.today or date.today()).isoformat()

    def env(self, frame: Frame) -> EvalEnv:
        if frame.env is None:
            frame.env = EvalEnv(
                resource=frame.resource,
                root_resource=frame.root,
                resolve=lambda ref: self.resolve(ref, frame),
                member_of=lambda v, vs: self.bindings.in_value_set(v, None, vs),
                conforms_to=self.conforms,
                today=self.today_iso(),
            )
        return frame.env


def _collect_rebound(base: ElementNode, profile: ElementNode, paths: set[str]) -> None:
    """Add the paths under ``base`` whose extensible binding ``profile`` replaces."""
    for name, base_child in base.children.items():
        profile_child = profile.children.get(name)
        if profile_child is None:
            continue
        bound, rebound = base_child.binding, profile_child.binding
        if (
            bound is not None
            and bound.strength == "extensible"
            and rebound is not None
            and rebound.value_set is not None
            and rebound.value_set != bound.value_set
        ):
            paths.add(base_child.path)
        _collect_rebound(base_child, profile_child, paths)
