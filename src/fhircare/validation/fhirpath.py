"""Invariants: FHIRPath through ``fhirpathpy``, with the ubiquitous ones native.

Each expression is compiled once. The invariants that sit on nearly every element
or resource (ele-1, ext-1, dom-2..6, ref-1, txt-1/2, per-1) are implemented in
Python, keyed by key *and* expression so a profile that redefines a key with
different FHIRPath still gets its own expression evaluated. Functions the FHIR
validator defines and fhirpathpy lacks (hasValue, htmlChecks, conformsTo,
memberOf, resolve) are supplied as custom functions.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fhirpathpy import compile as fp_compile
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from fhircare.validation.fhirpath_compiler import Unsupported, compile_simple
from fhircare.validation.fhirpath_native import NATIVE_BY_DIGEST, digest
from fhircare.validation.temporal import compare_datetimes
from fhircare.validation.xhtml import NO_CONTENT, check_narrative_div

_R4 = models["r4"]


@dataclass(slots=True)
class EvalEnv:
    """What an invariant may look beyond its focus: %resource, %rootResource, bundle."""

    resource: Any
    root_resource: Any
    resolve: Callable[[str], dict[str, Any] | None]
    member_of: Callable[[Any, str], bool | None]
    conforms_to: Callable[[dict[str, Any], str], bool]
    #: the day today() means, ISO (the validator's ``today``)
    today: str = ""


_ENV: contextvars.ContextVar[EvalEnv | None] = contextvars.ContextVar("fhircare_fp_env", default=None)


# -- custom functions (inputs arrive as plain data) -------------------------------
def _has_value(inputs: list[Any]) -> bool:
    return len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], dict | list)


def _html_checks(inputs: list[Any]) -> bool:
    return all(check_narrative_div(i) is None for i in inputs if isinstance(i, str))


def _resolve(inputs: list[Any]) -> list[Any]:
    env = _ENV.get()
    if env is None:
        return []
    out = []
    for item in inputs:
        ref = item if isinstance(item, str) else item.get("reference") if isinstance(item, dict) else None
        if isinstance(ref, str):
            found = env.resolve(ref)
            if found is not None:
                out.append(found)
    return out


def _member_of(inputs: list[Any], value_set: Any) -> list[bool]:
    env = _ENV.get()
    if env is None or len(inputs) != 1:
        return []
    answer = env.member_of(inputs[0], str(value_set))
    return [] if answer is None else [answer]


def _conforms_to(inputs: list[Any], profile: Any) -> list[bool]:
    env = _ENV.get()
    if env is None or len(inputs) != 1 or not isinstance(inputs[0], dict):
        return []
    return [env.conforms_to(inputs[0], str(profile))]


_CUSTOM = {
    # trace() in invariants (dom-3, ref-1) must not print: resources hold personal data
    "traceFn": lambda *_args: None,
    "userInvocationTable": {
        "hasValue": {"fn": _has_value},
        "htmlChecks": {"fn": _html_checks},
        "resolve": {"fn": _resolve},
        "memberOf": {"fn": _member_of, "arity": {1: ["String"]}},
        "conformsTo": {"fn": _conforms_to, "arity": {1: ["String"]}},
    },
}


# -- native invariants ------------------------------------------------------------
# Each takes (focus value, env) and returns True when the invariant holds.
def _ele_1(value: Any, env: EvalEnv) -> bool:
    if isinstance(value, dict):
        return any(k != "id" for k in value)
    return value is not None


def _ext_1(value: Any, env: EvalEnv) -> bool:
    if not isinstance(value, dict):
        return True
    has_ext = bool(value.get("extension"))
    has_value = False
    for k in value:  # a plain loop: this runs on every extension
        if k.startswith("value") and len(k) > 5 and k[5].isupper():
            has_value = True
            break
        # a value with extensions only ('_valueString': {...}) exists too, as in FHIRPath
        if k.startswith("_value") and len(k) > 6 and k[6].isupper():
            has_value = True
            break
    return has_ext != has_value


def _contained(value: Any) -> list[dict[str, Any]]:
    c = value.get("contained") if isinstance(value, dict) else None
    return [r for r in c if isinstance(r, dict)] if isinstance(c, list) else []


# dom-2, dom-3, dom-4, dom-5: most resources contain nothing, and hold at once (asked of
# every resource, so that is told first, before any list is made)


def _dom_2(value: Any, env: EvalEnv) -> bool:
    if type(value) is dict and "contained" not in value:
        return True
    contained = _contained(value)
    return not contained or not any(r.get("contained") for r in contained)


def _dom_4(value: Any, env: EvalEnv) -> bool:
    if type(value) is dict and "contained" not in value:
        return True
    contained = _contained(value)
    return not contained or not any(
        isinstance(r.get("meta"), dict) and ("versionId" in r["meta"] or "lastUpdated" in r["meta"]) for r in contained
    )


def _dom_5(value: Any, env: EvalEnv) -> bool:
    if type(value) is dict and "contained" not in value:
        return True
    contained = _contained(value)
    return not contained or not any(isinstance(r.get("meta"), dict) and r["meta"].get("security") for r in contained)


def _dom_6(value: Any, env: EvalEnv) -> bool:
    text = value.get("text") if isinstance(value, dict) else None
    return isinstance(text, dict) and "div" in text


def _strings(value: Any, out: set[str]) -> None:
    if isinstance(value, str):
        if value.startswith("#"):
            out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def unreferenced_contained(resource: dict[str, Any]) -> list[int]:
    """Indexes of contained resources nothing in the container points at (dom-3)."""
    contained = _contained(resource)
    if not contained:
        return []
    local_refs: set[str] = set()
    for key, v in resource.items():
        if key != "contained":
            _strings(v, local_refs)
    for r in contained:
        _strings(r, local_refs)
    if "#" in local_refs:  # a contained resource refers to its container: all count
        return []
    # indexes into the resource's own list (which may hold non-objects), for locations
    return [
        i for i, r in enumerate(resource["contained"]) if isinstance(r, dict) and f"#{r.get('id')}" not in local_refs
    ]


def _dom_3(value: Any, env: EvalEnv) -> bool:
    if type(value) is dict and "contained" not in value:
        return True  # see _dom_2
    return not unreferenced_contained(value) if isinstance(value, dict) else True


def _ref_1(value: Any, env: EvalEnv) -> bool:
    ref = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#"):
        return True
    root = env.root_resource if isinstance(env.root_resource, dict) else {}
    return ref[1:] in {r.get("id") for r in _contained(root)}


def _txt_1(value: Any, env: EvalEnv) -> bool:
    """Only the allowed XHTML (empty narrative is txt-2's error)."""
    return not isinstance(value, str) or check_narrative_div(value) in (None, NO_CONTENT)


def _txt_2(value: Any, env: EvalEnv) -> bool:
    """Some non-whitespace content: judged only of narrative that is otherwise acceptable
    (malformed or forbidden XHTML is txt-1's error, reported once, as the HL7 validator does)."""
    return not isinstance(value, str) or check_narrative_div(value) != NO_CONTENT


def _per_1(value: Any, env: EvalEnv) -> bool:
    if not isinstance(value, dict):
        return True
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, str) or not isinstance(end, str):
        return True
    order = compare_datetimes(start, end)
    # FHIRPath: mixed precision (2023-06-21 vs 2023-06-21T06:20Z) compares as empty,
    # and an invariant that is not true fails (as in the HL7 validator)
    return order is not None and order <= 0


def _ctm_1(value: Any, env: EvalEnv) -> bool:
    """onBehalfOf only for a participant who is (or cannot be shown not to be) a Practitioner."""
    if not isinstance(value, dict) or not value.get("onBehalfOf"):
        return True
    member = value.get("member")
    ref = member.get("reference") if isinstance(member, dict) else None
    if not isinstance(ref, str):
        return True
    target = env.resolve(ref)
    return target is None or target.get("resourceType") == "Practitioner"


def _que_12(value: Any, env: EvalEnv) -> bool:
    """R4's que-12 says "more than one enableWhen needs enableBehavior" but its expression
    counts "> 2": the text's rule is the one meant (R5 and the HL7 validator apply it), so
    two conditions without enableBehavior fail here too (see the README, Validation)."""
    if not isinstance(value, dict):
        return True
    conditions = value.get("enableWhen")
    return not (isinstance(conditions, list) and len(conditions) > 1) or "enableBehavior" in value


def _que_7(value: Any, env: EvalEnv) -> bool:
    """An 'exists' condition answers with a boolean (answerBoolean), whatever its value."""
    if not isinstance(value, dict) or value.get("operator") != "exists":
        return True
    return "answerBoolean" in value


def _ras_2(value: Any, env: EvalEnv) -> bool:
    """A probability given as a decimal is at most 100. With no decimal probability ``is``
    is false, as in the HL7 validator, and the implication holds (fhirpathpy gives empty
    for ``is`` on nothing, which would fail every prediction without a probability)."""
    probability = value.get("probabilityDecimal") if isinstance(value, dict) else None
    if isinstance(probability, bool) or not isinstance(probability, int | float | Decimal):
        return True
    return probability <= 100


_MACHINE_NAME = re.compile(r"[A-Z]([A-Za-z0-9_]){0,254}")


def _machine_name(value: Any, env: EvalEnv) -> bool:
    """The name checks of R4's canonical resources (que-0, vsd-0, csd-0, ... all written
    ``name.matches('[A-Z]([A-Za-z0-9_]){0,254}')``), as the HL7 validator evaluates them: it
    corrects the expression (FHIRPathExpressionFixer) to ``name.exists() implies
    name.matches('^[A-Z]([A-Za-z0-9_]){0,254}$')``: a resource without a name is not warned
    of, and a name must be a machine name as a whole ('My_Plan', not 'my-Plan')."""
    name = value.get("name") if isinstance(value, dict) else None
    if name is None:
        return True
    return isinstance(name, str) and _MACHINE_NAME.fullmatch(name) is not None


_NOT_AN_OFFSET_EVENT = frozenset({"C", "CM", "CD", "CV"})


def _tim_9(value: Any, env: EvalEnv) -> bool:
    """An offset needs a when, and no when that is a meal (C, CM, CD, CV). As published,
    ``(when in (...)).not()`` cannot be evaluated for two whens ('in' wants one item); the
    HL7 validator evaluates ``when.select($this in (...)).allFalse()`` instead
    (FHIRPathExpressionFixer), so 'morning and afternoon, 30 minutes after' is judged, and a
    meal among the whens is an error."""
    if not isinstance(value, dict) or value.get("offset") is None:
        return True
    when = value.get("when")
    whens = when if isinstance(when, list) else [] if when is None else [when]
    return bool(whens) and not any(w in _NOT_AN_OFFSET_EVENT for w in whens)


def _con_3(value: Any, env: EvalEnv) -> bool:
    """R4's con-3 compares a CodeableConcept with a string (category.select($this =
    'problem-list-item')), so as written it fails on every Condition with a category and no
    clinical status, whatever the category. The HL7 validator evaluates a corrected
    expression instead (FHIRPathExpressionFixer), one whose ``exists(...).empty()`` is
    always false: as corrected it always holds, and so it does here."""
    return True


#: invariants evaluated natively whatever their key, by their exact published expression
NATIVE_BY_EXPRESSION: dict[str, Callable[[Any, EvalEnv], bool]] = {
    "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')": _machine_name,
}

NATIVE: dict[tuple[str, str], Callable[[Any, EvalEnv], bool]] = {
    ("que-12", "enableWhen.count() > 2 implies enableBehavior.exists()"): _que_12,
    ("que-7", "operator = 'exists' implies (answer is Boolean)"): _que_7,
    ("ras-2", "probability is decimal implies (probability as decimal) <= 100"): _ras_2,
    ("tim-9", "offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))"): _tim_9,
    (
        "con-3",
        "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/"
        "condition-ver-status' and code = 'entered-in-error').exists() or category.select($this='problem-list-item')"
        ".empty()",
    ): _con_3,
    (
        "ctm-1",
        "onBehalfOf.exists() implies (member.resolve().iif(empty(), true, ofType(Practitioner).exists()))",
    ): _ctm_1,
    ("ele-1", "hasValue() or (children().count() > id.count())"): _ele_1,
    ("ext-1", "extension.exists() != value.exists()"): _ext_1,
    ("dom-2", "contained.contained.empty()"): _dom_2,
    ("dom-4", "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"): _dom_4,
    ("dom-5", "contained.meta.security.empty()"): _dom_5,
    ("dom-6", "text.`div`.exists()"): _dom_6,
    (
        "ref-1",
        "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
        "%rootResource.contained.id.trace('ids'))",
    ): _ref_1,
    ("txt-1", "htmlChecks()"): _txt_1,
    ("txt-2", "htmlChecks()"): _txt_2,
    ("per-1", "start.hasValue().not() or end.hasValue().not() or (start <= end)"): _per_1,
}
#: ref-1 as the walk may rely on it: it holds for any reference not starting with '#'
REF_1 = _ref_1
#: dom-3's expression is long and only ever means "contained resources are referenced"
NATIVE_BY_KEY_PREFIX = {"dom-3": _dom_3}


class InvariantError(Exception):
    """The expression could not be evaluated (unsupported function, type error)."""


class FhirPathEngine:
    def __init__(self) -> None:
        self._compiled: dict[str, Callable[..., list[Any]]] = {}
        self._simple: dict[str, Callable[[list[Any]], list[Any]] | None] = {}

    def native(self, key: str, expression: str) -> Callable[[Any, EvalEnv], bool] | None:
        found = NATIVE.get((key, expression))
        if found is None and key == "dom-3" and expression.startswith("contained.where(("):
            return _dom_3
        if found is None:
            found = NATIVE_BY_EXPRESSION.get(expression)
        if found is None:
            found = NATIVE_BY_DIGEST.get((key, digest(expression)))
        return found

    def compiled(self, expression: str) -> Callable[..., list[Any]]:
        fn = self._compiled.get(expression)
        if fn is None:
            try:
                fn = fp_compile(expression, _R4, _CUSTOM)
            except Exception as exc:  # the parser raises bare Exceptions
                raise InvariantError(f"cannot parse: {exc}") from exc
            self._compiled[expression] = fn
        return fn

    def checker(self, key: str, expression: str) -> Callable[[Any, str, EvalEnv], bool]:
        """The fastest way to evaluate this invariant: native, compiled, or interpreted."""
        native = self.native(key, expression)
        if native is not None:
            return lambda focus, _type_path, env: native(focus, env)
        simple = compile_simple(expression)

        def interpreted(focus: Any, type_path: str, env: EvalEnv) -> bool:
            fn = self.compiled(expression)
            token = _ENV.set(env)
            try:
                node = _TypedNode(focus, type_path) if type_path else focus  # type: ignore[no-untyped-call]
                context = {
                    "resource": _typed(env.resource),
                    "rootResource": _typed(env.root_resource),
                }
                result = fn(node, context)
            except InvariantError:
                raise
            except Exception as exc:  # fhirpathpy signals every failure as Exception
                raise InvariantError(str(exc)) from exc
            finally:
                _ENV.reset(token)
            return _truthy(result)

        if simple is None:
            return interpreted

        def compiled(focus: Any, type_path: str, env: EvalEnv) -> bool:
            try:
                result = simple([focus])
                if len(result) == 1 and result[0] is True:
                    return True  # what _truthy says of it, without the call
                return _truthy(result)
            except Unsupported:  # this value needs the interpreter (dates, quantities, ...)
                return interpreted(focus, type_path, env)

        return compiled

    def holds(self, key: str, expression: str, focus: Any, type_path: str, env: EvalEnv) -> bool:
        """Evaluate an invariant on ``focus``; raises InvariantError when it cannot."""
        return self.checker(key, expression)(focus, type_path, env)

    def evaluate(self, expression: str, focus: Any, env: EvalEnv | None = None) -> list[Any]:
        fn = self.compiled(expression)
        token = _ENV.set(env)
        try:
            return list(fn(focus, {"resource": focus, "rootResource": focus}))
        finally:
            _ENV.reset(token)


class _TypedNode(ResourceNode):
    """A focus that knows its type (so type(), is and ofType() work) and that a path may
    start from its type's name, as FHIRPath allows (``Appointment.status = 'booked'``,
    R4's app-4). fhirpathpy matches such a leading name by reading ``x["resourceType"]``
    of each input and gives up silently on a node it cannot subscript: with a plain
    ResourceNode every invariant written that way saw nothing and passed. A datatype
    focus answers with its type code (``Extension.url``); an element of a backbone
    (path ``Patient.contact``) names no type and answers nothing."""

    def __getitem__(self, key: str) -> Any:
        data = self.data
        if isinstance(data, dict) and key in data:
            return data[key]
        if key == "resourceType" and isinstance(self.path, str) and "." not in self.path:
            return self.path
        raise TypeError(key)  # what fhirpathpy expects of a node that has no such name


def _typed(resource: Any) -> Any:
    """A resource as a typed node, so %resource.type() and ofType() know what it is."""
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        return _TypedNode(resource, resource["resourceType"])  # type: ignore[no-untyped-call]
    return resource


def _truthy(result: list[Any]) -> bool:
    """An invariant holds when it evaluates to true; empty is false, as in HL7's validator."""
    if not result:
        return False
    if len(result) == 1 and isinstance(result[0], bool):
        return result[0]
    return bool(result[0]) if len(result) == 1 else True
