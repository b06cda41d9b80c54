"""Rules on one element's value: fixed, pattern, binding, min/max value, invariants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fhircare.validation.fhirpath import InvariantError, unreferenced_contained
from fhircare.validation.issues import Severity
from fhircare.validation.structure import Constraint, ElementNode
from fhircare.validation.temporal import date_from_now
from fhircare.validation.values import (
    compare_ordered,
    equals_fixed,
    fixed_mismatches,
    matches_pattern,
    quantity_in_unit,
)
from fhircare.validation.xhtml import check_narrative_div

if TYPE_CHECKING:
    from fhircare.validation.services import InvariantPlan, WalkServices
    from fhircare.validation.walk import Walk


def check_value_rules(
    validator: WalkServices, value: Any, node: ElementNode, type_code: str, loc: str, w: Walk
) -> None:
    if node.fixed is not None and not equals_fixed(value, node.fixed):
        _fixed_failed(value, node, loc, w)
    if node.pattern is not None and not matches_pattern(value, node.pattern):
        w.sink.error(
            "value",
            loc,
            f"The value does not match the pattern required by the profile {node.sd_url} ({node.id})",
        )
    if (
        node.binding is not None
        and (node.binding.value_set or node.binding.additional)
        and (w.profile or not w.frame.rebound or node.path not in w.frame.rebound)
    ):
        validator.bindings.check(value, type_code, node.binding, loc, w.sink, w.profile)
    if node.min_value is not None:
        _bound(value, node.min_value, type_code, loc, w, minimum=True)
    if node.max_value is not None:
        _bound(value, node.max_value, type_code, loc, w, minimum=False)
    if node.invariants:
        type_path = node.path if type_code in ("BackboneElement", "Element") else type_code
        run_invariants(validator, value, node, type_path, loc, w)


def _fixed_failed(value: Any, node: ElementNode, loc: str, w: Walk) -> None:
    if isinstance(node.fixed, dict) and isinstance(value, dict):
        for rel, problem in fixed_mismatches(value, node.fixed):
            name = rel.rsplit(".", 1)[-1]
            if problem == "extra":
                w.sink.error(
                    "value",
                    f"{loc}.{rel}",
                    f"The element {name} is present in the instance but not allowed in the applicable "
                    "fixed value specified in profile",
                )
            else:
                w.sink.error("value", loc, f"Value is not the fixed value in the profile (at {rel})")
    else:
        w.sink.error(
            "value",
            loc,
            f"Value is '{value}' but is fixed to '{node.fixed}' in the profile {node.sd_url}",
        )


def _bound(value: Any, bound: tuple[str, Any], type_code: str, loc: str, w: Walk, *, minimum: bool) -> None:
    bound_type, limit = bound
    if bound_type == "Duration" and isinstance(value, str) and isinstance(limit, dict):
        # a date bounded relative to today: minValueDuration 100 a = no earlier than 100 years ago
        limit_date = date_from_now(limit, past=minimum)
        if limit_date is None:
            return
        shown, limit_shown = value, limit_date
        order = compare_ordered(value[:10], limit_date, "date")
    elif isinstance(value, dict) and isinstance(limit, dict):
        # Quantity against a Quantity bound: compare in the bound's unit where UCUM allows
        actual = quantity_in_unit(value, limit)
        shown = f"{value.get('value')} {value.get('code') or value.get('unit') or ''}".strip()
        limit_shown = f"{limit.get('value')} {limit.get('code') or limit.get('unit') or ''}".strip()
        order = compare_ordered(actual, limit.get("value"), "decimal") if actual is not None else None
    else:
        shown, limit_shown = str(value), str(limit)
        order = compare_ordered(value, limit, bound_type)
    if order is None:
        return
    if minimum and order < 0:
        w.sink.error(
            "value",
            loc,
            f"The value in the instance ({shown}) is less than the specified minimum value ({limit_shown})",
        )
    elif not minimum and order > 0:
        w.sink.error(
            "value",
            loc,
            f"The value in the instance ({shown}) is greater than the specified maximum value ({limit_shown})",
        )


def _invariant_plan(validator: WalkServices, node: ElementNode, profile: bool) -> InvariantPlan:
    """The invariants a walk evaluates on ``node``, each with its evaluator, in order.

    Built once per element and kind of walk: a profile walk leaves out the core
    invariants (the base walk evaluated them on the same value already). A native
    invariant is called as it is (focus, env), not through the wrapper that gives every
    evaluator the same signature: one call fewer on the commonest invariants.
    """
    plans = validator.profile_invariant_plans if profile else validator.invariant_plans
    plan = plans.get(node)
    if plan is None:
        steps: list[tuple[Constraint, Any, bool]] = []
        for c in node.invariants:
            if profile and c.from_core:
                continue
            native = validator.fhirpath.native(c.key, c.expression)
            if native is not None:
                steps.append((c, native, True))
                continue
            steps.append((c, _checker(validator, c), False))
        plan = plans[node] = tuple(steps)
    return plan


def _checker(validator: WalkServices, c: Constraint) -> Any:
    """The evaluator of one invariant (native, compiled or interpreted), made once."""
    check = validator.invariant_checks.get(c)
    if check is None:
        check = validator.invariant_checks[c] = validator.fhirpath.checker(c.key, c.expression)
    return check


def check_best_practices(
    validator: WalkServices, resource: dict[str, Any], node: ElementNode, type_path: str, loc: str, w: Walk
) -> None:
    """A resource's best-practice invariants (dom-6: it should have a narrative; con-3), as
    the HL7 validator gives them: warnings, and not of a contained resource (its container's
    narrative speaks for it)."""
    for c in node.best_practices:
        try:
            ok = _checker(validator, c)(resource, type_path, w.frame.env or validator.env(w.frame))
        except InvariantError:
            continue  # advice that cannot be judged is not given
        if not ok:
            where = f" (defined in {c.source})" if c.source else ""
            text = f"Constraint failed: {c.key}: '{c.human}'{where} (Best Practice Recommendation)"
            w.sink.warning("invariant", loc, text, c.key)


def run_invariants(validator: WalkServices, value: Any, node: ElementNode, type_path: str, loc: str, w: Walk) -> None:
    profile = w.profile
    plan = (validator.profile_invariant_plans if profile else validator.invariant_plans).get(node)
    if plan is None:
        plan = _invariant_plan(validator, node, profile)
    if not plan:
        return
    env = w.frame.env or validator.env(w.frame)  # one per resource, made on first need
    for c, check, native in plan:
        try:
            ok = check(value, env) if native else check(value, type_path, env)
        except InvariantError as exc:
            w.sink.warning(
                "invariant",
                loc,
                f"Unable to evaluate constraint {c.key} ({c.expression}): {exc}"[:400],
                c.key,
            )
            continue
        if ok:
            continue
        if c.key == "dom-3" and isinstance(value, dict):
            # said where it is: at each contained resource nothing refers to
            for i in unreferenced_contained(value):
                cid = value["contained"][i].get("id")
                w.sink.error(
                    "invariant",
                    f"{loc}.contained[{i}]",
                    f"The contained resource '{cid}' is not referenced to from elsewhere in the "
                    "containing resource nor does it refer to the containing resource",
                    "dom-3",
                )
            continue
        severity: Severity = "error" if c.severity == "error" else "warning"
        suffix = "" if c.from_core or not c.source else f" (defined in {c.source})"
        if c.key == "txt-1" and isinstance(value, str):
            suffix += f": {check_narrative_div(value)}"  # which rule the narrative breaks
        w.sink.add(severity, "invariant", loc, f"Constraint failed: {c.key}: '{c.human}'{suffix}", c.key)
