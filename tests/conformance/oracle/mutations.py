"""A seeded generator of invalid (and sometimes still valid) resources from a valid corpus.

Each mutation changes one thing the way a faulty system or a careless hand would: drop an
element, give a value the wrong JSON type, a code nobody defines, a malformed or
wrong-typed reference, an element no definition has, a broken slice discriminator, a
broken invariant, a malformed primitive, an array where an object belongs (or the
reverse), a QuestionnaireResponse answer of the wrong type or outside the options. Whether
the result is still valid is not decided here: the HL7 validator decides, and fhircare
must agree with it.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Resource = dict[str, Any]
#: a place in a resource: the container and the key (or index) of a value in it
Slot = tuple[Any, Any]


@dataclass(frozen=True)
class Mutant:
    name: str
    kind: str
    base: str
    resource: Resource


def _slots(value: Any, out: list[tuple[Slot, str]], path: str = "") -> None:
    """Every (container, key) below ``value`` with the key's name, depth first."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "resourceType":
                continue
            out.append(((value, key), key))
            _slots(child, out, f"{path}.{key}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.append(((value, i), path.rsplit(".", 1)[-1]))
            _slots(child, out, path)


def _pick(rng: random.Random, resource: Resource, test: Callable[[Any, Any, str], bool]) -> Slot | None:
    slots: list[tuple[Slot, str]] = []
    _slots(resource, slots)
    chosen = [slot for slot, name in slots if test(slot[0], slot[1], name)]
    return rng.choice(chosen) if chosen else None


def drop_element(rng: random.Random, r: Resource) -> bool:
    slot = _pick(rng, r, lambda c, k, n: isinstance(c, dict) and k != "url")
    if slot is None:
        return False
    del slot[0][slot[1]]
    return True


def wrong_json_type(rng: random.Random, r: Resource) -> bool:
    slot = _pick(rng, r, lambda c, k, n: isinstance(c[k], str | bool | int | float) and k != "url")
    if slot is None:
        return False
    c, k = slot
    value = c[k]
    c[k] = 42 if isinstance(value, str) else ("true" if isinstance(value, bool) else str(value))
    return True


def unknown_code(rng: random.Random, r: Resource) -> bool:
    slot = _pick(rng, r, lambda c, k, n: k in ("code", "status") and isinstance(c[k], str))
    if slot is None:
        return False
    slot[0][slot[1]] = rng.choice(["zz-unknown", "ACTIVE", "draft-ish"])
    return True


def bad_reference(rng: random.Random, r: Resource) -> bool:
    slot = _pick(rng, r, lambda c, k, n: k == "reference" and isinstance(c[k], str) and not c[k].startswith("#"))
    if slot is None:
        return False
    slot[0][slot[1]] = rng.choice(
        ["Chicken/1", "ht sdtps://example.com/x", "Patient/", "Organization/has space", "#missing", "Observation/1"]
    )
    return True


def extra_element(rng: random.Random, r: Resource) -> bool:
    slot = _pick(rng, r, lambda c, k, n: isinstance(c[k], dict))
    target = slot[0][slot[1]] if slot is not None else r
    target[rng.choice(["colour", "note2", "_unknown", "valueChicken"])] = rng.choice(["x", 1, {"a": "b"}])
    return True


def broken_slice(rng: random.Random, r: Resource) -> bool:
    slot = _pick(rng, r, lambda c, k, n: k == "system" and isinstance(c[k], str))
    if slot is None:
        return False
    slot[0][slot[1]] = rng.choice(["https://fhir.nhs.uk/Id/nhs-number-x", "urn:oid:1.2.3", "http://loinc.org"])
    return True


def broken_invariant(rng: random.Random, r: Resource) -> bool:
    choices: list[Callable[[], bool]] = []
    period = _pick(rng, r, lambda c, k, n: isinstance(c[k], dict) and "start" in c[k] and "end" in c[k])
    if period is not None:

        def swap() -> bool:
            p = period[0][period[1]]
            p["start"], p["end"] = p["end"], p["start"]
            if p["start"] == p["end"]:
                p["start"] = "2099-01-01"
            return True

        choices.append(swap)
    ext = _pick(rng, r, lambda c, k, n: n == "extension" and isinstance(c[k], dict) and "url" in c[k])
    if ext is not None:

        def both() -> bool:
            e = ext[0][ext[1]]
            if "extension" in e:
                e["valueString"] = "also a value"
            else:
                e["extension"] = [{"url": "part", "valueString": "x"}]
            return True

        choices.append(both)
    empty = _pick(rng, r, lambda c, k, n: isinstance(c[k], dict) and k != "text")
    if empty is not None:

        def emptied() -> bool:
            empty[0][empty[1]] = {}
            return True

        choices.append(emptied)
    return rng.choice(choices)() if choices else False


def bad_primitive(rng: random.Random, r: Resource) -> bool:
    dated = _pick(rng, r, lambda c, k, n: isinstance(c[k], str) and len(c[k]) >= 4 and c[k][:4].isdigit())
    if dated is not None and rng.random() < 0.6:
        dated[0][dated[1]] = rng.choice(["2021-02-30", "2020-13-01", "2020-01-01T10:00", "20-01-2020", "2020-1-1"])
        return True
    slot = _pick(rng, r, lambda c, k, n: k in ("id", "url", "system", "code", "value") and isinstance(c[k], str))
    if slot is None:
        return False
    slot[0][slot[1]] = rng.choice(["has space", " leading", "", "a\tb", "x" * 70])
    return True


def array_shape(rng: random.Random, r: Resource) -> bool:
    slot = _pick(rng, r, lambda c, k, n: isinstance(c, dict) and isinstance(c[k], dict | list))
    if slot is None:
        return False
    c, k = slot
    value = c[k]
    if isinstance(value, list):
        c[k] = value[0] if value else {}
    else:
        c[k] = [value]
    return True


def answer_mischief(rng: random.Random, r: Resource) -> bool:
    """A QuestionnaireResponse answered wrongly: type, option, linkId, status."""
    if r.get("resourceType") != "QuestionnaireResponse":
        return False
    answers = _pick(rng, r, lambda c, k, n: k == "answer" and isinstance(c[k], list) and c[k])
    items = _pick(rng, r, lambda c, k, n: n == "item" and isinstance(c[k], dict))
    options: list[Callable[[], bool]] = []
    if answers is not None:
        answer = answers[0][answers[1]][0]

        def retype() -> bool:
            for key in [k for k in answer if k.startswith("value")]:
                del answer[key]
            answer[rng.choice(["valueString", "valueInteger", "valueBoolean"])] = rng.choice(["7", 7, True])
            return True

        def off_list() -> bool:
            coding = answer.get("valueCoding")
            if not isinstance(coding, dict):
                return False
            coding["code"] = "not-an-option"
            return True

        def two() -> bool:
            answers[0][answers[1]].append(copy.deepcopy(answer))
            return True

        options += [retype, off_list, two]
    if items is not None:
        item = items[0][items[1]]

        def relink() -> bool:
            item["linkId"] = "no-such-question"
            return True

        def unanswer() -> bool:
            item.pop("answer", None)
            r["status"] = "completed"
            return True

        def retext() -> bool:
            item["text"] = "A question nobody asked"
            return True

        options += [relink, unanswer, retext]
    rng.shuffle(options)
    return any(option() for option in options)


def narrative(rng: random.Random, r: Resource) -> bool:
    text = r.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("div"), str):
        return False
    text["div"] = rng.choice(
        [
            '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>',
            '<div xmlns="http://www.w3.org/1999/xhtml"><p>unclosed</div>',
            '<div xmlns="http://www.w3.org/1999/xhtml"><img src="javascript:alert(1)"/></div>',
            '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">Hi</p></div>',
            "<p>not a div</p>",
            '<div xmlns="http://www.w3.org/1999/xhtml">  </div>',
        ]
    )
    return True


MUTATIONS: dict[str, Callable[[random.Random, Resource], bool]] = {
    "drop-element": drop_element,
    "wrong-json-type": wrong_json_type,
    "unknown-code": unknown_code,
    "bad-reference": bad_reference,
    "extra-element": extra_element,
    "broken-slice": broken_slice,
    "broken-invariant": broken_invariant,
    "bad-primitive": bad_primitive,
    "array-shape": array_shape,
    "answer": answer_mischief,
    "narrative": narrative,
}


def mutants(corpus: list[tuple[str, Resource]], count: int, seed: int) -> Iterator[Mutant]:
    """``count`` mutants of the corpus (name, resource), the same for the same seed."""
    rng = random.Random(seed)
    kinds = sorted(MUTATIONS)
    made = 0
    attempts = 0
    while made < count and attempts < count * 20:
        attempts += 1
        base_name, base = corpus[rng.randrange(len(corpus))]
        kind = kinds[rng.randrange(len(kinds))]
        resource = copy.deepcopy(base)
        if not MUTATIONS[kind](rng, resource):
            continue
        made += 1
        yield Mutant(f"{made:04d}-{kind}-{base_name}", kind, base_name, resource)
