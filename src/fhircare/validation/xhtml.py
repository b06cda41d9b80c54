"""Narrative XHTML checks (txt-1, txt-2): the rules FHIR R4 sets for ``Narrative.div``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.entities import name2codepoint

XHTML_NS = "http://www.w3.org/1999/xhtml"

ALLOWED_ELEMENTS = frozenset(
    ["p", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "a", "span", "b", "em", "i", "strong", "small", "big", "tt", "dfn", "q", "var", "abbr", "acronym", "cite", "blockquote", "hr", "address", "bdo", "kbd", "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd", "pre", "table", "caption", "colgroup", "col", "thead", "tr", "tfoot", "tbody", "th", "td", "code", "samp", "img", "map", "area", "s", "u", "del", "ins"]
)
ALLOWED_ATTRIBUTES = frozenset(
    ["title", "style", "class", "id", "lang", "dir", "accesskey", "tabindex", "href", "name", "src", "alt", "longdesc", "height", "width", "border", "align", "valign", "colspan", "rowspan", "span", "cellpadding", "cellspacing", "char", "charoff", "abbr", "axis", "headers", "scope", "summary", "frame", "rules", "start", "type", "value", "compact", "cite", "datetime", "shape", "coords", "nohref", "usemap", "hspace", "vspace", "ismap"]
)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}


def _numeric_entities(text: str) -> str:
    """XHTML in FHIR may use HTML's named entities; the XML parser knows only five."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES or name not in name2codepoint:
            return m.group(0)
        return f"&#{name2codepoint[name]};"

    return _ENTITY.sub(repl, text)


def check_narrative_div(div: str) -> str | None:
    """None when ``div`` is acceptable narrative; otherwise why not."""
    try:
        root = ET.fromstring(_numeric_entities(div))
    except ET.ParseError as exc:
        return f"The narrative is not well-formed XHTML: {exc}"
    if root.tag != f"{{{XHTML_NS}}}div":
        return "The narrative must be a div element in the XHTML namespace"
    has_content = False
    for el in root.iter():
        ns, _, local = el.tag.rpartition("}")
        if ns.lstrip("{") != XHTML_NS:
            return f"Illegal element name in the XHTML ('{el.tag}')"
        if local not in ALLOWED_ELEMENTS:
            return f"Illegal element name in the XHTML ('{local}')"
        for attr in el.attrib:
            if attr == _XML_LANG:
                continue
            if attr.startswith("{") or attr not in ALLOWED_ATTRIBUTES:
                return f"Illegal attribute name in the XHTML ('{attr}' on '{local}')"
        if local == "a" and el.attrib.get("href", "").strip().lower().startswith("javascript:"):
            return "Hyperlinks in narrative may not use javascript:"
        if (el.text and el.text.strip()) or (el.tail and el.tail.strip() and el is not root) or local == "img":
            has_content = True
    if not has_content:
        return "The narrative SHALL have some non-whitespace content"
    return None
