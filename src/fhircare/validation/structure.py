"""A StructureDefinition snapshot, compiled once into a tree the validator walks.

The snapshot's flat, ordered element list becomes ``ElementNode`` objects with their
children by name and their slices in order, and every value the walk needs per
element (cardinality, types, fixed/pattern, binding, invariants, slicing) is read
out of the JSON once here rather than on every validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fhircare.validation.primitives import (
    PRIMITIVE_CHECKS,
    QUICK_CHECKS,
    QUICK_CHECKS_NO_EXAMPLES,
    example_url_problem,
)

FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
SYSTEM_TYPES = {
    "http://hl7.org/fhirpath/System.String": "string",
    "http://hl7.org/fhirpath/System.Boolean": "boolean",
    "http://hl7.org/fhirpath/System.Integer": "integer",
    "http://hl7.org/fhirpath/System.Decimal": "decimal",
    "http://hl7.org/fhirpath/System.Date": "date",
    "http://hl7.org/fhirpath/System.DateTime": "dateTime",
    "http://hl7.org/fhirpath/System.Time": "time",
}
CORE_SD_PREFIX = "http://hl7.org/fhir/StructureDefinition/"
BEST_PRACTICE_EXT = "http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice"
ELE_1 = "hasValue() or (children().count() > id.count())"
#: types whose values may be example URLs (example.org, ...), an error in real data
URL_TYPES = frozenset({"url", "uri", "canonical"})
#: where the HL7 validator lets example URLs be: a Bundle entry's fullUrl, and an extension's
#: url (extensions.py reports that one itself); a canonical resource's own url is added in
#: build_model (the path differs per resource type)
_EXAMPLES_ALLOWED_AT = frozenset({"Bundle.entry.fullUrl", "Extension.url"})
_STRICT: dict[Callable[[object], str | None], Callable[[object], str | None]] = {}


def _with_example_rule(check: Callable[[object], str | None]) -> Callable[[object], str | None]:
    """``check`` followed by the example-URL rule (one function per check, shared by nodes)."""
    found = _STRICT.get(check)
    if found is None:

        def strict(value: object) -> str | None:
            return check(value) or (example_url_problem(value) if type(value) is str else None)

        found = _STRICT[check] = strict
    return found


@dataclass(frozen=True, slots=True)
class TypeRef:
    code: str
    profiles: tuple[str, ...] = ()
    target_profiles: tuple[str, ...] = ()
    #: how a Reference's target may be held: contained, bundled, referenced (empty: any)
    aggregation: tuple[str, ...] = ()

    @property
    def target_types(self) -> tuple[str, ...]:
        """Resource type names a Reference may point at ('Resource' means any)."""
        return tuple(_type_name(p) for p in self.target_profiles)


@dataclass(frozen=True, slots=True, eq=False)
class Constraint:
    key: str
    severity: str
    expression: str
    human: str
    source: str | None
    #: True when a base FHIR resource or datatype defines it (already checked by the base walk)
    from_core: bool
    #: marked best practice (dom-6 "should have narrative"): advice, not a rule
    best_practice: bool = False


@dataclass(frozen=True, slots=True)
class Discriminator:
    type: str  # value | pattern | type | profile | exists
    path: str


@dataclass(frozen=True, slots=True)
class Slicing:
    discriminators: tuple[Discriminator, ...]
    rules: str  # open | closed | openAtEnd
    ordered: bool


@dataclass(frozen=True, slots=True)
class Binding:
    strength: str
    value_set: str | None
    #: additional bindings (R5's, carried in R4 by an extension), as bindings of the
    #: strength their purpose asks for: required or extensible
    additional: tuple[Binding, ...] = ()

    @property
    def is_rule(self) -> bool:
        """Is anything checked of a value (example and preferred bindings are no rule)?"""
        return self.strength in ("required", "extensible") or bool(self.additional)


#: R5's additional bindings in R4: the cross-version extension and the HL7 tooling one
_ADDITIONAL_BINDING = (
    "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional",
    "http://hl7.org/fhir/tools/StructureDefinition/additional-binding",
)
#: an additional binding's purpose → the strength it is checked with: the value must be in
#: a 'maximum' (or 'required') value set, should be in an 'extensible' one; the other
#: purposes (current, minimum, preferred, ui, starter, component) ask nothing of a value
#: here, as in the HL7 validator ('current' says what new data should use, not a rule on
#: data already recorded)
_ADDITIONAL_STRENGTH = {"required": "required", "maximum": "required", "extensible": "extensible"}


def strings_in(value: Any) -> tuple[str, ...]:
    """The strings of a JSON array (a definition's malformed value gives none)."""
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def objects_in(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array (a definition's malformed value gives none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _additional_bindings(binding: dict[str, Any]) -> tuple[Binding, ...]:
    out = []
    for ext in objects_in(binding.get("extension")):
        if ext.get("url") not in _ADDITIONAL_BINDING:
            continue
        parts = {e.get("url"): e for e in objects_in(ext.get("extension"))}
        purpose = parts.get("purpose", {}).get("valueCode")
        value_set = parts.get("valueSet", {}).get("valueCanonical")
        strength = _ADDITIONAL_STRENGTH.get(purpose) if isinstance(purpose, str) else None
        if strength and isinstance(value_set, str) and not parts.get("usage"):
            # with a usage context the binding applies only where that context holds,
            # which an instance alone does not say: left unchecked
            out.append(Binding(strength, value_set))
    return tuple(out)


#: how the base walk takes a JSON property (``KeyStep`` shapes)
EXT_KEY = 0  # a primitive's '_name' object: walked with its value
GENERAL = 1  # a choice, a slicing or a cardinality one value can break: walk_property
SINGLE = 2  # one value of one type, inline
ARRAY = 3  # an array of values of one type, inline
#: (child, type code, value key, shape, the child's '_name' key if it is a primitive,
#: lexical check, quick check): one JSON property as the walk takes it
KeyStep = tuple[
    "ElementNode",
    str | None,
    str,
    int,
    str | None,
    Callable[[object], str | None] | None,
    Callable[[str], object] | None,
]

#: (child, its JSON name or None for a choice, cardinality only?, array?, min, max): one
#: relevant child as a profile walk first takes it (``ElementNode.profile_plan``)
ProfileStep = tuple["ElementNode", str | None, bool, bool, int, int]


@dataclass(slots=True, eq=False)
class ElementNode:
    id: str
    path: str
    name: str  # the element's own name, 'value[x]' for a choice
    min: int
    max: int  # -1 means '*'
    base_max: int  # the max of the element in the base resource: decides JSON array-ness
    types: tuple[TypeRef, ...]
    sd_url: str  # url|version of the StructureDefinition, for messages
    slice_name: str | None = None
    fixed: Any = None
    pattern: Any = None
    binding: Binding | None = None
    constraints: tuple[Constraint, ...] = ()
    slicing: Slicing | None = None
    slices: list[ElementNode] = field(default_factory=list)
    children: dict[str, ElementNode] = field(default_factory=dict)
    content_reference: str | None = None
    max_length: int | None = None
    min_value: tuple[str, Any] | None = None
    max_value: tuple[str, Any] | None = None
    is_modifier: bool = False
    #: the element definition as it is in the snapshot (for rare look-ups)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    #: JSON property name → (child, type code or None); built lazily by ``json_keys``
    _keys: dict[str, tuple[ElementNode, str | None, str]] | None = field(default=None, repr=False)
    #: the same with what the walk does with each property, built lazily by ``key_plan``
    _plan: dict[str, KeyStep] | None = field(default=None, repr=False)
    _plan_lenient: dict[str, KeyStep] | None = field(default=None, repr=False)
    #: the plan's single primitives with a quick check: property → (quick check, '_name')
    _quick: dict[str, tuple[Callable[[str], object], str]] | None = field(default=None, repr=False)
    _quick_lenient: dict[str, tuple[Callable[[str], object], str]] | None = field(default=None, repr=False)
    _required: list[ElementNode] | None = field(default=None, repr=False)
    _relevant: list[ElementNode] | None = field(default=None, repr=False)
    #: the relevant children as a profile walk reads them (see ``profile_plan``)
    _profile_plan: tuple[ProfileStep, ...] | None = field(default=None, repr=False)
    is_choice: bool = field(init=False)
    json_name: str = field(init=False)
    type_codes: tuple[str, ...] = field(init=False)
    is_array: bool = field(init=False)
    #: the standard ele-1 (checked natively on every element) and the other invariants
    ele1: Constraint | None = field(init=False)
    invariants: tuple[Constraint, ...] = field(init=False)
    #: anything besides ele-1 to check on the value (fixed, pattern, binding, invariants...)
    has_value_rules: bool = field(init=False)
    single_type: str | None = field(init=False)
    primitive: bool = field(init=False)
    simple: bool = field(init=False)
    #: the lexical check the walk runs inline, the example-URL rule included where it applies
    lexical_check: Callable[[object], str | None] | None = field(init=False)
    #: the same without the example-URL rule (for a validator that allows example URLs)
    lexical_lenient: Callable[[object], str | None] | None = field(init=False)
    #: a C-level test that a string (under 4096 characters) passes lexical_check /
    #: lexical_lenient, so the walk need not call them (see primitives.QUICK_CHECKS)
    quick_check: Callable[[str], object] | None = field(init=False)
    quick_lenient: Callable[[str], object] | None = field(init=False)
    #: is an example URL (example.org, acme.com) in this element's value an error?
    checks_example_urls: bool = field(init=False)
    keys_in_json: tuple[str, ...] = field(init=False)
    ext_key: str = field(init=False)
    #: in a profile: does this element say anything the base definition does not?
    #: A profile walk skips elements that do not (the base walk checked them).
    profile_relevant: bool = True
    #: in a profile: are its reference targets narrower than the base's (so worth rechecking)?
    narrows_targets: bool = True
    #: in a profile: value rules beyond the base's (fixed, pattern, a new binding, invariants)
    profile_rules: bool = True
    #: in a profile: only the cardinality differs from the base (min 1 where it was 0, ...)
    cardinality_only: bool = False
    #: in a profile: a backbone element (with children) whose value a profile walk takes
    #: straight to its children: no rule of its own beyond the base's to check on it
    profile_backbone: bool = False
    #: does a type of this element name a profile (so a profile walk goes into it)?
    has_type_profiles: bool = field(init=False)
    #: a Reference's aggregation modes (empty when the definition names none)
    aggregation: tuple[str, ...] = field(init=False)
    #: a code whose only rule is a required or extensible binding (status, use, ...):
    #: the walk settles a well-formed code in the value set without the general path
    bound_code: bool = field(init=False)
    single_choice: bool = field(init=False)
    plain_choice: bool = field(init=False)
    best_practices: tuple[Constraint, ...] = field(init=False)

    def __post_init__(self) -> None:
        # read on every visit of the walk: computed once here, not per access
        self.is_choice = self.name.endswith("[x]")
        self.json_name = self.name[:-3] if self.is_choice else self.name
        self.type_codes = tuple(t.code for t in self.types)
        self.is_array = self.base_max != 1
        self.ele1 = next((c for c in self.constraints if c.key == "ele-1" and c.expression == ELE_1), None)
        # best-practice invariants (dom-6, "should have narrative") are advice, not rules:
        # evaluated apart, on resources that are not contained, and only warned of (rules)
        self.invariants = tuple(c for c in self.constraints if c is not self.ele1 and not c.best_practice)
        self.best_practices = tuple(c for c in self.constraints if c.best_practice)
        self.has_value_rules = bool(
            self.fixed is not None
            or self.pattern is not None
            # example and preferred bindings are not checked: they are no rule
            or (self.binding is not None and self.binding.is_rule)
            or self.min_value is not None
            or self.max_value is not None
            or self.invariants
        )
        self.single_type = self.type_codes[0] if len(self.type_codes) == 1 else None
        self.bound_code = bool(
            self.single_type == "code"
            and self.binding is not None
            and self.binding.strength in ("required", "extensible")
            and self.binding.value_set
            and not self.binding.additional
            and self.fixed is None
            and self.pattern is None
            and self.min_value is None
            and self.max_value is None
            and not self.invariants
            and self.max_length is None
        )
        #: values may carry a sibling '_name' object (primitive extensions)
        self.primitive = any(c[:1].islower() for c in self.type_codes)
        self.checks_example_urls = not URL_TYPES.isdisjoint(self.type_codes) and self.path not in _EXAMPLES_ALLOWED_AT
        self.set_lexical_checks()
        self.has_type_profiles = any(t.profiles for t in self.types)
        self.aggregation = next((t.aggregation for t in self.types if t.code == "Reference" and t.aggregation), ())
        #: the sibling key that carries a primitive's id and extensions
        self.ext_key = "_" + self.name
        #: no choice, no slicing, cardinality a single value cannot break: walked inline
        self.simple = not self.is_choice and self.slicing is None and self.min < 2 and self.max != 0
        #: a choice of one value at most, not sliced: its one value needs none of
        #: walk_property's array, cardinality and slice handling (see Validator._one_choice)
        self.single_choice = bool(
            self.is_choice and self.slicing is None and self.min < 2 and self.max != 0 and not self.is_array
        )
        #: ... with no rule but its type's lexical form: a well-formed primitive value of
        #: it needs no walk at all
        self.plain_choice = self.single_choice and not self.has_value_rules and self.max_length is None
        if self.is_choice:
            self.keys_in_json = tuple(
                f"{p}{self.json_name}{t[:1].upper()}{t[1:]}" for t in self.type_codes for p in ("", "_")
            )
        else:
            self.keys_in_json = (self.name, "_" + self.name)

    def set_lexical_checks(self) -> None:
        """A primitive with nothing to check but its lexical form (and, for URLs, the
        example-URL rule) is checked inline by the walk."""
        plain = (
            PRIMITIVE_CHECKS.get(self.single_type)
            if self.single_type and not self.has_value_rules and self.max_length is None
            else None
        )
        self.lexical_lenient = plain
        strict = plain is not None and self.checks_example_urls and self.single_type in URL_TYPES
        self.lexical_check = _with_example_rule(plain) if plain is not None and strict else plain
        quick = QUICK_CHECKS.get(self.single_type) if plain is not None and self.single_type else None
        self.quick_lenient = quick
        self.quick_check = QUICK_CHECKS_NO_EXAMPLES.get(self.single_type or "") if strict else quick

    def relevant_children(self) -> list[ElementNode]:
        """In a profile: the children that say more than the base (see mark_profile_relevance)."""
        if self._relevant is None:
            self._relevant = [c for c in self.children.values() if c.profile_relevant]
        return self._relevant

    def profile_plan(self) -> tuple[ProfileStep, ...]:
        """The relevant children, each with what a profile walk asks of it first: (child, its
        JSON name or None for a choice, cardinality only?, array?, min, max). Built on the
        first profile walk, when the profile's relevance is marked."""
        if self._profile_plan is None:
            self._profile_plan = tuple(
                (c, None if c.is_choice else c.name, c.cardinality_only, c.is_array, c.min, c.max)
                for c in self.relevant_children()
            )
        return self._profile_plan

    def required_children(self) -> list[ElementNode]:
        """Children that must be looked at even when absent: min > 0, or a slice with min > 0."""
        if self._required is None:
            self._required = [c for c in self.children.values() if c.min > 0 or any(s.min > 0 for s in c.slices)]
        return self._required

    def json_keys(self) -> dict[str, tuple[ElementNode, str | None, str]]:
        """Each JSON property this element's children may use → (child, type, value key).

        ``_name`` keys (a primitive's id/extensions) map to the same child with the
        value key ``name``, so the walk handles a value and its extensions together.
        """
        if self._keys is None:
            keys: dict[str, tuple[ElementNode, str | None, str]] = {}
            for child in self.children.values():
                if child.is_choice:
                    for t in child.types:
                        key = child.json_name + t.code[0].upper() + t.code[1:]
                        keys[key] = (child, t.code, key)
                        if t.code[:1].islower():
                            keys["_" + key] = (child, t.code, key)
                else:
                    keys[child.name] = (child, child.single_type, child.name)
                    if child.primitive:
                        keys["_" + child.name] = (child, child.single_type, child.name)
            self._keys = keys
        return self._keys

    def key_plan(self, lenient: bool) -> dict[str, KeyStep]:
        """Each JSON property of ``json_keys`` → what the base walk does with it, worked
        out once per element rather than on every object (see ``KeyStep``). Built on the
        first walk, when the model is complete (build_model may still change a child's
        lexical checks)."""
        plan = self._plan_lenient if lenient else self._plan
        if plan is None:
            plan = {}
            for key, (child, type_code, value_key) in self.json_keys().items():
                if key != value_key:
                    shape = EXT_KEY
                elif not child.simple:
                    shape = GENERAL
                else:
                    shape = ARRAY if child.is_array else SINGLE
                plan[key] = (
                    child,
                    type_code,
                    value_key,
                    shape,
                    child.ext_key if child.primitive else None,
                    child.lexical_lenient if lenient else child.lexical_check,
                    child.quick_lenient if lenient else child.quick_check,
                )
            # one primitive value, well formed, with no '_name' beside it: nothing more to
            # check, and the commonest property of all (see the walk's first test)
            quick = {
                key: (step[6], step[4])
                for key, step in plan.items()
                if step[3] is SINGLE and step[6] is not None and step[4] is not None
            }
            if lenient:
                self._plan_lenient, self._quick_lenient = plan, quick
            else:
                self._plan, self._quick = plan, quick
        return plan

    def quick_keys(self, lenient: bool) -> dict[str, tuple[Callable[[str], object], str]]:
        """The properties whose well-formed value the walk settles first (see key_plan)."""
        found = self._quick_lenient if lenient else self._quick
        if found is None:
            self.key_plan(lenient)
            found = self._quick_lenient if lenient else self._quick
            assert found is not None
        return found

    def max_text(self) -> str:
        return "*" if self.max < 0 else str(self.max)


@dataclass(slots=True)
class StructureModel:
    url: str
    version: str | None
    name: str
    type: str
    kind: str
    derivation: str | None
    base_definition: str | None
    root: ElementNode
    by_id: dict[str, ElementNode]
    context: list[dict[str, Any]]
    abstract: bool

    @property
    def versioned_url(self) -> str:
        return f"{self.url}|{self.version}" if self.version else self.url

    @property
    def is_core(self) -> bool:
        return self.url.startswith(CORE_SD_PREFIX) and self.derivation != "constraint"


def _type_name(profile_url: str) -> str:
    return profile_url.rsplit("/", 1)[-1].split("|")[0]


def _parse_max(value: Any) -> int:
    if value is None or value == "*":
        return -1
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def type_code(t: dict[str, Any]) -> str:
    """A type entry's FHIR type: System.String and kin by the fhir-type extension (Extension.url is a uri)."""
    code = str(t.get("code", ""))
    for ext in t.get("extension", ()):
        if ext.get("url") == FHIR_TYPE_EXT and "valueUrl" in ext:
            return str(ext["valueUrl"])
        if ext.get("url") == FHIR_TYPE_EXT and "valueUri" in ext:
            return str(ext["valueUri"])
    return SYSTEM_TYPES.get(code, code)


def _prefixed(element: dict[str, Any], prefix: str) -> tuple[str, Any] | None:
    for key, value in element.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key[len(prefix) :], value
    return None


def compile_element(element: dict[str, Any], sd_url: str, is_core_source: Callable[[str], bool]) -> ElementNode:
    path = element["path"]
    node_id = element.get("id") or path
    name = path.rsplit(".", 1)[-1]
    types = tuple(
        TypeRef(
            code=type_code(t),
            profiles=tuple(t.get("profile", ())),
            target_profiles=tuple(t.get("targetProfile", ())),
            aggregation=strings_in(t.get("aggregation")),
        )
        for t in element.get("type", ())
    )
    constraints = tuple(
        Constraint(
            key=c.get("key", ""),
            severity=c.get("severity", "error"),
            expression=c.get("expression", ""),
            human=c.get("human", ""),
            source=c.get("source"),
            # no source: the definition's own (the snapshot generator fills it in for profiles)
            from_core=is_core_source(str(c.get("source") or sd_url.split("|")[0])),
            best_practice=any(
                x.get("url") == BEST_PRACTICE_EXT and x.get("valueBoolean") is True for x in c.get("extension", ())
            ),
        )
        for c in element.get("constraint", ())
        if c.get("expression")
    )
    slicing = None
    if "slicing" in element:
        s = element["slicing"]
        slicing = Slicing(
            discriminators=tuple(
                Discriminator(d.get("type", "value"), d.get("path", "$this")) for d in s.get("discriminator", ())
            ),
            rules=s.get("rules", "open"),
            ordered=bool(s.get("ordered", False)),
        )
    binding = None
    if "binding" in element:
        b = element["binding"]
        binding = Binding(b.get("strength", "example"), b.get("valueSet"), _additional_bindings(b))
    fixed = _prefixed(element, "fixed")
    pattern = _prefixed(element, "pattern")
    base = element.get("base") or {}
    return ElementNode(
        id=node_id,
        path=path,
        name=name,
        min=int(element.get("min", 0) or 0),
        max=_parse_max(element.get("max")),
        base_max=_parse_max(base.get("max", element.get("max"))),
        types=types,
        sd_url=sd_url,
        slice_name=element.get("sliceName"),
        fixed=fixed[1] if fixed else None,
        pattern=pattern[1] if pattern else None,
        binding=binding,
        constraints=constraints,
        slicing=slicing,
        content_reference=element.get("contentReference"),
        max_length=element.get("maxLength"),
        min_value=_prefixed(element, "minValue"),
        max_value=_prefixed(element, "maxValue"),
        is_modifier=bool(element.get("isModifier", False)),
        raw=element,
    )


def build_model(sd: dict[str, Any], is_core_source: Callable[[str], bool] = lambda _: False) -> StructureModel:
    """Compile a StructureDefinition that has a snapshot into a ``StructureModel``."""
    url = sd["url"]
    version = sd.get("version")
    sd_url = f"{url}|{version}" if version else url
    elements = sd["snapshot"]["element"]
    by_id: dict[str, ElementNode] = {}
    root: ElementNode | None = None
    for element in elements:
        node = compile_element(element, sd_url, is_core_source)
        if root is None:
            root = node
            by_id[node.id] = node
            continue
        by_id[node.id] = node
        segments = node.id.split(".")
        last = segments[-1]
        parent_id = ".".join(segments[:-1])
        parent = by_id.get(parent_id)
        if parent is None:
            continue  # an element whose parent is missing is ignored, not guessed at
        if ":" in last:
            base_name = last.split(":", 1)[0]
            sliced = parent.children.get(base_name)
            if sliced is None:
                continue
            sliced.slices.append(node)
        else:
            parent.children[last] = node
    if root is None:
        raise ValueError(f"StructureDefinition {url} has an empty snapshot")
    own_url = by_id.get(f"{sd.get('type')}.url") if sd.get("kind") == "resource" else None
    if own_url is not None and own_url.checks_example_urls:
        # a canonical resource's own url names it: example.org is fine there (the HL7
        # validator does not check it either)
        own_url.checks_example_urls = False
        own_url.set_lexical_checks()
    return StructureModel(
        url=url,
        version=version,
        name=sd.get("name", ""),
        type=sd.get("type", ""),
        kind=sd.get("kind", ""),
        derivation=sd.get("derivation"),
        base_definition=sd.get("baseDefinition"),
        root=root,
        by_id=by_id,
        context=list(sd.get("context", ())),
        abstract=bool(sd.get("abstract", False)),
    )


def _same_types(a: ElementNode, b: ElementNode) -> bool:
    return a.types == b.types


def _says_more(node: ElementNode, base: ElementNode) -> bool:
    return bool(
        node.min != base.min
        or node.max != base.max
        or node.fixed is not None
        or node.pattern is not None
        or node.binding != base.binding
        or not _same_types(node, base)
        or any(not c.from_core for c in node.invariants)
        or node.slicing != base.slicing
        or node.slices
        or node.max_length != base.max_length
        or node.min_value is not None
        or node.max_value is not None
    )


def mark_profile_relevance(
    model: StructureModel,
    base: StructureModel,
    type_root: Callable[[str], ElementNode | None],
) -> None:
    """Flag the elements of a profile that constrain more than ``base`` (its core type).

    Each profile element is compared with its counterpart in the base resource, or,
    below an element whose datatype the profile unfolded, in that datatype's own
    definition. An element is relevant when it or anything below it says more;
    elements with no counterpart always count. A slice is compared with the element it
    slices, whose walk the same value always gets as well.
    """

    def counterpart(base_parent: ElementNode | None, name: str) -> ElementNode | None:
        if base_parent is None:
            return None
        if base_parent.children:
            return base_parent.children.get(name)
        if base_parent.single_type is None:
            return None
        root = type_root(base_parent.single_type)
        return root.children.get(name) if root is not None else None

    def visit(node: ElementNode, base_node: ElementNode | None) -> bool:
        relevant = False
        for name, child in node.children.items():
            relevant |= visit(child, counterpart(base_node, name))
        for s in node.slices:
            # a slice's value is walked against the sliced element too: what the slice
            # repeats of it has been checked there, so compare the slice with it
            visit(s, node)
            relevant = True
        node.profile_relevant = relevant or base_node is None or _says_more(node, base_node)
        node.narrows_targets = base_node is None or not _same_types(node, base_node)
        # nothing below it relevant either (no children, or none that says more): a value
        # that meets the cardinality needs no profile walk of its own. A walk of its
        # content would find nothing the base walk has not reported (the sink keeps one of
        # each issue), and no rule of the profile below it to check
        node.cardinality_only = bool(
            base_node is not None
            and not relevant
            and node.slicing is None
            and not node.has_type_profiles
            and _same_types(node, base_node)
            and node.fixed is None
            and node.pattern is None
            and node.min_value is None
            and node.max_value is None
            and node.binding == base_node.binding
            and node.max_length == base_node.max_length
            and all(c.from_core for c in node.invariants)
        )
        if base_node is not None:
            # only what the base walk did not already check on this value
            node.profile_rules = bool(
                node.fixed is not None
                or node.pattern is not None
                or node.min_value is not None
                or node.max_value is not None
                or (node.binding != base_node.binding and node.has_value_rules)
                or any(not c.from_core for c in node.invariants)
            )
        node.profile_backbone = bool(
            node.children
            and node.single_type in ("BackboneElement", "Element")
            and not (node.has_value_rules and node.profile_rules)
        )
        return node.profile_relevant

    visit(model.root, base.root)
    model.root.profile_relevant = True
