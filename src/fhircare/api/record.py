"""What the access policy needs to know about one service user's record, read from the
stored resources: their coded consent provisions, the people they do not want involved,
the organisations involved in their care, their crisis contacts and their named lead.

Read the way profiles/README.md ("What a reader may show to whom") says a reader should:

- a Consent's provision says what it covers (``class``: resource types or profiles;
  ``code``: CarePlan categories; ``data``: references with their meaning), to whom
  (``actor`` references, or the ``partner-organisation-type`` extension), for what
  (``purpose``), when (``period``) and on what basis (``policyRule``, fhircare
  consent-basis). Only ``active`` Consents count; a ``collect`` decision (a carer agreeing
  that the trust keeps their details) discloses nothing;
- a person not to be involved is a RelatedPerson carrying the ``do-not-involve``
  extension, named by a do-not-involve Flag's ``flag-detail``, or the actor of an active
  refusal that covers everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fhircare.mapping.fhir import days_covered, decides_disclosure, end_day
from fhircare.store.search_index import local_reference

Json = dict[str, Any]

CANONICAL = "https://fhir.fhircare.nhs.uk"
SD = CANONICAL + "/StructureDefinition/"
CS = CANONICAL + "/CodeSystem/"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
DO_NOT_INVOLVE_EXTENSION = SD + "do-not-involve"
PARTNER_TYPE_EXTENSION = SD + "partner-organisation-type"
CARERS_ASSESSMENT_EXTENSION = SD + "carers-assessment"
DEFAULT_LEAD_EXTENSION = SD + "default-lead"
SECTION_117_EXTENSION = SD + "section-117-aftercare"
CAPACITY_ASSESSMENT_EXTENSION = SD + "capacity-assessment"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
FLAG_CODE = CS + "flag-code"
CONSENT_BASIS = CS + "consent-basis"
CARE_TEAM_ROLE = CS + "care-team-role"
CRISIS_CONTENT = CS + "crisis-contingency-content"
#: HL7 v2 table 0131 contact role "C" (emergency contact)
V2_CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"

EXPLICIT_CONSENT = "explicit-consent"


@dataclass(frozen=True)
class Provision:
    """One disclosure decision, as coded."""

    consent_id: str
    permit: bool
    #: fhircare consent-basis code (explicit-consent when the Consent names none)
    basis: str
    #: ``Organization/<id>`` or ``RelatedPerson/<id>`` references of the recipients
    actors: frozenset[str]
    #: partner-organisation-type codes of the recipients (every partner of that type)
    partner_types: frozenset[str]
    start: date | None
    end: date | None
    #: v3 ActReason codes it may be used for (empty: any)
    purposes: frozenset[str]
    #: resource types (``CarePlan``) and profile URLs it covers
    classes: frozenset[str]
    #: CarePlan category codings ``(system, code)`` it covers
    codes: frozenset[tuple[str | None, str]]
    #: ``(meaning, Type/id)`` of the data it covers
    data: tuple[tuple[str, str], ...]

    @property
    def names_nothing(self) -> bool:
        return not (self.classes or self.codes or self.data)

    @property
    def names_no_recipient(self) -> bool:
        return not (self.actors or self.partner_types)

    def in_force(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def _codings(value: Any) -> Iterable[tuple[str | None, str]]:
    """``(system, code)`` of a CodeableConcept, a Coding or a list of either."""
    if isinstance(value, list):
        for item in value:
            yield from _codings(item)
    elif isinstance(value, dict):
        if "coding" in value:
            yield from _codings(value["coding"])
        elif isinstance(value.get("code"), str):
            yield value.get("system"), value["code"]


def codings(value: Any) -> frozenset[tuple[str | None, str]]:
    return frozenset(_codings(value))


def _day(value: Any) -> date | None:
    """The first day a FHIR date or dateTime covers (``2024``: 1 January 2024); None when
    absent or not a date."""
    covered = days_covered(value)
    return covered[0] if covered else None


def _extensions(resource: Json, url: str) -> list[Json]:
    return [e for e in resource.get("extension", ()) if isinstance(e, dict) and e.get("url") == url]


def _provision(consent_id: str, node: Json, basis: str, inherited_actors: frozenset[str] | None) -> Provision | None:
    actions = {code for _s, code in codings(node.get("action"))}
    if not decides_disclosure(actions):
        return None  # a decision about collecting (keeping) data discloses nothing
    period = node.get("period") or {}
    actors = frozenset(
        ref
        for actor in node.get("actor", ())
        if isinstance(actor, dict) and (ref := local_reference(actor.get("reference"))) is not None
    )
    if not actors and inherited_actors is not None:
        actors = inherited_actors
    classes = set()
    for item in node.get("class", ()):
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            classes.add(item["code"])
    data = tuple(
        (str(item.get("meaning", "instance")), ref)
        for item in node.get("data", ())
        if isinstance(item, dict) and (ref := local_reference(item.get("reference"))) is not None
    )
    return Provision(
        consent_id=consent_id,
        permit=node.get("type") == "permit",
        basis=basis,
        actors=actors,
        partner_types=frozenset(
            code
            for ext in _extensions(node, PARTNER_TYPE_EXTENSION)
            for _s, code in codings(ext.get("valueCodeableConcept"))
        ),
        start=_day(period.get("start")),
        # an end that is not a date: a permit has ended, a refusal has not (fail safe)
        end=end_day(period.get("end"), unreadable=date.min if node.get("type") == "permit" else None),
        purposes=frozenset(code for _s, code in codings(node.get("purpose"))),
        classes=frozenset(classes),
        codes=codings(node.get("code")),
        data=data,
    )


def provisions(consent: Json) -> list[Provision]:
    """The disclosure provisions of one Consent (none unless it is active). A nested
    provision is an exception to its parent: a nested refusal is kept (with the parent's
    recipients when it names none); a nested permit is not (never widen on a guess)."""
    if consent.get("status") != "active" or not isinstance(consent.get("provision"), dict):
        return []
    basis = next((code for system, code in codings(consent.get("policyRule")) if system == CONSENT_BASIS), None)
    consent_id = f"Consent/{consent.get('id')}"
    top = _provision(consent_id, consent["provision"], basis or EXPLICIT_CONSENT, None)
    if top is None:
        return []
    if top.permit and top.basis == "best-interests" and not _extensions(consent, CAPACITY_ASSESSMENT_EXTENSION):
        return []  # a best-interests decision stands only on a recorded capacity assessment
    found = [top]
    for nested in consent["provision"].get("provision", ()):
        if isinstance(nested, dict) and nested.get("type") == "deny":
            inner = _provision(consent_id, nested, top.basis, top.actors)
            if inner is not None:
                found.append(inner)
    return found


@dataclass
class ServiceUserRecord:
    """The facts of one service user's record the policy decides with."""

    service_user_id: str
    patient_ref: str | None = None
    #: the registered GP practice(s): ``Organization/<id>``
    general_practitioners: frozenset[str] = frozenset()
    provisions: tuple[Provision, ...] = ()
    #: ``RelatedPerson/<id>`` of everyone the service user does not want involved
    not_involved: frozenset[str] = frozenset()
    #: every organisation involved in the care (team members, managing teams, action
    #: performers, episode and encounter providers, carers' assessors), with the last day
    #: it is (None: no end): involvement ends with the team membership, the plan, the
    #: episode or the encounter that made it (``involved_on``)
    involved_organisations: Mapping[str, date | None] = field(default_factory=dict)
    #: ``RelatedPerson/<id>`` who are the crisis contacts of a crisis or contingency plan
    crisis_contacts: frozenset[str] = frozenset()
    #: what a crisis, contingency or safety plan points to (``supportingInfo``): part of
    #: the crisis component (IS-18), such as the risk assessment and medication it names
    crisis_supporting: frozenset[str] = frozenset()
    #: each care plan by ``Type/id``, as much of it as a Consent's provision is judged by
    #: (``_plan_stub``): a refusal covering the plan covers what it is made of
    #: (``policy.in_refused_plan``)
    plans: Mapping[str, Json] = field(default_factory=dict)
    #: which of them are crisis, contingency or safety plans
    crisis_plans: frozenset[str] = frozenset()
    #: the teams managing a care team (``CareTeam.managingOrganization``), with the last
    #: day they do (``managing_on``)
    managing_organisations: Mapping[str, date | None] = field(default_factory=dict)
    #: the organisations providing the care (``EpisodeOfCare.managingOrganization``,
    #: ``Encounter.serviceProvider``: an admission to another trust's ward, an out-of-area
    #: placement), with the last day they do (``providing_on``)
    providing_organisations: Mapping[str, date | None] = field(default_factory=dict)
    #: the bodies responsible for Section 117 after-care (``section-117-aftercare`` on the
    #: plans and on the entitlement Flag), with the last day of the entitlement
    #: (``section_117_responsible_on``: DE-007, the duty lasts until its end is agreed)
    section_117_responsible: Mapping[str, date | None] = field(default_factory=dict)
    #: what each resource of the record refers to, by ``Type/id`` (for ``data`` meanings;
    #: references only, not the resources: records are kept in memory by the thousand)
    references: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: the service user's latest extract was rejected: this is the record before it, which
    #: may predate a withdrawn consent (no permit counts while so: ``policy.applies``)
    held_back: bool = False
    #: what the policy worked out from this record, remembered with it (``policy``)
    memo: dict[Any, object] = field(default_factory=dict)

    def involved_on(self, day: date) -> frozenset[str]:
        return lasting_on(self.involved_organisations, day)

    def managing_on(self, day: date) -> frozenset[str]:
        return lasting_on(self.managing_organisations, day)

    def providing_on(self, day: date) -> frozenset[str]:
        return lasting_on(self.providing_organisations, day)

    def section_117_responsible_on(self, day: date) -> frozenset[str]:
        return lasting_on(self.section_117_responsible, day)


def lasting_on(lasting: Mapping[str, date | None], day: date) -> frozenset[str]:
    return frozenset(ref for ref, last in lasting.items() if last is None or day <= last)


#: per resource type, the statuses under which what it makes (a membership, an action, an
#: episode of care, an admission or placement) goes on; any other status has ended it,
#: whatever end date its period holds (a cancelled admission, a plan entered in error, an
#: encounter the trust no longer holds, written "unknown"). Fail closed: a status not
#: listed ends it. A team suspended, a plan or episode on hold, still involve their members
#: (the care coordinator keeps the role while the service user is in prison: R-33)
_ONGOING: dict[str, frozenset[str]] = {
    "CareTeam": frozenset({"proposed", "active", "suspended"}),
    "CarePlan": frozenset({"draft", "active", "on-hold"}),
    "EpisodeOfCare": frozenset({"planned", "waitlist", "active", "onhold"}),
    "Encounter": frozenset({"planned", "arrived", "triaged", "in-progress", "onleave"}),
    "Flag": frozenset({"active"}),
}


def _last_day(resource: Json) -> date | None:
    """The last day of what a resource made (None: no end): the earliest day (it has ended,
    no one knows when) when its status says it ended, else its period's end (an end that
    is not a date: ended)."""
    ongoing = _ONGOING.get(str(resource.get("resourceType")))
    if ongoing is not None and "status" in resource and resource.get("status") not in ongoing:
        return date.min
    period = resource.get("period")
    return end_day(period.get("end"), unreadable=date.min) if isinstance(period, dict) else None


def _later(lasting: dict[str, date | None], ref: str, last: date | None) -> None:
    """``ref`` lasts until ``last``, or longer if something else says so."""
    if ref not in lasting:
        lasting[ref] = last
    else:
        known = lasting[ref]
        lasting[ref] = None if known is None or last is None else max(known, last)


def _is_crisis_plan(plan: Json, crisis_categories: frozenset[tuple[str | None, str]]) -> bool:
    return bool(codings(plan.get("category")) & crisis_categories)


def responsible_bodies(resource: Json) -> dict[str, date | None]:
    """The bodies a resource's ``section-117-aftercare`` extensions name responsible, with the
    last day of each entitlement (its ``period`` end; None: no end)."""
    found: dict[str, date | None] = {}
    if resource.get("resourceType") == "Flag" and resource.get("status", "active") != "active":
        return found  # the entitlement on the service user has ended
    for entitlement in _extensions(resource, SECTION_117_EXTENSION):
        parts = [p for p in entitlement.get("extension", ()) if isinstance(p, dict)]
        periods = [p.get("valuePeriod") for p in parts if p.get("url") == "period"]
        last = end_day(periods[0].get("end"), unreadable=date.min) if periods and isinstance(periods[0], dict) else None
        for part in parts:
            if part.get("url") == "responsibleOrganisation":
                responsible = local_reference(part.get("valueReference"))
                if responsible is not None:
                    _later(found, responsible, last)
    return found


def build_record(
    service_user_id: str,
    stored: Iterable[Json],
    crisis_categories: frozenset[tuple[str | None, str]],
) -> ServiceUserRecord:
    """The facts of one service user's record from their stored resources."""
    by_ref: dict[str, Json] = {}
    found: list[Provision] = []
    gps: set[str] = set()
    not_involved: set[str] = set()
    involved: dict[str, date | None] = {}
    crisis: set[str] = set()
    crisis_supporting: set[str] = set()
    plans: dict[str, Json] = {}
    crisis_plans: set[str] = set()
    managing: dict[str, date | None] = {}
    providing: dict[str, date | None] = {}
    section_117: dict[str, date | None] = {}
    patient_ref = None

    def organisation(value: Any, last: date | None = None) -> None:
        ref = local_reference(value)
        if ref is not None and ref.startswith("Organization/"):
            _later(involved, ref, last)

    def responsible(resource: Json, last: date | None) -> None:
        for body, until in responsible_bodies(resource).items():
            _later(section_117, body, until if last is None or (until is not None and until < last) else last)

    for resource in stored:
        rtype = resource.get("resourceType")
        ref = f"{rtype}/{resource.get('id')}"
        by_ref[ref] = resource
        if rtype == "Patient":
            patient_ref = ref
            gps.update(r for g in resource.get("generalPractitioner", ()) if (r := local_reference(g)))
            organisation(resource.get("managingOrganization"))
        elif rtype == "Consent":
            found.extend(provisions(resource))
        elif rtype == "RelatedPerson":
            if _extensions(resource, DO_NOT_INVOLVE_EXTENSION):
                not_involved.add(ref)
            for assessment in _extensions(resource, CARERS_ASSESSMENT_EXTENSION):
                for part in assessment.get("extension", ()):
                    if isinstance(part, dict) and part.get("url") == "assessingOrganisation":
                        organisation(part.get("valueReference"))
        elif rtype == "Flag" and (CS + "flag-code", "section-117-aftercare") in codings(resource.get("code")):
            # the entitlement on the service user (issue 10) names the responsible bodies too,
            # while it lasts
            if resource.get("status", "active") == "active":
                responsible(resource, _last_day(resource))
        elif rtype == "Flag" and (CS + "flag-code", "do-not-involve") in codings(resource.get("code")):
            if resource.get("status", "active") == "active":
                for detail in _extensions(resource, FLAG_DETAIL):
                    target = local_reference(detail.get("valueReference"))
                    if target is not None and target.startswith("RelatedPerson/"):
                        not_involved.add(target)
        elif rtype == "CareTeam":
            team_last = _last_day(resource)
            for participant in resource.get("participant", ()):
                last = _last_day({"period": participant.get("period")})  # a membership has no status
                last = team_last if last is None or (team_last is not None and team_last < last) else last
                organisation(participant.get("member"), last)
                organisation(participant.get("onBehalfOf"), last)
            for team in resource.get("managingOrganization", ()):
                organisation(team, team_last)
                if (team_ref := local_reference(team)) is not None:
                    _later(managing, team_ref, team_last)
        elif rtype == "CarePlan":
            is_crisis = _is_crisis_plan(resource, crisis_categories)
            plans[ref] = _plan_stub(resource)
            if is_crisis:
                crisis_plans.add(ref)
                crisis_supporting.update(
                    r for info in resource.get("supportingInfo", ()) if (r := local_reference(info)) is not None
                )
            plan_last = _last_day(resource)
            for activity in resource.get("activity", ()):
                detail = activity.get("detail") or {}
                contact = (CRISIS_CONTENT, "crisis-contact") in codings(detail.get("code"))
                for performer in detail.get("performer", ()):
                    organisation(performer, plan_last)
                    target = local_reference(performer)
                    if is_crisis and contact and target is not None and target.startswith("RelatedPerson/"):
                        crisis.add(target)
            if resource.get("status") != "entered-in-error":
                # the entitlement, not the plan, says how long the duty lasts: an ended plan
                # of after-care still in force keeps its bodies responsible
                responsible(resource, None)
        elif rtype in ("EpisodeOfCare", "Encounter"):
            provider = resource.get("managingOrganization" if rtype == "EpisodeOfCare" else "serviceProvider")
            organisation(provider, _last_day(resource))
            if (provider_ref := local_reference(provider)) is not None and provider_ref.startswith("Organization/"):
                _later(providing, provider_ref, _last_day(resource))
    # a refusal to share with a carer is not "do not involve" (DE-173): the carer may still
    # tell the team what they see (IS-12) and be signposted (IS-08), so clinicians go on
    # seeing who they are, who told them what, and the plan's contacts as the trust wrote them
    return ServiceUserRecord(
        service_user_id=service_user_id,
        patient_ref=patient_ref,
        general_practitioners=frozenset(gps),
        provisions=tuple(found),
        not_involved=frozenset(not_involved),
        involved_organisations=involved,
        crisis_contacts=frozenset(crisis - not_involved),
        crisis_supporting=frozenset(crisis_supporting),
        plans=plans,
        crisis_plans=frozenset(crisis_plans),
        managing_organisations=managing,
        providing_organisations=providing,
        section_117_responsible=section_117,
        references={ref: frozenset(references_of(resource)) for ref, resource in by_ref.items()},
    )


#: the elements of a care plan a Consent's provision is judged by (``policy.covers``):
#: its type, profiles and categories, and the plans it is part of, replaces or is based on
#: (``data`` meaning ``dependents``)
_PLAN_STUB = ("resourceType", "id", "category", "partOf", "replaces", "basedOn")


def _plan_stub(plan: Json) -> Json:
    stub = {k: plan[k] for k in _PLAN_STUB if k in plan}
    profiles = (plan.get("meta") or {}).get("profile")
    if profiles:
        stub["meta"] = {"profile": profiles}
    return stub


def references_of(resource: Json) -> set[str]:
    """Every local reference a resource makes (``Type/id``)."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = local_reference(node)
            if ref is not None:
                out.add(ref)
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(resource)
    return out


Lookup = Callable[[str], Json | None]
