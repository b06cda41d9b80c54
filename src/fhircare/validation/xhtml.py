"""Narrative XHTML checks (txt-1, txt-2): the rules FHIR R4 sets for ``Narrative.div``."""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

XHTML_NS = "http://www.w3.org/1999/xhtml"
_NS_PREFIX = "{" + XHTML_NS + "}"
_DIV = _NS_PREFIX + "div"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

ALLOWED_ELEMENTS = frozenset(
    [
        "p",
        "br",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "a",
        "span",
        "b",
        "em",
        "i",
        "strong",
        "small",
        "big",
        "tt",
        "dfn",
        "q",
        "var",
        "abbr",
        "acronym",
        "cite",
        "blockquote",
        "hr",
        "address",
        "bdo",
        "kbd",
        "sub",
        "sup",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "pre",
        "table",
        "caption",
        "colgroup",
        "col",
        "thead",
        "tr",
        "tfoot",
        "tbody",
        "th",
        "td",
        "code",
        "samp",
        "img",
        "map",
        "area",
        "s",
        "u",
        "del",
        "ins",
    ]
)
ALLOWED_ATTRIBUTES = frozenset(
    [
        "title",
        "style",
        "class",
        "id",
        "lang",
        "dir",
        "accesskey",
        "tabindex",
        "href",
        "name",
        "src",
        "alt",
        "longdesc",
        "height",
        "width",
        "border",
        "align",
        "valign",
        "colspan",
        "rowspan",
        "span",
        "cellpadding",
        "cellspacing",
        "char",
        "charoff",
        "abbr",
        "axis",
        "headers",
        "scope",
        "summary",
        "frame",
        "rules",
        "start",
        "type",
        "value",
        "compact",
        "cite",
        "datetime",
        "shape",
        "coords",
        "nohref",
        "usemap",
        "hspace",
        "vspace",
        "ismap",
    ]
)
NO_CONTENT = "The narrative SHALL have some non-whitespace content"
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}
#: attributes of the allowed elements whose value is a URL a reader's browser would follow
URL_ATTRIBUTES = ("href", "src", "longdesc", "cite", "usemap")
#: schemes that make a link or image run or carry content instead of pointing somewhere
ACTIVE_SCHEMES = ("javascript:", "data:", "vbscript:")
_DECLARATION = re.compile(r"<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)|<\?", re.IGNORECASE)
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]")


_URL_ATTRIBUTE = re.compile(r"""\b(href|src|longdesc|cite|usemap)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def active_content(div: str) -> str | None:
    """Why ``div`` carries active content (None when it does not): a URL attribute whose
    scheme runs script or embeds content (javascript:, data:, vbscript:), entity-encoded or
    not. Reported apart from txt-1 (which the HL7 validator checks without this rule)."""
    for m in _URL_ATTRIBUTE.finditer(div):
        value = html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
        if _active_url(value):
            shown = value.strip()[:20]
            return f"Active content is not allowed in narrative: {m.group(1)} uses {shown!r}"
    return None


def _active_url(value: str) -> bool:
    """Does a URL use a scheme that runs or embeds content (whitespace and control characters,
    which browsers skip, and case do not hide it)?"""
    return _IGNORED_IN_SCHEME.sub("", value).lower().startswith(ACTIVE_SCHEMES)


@functools.lru_cache(maxsize=4096)
def check_narrative_div(div: str) -> str | None:
    """None when ``div`` is acceptable narrative; otherwise why not.

    The answer depends on the text alone, so it is remembered: txt-1 and txt-2 ask it of
    the same string one after the other, and a bundle stream repeats the narrative of the
    resources every bundle shares (the trust, its teams and staff).
    """
    return _check(div)


def _check(div: str) -> str | None:
    # FHIR narrative is XHTML without declarations: no DOCTYPE (and so no entity
    # definitions) and no processing instructions (<?xml-stylesheet?> would pull content in)
    declared = _DECLARATION.search(div)
    if declared is not None:
        return f"The narrative must not contain a declaration or processing instruction ('{declared.group(0)}')"
    if "&" in div:
        for m in _ENTITY.finditer(div):
            if m.group(1) not in _XML_ENTITIES:
                return (
                    f"The narrative uses the entity '&{m.group(1)};', which FHIR's XHTML does not define"
                    " (only &lt; &gt; &amp; &quot; &apos; and numeric references such as &#160;)"
                )
    # ElementTree's C parser builds the tree faster than expat calls back into Python
    try:
        root = ET.fromstring(div)
    except ET.ParseError as exc:
        return f"The narrative is not well-formed XHTML: {exc}"
    if root.tag != _DIV:
        return "The narrative must be a div element in the XHTML namespace"
    has_content = False
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or not tag.startswith(_NS_PREFIX):
            return f"Illegal element name in the XHTML ('{tag}')"
        local = tag[len(_NS_PREFIX) :]
        if local not in ALLOWED_ELEMENTS:
            return f"Illegal element name in the XHTML ('{local}')"
        if el.attrib:
            for attr in el.attrib:
                if attr != _XML_LANG and (attr[0] == "{" or attr not in ALLOWED_ATTRIBUTES):
                    return f"Illegal attribute name in the XHTML ('{attr}' on '{local}')"
        if not has_content and (
            (el.text and not el.text.isspace())
            or (el is not root and el.tail and not el.tail.isspace())
            or local == "img"
        ):
            has_content = True
    if not has_content:
        return NO_CONTENT
    return None


# -- links into the resource ('#fragment') ----------------------------------------------


def may_link_inside(div: str) -> bool:
    """Might the narrative hold a '#fragment' link or image? (an attribute value starting
    with '#': a quote then '#'; two substring scans, where a pattern over the whole
    narrative cost tens of microseconds per resource)"""
    return '"#' in div or "'#" in div


_ANCHOR_ATTRIBUTE = re.compile(r"\b(?:id|name)\s*=")


#: narratives longer than this are parsed each time rather than kept as cache keys
_CACHED_DIV_LIMIT = 64 * 1024


def fragment_links(div: str) -> tuple[tuple[str, str, str, str], ...]:
    """The links and images of a narrative that point inside the resource (``#id``):
    (``a`` or ``img``, the fragment, where it sits as the HL7 validator writes it, the
    link's text). Empty for a narrative with none, or one that is not well-formed (an
    error of its own)."""
    if not may_link_inside(div):
        return ()
    return _fragment_links(div) if len(div) <= _CACHED_DIV_LIMIT else _fragment_links.__wrapped__(div)


@functools.lru_cache(maxsize=256)
def _fragment_links(div: str) -> tuple[tuple[str, str, str, str], ...]:
    try:
        root = ET.fromstring(div)
    except ET.ParseError:
        return ()
    found: list[tuple[str, str, str, str]] = []

    def visit(el: ET.Element, xpath: str) -> None:
        local = el.tag[len(_NS_PREFIX) :] if isinstance(el.tag, str) and el.tag.startswith(_NS_PREFIX) else ""
        href = el.get("href") if local == "a" else None
        if href is not None and href.startswith("#") and href != "#":
            text = " ".join("".join(el.itertext()).split())
            found.append(("a", href[1:], xpath, text))
        src = el.get("src") if local == "img" else None
        if src is not None and src.startswith("#"):
            found.append(("img", src[1:], "img", ""))
        for child in el:
            name = child.tag[len(_NS_PREFIX) :] if isinstance(child.tag, str) else ""
            visit(child, f"{xpath}/{name}")

    visit(root, "div")
    return tuple(found)


def _narrative_anchors(div: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``id`` attributes of a narrative, and the ``name`` of its ``a`` elements."""
    if not _ANCHOR_ATTRIBUTE.search(div):
        return (), ()
    return _anchors_in(div) if len(div) <= _CACHED_DIV_LIMIT else _anchors_in.__wrapped__(div)


@functools.lru_cache(maxsize=256)
def _anchors_in(div: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        root = ET.fromstring(div)
    except ET.ParseError:
        return (), ()
    ids = tuple(el.get("id", "") for el in root.iter() if el.get("id") is not None)
    names = tuple(el.get("name", "") for el in root.iter(_NS_PREFIX + "a") if el.get("name") is not None)
    return ids, names


@dataclass(slots=True)
class Anchors:
    """What a ``#fragment`` can point at in a resource (or a Bundle): the ``id`` of any of
    its elements, and the ids and ``a`` names of its narratives, counted."""

    ids: Counter[str]
    names: Counter[str]

    @classmethod
    def of(cls, resource: Any) -> Anchors:
        anchors = cls(Counter(), Counter())
        stack = [resource]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                for key, item in value.items():
                    if key == "id" and isinstance(item, str):
                        anchors.ids[item] += 1
                    elif key == "div" and isinstance(item, str):
                        ids, names = _narrative_anchors(item)
                        anchors.ids.update(ids)
                        anchors.names.update(names)
                    elif isinstance(item, dict | list):
                        stack.append(item)
            elif isinstance(value, list):
                stack.extend(value)
        return anchors

    def count(self, fragment: str, *, names: bool = True) -> int:
        return self.ids[fragment] + (self.names[fragment] if names else 0)


def unresolved_links(
    div: str, path: str, here: Callable[[], Anchors], in_bundle: Callable[[], Anchors | None]
) -> list[str]:
    """Why each ``#fragment`` link or image of the narrative points at nothing, as the HL7
    validator says it. A link may point anywhere in the resource (``here``), or, found
    nowhere there, anywhere in the Bundle it sits in; an image only inside the resource.
    The anchors are asked for only when the narrative has such a link."""
    links = fragment_links(div)
    if not links:
        return []
    anchors = here()
    problems = []
    for kind, fragment, xpath, text in links:
        if kind == "img":
            if anchors.count(fragment, names=False) == 0:
                problems.append(f"Image source '#{fragment}' at '{path}/img' does not resolve")
            continue
        if anchors.count(fragment) == 0:
            bundle = in_bundle()
            if bundle is None or bundle.count(fragment) == 0:
                problems.append(f"Hyperlink '#{fragment}' at '{xpath}' for '{text}' does not resolve")
    return problems
