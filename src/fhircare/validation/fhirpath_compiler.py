"""A compiler from the simple FHIRPath of most invariants to Python closures.

Most invariants in the R4 definitions are short boolean combinations of paths —
``detail.empty() or reference.empty()``, ``duration.exists() implies duration >= 0``.
Interpreting them through fhirpathpy costs tens of microseconds each and they run
on almost every element, so expressions made only of member paths, literals,
``exists() empty() not() count() hasValue()``, ``and or xor implies``, ``= !=``,
``< <= > >=`` on numbers, ``in``/``contains`` and ``|`` are compiled, from
fhirpathpy's own parse tree, into closures over plain JSON. Anything else (and any
value the closures cannot compare exactly, such as dates of different precision or
quantities) raises ``Unsupported`` and the caller uses fhirpathpy, so results never
differ from the interpreter's.
"""

from __future__ import annotations

import contextvars
import operator
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fhirpathpy.parser import parse

from fhircare.validation.primitives import CHOICE_SUFFIXES

Items = list[Any]
Fn = Callable[[Items], Items]

_DATE_LIKE = re.compile(r"^\d{4}(-\d\d)?(-\d\d)?(T|$)|^\d\d:\d\d")


#: whether operands outside the subset are deferred to evaluation (see compile_simple)
_DEFER: contextvars.ContextVar[bool] = contextvars.ContextVar("fhircare_fp_defer", default=True)


class Unsupported(Exception):
    """This expression (or this evaluation) needs the full interpreter."""


def compile_simple(expression: str, *, defer: bool = True) -> Fn | None:
    """A closure evaluating ``expression`` on ``[focus]``, or None when not in the subset.

    With ``defer``, an operand of and/or/implies outside the subset becomes a closure that
    raises Unsupported only when evaluation reaches it (see :func:`_deferred`).
    """
    token = _DEFER.set(defer)
    try:
        tree = parse(expression)  # type: ignore[no-untyped-call]
        return _compile(tree["children"][0])
    except Unsupported:
        return None
    except Exception:  # the parser's own errors: leave them to the interpreter
        return None
    finally:
        _DEFER.reset(token)


def _kids(node: dict[str, Any]) -> list[dict[str, Any]]:
    return node.get("children") or []


def _op(node: dict[str, Any]) -> str:
    ops = node.get("terminalNodeText") or []
    return str(ops[0]) if ops else ""


def _compile(node: dict[str, Any]) -> Fn:
    kind = node.get("type")
    kids = _kids(node)
    if kind == "TermExpression":
        return _compile(kids[0])
    if kind == "InvocationTerm":
        return _invocation(kids[0])
    if kind == "ParenthesizedTerm":
        return _compile(kids[0])
    if kind == "LiteralTerm":
        return _literal(kids[0])
    if kind == "InvocationExpression":
        choice = _of_type(kids[0], kids[1])
        if choice is not None:
            return choice
        left = _compile(kids[0])
        right = _invocation(kids[1])
        name = _member_name(kids[0])
        if name is not None and (right is _exists or right is _empty):
            # ``detail.exists()``, ``period.empty()``: the commonest terms of all, as one
            # closure rather than three calls (member, then function, then the pair)
            return _existence(name, negated=right is _empty)
        return lambda items: right(left(items))
    if kind in ("AndExpression", "OrExpression", "XorExpression", "ImpliesExpression"):
        return _logic(kind, _op(node), _deferred(kids[0]), _deferred(kids[1]))
    if kind in ("AdditiveExpression", "MultiplicativeExpression"):
        return _arithmetic(_op(node), _compile(kids[0]), _compile(kids[1]))
    if kind == "EqualityExpression":
        return _equality(_op(node), _compile(kids[0]), _compile(kids[1]))
    if kind == "InequalityExpression":
        return _inequality(_op(node), _compile(kids[0]), _compile(kids[1]))
    if kind == "MembershipExpression":
        return _membership(_op(node), _compile(kids[0]), _compile(kids[1]))
    if kind == "UnionExpression":
        left, right = _compile(kids[0]), _compile(kids[1])
        return lambda items: _distinct(left(items) + right(items))
    raise Unsupported(kind)


def _member_exists(items: Items, name: str) -> bool:
    """``bool(_member(items, name))``, without building the list in the usual cases: one
    object that holds the element, or one in which no property so much as starts with
    its name (so no choice element can be meant either)."""
    if len(items) == 1:
        item = items[0]
        if type(item) is dict:
            if name in item:
                value = item[name]
                if isinstance(value, list):
                    return bool(value) and (None not in value or any(v is not None for v in value))
                return value is not None
            if name != "value":
                for key in item:  # a plain loop: quicker than any() on an element's few keys
                    if key.startswith(name):
                        break  # a choice element, perhaps (onsetDateTime for onset): see _member
                else:
                    return False
    return bool(_member(items, name))


def _existence(name: str, *, negated: bool) -> Fn:
    """``name.exists()`` (or ``name.empty()``, negated): always one boolean. The closure
    carries the test as plain Python (``exists_of``, ``negated``) for and/or to use
    without the list round trip (see _short_circuit)."""

    def evaluate(items: Items) -> Items:
        return [_member_exists(items, name) is not negated]

    evaluate.exists_of = name  # type: ignore[attr-defined]
    evaluate.negated = negated  # type: ignore[attr-defined]
    return evaluate


def _member_name(node: dict[str, Any]) -> str | None:
    """The name when ``node`` is a bare member path of one step (``detail``), else None."""
    if node.get("type") != "TermExpression":
        return None
    term = _kids(node)[0]
    if term.get("type") != "InvocationTerm":
        return None
    invocation = _kids(term)[0]
    if invocation.get("type") != "MemberInvocation":
        return None
    return str(_kids(invocation)[0].get("text", "")).strip("`")


def _deferred(node: dict[str, Any]) -> Fn:
    """An operand of and/or/implies: compiled, or, when outside the subset, a closure
    that asks for the interpreter only if evaluation gets that far. ``type = 'document'
    implies entry.first().resource.is(Composition)`` is decided by its left side on
    almost every Bundle."""
    try:
        return _compile(node)
    except Unsupported as exc:
        if not _DEFER.get():
            raise
        reason = str(exc)

        def unsupported(items: Items) -> Items:
            raise Unsupported(reason)

        return unsupported


def _invocation(node: dict[str, Any]) -> Fn:
    kind = node.get("type")
    kids = _kids(node)
    if kind == "MemberInvocation":
        name = str(kids[0].get("text", "")).strip("`")
        if not name or name[0].isupper():
            raise Unsupported("type-qualified path")
        return lambda items: _member(items, name)
    if kind == "ThisInvocation":
        return _identity  # the shared function: _inequality recognises ``$this``
    if kind == "FunctionInvocation":
        functn = kids[0]
        fkids = _kids(functn)
        name = str(fkids[0].get("text", ""))
        if len(fkids) > 1:
            if name in _CRITERIA_FUNCTIONS:
                return _criteria_function(name, fkids[1])
            return _string_function(name, fkids[1])
        fn = _FUNCTIONS.get(name)
        if fn is None:
            raise Unsupported(name)
        return fn
    raise Unsupported(str(kind))


def _of_type(left: dict[str, Any], right: dict[str, Any]) -> Fn | None:
    """``value.ofType(integer)``: the choice element's one JSON key, ``valueInteger``."""
    if right.get("type") != "FunctionInvocation":
        return None
    fkids = _kids(_kids(right)[0])
    if str(fkids[0].get("text", "")) != "ofType" or len(fkids) != 2:
        return None
    params = _kids(fkids[1])
    type_name = str(params[0].get("text", "")) if len(params) == 1 else ""
    if not re.fullmatch(r"[A-Za-z]+", type_name) or type_name[:1].upper() + type_name[1:] not in CHOICE_SUFFIXES:
        raise Unsupported("ofType of a type that is not a choice type")
    key_suffix = type_name[:1].upper() + type_name[1:]
    # the member that ofType applies to, and the path before it
    if left.get("type") == "InvocationExpression" and _kids(left)[1].get("type") == "MemberInvocation":
        prefix: Fn = _compile(_kids(left)[0])
        member = _kids(left)[1]
    elif left.get("type") == "TermExpression" and len(_kids(_kids(left)[0])) == 1:
        member = _kids(_kids(left)[0])[0]
        if member.get("type") != "MemberInvocation":
            raise Unsupported("ofType on something other than an element")
        prefix = _identity
    else:
        raise Unsupported("ofType on something other than an element")
    name = str(_kids(member)[0].get("text", "")).strip("`")
    key = name + key_suffix

    def evaluate(items: Items) -> Items:
        out: Items = []
        for item in prefix(items):
            if not isinstance(item, dict):
                continue
            if key in item:
                value = item[key]
                if isinstance(value, list):
                    out.extend(value)
                else:
                    out.append(value)
            elif name in item:
                raise Unsupported("ofType on an element that is not a choice")
        return out

    return evaluate


def _identity(items: Items) -> Items:
    return items


_CRITERIA_FUNCTIONS = frozenset({"all", "where", "exists"})


def _criteria_function(name: str, params: dict[str, Any]) -> Fn:
    """all(criteria), where(criteria), exists(criteria): criteria evaluated on each item as $this."""
    args = _kids(params)
    if len(args) != 1:
        raise Unsupported(f"{name} arguments")
    criteria = _deferred(args[0])  # never evaluated over an empty collection
    test = _predicate(criteria)

    if name == "all":

        def all_hold(items: Items) -> Items:
            for i in items:  # a plain loop: no generator per evaluation
                if test(i) is not True:
                    return [False]
            return [True]

        return all_hold
    if name == "where":
        return lambda items: [i for i in items if test(i) is True]

    def any_holds(items: Items) -> Items:
        for i in items:  # (see all_hold)
            if test(i) is True:
                return [True]
        return [False]

    return any_holds


Predicate = Callable[[Any], "bool | None"]


def _predicate(fn: Fn) -> Predicate:
    """``_singleton_bool(fn([item]))`` as a function of the item: the criteria of all(),
    where() and exists(), asked of every item. A comparison of ``$this`` with a number
    literal, and and/or of such comparisons (``$this >= 1 and $this <= 7``), are answered
    for an integer item with no list built and no closure called per operand; any other
    item, or criteria, takes the general closure (raising Unsupported as it does)."""
    shape = getattr(fn, "predicate", None)
    if shape is not None:
        kind = shape[0]
        if kind == "this":
            _, order, y = shape

            def compare(item: Any) -> bool | None:
                if type(item) is int:
                    return bool(order(item, y))  # _ordered's first case
                return _singleton_bool(fn([item]))

            return compare
        if kind == "logic":
            _, dominant, left, right = shape
            left_test, right_test = _predicate(left), _predicate(right)

            def logic(item: Any) -> bool | None:
                # _short_circuit's evaluate, on one item
                a = left_test(item)
                if a is dominant:
                    return dominant
                b = right_test(item)
                if b is dominant:
                    return dominant
                return (not dominant) if a is not None and b is not None else None

            return logic
    return lambda item: _singleton_bool(fn([item]))


def _member(items: Items, name: str) -> Items:
    if len(items) == 1:
        item = items[0]
        if type(item) is dict and name in item:
            # the usual case (one object that holds the element), without the loop below
            value = item[name]
            if isinstance(value, list):
                return _present(value)
            return [] if value is None else [value]
    out: Items = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if name in item:
            value = item[name]
            if isinstance(value, list):
                # (its values without nulls, as _present gives them, with no copy between)
                out.extend(value if None not in value else (v for v in value if v is not None))
            elif value is not None:
                out.append(value)
            continue
        if name == "value":
            # value[x] of extensions, answers, components, ...: an element named "value"
            # followed by a type name is always that choice (Quantity.value and the like
            # are plain "value", handled above)
            out.extend(v for key, v in item.items() if key.startswith("value") and key[5:] in CHOICE_SUFFIXES)
            continue
        n = len(name)
        for key in item:
            if key.startswith(name) and key[n:] in CHOICE_SUFFIXES:
                # valueQuantity for value[x] — or a real element such as referenceRange?
                # Only the type model can tell: leave it to the interpreter
                raise Unsupported("possible choice element")
    return out


def _present(values: list[Any]) -> Items:
    """A JSON array's values without its nulls (a copy: callers may extend it)."""
    # a null is rare (a primitive array whose '_name' carries an extension at its place):
    # the C-level test and copy beat a comprehension, most of all on the arrays of
    # repeating elements (``item.answer`` across a questionnaire's items)
    return [v for v in values if v is not None] if None in values else values.copy()


_ESCAPES = {
    "'": "'",
    '"': '"',
    "`": "`",
    "\\": "\\",
    "/": "/",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")


def _unescape(text: str) -> str:
    """FHIRPath string literal escapes (\\' \\\\ \\n \\uXXXX ...)."""

    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(repl, text)


def _literal(node: dict[str, Any]) -> Fn:
    kind = node.get("type")
    text = str(node.get("text", ""))
    if kind == "StringLiteral":
        value: Any = _unescape(text[1:-1])
    elif kind == "NumberLiteral":
        value = Decimal(text)
    elif kind == "BooleanLiteral":
        value = text == "true"
    elif kind == "NullLiteral":
        return lambda items: []
    else:
        raise Unsupported(str(kind))

    def constant(items: Items) -> Items:
        return [value]

    constant.constant = value  # type: ignore[attr-defined]  # for _inequality
    return constant


# -- functions -------------------------------------------------------------------
def _exists(items: Items) -> Items:
    return [bool(items)]


def _empty(items: Items) -> Items:
    return [not items]


def _count(items: Items) -> Items:
    return [len(items)]


def _not(items: Items) -> Items:
    b = _singleton_bool(items)
    return [] if b is None else [not b]


def _has_value(items: Items) -> Items:
    return [len(items) == 1 and not isinstance(items[0], dict | list)]


_FUNCTIONS: dict[str, Fn] = {
    "exists": _exists,
    "empty": _empty,
    "count": _count,
    "not": _not,
    "hasValue": _has_value,
}


def _string_function(name: str, params: dict[str, Any]) -> Fn:
    """contains/startsWith/endsWith/matches with one string literal argument.

    As in the HL7 Java validator, these answer false (not empty) when the input is
    not a single string, so ``fullUrl.contains('/_history/').not()`` holds for an
    entry that has no fullUrl (bdl-8 on batch entries); but ``matches`` of nothing is
    nothing there, so que-0's ``name.matches(...)`` holds of a Questionnaire with no name.
    """
    args = _kids(params)
    if len(args) != 1:
        raise Unsupported(f"{name} arguments")
    literal = _compile(args[0])([])
    if len(literal) != 1 or not isinstance(literal[0], str):
        raise Unsupported(f"{name} argument")
    arg: str = literal[0]
    tests: dict[str, Callable[[str], bool]] = {
        "contains": lambda v: arg in v,
        "startsWith": lambda v: v.startswith(arg),
        "endsWith": lambda v: v.endswith(arg),
    }
    if name == "matches":
        pattern = re.compile(arg, re.DOTALL)
        tests["matches"] = lambda v: pattern.search(v) is not None
    test = tests.get(name)
    if test is None:
        raise Unsupported(name)

    empty_answer: Items = [] if name == "matches" else [False]

    def evaluate(items: Items) -> Items:
        if not items:
            return empty_answer
        if len(items) != 1 or not isinstance(items[0], str):
            return [False]
        return [test(items[0])]

    return evaluate


# -- operators -------------------------------------------------------------------
def _singleton_bool(items: Items) -> bool | None:
    if not items:
        return None
    if len(items) > 1:
        raise Unsupported("boolean of a collection")
    value = items[0]
    return value if isinstance(value, bool) else True


def _logic(kind: str, op: str, left: Fn, right: Fn) -> Fn:
    # FHIRPath three-valued logic; "or" and "xor" share one grammar rule
    if kind == "AndExpression":
        return _short_circuit(False, left, right)
    if kind == "ImpliesExpression":

        def implies(items: Items) -> Items:
            a = _singleton_bool(left(items))
            if a is False:
                return [True]
            b = _singleton_bool(right(items))
            if a is True:
                return [] if b is None else [b]
            return [True] if b is True else []

        return implies
    if kind == "XorExpression" or op == "xor":

        def xor(items: Items) -> Items:
            a = _singleton_bool(left(items))
            b = _singleton_bool(right(items))
            return [] if a is None or b is None else [a != b]

        return xor
    return _short_circuit(True, left, right)


def _short_circuit(dominant: bool, left: Fn, right: Fn) -> Fn:
    """``and`` (dominant false) and ``or`` (dominant true): either side deciding wins,
    both known and not deciding gives the other value, otherwise empty."""
    left_name, right_name = getattr(left, "exists_of", None), getattr(right, "exists_of", None)
    if left_name is not None and right_name is not None:
        # ``detail.empty() or reference.empty()``: two existence tests, each always a
        # boolean (never empty), combined as booleans
        left_negated, right_negated = left.negated, right.negated  # type: ignore[attr-defined]

        def existences(items: Items) -> Items:
            if (_member_exists(items, left_name) is not left_negated) is dominant:
                return [dominant]
            if (_member_exists(items, right_name) is not right_negated) is dominant:
                return [dominant]
            return [not dominant]

        return existences

    def evaluate(items: Items) -> Items:
        # _singleton_bool written out for each side: this runs on most invariants
        a_items = left(items)
        if not a_items:
            a = None
        elif len(a_items) > 1:
            raise Unsupported("boolean of a collection")
        else:
            a = a_items[0] if isinstance(a_items[0], bool) else True
        if a is dominant:
            return [dominant]
        b = _singleton_bool(right(items))
        if b is dominant:
            return [dominant]
        return [not dominant] if a is not None and b is not None else []

    evaluate.predicate = ("logic", dominant, left, right)  # type: ignore[attr-defined]  # for _predicate
    return evaluate


def _comparable(value: Any) -> Any:
    # the usual cases first, without the round trip through str(): an int converts to
    # Decimal exactly, and a Decimal (a literal) is already what the round trip would give
    if type(value) is int:
        return Decimal(value)
    if type(value) is Decimal:
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise Unsupported("number") from exc
    if isinstance(value, str):
        if _DATE_LIKE.match(value):
            raise Unsupported("date/time comparison")  # precision rules: interpreter
        return value
    raise Unsupported("complex comparison")


def _equality(op: str, left: Fn, right: Fn) -> Fn:
    if op not in ("=", "!="):
        raise Unsupported(op)

    def evaluate(items: Items) -> Items:
        a, b = left(items), right(items)
        if not a or not b:
            return []
        equal = False if len(a) != len(b) else all(_comparable(x) == _comparable(y) for x, y in zip(a, b, strict=True))
        return [equal if op == "=" else not equal]

    return evaluate


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _inequality(op: str, left: Fn, right: Fn) -> Fn:
    order = _ORDER.get(op)
    if left is _identity and hasattr(right, "constant"):
        return _this_against(op, right.constant)

    def evaluate(items: Items) -> Items:
        a, b = left(items), right(items)
        if not a or not b:
            return []
        if len(a) > 1 or len(b) > 1:
            raise Unsupported("comparison of collections")
        return _ordered(op, order, a[0], b[0])

    return evaluate


def _ordered(op: str, order: Callable[[Any, Any], bool] | None, x: Any, y: Any) -> Items:
    """One value against another by ``op`` (``order``: its comparison, None when the
    operator is not an ordering)."""
    if type(x) is int and (type(y) is Decimal or type(y) is int) and order is not None:
        # an integer against a number literal (``period >= 0``): Python compares an int
        # with an int or a Decimal exactly, as the two Decimals below would
        return [order(x, y)]
    a, b = _comparable(x), _comparable(y)
    if type(a) is not type(b) or isinstance(a, bool):
        raise Unsupported("mixed comparison")
    if order is None:
        raise Unsupported(op)
    return [order(a, b)]


def _this_against(op: str, y: Any) -> Fn:
    """``$this >= 1``: _inequality's evaluate with the right side known (one literal)."""
    order = _ORDER.get(op)

    def evaluate(items: Items) -> Items:
        if not items:
            return []
        if len(items) > 1:
            raise Unsupported("comparison of collections")
        return _ordered(op, order, items[0], y)

    if order is not None and (type(y) is Decimal or type(y) is int):
        evaluate.predicate = ("this", order, y)  # type: ignore[attr-defined]  # for _predicate
    return evaluate


def _membership(op: str, left: Fn, right: Fn) -> Fn:
    def evaluate(items: Items) -> Items:
        a, b = left(items), right(items)
        needle, haystack = (a, b) if op == "in" else (b, a)
        if not needle:
            return []
        if len(needle) > 1:
            raise Unsupported("membership of a collection")
        value = _comparable(needle[0])
        return [any(_comparable(h) == value for h in haystack)]

    if op not in ("in", "contains"):
        raise Unsupported(op)
    return evaluate


def _number(items: Items) -> Decimal | None:
    if not items:
        return None
    if len(items) > 1 or isinstance(items[0], bool) or not isinstance(items[0], int | Decimal):
        raise Unsupported("arithmetic on something other than a number")
    return Decimal(items[0])


def _arithmetic(op: str, left: Fn, right: Fn) -> Fn:
    """``+ - *`` on numbers, ``+`` and ``&`` on strings (as counts and codes use them)."""
    if op == "&":

        def concatenate(items: Items) -> Items:
            parts = []
            for side in (left(items), right(items)):
                if len(side) > 1 or (side and not isinstance(side[0], str)):
                    raise Unsupported("& of something other than a string")
                parts.append(side[0] if side else "")
            return ["".join(parts)]

        return concatenate
    if op not in ("+", "-", "*"):
        raise Unsupported(op)

    def evaluate(items: Items) -> Items:
        a, b = left(items), right(items)
        if not a or not b:
            return []
        if op == "+" and len(a) == len(b) == 1 and isinstance(a[0], str) and isinstance(b[0], str):
            return [a[0] + b[0]]
        x, y = _number(a), _number(b)
        assert x is not None and y is not None
        return [x + y if op == "+" else x - y if op == "-" else x * y]

    return evaluate


def _distinct(items: Items) -> Items:
    out: Items = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
