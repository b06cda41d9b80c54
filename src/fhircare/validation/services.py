"""What the walker's helper modules may ask of the validator, as a Protocol.

The engine (``engine.Validator``) imports the helpers that check extensions, properties,
slices, references and value rules; they in turn need to call back into the walk (walk a
value, look a type up, ask whether a resource conforms). They name this Protocol, never
the engine, so no module imports a module that imports it: the engine satisfies the
Protocol structurally. ``tests/unit/validation/test_import_graph.py`` keeps it so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fhircare.validation.bindings import BindingChecker
from fhircare.validation.context import DefinitionContext
from fhircare.validation.fhirpath import EvalEnv, FhirPathEngine
from fhircare.validation.structure import Constraint, ElementNode, StructureModel
from fhircare.validation.walk import Frame, Walk

#: an element's invariants as one walk evaluates them, in order: (constraint, evaluator,
#: native?), a native evaluator taking (focus, env), any other (focus, type path, env)
InvariantPlan = tuple[tuple[Constraint, Callable[..., bool], bool], ...]


class WalkServices(Protocol):
    """The validator as its helpers see it."""

    context: DefinitionContext
    bindings: BindingChecker
    fhirpath: FhirPathEngine
    allow_example_urls: bool
    #: each invariant's evaluator, chosen once (native, compiled or interpreted)
    invariant_checks: dict[Constraint, Callable[[Any, str, EvalEnv], bool]]
    #: element → its invariants for the base walk, and for a profile walk (see rules.py)
    invariant_plans: dict[ElementNode, InvariantPlan]
    profile_invariant_plans: dict[ElementNode, InvariantPlan]
    #: Reference element → resource types it may point at
    reference_targets: dict[ElementNode, set[str]]
    #: Reference element → (its target profiles fhircare cannot use, the types of the rest)
    unusable_targets: dict[ElementNode, tuple[tuple[str, ...], frozenset[str]]]
    #: (Reference element, target resource type) → profiles the target must meet
    target_profiles: dict[tuple[ElementNode, str], list[str]]
    slice_expectations: dict[tuple[ElementNode, str], tuple[ElementNode | None, Any, Any]]
    slice_indexes: dict[ElementNode, dict[str, int] | None]

    def walk_object(self, obj: dict[str, Any], node: ElementNode, type_code: str, loc: str, w: Walk) -> None: ...

    def item(self, value: Any, ext: Any, node: ElementNode, type_code: str | None, loc: str, w: Walk) -> None: ...

    def type_model(self, code: str) -> StructureModel | None: ...

    def is_resource_type(self, code: str) -> bool: ...

    def profile_model(self, url: str) -> StructureModel | None: ...

    def conforms(
        self, resource: dict[str, Any], profile: str, outer: Frame | None = None, *, contained: bool = False
    ) -> bool: ...

    def resolve(self, ref: str, frame: Frame) -> dict[str, Any] | None: ...

    def env(self, frame: Frame) -> EvalEnv: ...
