"""Offline terminology: ValueSet expansion from loaded CodeSystems, and membership.

A ValueSet is expanded once, locally, from its ``compose`` (concept lists, whole
code systems, ``is-a``/``descendent-of``/``=``/``in`` filters, imported value sets,
excludes) or taken from a stored ``expansion``. Parts that need a code system we do
not hold in full (SNOMED CT, LOINC, UCUM, ...) make the expansion *partial*: a code
from such a system is then ``UNKNOWN`` — the caller reports that as a warning,
never as silently valid.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fhircare.errors import DefinitionError
from fhircare.validation.context import DefinitionContext
from fhircare.validation.primitives import as_read


class Membership(enum.Enum):
    IN = "in"
    NOT_IN = "not-in"
    UNKNOWN = "unknown"


# Python 3.11 looks an Enum member up through its metaclass, some 100 ns each time (a
# module-level name takes a few): membership is answered for every coded value, so the
# members go by these names here and in bindings
IN, NOT_IN, UNKNOWN = Membership.IN, Membership.NOT_IN, Membership.UNKNOWN


#: RFC 6838 media types (BCP 13), parameters allowed ('text/plain; charset=UTF-8', as R4's
#: Attachment.contentType shows): the names are letters, digits and !#$&^_.+- (at most 127).
#: A parameter's value is a token or a quoted string, or (as FHIR itself writes a signature's
#: format, 'application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json',
#: and the HL7 validator accepts it) any run of visible characters but ';' and '"'
_MEDIA_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAMETER_VALUE = r'[^\s;"]+|"([^"\\]|\\.)*"'
#: R4 also lets 'xml', 'json' and 'ttl' stand for FHIR's own media types (CapabilityStatement.format:
#: "xml | json | ttl | mime type"), as the HL7 validator accepts them for R4
MEDIA_TYPE = re.compile(rf"{_MEDIA_NAME}/{_MEDIA_NAME}(\s*;\s*{_TOKEN}=({_PARAMETER_VALUE}))*|xml|json|ttl")

#: code systems whose codes are defined by a grammar, not listed: a value set including the
#: whole system holds exactly the codes the grammar accepts, which is decided offline
GRAMMAR_SYSTEMS: dict[str, re.Pattern[str]] = {"urn:ietf:bcp:13": MEDIA_TYPE}


@dataclass(slots=True)
class Expansion:
    codes: dict[str, set[str]] = field(default_factory=dict)  # system → codes
    #: systems included whole whose codes a grammar defines (GRAMMAR_SYSTEMS)
    grammars: dict[str, re.Pattern[str]] = field(default_factory=dict)
    #: systems (or "*" for any) whose codes we could not enumerate
    unknown_systems: set[str] = field(default_factory=set)
    #: systems with an exclude we could not evaluate: their included codes may be out
    uncertain_systems: set[str] = field(default_factory=set)
    display_name: str = ""
    versioned_url: str = ""

    def add(self, system: str, code: str) -> None:
        self.codes.setdefault(system, set()).add(code)

    def contains(self, system: str | None, code: str) -> Membership:
        if system is None:
            for codes in self.codes.values():  # a plain loop: this runs for every bound code
                if code in codes:
                    return UNKNOWN if self.uncertain_systems else IN
            if self.grammars and any(g.fullmatch(code) for g in self.grammars.values()):
                return IN
            return UNKNOWN if self.unknown_systems else NOT_IN
        if code in self.codes.get(system, ()):
            if system in self.uncertain_systems or "*" in self.uncertain_systems:
                return UNKNOWN
            return IN
        grammar = self.grammars.get(system) if self.grammars else None
        if grammar is not None and grammar.fullmatch(code):
            return IN
        if system in self.unknown_systems or "*" in self.unknown_systems:
            return UNKNOWN
        return NOT_IN


@dataclass(slots=True)
class _CodeSystemIndex:
    url: str
    complete: bool
    codes: set[str]
    children: dict[str, set[str]]
    case_sensitive: bool = True
    #: code → its display and designations, lower-cased (what a Coding's display may say)
    displays: dict[str, set[str]] = field(default_factory=dict)
    #: code → its display as the code system gives it (for messages)
    display_of: dict[str, str] = field(default_factory=dict)
    #: codes the system defines by a pattern rather than one by one (see _PATTERN_CODE)
    patterns: tuple[re.Pattern[str], ...] = ()
    version: str | None = None
    #: a supplement adds designations and properties to another system: it names no concepts
    supplement: bool = False

    def descendants(self, code: str) -> set[str]:
        found: set[str] = set()
        stack = [code]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found


#: a concept that stands for a family of codes: capitals, then lower-case x's, one per
#: letter to fill in. v2-0203 defines "NNxxx": a national person identifier, xxx being the
#: ISO 3166 alpha-3 country code (NNGBR); HL7's own code system lists no NNGBR concept.
_PATTERN_CODE = re.compile(r"([A-Z]+)(x{3,})")


def _walk_concepts(
    concepts: list[dict[str, Any]], parent: str | None
) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    for c in concepts:
        code = c.get("code")
        if not isinstance(code, str):
            continue
        yield code, parent, c
        yield from _walk_concepts(c.get("concept", ()), code)


class Terminology:
    def __init__(self, context: DefinitionContext) -> None:
        self.context = context
        self._expansions: dict[str, Expansion | None] = {}
        self._code_systems: dict[str, _CodeSystemIndex | None] = {}

    # -- code systems --------------------------------------------------------
    def code_system(self, url: str) -> _CodeSystemIndex | None:
        if url in self._code_systems:
            return self._code_systems[url]
        index = None
        try:
            cs = self.context.code_system(url)
        except DefinitionError:
            cs = None
        if cs is not None:
            codes: set[str] = set()
            children: dict[str, set[str]] = {}
            displays: dict[str, set[str]] = {}
            display_of: dict[str, str] = {}
            for code, parent, concept in _walk_concepts(cs.get("concept", ()), None):
                codes.add(code)
                names = {d.get("value") for d in concept.get("designation", ()) if isinstance(d, dict)}
                if isinstance(concept.get("display"), str):
                    names.add(concept["display"])
                    display_of[code] = concept["display"]
                displays[code] = {n.lower() for n in names if isinstance(n, str)}
                if parent:
                    children.setdefault(parent, set()).add(code)
                for prop in concept.get("property", ()):
                    if prop.get("code") in ("parent", "subsumedBy") and "valueCode" in prop:
                        children.setdefault(prop["valueCode"], set()).add(code)
            patterns = tuple(
                re.compile(re.escape(m.group(1)) + f"[A-Z]{{{len(m.group(2))}}}")
                for m in (_PATTERN_CODE.fullmatch(c) for c in codes)
                if m is not None
            )
            index = _CodeSystemIndex(
                url=url,
                patterns=patterns,
                complete=cs.get("content", "complete") == "complete",
                codes=codes,
                children=children,
                case_sensitive=cs.get("caseSensitive", True) is not False,
                displays=displays,
                display_of=display_of,
                version=cs["version"] if isinstance(cs.get("version"), str) else None,
                supplement="supplements" in cs or cs.get("content") == "supplement",
            )
        self._code_systems[url] = index
        return index

    def coding_problem(self, system: str, code: str, display: Any) -> tuple[Membership, str | None]:
        """code_in_system, and display_problem for a code the system defines when the
        display is a string, with one look-up of the code system (this runs per Coding)."""
        cs = self.code_system(system)
        if cs is None or not cs.complete:
            return UNKNOWN, None
        membership = IN if code in cs.codes else self._membership(cs, code)
        text = as_read(display)  # a number read as its text, as the HL7 validator reads it
        if membership is not IN or text is None:
            return membership, None
        return membership, self._display_problem(cs, system, code, text)

    def code_in_system(self, system: str, code: str) -> Membership:
        """Is ``code`` defined by ``system``? UNKNOWN when we do not hold it in full."""
        cs = self.code_system(system)
        if cs is None or not cs.complete:
            return UNKNOWN
        return self._membership(cs, code)

    def unknown_code(self, system: str, code: str) -> str | None:
        """Why ``code`` is not one of ``system``'s, in the HL7 validator's words (None when it
        is, or when we do not hold the system in full and cannot tell)."""
        if self.code_in_system(system, code) is not NOT_IN:
            return None
        cs = self.code_system(system)
        version = cs.version if cs is not None and cs.version else "null"
        return f"Unknown code '{code}' in the CodeSystem '{system}' version '{version}'"

    @staticmethod
    def _membership(cs: _CodeSystemIndex, code: str) -> Membership:
        if code in cs.codes:
            return IN
        if cs.patterns and any(p.fullmatch(code) for p in cs.patterns):
            return IN
        if not cs.case_sensitive and code.lower() in {c.lower() for c in cs.codes}:
            return IN
        return NOT_IN

    def display_problem(self, system: str, code: str, display: str) -> str | None:
        """Why ``display`` is not a display of ``system#code`` (None when it is, or unknown)."""
        cs = self.code_system(system)
        if cs is None or not cs.complete:
            return None
        return self._display_problem(cs, system, code, display)

    @staticmethod
    def _display_problem(cs: _CodeSystemIndex, system: str, code: str, display: str) -> str | None:
        allowed = cs.displays.get(code)
        if not allowed or display.lower() in allowed:
            return None
        valid = cs.display_of.get(code, sorted(allowed)[0])
        squeezed = " ".join(display.split()).lower()
        if any(" ".join(a.split()) == squeezed for a in allowed):
            # the same words spaced otherwise: still not the display, as the HL7 validator finds
            return f"Wrong whitespace in Display Name '{display}' for {system}#{code}. Valid display is '{valid}'"
        return f"Wrong Display Name '{display}' for {system}#{code}. Valid display is '{valid}'"

    # -- value sets ----------------------------------------------------------
    def expand(self, canonical: str) -> Expansion | None:
        """The (possibly partial) expansion, or None when the ValueSet is unknown."""
        if canonical in self._expansions:
            return self._expansions[canonical]
        self._expansions[canonical] = None  # guards against import cycles
        try:
            vs = self.context.value_set(canonical)
        except DefinitionError:
            vs = None
        result = self._expand(vs) if vs is not None else None
        self._expansions[canonical] = result
        return result

    def _expand(self, vs: dict[str, Any]) -> Expansion:
        exp = Expansion(
            display_name=vs.get("title") or vs.get("name") or vs.get("url", ""),
            versioned_url=f"{vs.get('url')}|{vs['version']}" if vs.get("version") else str(vs.get("url")),
        )
        stored = vs.get("expansion", {}).get("contains")
        if stored and not vs.get("compose"):
            self._add_contains(exp, stored)
            return exp
        compose = vs.get("compose") or {}
        for include in compose.get("include", ()):
            self._include(exp, include)
        for exclude in compose.get("exclude", ()):
            excluded = Expansion()
            self._include(excluded, exclude)
            for system, codes in excluded.codes.items():
                exp.codes.get(system, set()).difference_update(codes)
            # an exclude we cannot evaluate may remove any code of its system: such
            # codes are no longer known to be in
            exp.uncertain_systems |= excluded.unknown_systems
        return exp

    def _add_contains(self, exp: Expansion, contains: list[dict[str, Any]]) -> None:
        for c in contains:
            if c.get("system") and c.get("code"):
                exp.add(c["system"], c["code"])
            self._add_contains(exp, c.get("contains", ()))

    def _include(self, exp: Expansion, include: dict[str, Any]) -> None:
        system = include.get("system")
        imported: list[Expansion] = []
        for vs_url in include.get("valueSet", ()):
            sub = self.expand(vs_url)
            if sub is None:
                exp.unknown_systems.add(system or "*")
                return
            imported.append(sub)
        if not system:
            # include = union (or intersection, with several) of imported value sets
            if imported:
                first = imported[0]
                for sys_, codes in first.codes.items():
                    keep = set(codes)
                    for other in imported[1:]:
                        keep &= other.codes.get(sys_, set())
                    for code in keep:
                        exp.add(sys_, code)
                for sub in imported:
                    exp.unknown_systems |= sub.unknown_systems
            return
        grammar = GRAMMAR_SYSTEMS.get(system)
        if grammar is not None and not include.get("concept") and not include.get("filter") and not imported:
            exp.grammars[system] = grammar
            return
        found = self._system_codes(system, include)
        if found is None:
            exp.unknown_systems.add(system)
            return
        codes = found
        for sub in imported:
            codes &= sub.codes.get(system, set())
        for code in codes:
            exp.add(system, code)
        exp.codes.setdefault(system, set())

    def _system_codes(self, system: str, include: dict[str, Any]) -> set[str] | None:
        concepts = include.get("concept")
        filters = include.get("filter")
        if concepts and not filters:
            return {c["code"] for c in concepts if isinstance(c.get("code"), str)}
        cs = self.code_system(system)
        if cs is None or not cs.complete:
            return None
        codes = set(cs.codes)
        for f in filters or ():
            op, prop, value = f.get("op"), f.get("property"), str(f.get("value", ""))
            if prop == "concept" and op == "is-a":
                codes &= {value} | cs.descendants(value)
            elif prop == "concept" and op == "descendent-of":
                codes &= cs.descendants(value)
            elif prop == "concept" and op == "is-not-a":
                codes -= {value} | cs.descendants(value)
            elif prop == "concept" and op == "in":
                codes &= {v.strip() for v in value.split(",")}
            elif op == "=" and prop in ("concept", "code"):
                codes &= {value}
            else:
                return None  # a filter we cannot evaluate offline
        if concepts:
            codes &= {c["code"] for c in concepts if isinstance(c.get("code"), str)}
        return codes

    def check(self, canonical: str, system: str | None, code: str) -> tuple[Membership, Expansion | None]:
        exp = self.expand(canonical)
        if exp is None:
            return UNKNOWN, None
        return exp.contains(system, code), exp
