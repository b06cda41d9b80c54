"""The FHIRPath subset compiler: same answers as fhirpathpy on the invariants it compiles."""

from __future__ import annotations

import functools
import re
from typing import Any

import orjson
import pytest
from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fhircare.settings import Settings
from fhircare.validation.fhirpath import _truthy
from fhircare.validation.fhirpath_compiler import Unsupported, compile_simple
from fhircare.validation.packages import CORE_PACKAGE, PackageCache

# hasValue is a FHIR extension to FHIRPath that fhirpathpy lacks: "a single primitive value"
_OPTIONS = {
    "userInvocationTable": {
        "hasValue": {"fn": lambda inputs: len(inputs) == 1 and not isinstance(inputs[0], dict | list)}
    }
}
# contains/startsWith/endsWith answer [False] on an empty or non-string input (matches: [] on an
# empty one, [False] on a non-string), as the
# HL7 Java validator does, where fhirpathpy gives []; they are tested on their own below
_STRING_FUNCTION = re.compile(r"\.(contains|startsWith|endsWith|matches)\(")
_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'")
_IDENTIFIER = re.compile(r"`?\b([A-Za-z_][A-Za-z0-9_]*)\b`?(?!\s*\()")
_KEYWORDS = {"and", "or", "xor", "implies", "in", "contains", "true", "false", "div", "mod", "is", "as"}


@functools.cache
def compiled_core_invariants() -> list[tuple[str, str]]:
    """(key, expression) of every core invariant the subset compiler takes, once each."""
    # the package cache the core_validator fixture uses (installed on first use, as there)
    core = PackageCache.from_settings(Settings()).ensure(CORE_PACKAGE)
    keys: dict[str, str] = {}
    for path in sorted(core.glob("StructureDefinition-*.json")):
        sd = orjson.loads(path.read_bytes())
        for element in sd.get("snapshot", {}).get("element", ()):
            for c in element.get("constraint", ()):
                if c.get("expression"):
                    keys.setdefault(c["expression"], c.get("key", "?"))
    return sorted((key, e) for e, key in keys.items() if compile_simple(e, defer=False) is not None)


@functools.cache
def deferred_core_invariants() -> list[tuple[str, str]]:
    """Core invariants compiled only because an and/or/implies operand is deferred."""
    classic = {e for _, e in compiled_core_invariants()}
    core = PackageCache.from_settings(Settings()).ensure(CORE_PACKAGE)
    found: dict[str, str] = {}
    for path in sorted(core.glob("StructureDefinition-*.json")):
        for element in orjson.loads(path.read_bytes()).get("snapshot", {}).get("element", ()):
            for c in element.get("constraint", ()):
                e = c.get("expression")
                if e and e not in classic and compile_simple(e) is not None:
                    found.setdefault(e, c.get("key", "?"))
    return sorted((key, e) for e, key in found.items())


def member_names(expression: str) -> tuple[list[str], list[str]]:
    """The member names an expression navigates, and its string literals."""
    literals = [s[1:-1] for s in _STRING_LITERAL.findall(expression)]
    bare = _STRING_LITERAL.sub("''", expression)
    names = {m.group(1) for m in _IDENTIFIER.finditer(bare)} - _KEYWORDS
    return sorted(names), literals


@functools.cache
def json_objects(expression: str) -> st.SearchStrategy[dict[str, Any]]:
    names, literals = member_names(expression)
    scalars = st.one_of(
        st.booleans(),
        st.integers(-3, 3),
        st.floats(-3, 3, allow_nan=False),
        st.sampled_from([*literals, "", "a", "x y", "1", "true"]),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3),
            st.dictionaries(st.sampled_from(names), inner, max_size=3),
        ),
        max_leaves=6,
    )
    return st.dictionaries(st.sampled_from(names), values, max_size=len(names))


@functools.cache
def interpreter(expression: str) -> Any:
    return fp_compile(expression, models["r4"], _OPTIONS)


@functools.cache
def subset(expression: str) -> Any:
    return compile_simple(expression)


DEFERRED = [pytest.param(e, id=k) for k, e in deferred_core_invariants() if not _STRING_FUNCTION.search(e)]


@pytest.mark.parametrize("expression", DEFERRED)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_a_deferred_operand_changes_no_answer(expression: str, data: st.DataObject) -> None:
    """Where the compiled side decides (a short circuit), the interpreter agrees; where
    evaluation reaches the deferred operand, the interpreter answers instead."""
    focus = data.draw(json_objects(expression), label="focus")
    try:
        ours = subset(expression)([focus])
        theirs = interpreter(expression)(focus)
    except Exception:  # Unsupported (the interpreter answers) or an input fhirpathpy rejects
        return
    assert _truthy(ours) == _truthy(theirs), (focus, ours, theirs)


def test_the_compiled_subset_covers_most_core_invariants() -> None:
    # a regression in the compiler's coverage silently sends everything to the slow path
    assert len(compiled_core_invariants()) >= 120


DIFFERENTIAL = [pytest.param(e, id=k) for k, e in compiled_core_invariants() if not _STRING_FUNCTION.search(e)]


@pytest.mark.parametrize("expression", DIFFERENTIAL)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_invariant_agrees_with_fhirpathpy(expression: str, data: st.DataObject) -> None:
    focus = data.draw(json_objects(expression), label="focus")
    simple = subset(expression)
    assert simple is not None
    try:
        ours = simple([focus])
    except Unsupported:
        assume(False)  # the caller falls back to the interpreter: nothing to compare
        return
    try:
        theirs = interpreter(expression)(focus)
    except Exception:  # fhirpathpy rejects some inputs (a non-boolean where one is expected)
        assume(False)
        return
    assert _truthy(ours) == _truthy(theirs), (focus, ours, theirs)


# --- three-valued logic ------------------------------------------------------------------

T, F, E = [True], [False], []
VALUES = {"true": T, "false": F, "empty": E}
# FHIRPath §6.5 truth tables: (left, right) → result
TRUTH = {
    "and": {
        ("true", "true"): T, ("true", "false"): F, ("true", "empty"): E,
        ("false", "true"): F, ("false", "false"): F, ("false", "empty"): F,
        ("empty", "true"): E, ("empty", "false"): F, ("empty", "empty"): E,
    },
    "or": {
        ("true", "true"): T, ("true", "false"): T, ("true", "empty"): T,
        ("false", "true"): T, ("false", "false"): F, ("false", "empty"): E,
        ("empty", "true"): T, ("empty", "false"): E, ("empty", "empty"): E,
    },
    "xor": {
        ("true", "true"): F, ("true", "false"): T, ("true", "empty"): E,
        ("false", "true"): T, ("false", "false"): F, ("false", "empty"): E,
        ("empty", "true"): E, ("empty", "false"): E, ("empty", "empty"): E,
    },
    "implies": {
        ("true", "true"): T, ("true", "false"): F, ("true", "empty"): E,
        ("false", "true"): T, ("false", "false"): T, ("false", "empty"): T,
        ("empty", "true"): T, ("empty", "false"): E, ("empty", "empty"): E,
    },
}  # fmt: skip


def _focus(left: str, right: str) -> dict[str, Any]:
    focus: dict[str, Any] = {}
    if left != "empty":
        focus["a"] = VALUES[left][0]
    if right != "empty":
        focus["b"] = VALUES[right][0]
    return focus


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [(op, left, right, result) for op, table in TRUTH.items() for (left, right), result in table.items()],
)
def test_three_valued_logic(op: str, left: str, right: str, expected: list[bool]) -> None:
    fn = compile_simple(f"a {op} b")
    assert fn is not None
    assert fn([_focus(left, right)]) == expected


@pytest.mark.parametrize("op", sorted(TRUTH))
def test_right_side_is_not_needed_when_the_left_decides(op: str) -> None:
    # a right side the subset cannot evaluate (two items where one is wanted) is never reached
    fn = compile_simple(f"a {op} b")
    assert fn is not None
    decisive = {"and": False, "or": True, "implies": False}
    if op in decisive:
        assert fn([{"a": decisive[op], "b": [True, False]}]) == [op != "and"]
    else:
        with pytest.raises(Unsupported):
            fn([{"a": True, "b": [True, False]}])


def test_not_of_empty_is_empty() -> None:
    fn = compile_simple("a.not()")
    assert fn is not None
    assert fn([{}]) == []
    assert fn([{"a": True}]) == [False]
    assert fn([{"a": False}]) == [True]


# --- literals and string functions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        (r"'it\'s'", "it's"),
        (r"'back\\slash'", "back\\slash"),
        (r"'a\nb'", "a\nb"),
        (r"'tab\there'", "tab\there"),
        (r"'\u00e9t\u00E9'", "été"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'a\/b'", "a/b"),
        (r"'\`q\`'", "`q`"),
    ],
)
def test_string_literal_escapes(literal: str, value: str) -> None:
    fn = compile_simple(f"a = {literal}")
    assert fn is not None
    assert fn([{"a": value}]) == [True]
    assert fn([{"a": value + "x"}]) == [False]


@pytest.mark.parametrize("function", ["contains", "startsWith", "endsWith", "matches"])
@pytest.mark.parametrize("focus", [{}, {"u": ["a", "b"]}, {"u": 3}, {"u": {"x": "a"}}])
def test_string_functions_on_no_single_string_give_false(function: str, focus: dict[str, Any]) -> None:
    # documented HL7 Java behaviour: false, not empty — bdl-8 holds for an entry without fullUrl;
    # but its matches() of nothing is nothing (FHIRPathEngine.funcMatches)
    fn = compile_simple(f"u.{function}('a')")
    negated = compile_simple(f"u.{function}('a').not()")
    assert fn is not None and negated is not None
    if function == "matches" and focus == {}:
        assert fn([focus]) == [] and negated([focus]) == []
        return
    assert fn([focus]) == [False]
    assert negated([focus]) == [True]


def test_string_functions_on_a_string() -> None:
    cases = {
        "fullUrl.contains('/_history/')": ("http://x/Patient/1/_history/2", "http://x/Patient/1"),
        "valueSet.startsWith('urn:')": ("urn:oid:1.2", "http://x"),
        "name.endsWith('.json')": ("a.json", "a.xml"),
        "name.matches('^[A-Z][a-z]+$')": ("Abc", "abc"),
    }
    for expression, (yes, no) in cases.items():
        fn = compile_simple(expression)
        assert fn is not None, expression
        member = expression.split(".", 1)[0]
        assert fn([{member: yes}]) == [True], expression
        assert fn([{member: no}]) == [False], expression


# --- what the subset leaves to the interpreter ---------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "contained.select(id).exists()",
        "%resource.id.exists()",
        "contained.ofType(Patient).exists()",  # a resource type: needs the type model
        "descendants().reference.exists()",
        "Patient.name.exists()",
        "a.b(",  # does not parse
    ],
)
def test_outside_the_subset_is_not_compiled(expression: str) -> None:
    assert compile_simple(expression) is None


def test_a_possible_choice_element_is_left_to_the_interpreter() -> None:
    # onset[x] arrives as onsetDateTime: plain member navigation would find nothing
    fn = compile_simple("onset.exists()")
    assert fn is not None
    with pytest.raises(Unsupported):
        fn([{"onsetDateTime": "2024-01-01"}])
    assert fn([{"onset": 1}]) == [True]


def test_value_is_the_value_choice_where_there_is_no_plain_value() -> None:
    # every element named value + a type name is the value[x] choice; Quantity.value is plain
    fn = compile_simple("value.exists()")
    assert fn is not None
    assert fn([{"valueQuantity": {"value": 1}}]) == [True]
    assert fn([{"value": 1}]) == [True]
    assert fn([{"url": "x"}]) == [False]


def test_date_comparisons_are_left_to_the_interpreter() -> None:
    fn = compile_simple("whenHandedOver.empty() or whenPrepared.empty() or whenHandedOver >= whenPrepared")
    assert fn is not None
    with pytest.raises(Unsupported):
        fn([{"whenHandedOver": "2021-01-02", "whenPrepared": "2021-01-01T10:00:00Z"}])
    assert fn([{"whenHandedOver": "2021-01-02"}]) == [True]


def test_numeric_comparison_and_membership() -> None:
    fn = compile_simple("duration.exists() implies duration >= 0")
    assert fn is not None
    assert fn([{"duration": 0}]) == [True]
    assert fn([{"duration": -0.5}]) == [False]
    member = compile_simple("status in ('proposed' | 'cancelled')")
    assert member is not None
    assert member([{"status": "cancelled"}]) == [True]
    assert member([{"status": "booked"}]) == [False]
    assert member([{}]) == []


def test_of_type_reads_the_choice_key() -> None:
    fn = compile_simple("value.ofType(Quantity).exists()")
    assert fn is not None
    assert fn([{"valueQuantity": {"value": 1}}]) == [True]
    assert fn([{"valueString": "x"}]) == [False]


def test_of_type_on_an_element_that_is_not_a_choice_goes_to_the_interpreter() -> None:
    fn = compile_simple("value.ofType(Quantity).exists()")
    assert fn is not None
    with pytest.raises(Unsupported):
        fn([{"value": {"value": 1}}])  # Quantity.value: a plain element named value


def test_criteria_functions_evaluate_on_each_item_as_this() -> None:
    all_in_range = compile_simple("item.answer.value.ofType(integer).all($this >= 1 and $this <= 7)")
    assert all_in_range is not None
    assert all_in_range([{"item": [{"answer": [{"valueInteger": 3}, {"valueInteger": 7}]}]}]) == [True]
    assert all_in_range([{"item": [{"answer": [{"valueInteger": 3}, {"valueInteger": 9}]}]}]) == [False]
    assert all_in_range([{}]) == [True]  # all() of nothing is true
    official = compile_simple("name.where(use = 'official').exists()")
    assert official is not None
    assert official([{"name": [{"use": "usual"}, {"use": "official"}]}]) == [True]
    assert official([{"name": [{"use": "usual"}]}]) == [False]


# --- criteria asked of each item as a predicate (fhirpath_compiler._predicate) ---------------

CRITERIA = [
    "v.all($this >= 1 and $this <= 7)",
    "v.all($this > 0 or $this < -1)",
    "v.all($this >= 1.5)",
    "v.exists($this <= 1 and $this > -2)",
    "v.where($this < 2 or $this >= 3).count() = 1",
    "v.all(($this >= 0 and $this <= 2) or $this = 3)",
]


@pytest.mark.parametrize("expression", CRITERIA)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    values=st.lists(
        st.one_of(st.integers(-4, 9), st.floats(-4, 9, allow_nan=False), st.booleans(), st.sampled_from(["2", "a"])),
        max_size=4,
    )
)
def test_criteria_predicates_agree_with_fhirpathpy(expression: str, values: list[Any]) -> None:
    """An integer item is answered without the closures; any other item takes them: either
    way, what fhirpathpy says (or Unsupported, and the interpreter is used)."""
    simple = subset(expression)
    assert simple is not None
    focus = {"v": values}
    try:
        ours = simple([focus])
    except Unsupported:
        assume(False)
        return
    try:
        theirs = interpreter(expression)(focus)
    except Exception:
        assume(False)
        return
    assert _truthy(ours) == _truthy(theirs), (focus, ours, theirs)
