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


@dataclass(frozen=True, slots=True)
class TypeRef:
    code: str
    profiles: tuple[str, ...] = ()
    target_profiles: tuple[str, ...] = ()

    @property
    def target_types(self) -> tuple[str, ...]:
        """Resource type names a Reference may point at ('Resource' means any)."""
        return tuple(_type_name(p) for p in self.target_profiles)


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str
    severity: str
    expression: str
    human: str
    source: str | None
    #: True when a base FHIR resource or datatype defines it (already checked by the base walk)
    from_core: bool


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
    _keys: dict[str, tuple[ElementNode, str | None]] | None = field(default=None, repr=False)

    @property
    def is_choice(self) -> bool:
        return self.name.endswith("[x]")

    @property
    def json_name(self) -> str:
        return self.name[:-3] if self.is_choice else self.name

    @property
    def type_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.types)

    @property
    def is_array(self) -> bool:
        return self.base_max != 1

    def json_keys(self) -> dict[str, tuple[ElementNode, str | None]]:
        """Map each JSON property this element's children may use to the child."""
        if self._keys is None:
            keys: dict[str, tuple[ElementNode, str | None]] = {}
            for child in self.children.values():
                if child.is_choice:
                    base = child.json_name
                    for t in child.types:
                        keys[base + t.code[0].upper() + t.code[1:]] = (child, t.code)
                else:
                    single = child.types[0].code if len(child.types) == 1 else None
                    keys[child.name] = (child, single)
            self._keys = keys
        return self._keys

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


def _type_code(t: dict[str, Any]) -> str:
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


def compile_element(
    element: dict[str, Any], sd_url: str, is_core_source: Callable[[str], bool]
) -> ElementNode:
    path = element["path"]
    node_id = element.get("id") or path
    name = path.rsplit(".", 1)[-1]
    types = tuple(
        TypeRef(
            code=_type_code(t),
            profiles=tuple(t.get("profile", ())),
            target_profiles=tuple(t.get("targetProfile", ())),
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
            from_core=is_core_source(str(c.get("source", ""))),
        )
        for c in element.get("constraint", ())
        if c.get("expression")
    )
    slicing = None
    if "slicing" in element:
        s = element["slicing"]
        slicing = Slicing(
            discriminators=tuple(
                Discriminator(d.get("type", "value"), d.get("path", "$this"))
                for d in s.get("discriminator", ())
            ),
            rules=s.get("rules", "open"),
            ordered=bool(s.get("ordered", False)),
        )
    binding = None
    if "binding" in element:
        b = element["binding"]
        binding = Binding(b.get("strength", "example"), b.get("valueSet"))
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


def build_model(
    sd: dict[str, Any], is_core_source: Callable[[str], bool] = lambda _: False
) -> StructureModel:
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
