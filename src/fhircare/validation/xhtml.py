"""Narrative XHTML checks (txt-1, txt-2): the rules FHIR R4 sets for ``Narrative.div``."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple
from xml.parsers import expat

XHTML_NS = "http://www.w3.org/1999/xhtml"
_NS_PREFIX = "{" + XHTML_NS + "}"  # ElementTree's names: '{namespace}local'
_NS_LENGTH = len(_NS_PREFIX)
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

#: one link or image pointing inside the resource: (``a`` or ``img``, the fragment, where it
#: sits as the HL7 validator writes it, the link's text)
FragmentLink = tuple[str, str, str, str]


class NarrativeFacts(NamedTuple):
    """What the checks of a narrative need to know of its ``div``, read in one parse: txt-1
    and txt-2, active content, ``#fragment`` links and what such links can point at."""

    problem: str | None  #: why the div is not acceptable narrative (None: it is)
    active: str | None  #: why it carries active content (None: it does not)
    links: tuple[FragmentLink, ...]
    ids: tuple[str, ...]  #: the ``id`` of each of its elements
    names: tuple[str, ...]  #: the ``name`` of each of its ``a`` elements


_last_read: tuple[str, NarrativeFacts] | None = None


def read_narrative(div: str) -> NarrativeFacts:
    """The facts of ``div``, from one parse shared by the checks that ask of the same string
    one after the other (the last narrative read is kept, by identity). Nothing is kept by
    content: in real data every narrative differs (it names the person), and a Bundle's
    repeated entries are remembered whole (entry_memo)."""
    global _last_read
    last = _last_read
    if last is not None and last[0] is div:
        return last[1]
    facts = _read(div)
    _last_read = (div, facts)
    return facts


def active_content(div: str) -> str | None:
    """Why ``div`` carries active content (None when it does not): a URL attribute whose
    scheme runs script or embeds content (javascript:, data:, vbscript:), entity-encoded or
    not. Reported apart from txt-1 (which the HL7 validator checks without this rule)."""
    return read_narrative(div).active


def check_narrative_div(div: str) -> str | None:
    """None when ``div`` is acceptable narrative; otherwise why not."""
    return read_narrative(div).problem


def fragment_links(div: str) -> tuple[FragmentLink, ...]:
    """The links and images of a narrative that point inside the resource (``#id``). Empty
    for a narrative with none, or one that is not well-formed (an error of its own)."""
    return read_narrative(div).links


def _active_by_pattern(div: str) -> str | None:
    """Active content found in the text itself, for a narrative that cannot be parsed (a
    browser would still try to render it)."""
    for m in _URL_ATTRIBUTE.finditer(div):
        value = html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
        if _active_url(value):
            return _active_message(m.group(1), value)
    return None


def _active_message(attribute: str, value: str) -> str:
    return f"Active content is not allowed in narrative: {attribute} uses {value.strip()[:20]!r}"


def _active_url(value: str) -> bool:
    """Does a URL use a scheme that runs or embeds content (whitespace and control characters,
    which browsers skip, and case do not hide it)?"""
    return _IGNORED_IN_SCHEME.sub("", value).lower().startswith(ACTIVE_SCHEMES)


def _read(div: str) -> NarrativeFacts:
    """The facts of ``div``, from one parse."""
    problem: str | None = None
    # FHIR narrative is XHTML without declarations: no DOCTYPE (and so no entity
    # definitions) and no processing instructions (<?xml-stylesheet?> would pull content in)
    # (a substring search costs a thirtieth of a pattern's; most narratives end here, and
    # those with a question or an exclamation in their text too)
    if "<!" in div or "<?" in div:
        declared = _DECLARATION.search(div)
        if declared is not None:
            problem = f"The narrative must not contain a declaration or processing instruction ('{declared.group(0)}')"
    if problem is None and "&" in div:
        for m in _ENTITY.finditer(div):
            if m.group(1) not in _XML_ENTITIES:
                problem = (
                    f"The narrative uses the entity '&{m.group(1)};', which FHIR's XHTML does not define"
                    " (only &lt; &gt; &amp; &quot; &apos; and numeric references such as &#160;)"
                )
                break
    bare = _read_bare(div, problem)
    if bare is not None:
        return bare
    # expat calling back once per element (and until the first text) costs less than
    # ElementTree building the whole tree; the tree is built only to place '#' links
    starts: list[str] = []  # element names in document order ('namespace}local')
    attributed: list[tuple[int, dict[str, str]]] = []  # (index in starts, its attributes)
    content = False
    parser = expat.ParserCreate(namespace_separator="}")

    def start(name: str, attributes: dict[str, str]) -> None:
        if attributes:
            attributed.append((len(starts), attributes))
        starts.append(name)

    def text(data: str) -> None:
        nonlocal content
        if not data.isspace():
            content = True
            parser.CharacterDataHandler = None  # one is enough

    # no '=' after the root's start tag: no element below the root has an attribute (most
    # narratives), and the element names, each with its first attributes, are all that is
    # needed: a dict records them with no Python called back per element
    first_seen: dict[str, dict[str, str]] | None = None
    if div.find("=", div.find(">") + 1) < 0:
        first_seen = {}
        parser.StartElementHandler = first_seen.setdefault
    else:
        parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    try:
        parser.Parse(div, True)
    except expat.ExpatError as exc:
        return NarrativeFacts(
            problem or f"The narrative is not well-formed XHTML: {_parse_error(div, exc)}",
            _active_by_pattern(div),
            (),
            (),
            (),
        )
    if first_seen is not None:
        # each name where it first stands, in document order (the first problem is there);
        # the root is the first, and the only one with attributes
        starts.extend(first_seen)
        if starts and first_seen[starts[0]]:
            attributed.append((0, first_seen[starts[0]]))
    if problem is None and starts[0] != _XHTML_DIV:
        problem = "The narrative must be a div element in the XHTML namespace"
    reading = _Reading(problem)
    elements = set(starts)
    if elements <= _XHTML_ELEMENTS:
        for index, attributes in attributed:
            reading.attributes(starts[index][_XHTML_PREFIX_LENGTH:], attributes)
    else:
        attributes_of = dict(attributed)
        for index, name in enumerate(starts):  # the first problem, in document order
            reading.attributes(reading.element(name), attributes_of.get(index, {}))
    if reading.problem is None and not content and _XHTML_IMG not in elements:
        reading.problem = NO_CONTENT
    links = _fragment_links(ET.fromstring(div)) if reading.has_links else ()
    return NarrativeFacts(reading.problem, reading.active, links, tuple(reading.ids), tuple(reading.names))


_XHTML_PREFIX = XHTML_NS + "}"  # expat's names: 'namespace}local'
_XHTML_PREFIX_LENGTH = len(_XHTML_PREFIX)
_XHTML_DIV = _XHTML_PREFIX + "div"
_XHTML_IMG = _XHTML_PREFIX + "img"
_XHTML_ELEMENTS = frozenset(_XHTML_PREFIX + name for name in ALLOWED_ELEMENTS)


def _read_bare(div: str, problem: str | None) -> NarrativeFacts | None:
    """The facts of the commonest narrative, from a parse with no Python called back per
    element; None when ``div`` is not of that form (``_read`` then reads it in full).

    That form: a root ``<div`` whose start tag may carry attributes, and below it only bare
    tags of allowed elements (``<p>``, ``<br/>``, ``</p>``: no attribute, no prefix, no
    comment, CDATA or processing instruction). Then every element is an allowed element in
    the root's default namespace, and only the root has attributes, so the root's name and
    attributes, read by a handler that runs once, say all that ``_read`` would find of the
    elements. Having expat report every element to Python (even to a dict's setdefault)
    costs as much again as the parse itself: on a care plan's narrative, a seventh of the
    whole validation."""
    if _PLAIN_ROOT.match(div) is None or _NOT_A_BARE_ALLOWED_TAG.search(div, div.find(">") + 1) is not None:
        return None
    # (a '<' cannot stand in the root's attribute values, nor in text: every element below
    # the root starts after the first '>', and the search above saw each one)
    root: list[tuple[str, dict[str, str]]] = []
    content = False
    if div.startswith(_XHTML_ROOT_TAG):
        # the root of nearly every narrative: XHTML's div, with no attribute (a namespace
        # declaration is none). With no prefix anywhere, namespace processing can find no
        # fault the plain parse does not, and the root needs no handler to be known
        parser = expat.ParserCreate()
        if "&" not in div:
            # every character between a '>' and the next '<' is text, as expat reports it
            # (no reference to decode, no markup but bare tags): is any of it not whitespace?
            # (re's \s is str.isspace, which the handler below asks)
            content = _TEXT.search(div, len(_XHTML_ROOT_TAG) - 1) is not None
            try:
                parser.Parse(div, True)
            except expat.ExpatError:
                return None  # said in _read's words
            # only the root has attributes, and it has none: nothing for _Reading to find
            if problem is None and not content and "<img" not in div:
                problem = NO_CONTENT
            return _BARE if problem is None else NarrativeFacts(problem, None, (), (), ())
        root.append((_XHTML_DIV, {}))
    else:
        parser = expat.ParserCreate(namespace_separator="}")

        def start(name: str, attributes: dict[str, str]) -> None:
            root.append((name, attributes))
            parser.StartElementHandler = None  # the root is the only element with more to say

        parser.StartElementHandler = start

    def text(data: str) -> None:
        nonlocal content
        if not data.isspace():
            content = True
            parser.CharacterDataHandler = None  # one is enough

    parser.CharacterDataHandler = text
    try:
        parser.Parse(div, True)
    except expat.ExpatError:
        return None  # said in _read's words
    if root[0][0] != _XHTML_DIV:
        return None  # the root's default namespace is not XHTML's: every element is wrong
    reading = _Reading(problem)
    reading.attributes("div", root[0][1])
    if reading.problem is None and not content and "<img" not in div:
        reading.problem = NO_CONTENT
    links = _fragment_links(ET.fromstring(div)) if reading.has_links else ()
    return NarrativeFacts(reading.problem, reading.active, links, tuple(reading.ids), tuple(reading.names))


def _alternation(words: frozenset[str]) -> str:
    """A regular expression matching exactly ``words``, as a tree of their common prefixes
    ('b(?:do|ig|lockquote|r)?'): at each '<' of a narrative the engine then follows one
    branch, instead of trying each of the sixty names in turn (half the cost)."""
    tails: dict[str, set[str]] = {}
    for word in words:
        if word:
            tails.setdefault(word[0], set()).add(word[1:])
    branches = [re.escape(first) + _alternation(frozenset(rest)) for first, rest in sorted(tails.items())]
    if not branches:
        return ""
    if len(branches) == 1 and "" not in words:
        return branches[0]  # one way on: no group
    group = "(?:" + "|".join(branches) + ")"
    return group + "?" if "" in words else group


#: the root of the commonest narrative: an unprefixed div (XML's whitespace or '>' after it)
_PLAIN_ROOT = re.compile(r"<div[ \t\r\n>]")
#: ... and its commonest start tag of all: the XHTML namespace declared, nothing else
_XHTML_ROOT_TAG = f'<div xmlns="{XHTML_NS}">'
#: text that is not all whitespace, in a narrative of bare tags (see _read_bare)
_TEXT = re.compile(r">\s*[^\s<]")
#: what _read_bare finds of a bare narrative with text and nothing wrong
_BARE = NarrativeFacts(None, None, (), (), ())
#: anything below the root but an end tag or a bare start tag of an allowed element
_NOT_A_BARE_ALLOWED_TAG = re.compile(rf"<(?!/|{_alternation(ALLOWED_ELEMENTS)}/?>)")


def _tree_name(name: str) -> str:
    """An expat name as ElementTree writes it ('{namespace}local'), as messages give it."""
    return "{" + name if "}" in name else name


def _parse_error(div: str, error: expat.ExpatError) -> str:
    """Why the narrative is not well formed, in ElementTree's words (the messages say it so)."""
    try:
        ET.fromstring(div)
    except ET.ParseError as exc:
        return str(exc)
    return str(error)


class _Reading:
    """What the elements and attributes of a narrative say, read in document order: the
    first problem, the first active content, anchors, and whether any link points inside."""

    __slots__ = ("active", "has_links", "ids", "names", "problem")

    def __init__(self, problem: str | None) -> None:
        self.problem = problem
        self.active: str | None = None
        self.has_links = False
        self.ids: list[str] = []
        self.names: list[str] = []

    def element(self, name: str) -> str:
        """Check an element's (expat) name; its local name in XHTML ('' outside it)."""
        local = name[_XHTML_PREFIX_LENGTH:] if name.startswith(_XHTML_PREFIX) else ""
        if self.problem is None and local not in ALLOWED_ELEMENTS:
            self.problem = f"Illegal element name in the XHTML ('{local or _tree_name(name)}')"
        return local

    def attributes(self, local: str, attributes: dict[str, str]) -> None:
        for name, value in attributes.items():
            attr = _tree_name(name)
            if self.problem is None and attr != _XML_LANG and (attr[0] == "{" or attr not in ALLOWED_ATTRIBUTES):
                self.problem = f"Illegal attribute name in the XHTML ('{attr}' on '{local}')"
            if attr == "id":
                self.ids.append(value)
            elif attr == "name" and local == "a":
                self.names.append(value)
            # any spelling a browser would follow: HREF, xlink:href
            plain = attr if attr in URL_ATTRIBUTES else attr.rpartition("}")[2].lower()
            if plain in URL_ATTRIBUTES:
                if self.active is None and _active_url(value):
                    self.active = _active_message(plain, value)
                if value[:1] == "#" and (
                    (local == "a" and plain == "href" and value != "#") or (local == "img" and plain == "src")
                ):
                    self.has_links = True


def _fragment_links(root: ET.Element) -> tuple[FragmentLink, ...]:
    found: list[FragmentLink] = []

    def visit(el: ET.Element, xpath: str) -> None:
        local = el.tag[_NS_LENGTH:] if isinstance(el.tag, str) and el.tag.startswith(_NS_PREFIX) else ""
        href = el.get("href") if local == "a" else None
        if href is not None and href.startswith("#") and href != "#":
            text = " ".join("".join(el.itertext()).split())
            found.append(("a", href[1:], xpath, text))
        src = el.get("src") if local == "img" else None
        if src is not None and src.startswith("#"):
            found.append(("img", src[1:], "img", ""))
        for child in el:
            name = child.tag[_NS_LENGTH:] if isinstance(child.tag, str) else ""
            visit(child, f"{xpath}/{name}")

    visit(root, "div")
    return tuple(found)


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
                        facts = read_narrative(item)
                        anchors.ids.update(facts.ids)
                        anchors.names.update(facts.names)
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
