"""A ValueSet's filters (``compose.include.filter``), checked as the HL7 validator checks them.

A filter selects a code system's concepts by one of its properties: ``notSelectable = true``,
``concept is-a 123``. A filter the code system cannot apply selects nothing, or everything,
without anyone noticing: a value set of "the concepts whose notSelectable is '1'" is empty
on every terminology server. So, for the property a filter names:

- it must be a property the system is known to have (a warning: servers may know more);
- the operation must be one the system allows on it (``not-in`` on a SNOMED CT attribute is
  not: only ``=`` and ``in`` are);
- the value must be of the property's type: ``true``/``false``, a code the system defines
  (when we hold the system in full), ``system#code`` for a Coding property, a date, a number.

What each system allows is the HL7 validator's (its ``CodeSystemChecker`` family): SNOMED CT,
LOINC and a few other external systems by name, any code system we hold by its own
``property`` and ``filter`` definitions, every other system by the properties FHIR defines
for all (``concept``, ``code``, ``status``, ``inactive``, ``notSelectable``, ...). Codes of
SNOMED CT, LOINC and other systems not held here are not judged: that needs a terminology
server, and an offline validator that refused them all would refuse every such value set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fhircare.errors import DefinitionError
from fhircare.validation.canonical_resources import is_absolute_url
from fhircare.validation.issues import IssueSink
from fhircare.validation.snomed import SNOMED, concept_id_problem
from fhircare.validation.structure import objects_in

if TYPE_CHECKING:
    from fhircare.validation.terminology import Terminology

LOINC = "http://loinc.org"

#: the operations, in the order the HL7 validator lists them ("Allowed ops: =,in")
_OP_ORDER = (
    "=",
    "is-a",
    "descendent-of",
    "is-not-a",
    "regex",
    "in",
    "not-in",
    "generalizes",
    "child-of",
    "descendent-leaf",
    "exists",
)


@dataclass(frozen=True, slots=True)
class _Rules:
    """What a filter on one property may be: its value's type, whether a code value must be
    one the system defines ('error', 'warning' or None), and the operations allowed (none
    listed: any)."""

    kind: str
    codes_checked: str | None = None
    ops: frozenset[str] = frozenset()
    code_list: tuple[str, ...] = ()


#: properties FHIR defines for every code system
_GENERAL_NAMES = (
    "concept",
    "code",
    "status",
    "inactive",
    "effectiveDate",
    "deprecationDate",
    "retirementDate",
    "notSelectable",
    "synonym",
    "comment",
    "itemWeight",
)
_CONCEPT_OPS = frozenset({"=", "in", "is-a", "descendent-of", "is-not-a", "generalizes", "not-in"})
_GENERAL_RULES: dict[str, _Rules | None] = {
    "concept": _Rules("code", "error", _CONCEPT_OPS),
    "code": _Rules("code", "error", _CONCEPT_OPS | {"regex"}),
    "status": _Rules("code"),
    "inactive": _Rules("boolean"),
    "effectiveDate": _Rules("dateTime"),
    "deprecationDate": _Rules("dateTime"),
    "retirementDate": _Rules("dateTime"),
    "notSelectable": _Rules("boolean"),
    "parent": _Rules("code", "error"),
    "child": _Rules("code", "error"),
    "partOf": _Rules("code", "error"),
    "synonym": _Rules("code"),
    "comment": None,
    "itemWeight": _Rules("decimal"),
}

#: SNOMED CT's concept model attributes a filter may name (the HL7 validator's list, from
#: the descendants of 410662002 |Concept model attribute|)
_SNOMED_ATTRIBUTES = frozenset(
    """410662002 42752001 47429007 116676008 116686009 118168003 118169006 118170007 118171006
    127489000 131195008 246075003 246090004 246093002 246112005 246454002 246456000 246501002
    246513007 246514001 255234002 260507000 260686004 260870009 263502005 272741003 288556008
    363589002 363698007 363699004 363700003 363701004 363702006 363703001 363704007 363705008
    363709002 363710007 363713009 363714003 370129005 370130000 370131001 370132008 370133003
    370134009 370135005 371881003 405813007 405814001 405815000 405816004 408729009 408730004
    408731000 408732007 410675002 411116001 418775008 419066007 424226004 424244007 424361007
    424876005 425391005 609096000 704319004 704320005 704321009 704322002 704323007 704324001
    704325000 704326004 704327008 704346009 704347000 704647008 718497002 719715003 719722006
    726542003 726633004 732943007 732945000 732947008 733722007 733725009 733928003 733930001
    733931002 733932009 733933004 734136001 734137005 736472000 736473005 736474004 736475003
    736476002 736518005 738774007 762705008 762706009 762949000 762951001 763032000 766939001
    774081006 774158006 774159003 774160008 774163005 827081001 836358009 840560000 860779006
    860781008 1003703000 1003735000 1142135004 1142136003 1142137007 1142138002 1142139005
    1142140007 1142141006 1142142004 1142143009 1148793005 1148965004 1148967007 1148968002
    1148969005 1149366004 1149367008 1230370004 320091000221107""".split()  # noqa: SIM905
)
_SNOMED_RULES: dict[str, _Rules] = {
    # an ECL expression: only a terminology server can parse and judge it
    "constraint": _Rules("string", None, frozenset({"="})),
    "expressions": _Rules("boolean", None, frozenset({"=", "in"})),
    "inactive": _Rules("boolean", None, frozenset({"=", "in"})),
    # (descendent-leaf is R5's: R4's filter-operator binding refuses it already)
    "concept": _Rules("code", "error", frozenset({"is-a", "is-not-a", "in", "descendent-of", "descendent-leaf"})),
}
_SNOMED_ATTRIBUTE_RULES = _Rules("code", "error", frozenset({"=", "in"}))

_LOINC_OPS = frozenset({"=", "exists", "regex", "in", "not-in"})
#: LOINC's parts and the properties whose values are LOINC codes
_LOINC_CODED = frozenset(
    """ancestor descendent parent child COMPONENT PROPERTY TIME_ASPCT SYSTEM SCALE_TYP METHOD_TYP
    CLASS answer-list MAP_TO analyte analyte-core analyte-suffix analyte-numerator
    analyte-divisor analyte-divisor-suffix challenge adjustment count time-core time-modifier
    system-core super-system analyte-gene category search rad-modality-modality-type
    rad-modality-modality-subtype rad-anatomic-location-region-imaged
    rad-anatomic-location-imaging-focus rad-anatomic-location-laterality-presence
    rad-anatomic-location-laterality rad-view-aggregation rad-view-view-type
    rad-maneuver-maneuver-type rad-timing rad-pharmaceutical-substance-given
    rad-pharmaceutical-route rad-reason-for-exam rad-guidance-for-presence
    rad-guidance-for-approach rad-guidance-for-action rad-guidance-for-object rad-subject
    document-kind document-role document-setting document-subject-matter-domain
    document-type-of-service answers-for answer""".split()  # noqa: SIM905
)
#: LOINC's properties whose values are text
_LOINC_TEXT = frozenset(
    """VersionLastChanged CHNG_TYPE DefinitionDescription STATUS CLASSTYPE FORMULA EXMPL_ANSWERS
    SURVEY_QUEST_TEXT SURVEY_QUEST_SRC UNITSREQUIRED ORDER_OBS HL7_FIELD_SUBFIELD_ID
    EXTERNAL_COPYRIGHT_NOTICE EXAMPLE_UNITS EXAMPLE_UCUM_UNITS STATUS_REASON STATUS_TEXT
    CHANGE_REASON_PUBLIC COMMON_TEST_RANK COMMON_ORDER_RANK HL7_ATTACHMENT_STRUCTURE
    EXTERNAL_COPYRIGHT_LINK PanelType AskAtOrderEntry AssociatedObservations
    VersionFirstReleased ValidHL7AttachmentRequest""".split()  # noqa: SIM905
)
_LOINC_NAMES = ("concept", *sorted(_LOINC_CODED), *sorted(_LOINC_TEXT))

#: other external systems: the properties they add to FHIR's, and how their filters are read
#: (None: FHIR's rules for its own properties, nothing for the system's)
_EXTERNAL: dict[str, tuple[tuple[str, ...], _Rules | None]] = {
    "http://www.nlm.nih.gov/research/umls/rxnorm": (
        tuple(
            """STY SAB TTY SY SIB RN PAR CHD RB RO IN PIN MIN BN SCD SBD GPCK BPCK SCDC SCDF SCDFP SCDG
            SCDGP SBDC SBDF SBDFP SBDG DF DFG""".split()  # noqa: SIM905
        ),
        _Rules("code"),
    ),
    "http://unitsofmeasure.org": (("property", "canonical"), _Rules("code")),
    "urn:ietf:bcp:47": (("language", "region", "script", "variant", "extension", "ext-lang", "private-use"), None),
}
_CPT = "http://www.ama-assn.org/go/cpt"
_CPT_RULES: dict[str, _Rules | None] = {
    "modifier": _Rules("boolean"),
    "kind": _Rules("code"),
    "modified": _Rules("boolean"),
    "code": None,
    "telemedicine": _Rules("boolean"),
    "orthopox": _Rules("boolean"),
}

#: a code system property's type → the kind of value a filter on it carries (string: none)
_PROPERTY_KINDS = {
    "boolean": "boolean",
    "code": "code",
    "Coding": "coding",
    "dateTime": "dateTime",
    "decimal": "decimal",
    "integer": "integer",
}

#: a date filter value, as the HL7 validator reads it (a year, up to a full date-time)
_DATE_TIME = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?)?)?)?"
)
_DECIMAL = re.compile(r"[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]{1,10}")
#: a search prefix a number or date filter may carry ("lt2": less than 2)
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
#: 'system|code', the search syntax for a token, where FHIR wants system#code
_LEGACY_CODING = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^\s|]+\|\S+")


def _check_regex(prop: str, value: str, loc: str, sink: IssueSink) -> None:
    """A regex filter's value is a pattern (matched against codes or a named property)."""
    try:
        re.compile(value)
    except re.error as exc:
        sink.error(
            "invalid",
            loc,
            f"The value for a filter based on property '{prop}' should be a valid regex, not '{value}' (err = '{exc}')",
        )
    if prop == "concept":
        sink.error(
            "invalid",
            loc,
            f"Cannot apply a regex filter to the property '{prop}' (usually regex filters are applied to the codes, "
            "or a named property of the code system)",
        )


class FilterChecker:
    """Checks the filters of one ValueSet include against its code system."""

    def __init__(self, terminology: Terminology) -> None:
        self.terminology = terminology

    def check_include(self, include: dict[str, Any], where: str, sink: IssueSink) -> None:
        system = include.get("system")
        if not isinstance(system, str) or not system:
            return
        code_system = None if system in (SNOMED, LOINC, _CPT) or system in _EXTERNAL else self._held(system)
        known = self._known_names(system, code_system)
        for n, filter_ in enumerate(objects_in(include.get("filter"))):
            prop, op, value = filter_.get("property"), filter_.get("op"), filter_.get("value")
            if not isinstance(prop, str):
                continue
            loc = f"{where}.filter[{n}]"
            if prop not in known:
                # (SNOMED CT counts as defined: the HL7 validator carries a stub of it)
                if code_system is not None or system == SNOMED:
                    sink.warning(
                        "invalid",
                        loc,
                        f"The property '{prop}' is not known for the system '{system}', so may not be understood "
                        f"by the terminology ecosystem. Known properties for this system: {','.join(known)}",
                    )
                continue  # (with no definition of the system, the HL7 validator only hints)
            rules = self._rules(system, code_system, prop)
            if rules is None:
                continue
            if rules.ops and isinstance(op, str) and op not in rules.ops:
                allowed = ",".join(o for o in _OP_ORDER if o in rules.ops)
                sink.error(
                    "invalid",
                    loc,
                    f"The operation '{op}' is not allowed for property '{prop}' in system '{system}'. "
                    f"Allowed ops: {allowed}",
                )
            if not isinstance(value, str):
                continue  # a filter's value is 1..1: its absence is the cardinality's to report
            if op == "exists":
                self._check_value(system, prop, value, _Rules("boolean"), loc, sink)
            elif op == "regex":
                _check_regex(prop, value, loc, sink)
            elif op in ("in", "not-in"):
                for one in value.split(","):
                    self._check_value(system, prop, one, rules, loc, sink)
            else:
                self._check_value(system, prop, value, rules, loc, sink)

    # -- what the system allows ---------------------------------------------------
    def _held(self, system: str) -> dict[str, Any] | None:
        try:
            return self.terminology.context.code_system(system)
        except DefinitionError:  # a definition that cannot be read: judged as not held
            return None

    @staticmethod
    def _known_names(system: str, code_system: dict[str, Any] | None) -> list[str]:
        if system == SNOMED:
            return ["concept", "constraint", "expressions", "inactive", *sorted(_SNOMED_ATTRIBUTES)]
        names = list(_GENERAL_NAMES)
        if system == LOINC:
            extra: tuple[str, ...] = _LOINC_NAMES
        elif system == _CPT:
            extra = ("modifier", "kind", "modified", "code", "telemedicine", "orthopox")
        elif system in _EXTERNAL:
            extra = _EXTERNAL[system][0]
        elif code_system is not None:
            extra = tuple(
                [*(("parent", "child", "partOf") if "hierarchyMeaning" in code_system else ())]
                + [f.get("code") for f in objects_in(code_system.get("filter")) if isinstance(f.get("code"), str)]
                + [p.get("code") for p in objects_in(code_system.get("property")) if isinstance(p.get("code"), str)]
            )
        else:
            extra = ()
        for name in extra:
            if name not in names:
                names.append(name)
        return names

    @staticmethod
    def _rules(system: str, code_system: dict[str, Any] | None, prop: str) -> _Rules | None:
        if system == SNOMED:
            return _SNOMED_RULES.get(prop, _SNOMED_ATTRIBUTE_RULES)
        if system == LOINC:
            if prop in _LOINC_CODED:
                return _Rules("code", "error", _LOINC_OPS)
            if prop in _LOINC_TEXT:
                return _Rules("string", None, _LOINC_OPS)
            if prop in ("concept", "code"):
                return _Rules("code", None, frozenset({"=", "is-a", "is-not-a"}))
            return None
        if system == _CPT:
            return _CPT_RULES.get(prop)
        if system in _EXTERNAL:
            own = _EXTERNAL[system][1]
            return own if own is not None else _GENERAL_RULES.get(prop)
        ops: frozenset[str] = frozenset()
        if code_system is not None:
            ops = frozenset(
                op
                for f in objects_in(code_system.get("filter"))
                if f.get("code") == prop and isinstance(f.get("operator"), list)
                for op in f["operator"]
                if isinstance(op, str)
            )
            for p in objects_in(code_system.get("property")):
                if p.get("code") == prop and isinstance(p.get("type"), str):
                    kind = _PROPERTY_KINDS.get(p["type"])
                    if kind is None:
                        return None  # a string property: any text
                    # a code property should name one of the system's concepts; many systems
                    # use it for a list of values they define nowhere, so only a warning
                    return _Rules(kind, "warning" if kind == "code" else None, ops)
        general = _GENERAL_RULES.get(prop)
        if general is None:
            return None
        return _Rules(general.kind, general.codes_checked, general.ops | ops)

    # -- the value ---------------------------------------------------------------
    def _check_value(self, system: str, prop: str, value: str, rules: _Rules, loc: str, sink: IssueSink) -> None:
        kind = rules.kind
        if kind in ("dateTime", "decimal", "integer") and value.startswith(_PREFIXES):
            value = value[2:]
        problem: str | None = None
        if kind == "boolean" and value not in ("true", "false"):
            problem = f"must be either 'true' or 'false', not '{value}'"
        elif kind == "dateTime" and not _DATE_TIME.fullmatch(value):
            problem = f"must be a valid date(/time), not '{value}'"
        elif kind == "decimal" and not _DECIMAL.fullmatch(value):
            problem = f"must be a decimal value, not '{value}'"
        elif kind == "integer" and not (_INTEGER.fullmatch(value) and -(2**31) <= int(value) < 2**31):
            problem = f"must be integer value, not '{value}'"
        elif kind == "code":
            if value.strip() != value:
                sink.error(
                    "invalid",
                    loc,
                    f"The value for a filter based on property '{prop}' must be a valid code, not '{value}'",
                )
            if system == SNOMED and rules.codes_checked is not None and (why := concept_id_problem(value)):
                # not held: only a code of the wrong form is known not to be one (a warning, as
                # for a Coding: see bindings.check_coding)
                text = (
                    f"The value for a filter based on property '{prop}' must be a valid code from the system "
                    f"'{system}', and '{value}' cannot be a SNOMED CT concept ({why})"
                )
                sink.warning("invalid", loc, text)
            elif rules.codes_checked is not None and (unknown := self.terminology.unknown_code(system, value)):
                text = (
                    f"The value for a filter based on property '{prop}' must be a valid code from the system "
                    f"'{system}', and '{value}' is not ({unknown})"
                )
                sink.add("error" if rules.codes_checked == "error" else "warning", "invalid", loc, text)
        elif kind == "coding":
            self._check_coding_value(prop, value, loc, sink)
        if problem is not None:
            sink.error("invalid", loc, f"The value for a filter based on property '{prop}' {problem}")

    def _check_coding_value(self, prop: str, value: str, loc: str, sink: IssueSink) -> None:
        if _LEGACY_CODING.fullmatch(value):
            sink.warning(
                "invalid",
                loc,
                f"The value for a filter based on property '{prop}' should be in the format system(|version)#code, "
                f"not the coding search pattern '{value}'",
            )
            system, _, code = value.rpartition("|")
        else:
            head, hash_, code = value.partition("#")
            system = head.partition("|")[0]
            if not hash_ and not is_absolute_url(system):
                sink.error(
                    "invalid",
                    loc,
                    f"The value for a filter based on property '{prop}' must be in the format system(|version)#code, "
                    f"not '{value}'",
                )
                return
            code = code.partition("'")[0]
        if code and (unknown := self.terminology.unknown_code(system, code)):
            sink.error(
                "invalid",
                loc,
                f"The value for a filter based on property '{prop}' is '{value}' which is not a valid code ({unknown})",
            )
