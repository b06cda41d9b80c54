"""The narrative reader (xhtml.read_narrative): one parse answers every check of a div."""

from __future__ import annotations

import tracemalloc
import xml.etree.ElementTree as ET
from typing import Any
from xml.parsers import expat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhircare.validation import Validator, xhtml
from fhircare.validation.xhtml import NO_CONTENT, read_narrative

NS = 'xmlns="http://www.w3.org/1999/xhtml"'


def div(body: str, attributes: str = "") -> str:
    return f"<div {NS}{attributes}>{body}</div>"


def test_a_plain_narrative_is_acceptable_with_nothing_to_follow() -> None:
    facts = read_narrative(div("<p>Agreed with Jamie on 14 March 2025 – next review in September.</p>"))
    assert (facts.problem, facts.active, facts.links, facts.ids, facts.names) == (None, None, (), (), ())


@pytest.mark.parametrize(
    ("body", "wanted"),
    [
        ("<p>&#160;</p>", NO_CONTENT),  # a no-break space is whitespace, as the tree reads it
        ("<p> </p>", NO_CONTENT),
        ('<img src="x.png" alt=""/>', None),  # an image is content
        ("<script>x</script>", "Illegal element name in the XHTML ('script')"),
        ('<p onclick="x()">Hi</p>', "Illegal attribute name in the XHTML ('onclick' on 'p')"),
        ('<p><b>Hi</b><blink>x</blink><p foo="1">y</p></p>', "Illegal element name in the XHTML ('blink')"),
        ('<p foo="1">Hi</p><blink>x</blink>', "Illegal attribute name in the XHTML ('foo' on 'p')"),
        ("A&nbsp;B", "The narrative uses the entity '&nbsp;'"),
    ],
)
def test_the_first_problem_in_document_order_is_the_one_given(body: str, wanted: str | None) -> None:
    problem = read_narrative(div(body)).problem
    assert problem == wanted if wanted is None or wanted == NO_CONTENT else (problem or "").startswith(wanted)


@pytest.mark.parametrize(
    "body",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a HREF="javascript:alert(1)">x</a>',  # any case a browser accepts
        '<a xmlns:l="http://www.w3.org/1999/xlink" l:href="javascript:alert(1)">x</a>',
        '<img src="&#106;avascript:alert(1)" alt="x"/>',  # entity-encoded
        '<img src=" data:image/png;base64,AAAA" alt="x"/>',
    ],
)
def test_active_content_in_any_url_attribute_is_found(body: str) -> None:
    assert (read_narrative(div(body)).active or "").startswith("Active content is not allowed in narrative")


def test_active_content_is_found_in_a_narrative_that_cannot_be_parsed() -> None:
    # a browser still renders a broken narrative: the text itself is searched
    facts = read_narrative(div('<p><a href="javascript:alert(1)">x</p>'))
    assert facts.problem is not None and "not well-formed" in facts.problem
    assert facts.active is not None


def test_text_that_merely_mentions_a_script_url_is_not_active_content() -> None:
    # shown as text, never followed (the old pattern over the whole text flagged it)
    assert read_narrative(div("<p>Do not click href=&quot;javascript:x()&quot; links.</p>")).active is None


def test_links_and_anchors_are_read_from_the_same_parse() -> None:
    facts = read_narrative(
        div('<p id="p1"><a name="top">Top</a> see <a href="#goal-1">the first goal</a></p><img src="#pic" alt=""/>')
    )
    assert facts.ids == ("p1",)
    assert facts.names == ("top",)
    assert facts.links == (("a", "goal-1", "div/p/a", "the first goal"), ("img", "pic", "img", ""))


def test_each_narrative_is_parsed_once_for_all_its_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    # txt-1, txt-2, active content, '#' links: every check asks the same one reading
    parses: list[str] = []
    real_expat, real_tree = expat.ParserCreate, ET.fromstring

    def counting_expat(*args: Any, **kwargs: Any) -> Any:
        parses.append("expat")
        return real_expat(*args, **kwargs)

    def counting_tree(text: str, *args: Any, **kwargs: Any) -> ET.Element:
        parses.append("tree")
        return real_tree(text, *args, **kwargs)

    monkeypatch.setattr(expat, "ParserCreate", counting_expat)
    monkeypatch.setattr(ET, "fromstring", counting_tree)
    validator = Validator.create()
    for n in range(3):
        narrative = div(f"<p>Care plan {n} for a person nobody else shares</p>")
        resource = {"resourceType": "Basic", "id": f"b{n}", "text": {"status": "generated", "div": narrative}}
        resource["code"] = {"text": "plan"}
        assert not validator.validate(resource).issues
    assert parses == ["expat"] * 3
    # a '#' link is placed (its path and text) from the tree: built for such narratives only
    parses.clear()
    linked = div('<p id="g">Goal</p><p><a href="#g">the goal</a></p>')
    validator.validate({"resourceType": "Basic", "text": {"status": "generated", "div": linked}, "code": {"text": "x"}})
    assert parses == ["expat", "tree"]


def test_distinct_narratives_read_one_after_another_are_not_kept() -> None:
    # a stream of large distinct narratives must not pile up in memory (each is 200 KB)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(50):
            assert read_narrative(div(f"<p>{n} " + "x" * 100_000 + "</p>")).problem is None
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000  # the last one, not fifty


# --- the reading agrees with the tree, element by element -------------------------------

element_names = st.sampled_from(["p", "b", "span", "a", "img", "table", "tr", "td", "blink", "script"])
attribute_names = st.sampled_from(["id", "class", "href", "src", "name", "onclick", "style"])
attribute_values = st.sampled_from(["x", "#x", "javascript:x", "#", "data:,", "a b"])
texts = st.sampled_from(
    ["", " ", "Hi", "&#160;", "a &amp; b", "\n", "<!-- x -->", "<![CDATA[ ]]>", "<![CDATA[y]]>", "1 = never"]
)


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(element_names)
    attrs = "".join(
        f' {k}="{v}"' for k, v in draw(st.dictionaries(attribute_names, attribute_values, max_size=2)).items()
    )
    inner = "" if depth >= 2 else "".join(draw(st.lists(fragments(depth + 1), max_size=2)))
    return f"<{name}{attrs}>{draw(texts)}{inner}</{name}>{draw(texts)}"


def reference_reading(text: str) -> tuple[str | None, tuple[str, ...], tuple[str, ...], bool]:
    """What each element of the tree says, read one at a time (the obvious way)."""
    root = ET.fromstring(text)
    problem = None
    ids, names, active = [], [], False
    content = False
    for el in root.iter():
        local = el.tag.split("}")[-1]
        if problem is None and local not in xhtml.ALLOWED_ELEMENTS:
            problem = f"Illegal element name in the XHTML ('{local}')"
        for k, v in el.attrib.items():
            if problem is None and k not in xhtml.ALLOWED_ATTRIBUTES:
                problem = f"Illegal attribute name in the XHTML ('{k}' on '{local}')"
            ids += [v] if k == "id" else []
            names += [v] if k == "name" and local == "a" else []
            active = active or (k in xhtml.URL_ATTRIBUTES and v.lower().startswith(xhtml.ACTIVE_SCHEMES))
        content = (
            content
            or local == "img"
            or any(t and not t.isspace() for t in (el.text, el.tail if el is not root else None))
        )
    return problem or (None if content else NO_CONTENT), tuple(ids), tuple(names), active


@settings(max_examples=300, deadline=None)
@given(st.lists(fragments(), max_size=3), texts)
def test_the_reading_agrees_with_the_tree_read_element_by_element(parts: list[str], lead: str) -> None:
    text = div(lead + "".join(parts))
    facts = xhtml._read(text)
    problem, ids, names, active = reference_reading(text)
    assert (facts.problem, facts.ids, facts.names, facts.active is not None) == (problem, ids, names, active)
