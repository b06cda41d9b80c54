"""QuestionnaireResponse against its Questionnaire, and the rules of a Questionnaire itself.

A response names its Questionnaire in ``questionnaire`` (a canonical, or ``#id`` of a
contained one); the Questionnaire is looked up among the loaded conformance resources
(the core package, fhircare's package, ``--ig`` folders and packages). Not found: a
warning, as the HL7 validator gives, and nothing more is checked.

Found, the response's items are matched to the Questionnaire's by ``linkId`` level by
level: unknown, misplaced, out-of-order and repeated items; required items (an error
in a ``completed`` or ``amended`` response, a warning while ``in-progress`` or
``stopped``, never for an item ``enableWhen`` disables); answers to disabled items;
answers on groups and display items; items that belong inside answers; and each
answer's value (see :mod:`questionnaire_answers`). Locations follow the HL7 validator:
problems with the set of items sit on their container, problems with one item on the
item, problems with a value on the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fhircare.validation.issues import IssueSink
from fhircare.validation.questionnaire_answers import (
    MAX_OCCURS,
    MIN_OCCURS,
    AnswerServices,
    answer_value,
    check_answer,
    ext_value,
)
from fhircare.validation.temporal import compare_datetimes

_COMPLETED = ("completed", "amended")
_EXAMPLE_BASES = ("http://example.org", "https://example.org")


@dataclass(slots=True)
class QuestionnaireServices:
    answers: AnswerServices
    #: a Questionnaire by canonical URL (``url`` or ``url|version``), or None
    find: Callable[[str], dict[str, Any] | None]
    #: the resource type of what a canonical URL names among the loaded definitions, or None
    type_of: Callable[[str], str | None]


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class _Form:
    """A Questionnaire's items, indexed once per validation."""

    def __init__(self, questionnaire: dict[str, Any]) -> None:
        self.root = questionnaire
        self.by_link: dict[str, dict[str, Any]] = {}
        #: id() of an item → the items it sits in, outermost first
        self.ancestors: dict[int, list[dict[str, Any]]] = {}
        self.order: dict[int, int] = {}
        self._index(_list(questionnaire.get("item")), [])

    def _index(self, items: list[dict[str, Any]], parents: list[dict[str, Any]]) -> None:
        for item in items:
            link = item.get("linkId")
            if isinstance(link, str):
                self.by_link.setdefault(link, item)
            self.ancestors[id(item)] = parents
            self.order[id(item)] = len(self.order)
            self._index(_list(item.get("item")), [*parents, item])

    def common_group(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any] | None:
        """The innermost item holding both (None: the Questionnaire itself)."""
        found = None
        for x, y in zip(self.ancestors.get(id(a), []), self.ancestors.get(id(b), []), strict=False):
            if x is not y:
                break
            found = x
        return found


#: the response items walked so far: (Questionnaire item or None for the root, response element)
_Stack = list[tuple[dict[str, Any] | None, dict[str, Any]]]


class _ResponseCheck:
    def __init__(self, form: _Form, response: dict[str, Any], sink: IssueSink, services: QuestionnaireServices):
        self.form = form
        self.response = response
        self.sink = sink
        self.services = services
        self.completed = response.get("status") in _COMPLETED

    # -- the items of one container ------------------------------------------------------
    def items(self, q_items: list[dict[str, Any]], container: dict[str, Any], loc: str, stack: _Stack) -> None:
        positions = {item.get("linkId"): i for i, item in reversed(list(enumerate(q_items)))}
        matched: dict[str, list[tuple[dict[str, Any], int]]] = {}
        last = -1
        for i, item in enumerate(container.get("item", ()) if isinstance(container.get("item"), list) else ()):
            if not isinstance(item, dict):
                continue
            link = item.get("linkId")
            if not isinstance(link, str) or not link:
                self.sink.error("required", loc, "No LinkId, so can't be validated")
                continue
            index = positions.get(link, -1)
            if index < 0:
                elsewhere = self.form.by_link.get(link)
                if elsewhere is None:
                    self.sink.error("not-found", loc, f"LinkId '{link}' not found in questionnaire")
                else:
                    self.sink.error(
                        "structure", loc, f"Structural Error: item with linkid {link} is in the wrong place"
                    )
                    self.item(elsewhere, item, f"{loc}.item[{i}]", [*stack, (elsewhere, item)])
                continue
            if index < last:
                self.sink.error("structure", loc, "Structural Error: items are out of order")
            last = index
            matched.setdefault(link, []).append((item, i))
        for q_item in q_items:
            link = q_item.get("linkId")
            found = matched.get(link) if isinstance(link, str) else None
            enabled = self.enabled(q_item, stack)
            if found:
                if not enabled:
                    for item, i in found:
                        if item.get("answer") or item.get("item"):
                            self.sink.error(
                                "invalid",
                                f"{loc}.item[{i}]",
                                f"Item has answer, even though it is not enabled (item id = '{link}')",
                            )
                if len(found) > 1 and q_item.get("repeats") is not True:
                    self.sink.error(
                        "invalid",
                        loc,
                        f"Only one response item with the linkId {link} allowed - found {len(found)} items",
                    )
                for item, i in found:
                    self.item(q_item, item, f"{loc}.item[{i}]", [*stack, (q_item, item)])
            elif enabled and q_item.get("required") is True:
                self._missing(q_item, loc)

    def _missing(self, q_item: dict[str, Any], loc: str) -> None:
        text = f"No response answer found for required item '{q_item.get('linkId')}'"
        if self.completed:
            self.sink.error("required", loc, text)
        else:
            self.sink.warning("required", loc, text)

    # -- one item ------------------------------------------------------------------------
    def item(self, q_item: dict[str, Any], item: dict[str, Any], loc: str, stack: _Stack) -> None:
        link = q_item.get("linkId")
        q_type = q_item.get("type")
        text = item.get("text")
        if isinstance(text, str) and text and text != q_item.get("text"):
            self.sink.error(
                "invalid", loc, f"If text exists, it must match the questionnaire definition for linkId {link}"
            )
        answers = _list(item.get("answer"))
        fulfilled = bool(answers) or q_item.get("required") is not True or q_type == "group"
        if not fulfilled:
            if not self.completed:
                self.sink.warning("required", loc, f"No response answer found for required item '{link}'")
            elif self.enabled(q_item, stack[:-1]):
                self.sink.error("required", loc, f"No response answer found for required item '{link}'")
        if len(answers) > 1 and q_item.get("repeats") is not True:
            self.sink.error("invalid", loc, "Only one response answer item with this linkId allowed")
        if q_type not in ("group", "display"):
            # a group's minOccurs/maxOccurs count its repetitions, not answers
            self._occurs(q_item, len(answers), loc)
        for j, answer in enumerate(answers):
            if q_type in ("group", "question"):
                # 'question' is R4's abstract item type: no answer can have it
                self.sink.error("structure", loc, f"Items of type {q_type} should not have answers")
            elif q_type == "display":
                self.sink.error("structure", loc, "Items of type 'display' cannot have answers")
            else:
                check_answer(q_item, answer, len(answers), f"{loc}.answer[{j}]", self.sink, self.services.answers)
            if q_type != "group":
                # the HL7 validator reports items inside an answer against the item's path
                self.items(_list(q_item.get("item")), answer, loc, [*stack[:-1], (q_item, answer)])
        nested = bool(item.get("item"))
        if q_type == "display":
            if nested:
                self.sink.error("structure", loc, f"Items of type display should not have items - linkId {link}")
        elif q_type != "group":
            if nested:
                self.sink.error(
                    "structure",
                    loc,
                    "Items not of type group should not have items outside answers (use answer.item not .item)",
                )
        else:
            if q_item.get("required") is True and not nested:
                self.sink.error("invariant", loc, "No sub-items found for required group")
            self.items(_list(q_item.get("item")), item, loc, stack)

    def _occurs(self, q_item: dict[str, Any], count: int, loc: str) -> None:
        most, least = ext_value(q_item, MAX_OCCURS), ext_value(q_item, MIN_OCCURS)
        if isinstance(most, int) and not isinstance(most, bool) and count > most:
            self.sink.error("invalid", loc, f"The maximum number of answers is {most} but this has {count} answers")
        # an item given with fewer answers than it must have (none included), as the HL7
        # validator counts them; an item not given at all is the business of 'required'
        if isinstance(least, int) and not isinstance(least, bool) and count < least:
            # as 'required': an error once the response is completed, a warning before
            text = f"The minimum number of answers is {least} but this has {count} answers"
            if self.completed:
                self.sink.error("invalid", loc, text)
            else:
                self.sink.warning("invalid", loc, text)

    # -- enableWhen ------------------------------------------------------------------------
    def enabled(self, q_item: dict[str, Any], stack: _Stack) -> bool:
        conditions = _list(q_item.get("enableWhen"))
        if not conditions:
            return True
        results = [self._condition(q_item, c, stack) for c in conditions]
        behavior = q_item.get("enableBehavior")
        if behavior == "any" or len(results) == 1:
            return any(results)
        if behavior == "all":
            return all(results)
        return True  # several conditions and no enableBehavior (que-12 requires one)

    def _condition(self, q_item: dict[str, Any], condition: dict[str, Any], stack: _Stack) -> bool:
        question = condition.get("question")
        target = self.form.by_link.get(question) if isinstance(question, str) else None
        if target is None:
            return False
        group = self.form.common_group(q_item, target)
        focus: dict[str, Any] = self.response
        if group is not None:
            for entry_q, element in reversed(stack):
                if entry_q is group:
                    focus = element
                    break
        answers: list[tuple[str, str, Any]] = []
        _answers_to(focus, str(question), answers)
        expected = answer_value(condition, "answer")
        operator = condition.get("operator")
        if operator == "exists":
            wanted = expected[2] if expected is not None else None
            return isinstance(wanted, bool) and wanted != (not answers)
        return expected is not None and any(_compare(a, expected, str(operator)) for a in answers)


def _answers_to(focus: dict[str, Any], link: str, out: list[tuple[str, str, Any]]) -> None:
    """Every answer value to ``link`` at or below ``focus`` (items, and items in answers)."""
    for item in _list(focus.get("item")):
        if item.get("linkId") == link:
            out.extend(v for a in _list(item.get("answer")) if (v := answer_value(a)) is not None)
        _answers_to(item, link, out)
    for answer in _list(focus.get("answer")):
        _answers_to(answer, link, out)


def _order(a: Any, b: Any, type_code: str) -> int | None:
    if type_code in ("date", "dateTime"):
        return compare_datetimes(str(a), str(b))
    if type_code in ("integer", "decimal"):
        try:
            x, y = Decimal(str(a)), Decimal(str(b))
        except InvalidOperation:
            return None
        return (x > y) - (x < y)
    if type(a) is not type(b) or isinstance(a, dict | list):
        return None
    return int(a > b) - int(a < b)


def _compare(actual: tuple[str, str, Any], expected: tuple[str, str, Any], operator: str) -> bool:
    _, a_type, a = actual
    _, e_type, e = expected
    if a_type != e_type:
        return False
    if a_type == "Coding":
        if not isinstance(a, dict) or not isinstance(e, dict):
            return False
        same = a.get("system") == e.get("system") and a.get("code") == e.get("code")
        return same if operator == "=" else (not same if operator == "!=" else False)
    if a_type == "Quantity":
        a, e = (a.get("value") if isinstance(a, dict) else None), (e.get("value") if isinstance(e, dict) else None)
        a_type = "decimal"
    order = _order(a, e, a_type)
    if order is None:
        return operator == "!=" and a != e
    return {
        "=": order == 0,
        "!=": order != 0,
        ">": order > 0,
        "<": order < 0,
        ">=": order >= 0,
        "<=": order <= 0,
    }.get(operator, False)


# -- entry points ----------------------------------------------------------------------------


def check_questionnaire_response(
    response: dict[str, Any], loc: str, sink: IssueSink, services: QuestionnaireServices
) -> None:
    """Check a QuestionnaireResponse against the Questionnaire it names (when one is loaded)."""
    reference = response.get("questionnaire")
    if not isinstance(reference, str) or not reference:
        return  # the HL7 validator only hints: nothing to check against
    questionnaire: dict[str, Any] | None
    if reference.startswith("#"):
        questionnaire = next(
            (
                r
                for r in _list(response.get("contained"))
                if r.get("resourceType") == "Questionnaire" and r.get("id") == reference[1:]
            ),
            None,
        )
    else:
        questionnaire = services.find(reference)
        named = services.type_of(reference) if questionnaire is None else None
        if named is not None and named != "Questionnaire":
            # a response to a value set (or a profile) answers no questions: what was asked
            # cannot be known, in the HL7 validator's words
            sink.error(
                "invalid",
                f"{loc}.questionnaire",
                f"Canonical URL '{reference}' refers to a resource that has the wrong type. "
                f"Found {named} expecting one of [Questionnaire]",
            )
            return
    if questionnaire is None:
        text = (
            f"The questionnaire '{reference}' could not be resolved, so no validation can be performed "
            "against the base questionnaire"
        )
        severity = "information" if reference.startswith(_EXAMPLE_BASES) else "warning"
        sink.add(severity, "required", loc, text)  # type: ignore[arg-type]
        return
    _check_authored(response, questionnaire, loc, sink)
    check = _ResponseCheck(_Form(questionnaire), response, sink, services)
    check.items(_list(questionnaire.get("item")), response, loc, [(None, response)])


def _check_authored(response: dict[str, Any], questionnaire: dict[str, Any], loc: str, sink: IssueSink) -> None:
    period, authored = questionnaire.get("effectivePeriod"), response.get("authored")
    if not isinstance(period, dict) or not isinstance(authored, str):
        return
    end, start = period.get("end"), period.get("start")
    if isinstance(end, str) and (compare_datetimes(authored, end) or 0) > 0:
        sink.warning(
            "business-rule",
            f"{loc}.authored",
            f"The authored date '{authored}' is after the end of the permitted period defined in the "
            f"Questionnaire ('{end}')",
        )
    if isinstance(start, str) and (compare_datetimes(authored, start) or 0) < 0:
        sink.warning(
            "business-rule",
            f"{loc}.authored",
            f"The authored date '{authored}' is before the start of the permitted period defined in the "
            f"Questionnaire ('{start}')",
        )


def check_questionnaire(questionnaire: dict[str, Any], loc: str, sink: IssueSink) -> None:
    """The rules of a Questionnaire that no invariant states: where each enableWhen points."""
    form = _Form(questionnaire)

    def visit(items: list[dict[str, Any]], base: str) -> None:
        for i, item in enumerate(items):
            item_loc = f"{base}.item[{i}]"
            for condition in _list(item.get("enableWhen")):
                question = condition.get("question")
                if not isinstance(question, str):
                    sink.error(
                        "business-rule",
                        item_loc,
                        "Questions with an enableWhen must have a value for the question link",
                    )
                    continue
                target = form.by_link.get(question)
                if target is not None and target is not item and item in form.ancestors.get(id(target), []):
                    sink.error(
                        "business-rule",
                        item_loc,
                        "Questions with an enableWhen cannot refer to an inner question for its enableWhen condition",
                    )
                elif target is None:
                    sink.error(
                        "business-rule",
                        item_loc,
                        f"Unable to find an item with the linkId '{question}' which is referenced in the enableWhen "
                        f"for '{item.get('linkId')}'",
                    )
                elif target is item:
                    sink.error("business-rule", item_loc, "Target for this question enableWhen can't reference itself")
                elif form.order[id(target)] > form.order[id(item)]:
                    sink.warning(
                        "business-rule",
                        item_loc,
                        f"The target of this enableWhen rule ({question}) comes after the question itself",
                    )
            visit(_list(item.get("item")), item_loc)

    visit(_list(questionnaire.get("item")), loc)
