"""The access policy engine: applies the table of ``policy_table`` to one resource for one
partner, from what the service user's record says (``record``).

:func:`decide` answers with the resource as the partner may see it (whole, or a view of
it) or None. None is the only refusal there is: the API answers it exactly as it answers
a resource that does not exist, so a refusal never tells a partner that a record exists.

Order of decision:

1. hard rules: an AuditEvent is for the administrator only and the administrator reads
   nothing else; very restricted information (v3 V) is never disclosed; information a
   carer asked to keep from the service user never reaches a patient-facing reader; a
   person the service user does not want involved never appears as a contact;
2. the gate: may this partner see this service user at all (``policy_table.PROFILES``),
   and has the service user refused them everything (a refusal always wins);
3. the table: the kinds of information the resource holds, and the rows that grant one
   of them to this partner's organisation type on a basis that holds;
4. the view: the widest view granted, with people not to be involved removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhircare.api import views
from fhircare.api.policy_table import (
    CONSENTED,
    CRISIS_CATEGORIES,
    DO_NOT_INVOLVE_FLAG_CODE,
    NEVER_DISCLOSED,
    PATIENT_FACING,
    PROFILE_KINDS,
    PROFILES,
    REASONABLE_ADJUSTMENT_FLAG_CODE,
    RULES,
    SECTION_117_CATEGORIES,
    SECTION_117_FLAG_CODE,
    WITHHELD_FROM_SERVICE_USER,
    Basis,
    Gate,
    Info,
    OrganisationType,
    Profile,
    Rule,
    View,
)
from fhircare.api.record import (
    CARERS_ASSESSMENT_EXTENSION,
    V2_CONTACT_ROLE,
    Provision,
    ServiceUserRecord,
    codings,
    lasting_on,
    references_of,
    responsible_bodies,
)
from fhircare.store.search_index import local_reference

Json = dict[str, Any]

DIRECTORY_TYPES = frozenset({"Organization", "Practitioner", "PractitionerRole", "HealthcareService", "Location"})


@dataclass(frozen=True)
class Viewer:
    """A registered partner, as the policy sees it."""

    client_id: str
    organisation_type: OrganisationType
    #: ``Organization/<id>`` of the partner in the store (and of the teams part of it)
    organisations: frozenset[str]

    @property
    def profile(self) -> Profile:
        return PROFILES[self.organisation_type]


# --- consent provisions -----------------------------------------------------------------


def _involved(viewer: Viewer, record: ServiceUserRecord, day: date) -> bool:
    """The partner is involved in the care on ``day`` (a membership, plan, episode or
    encounter that has ended involves no one any more), or is the registered practice."""
    return bool(viewer.organisations & (record.involved_on(day) | record.general_practitioners))


def applies(provision: Provision, viewer: Viewer, record: ServiceUserRecord, day: date) -> bool:
    """The provision is in force and is about this partner and its purposes. A refusal
    naming no one refuses everyone; a permit naming no one permits no one; a permit to
    every partner of a type counts only for one involved in the care."""
    if not provision.in_force(day):
        return False
    if provision.permit and record.held_back:
        # the trust's latest extract of this service user was rejected: what it said is
        # unknown, and may withdraw this permit; refusals still count, and direct care
        # (the practice, the managing trust, urgent care) does not rest on a permit
        return False
    if provision.purposes and not provision.purposes & set(viewer.profile.purposes):
        return False
    if (
        provision.permit
        and provision.basis == Basis.LEGAL_SECTION_117.value
        and not record.section_117_responsible_on(day) & viewer.organisations
    ):
        # the duty is the responsible bodies' and lasts as long as their entitlement: once
        # the ICB and the local authority agree it has ended (DE-007, R-48), or for a body
        # another entitlement names instead, a permit resting on it permits nothing
        return False
    if provision.names_no_recipient:
        return not provision.permit
    if provision.actors & viewer.organisations:
        return True
    if provision.partner_types & viewer.profile.partner_codes:
        return not provision.permit or _involved(viewer, record, day)
    return False


def covers(provision: Provision, resource: Json, record: ServiceUserRecord) -> bool:
    """The provision covers the resource: its class, code and data all match (each one
    given). A refusal that names nothing covers everything; a permit that names nothing
    covers nothing (never widen a permit on a guess)."""
    if provision.names_nothing:
        return not provision.permit
    rtype = resource.get("resourceType")
    if provision.classes:
        profiles = set((resource.get("meta") or {}).get("profile", ()))
        if rtype not in provision.classes and not profiles & provision.classes:
            return False
    if provision.codes and not codings(resource.get("category")) & provision.codes:
        return False
    if provision.data:
        key = f"{rtype}/{resource.get('id')}"
        return any(_data_matches(meaning, ref, key, resource, record) for meaning, ref in provision.data)
    return True


def _data_matches(meaning: str, ref: str, key: str, resource: Json, record: ServiceUserRecord) -> bool:
    if ref == key:
        return True
    if meaning == "related":  # what the named resource refers to
        return key in record.references.get(ref, frozenset())
    if meaning == "dependents":  # what refers to the named resource
        return ref in references_of(resource)
    return False


def _permits(viewer: Viewer, record: ServiceUserRecord, day: date) -> list[Provision]:
    return [p for p in record.provisions if p.permit and applies(p, viewer, record, day)]


def _refused(resource: Json | None, viewer: Viewer, record: ServiceUserRecord, day: date) -> bool:
    """An applicable refusal covers the resource (None: a refusal of everything). A refusal
    wins over any permit (profiles/README.md "What a reader may show to whom")."""
    refusals = [p for p in record.provisions if not p.permit and applies(p, viewer, record, day)]
    if resource is None:
        return any(p.names_nothing for p in refusals)
    return any(covers(p, resource, record) for p in refusals)


#: kinds of information that are a plan's content where a reader is shown them as such,
#: with whether only a crisis, contingency or safety plan's refusal counts: the needs the
#: plan addresses, what the service user says about themselves, its goals and reviews; and
#: what a crisis plan points to (its triggers, early warning signs, what helps, the advance
#: statement, the risk assessment and medication it names, and the pointer that finds it)
PLAN_CONTENT: Mapping[Info, bool] = {
    Info.NEED: False,
    Info.ABOUT_ME: False,
    Info.GOAL: False,
    Info.REVIEW: False,
    Info.CRISIS_INFORMATION: True,
}


def in_refused_plan(resource: Json, viewer: Viewer, record: ServiceUserRecord, day: date, crisis_only: bool) -> bool:
    """An applicable refusal covers a care plan (with ``crisis_only``, a crisis,
    contingency or safety plan) that points to the resource (``addresses``, ``goal``,
    ``supportingInfo``) or that the resource points to (a review of the plan; the pointer
    that finds a crisis plan). Read as the plan's content, they are the plan: a service
    user who refused a reader their care plan refused its needs, strengths and reviews as
    well, as they did the crisis plan's triggers when those were its activities. Read as a
    kind of their own (a trust's risk assessment) they are not covered."""
    key = f"{resource.get('resourceType')}/{resource.get('id')}"
    points_to = references_of(resource)
    linked = [
        plan
        for ref, plan in record.plans.items()
        if (not crisis_only or ref in record.crisis_plans)
        and (key in record.references.get(ref, frozenset()) or ref in points_to)
    ]
    if not linked:
        return False
    refusals = [p for p in record.provisions if not p.permit and applies(p, viewer, record, day)]
    return any(covers(p, plan, record) for p in refusals for plan in linked)


# --- the gate -----------------------------------------------------------------------------


def may_see_service_user(viewer: Viewer, record: ServiceUserRecord, day: date) -> bool:
    """Remembered on the record (which is replaced whenever the service user's record
    changes) for this viewer and day."""
    key = ("gate", viewer, day)
    found = record.memo.get(key)
    if found is None:
        found = record.memo[key] = _gate(viewer, record, day)
    return bool(found)


def _gives_care(viewer: Viewer, record: ServiceUserRecord, day: date) -> bool:
    """The partner (a trust) manages the care team, or provides care on ``day``: an episode
    it manages, an admission to its ward or a placement with it that has not ended (P-05:
    receiving trusts and out-of-area providers get the handover: plan, need and risk)."""
    return bool((record.managing_on(day) | record.providing_on(day)) & viewer.organisations)


def _gate(viewer: Viewer, record: ServiceUserRecord, day: date) -> bool:
    gate = viewer.profile.gate
    if gate is Gate.NEVER or _refused(None, viewer, record, day):
        return False
    if gate is Gate.NAMED:
        return True
    if gate is Gate.REGISTERED:
        return bool(record.general_practitioners & viewer.organisations)
    permitted = bool(_permits(viewer, record, day))
    if gate is Gate.MANAGING_OR_PERMITTED:
        return permitted or _gives_care(viewer, record, day)
    if gate is Gate.PERMITTED_OR_SECTION_117:
        return permitted or bool(record.section_117_responsible_on(day) & viewer.organisations)
    return permitted


# --- kinds of information -----------------------------------------------------------------


def _labels(resource: Json) -> frozenset[tuple[str | None, str]]:
    return codings((resource.get("meta") or {}).get("security", ()))


def kinds(resource: Json, viewer: Viewer, record: ServiceUserRecord | None) -> set[Info]:
    """The kinds of information a resource holds, as the table tells them apart."""
    rtype = resource.get("resourceType")
    if rtype in DIRECTORY_TYPES:
        return {Info.DIRECTORY}
    if rtype == "CarePlan":
        categories = codings(resource.get("category"))
        if categories & CRISIS_CATEGORIES:
            return {Info.CRISIS_PLAN}
        return {Info.CARE_PLAN, *((Info.SECTION_117_PLAN,) if categories & SECTION_117_CATEGORIES else ())}
    if rtype == "RelatedPerson":
        found = {Info.CONTACT}
        key = f"RelatedPerson/{resource.get('id')}"
        roles = codings(resource.get("relationship"))
        if (record is not None and key in record.crisis_contacts) or (V2_CONTACT_ROLE, "C") in roles:
            found.add(Info.CRISIS_CONTACT)
        if _assessed_by(resource, viewer):
            found.add(Info.CARERS_ASSESSMENT)
        return found
    profiled = {PROFILE_KINDS[p] for p in _profiles(resource) if p in PROFILE_KINDS}
    if profiled:
        return profiled
    if rtype in ("RiskAssessment", "MedicationStatement"):
        own = Info.RISK if rtype == "RiskAssessment" else Info.MEDICATION
        pointed = record is not None and f"{rtype}/{resource.get('id')}" in record.crisis_supporting
        # the risk assessment and medication a crisis plan points to are part of it (IS-18)
        return {own, Info.CRISIS_INFORMATION} if pointed else {own}
    if rtype == "Flag":
        code = codings(resource.get("code"))
        if DO_NOT_INVOLVE_FLAG_CODE in code:
            return {Info.DO_NOT_INVOLVE_FLAG}
        if REASONABLE_ADJUSTMENT_FLAG_CODE in code:
            return {Info.FLAG, Info.REASONABLE_ADJUSTMENT}
        return {Info.FLAG, *((Info.SECTION_117_ENTITLEMENT,) if SECTION_117_FLAG_CODE in code else ())}
    simple = {
        "Observation": Info.OBSERVATION,
        "Patient": Info.IDENTITY,
        "Goal": Info.GOAL,
        "CareTeam": Info.CARE_TEAM,
        "QuestionnaireResponse": Info.DIALOG_RESPONSE,
        "EpisodeOfCare": Info.EPISODE,
        "Encounter": Info.ENCOUNTER,
        "Consent": Info.CONSENT,
        "Condition": Info.CONDITION,
        "DocumentReference": Info.DOCUMENT,
        "Communication": Info.CARER_INFORMATION,
    }
    return {simple[rtype]} if rtype in simple else set()


def _profiles(resource: Json) -> list[str]:
    found = (resource.get("meta") or {}).get("profile", ())
    return [p for p in found if isinstance(p, str)] if isinstance(found, list) else []


def _assessed_by(resource: Json, viewer: Viewer) -> bool:
    for ext in resource.get("extension", ()):
        if isinstance(ext, dict) and ext.get("url") == CARERS_ASSESSMENT_EXTENSION:
            for part in ext.get("extension", ()):
                if (
                    isinstance(part, dict)
                    and part.get("url") == "assessingOrganisation"
                    and local_reference(part.get("valueReference")) in viewer.organisations
                ):
                    return True
    return False


# --- bases --------------------------------------------------------------------------------


def _ground(
    basis: Basis, resource: Json, viewer: Viewer, record: ServiceUserRecord, day: date, info: Info | None = None
) -> str | None:
    """The ground on which ``basis`` holds for this resource, as the AuditEvent records it
    (None: it does not hold). A Consent-based ground names the Consents that grant it
    (``explicit-consent Consent/c1``), so that an administrator can see which decision,
    and which kind (a best-interests decision, an override for risk), authorised each
    disclosure (EC-48, EC-49)."""
    if basis in (Basis.GATE, Basis.OWN_RECORD):
        return _gate_ground(viewer, record, day)  # the gate was passed before any row is read
    if basis is Basis.ALWAYS:
        return basis.value
    if _refused(resource, viewer, record, day):
        return None
    if info is not None and info in PLAN_CONTENT and in_refused_plan(resource, viewer, record, day, PLAN_CONTENT[info]):
        return None
    if basis is Basis.SEES_SERVICE_USER:
        # the gate was passed before any row is read: what opened it is the ground
        return _gate_ground(viewer, record, day)
    if basis is Basis.SECTION_117_RESPONSIBLE:
        return basis.value if lasting_on(responsible_bodies(resource), day) & viewer.organisations else None
    if basis is Basis.DIRECT_CARE and viewer.profile.gate is not Gate.MANAGING_OR_PERMITTED:
        # a row of direct care for a partner whose gate is its relationship (the registered
        # practice, urgent care) or a permit: what opened the gate is the ground
        return _gate_ground(viewer, record, day)
    if basis is Basis.DIRECT_CARE and _gives_care(viewer, record, day):
        return basis.value
    permits = [p for p in _permits(viewer, record, day) if covers(p, resource, record)]
    if basis is Basis.CONSENT:
        permits = [p for p in permits if p.basis in CONSENTED]
    elif basis is not Basis.DIRECT_CARE:
        # another trust that neither manages nor provides the care reads on a consent: only
        # what the consent covers (a permit for the crisis plan is not a permit for the record)
        permits = [p for p in permits if p.basis == basis.value]
    return _consents(permits) or None


def _consents(permits: list[Provision]) -> str:
    """Permits as a ground names them: ``explicit-consent Consent/c1, risk-override Consent/c2``."""
    return ", ".join(sorted({f"{p.basis} {p.consent_id}" for p in permits}))


def _gate_ground(viewer: Viewer, record: ServiceUserRecord, day: date) -> str:
    """What let the partner see this service user at all (``_gate``), as the audit records
    a disclosure resting on it: direct care (the registered practice, urgent care's named
    patient, the trust that manages or provides the care), Section 117 responsibility, or
    the Consents that permit it (an override for risk opening a VCSE partner's gate is
    named as such, not as "permitted")."""
    gate = viewer.profile.gate
    if gate is Gate.REGISTERED:
        return f"{Basis.DIRECT_CARE.value} registered"
    if gate is Gate.NAMED:
        return f"{Basis.DIRECT_CARE.value} named"
    if gate is Gate.MANAGING_OR_PERMITTED and _gives_care(viewer, record, day):
        return Basis.DIRECT_CARE.value
    if gate is Gate.PERMITTED_OR_SECTION_117 and record.section_117_responsible_on(day) & viewer.organisations:
        return Basis.SECTION_117_RESPONSIBLE.value
    return _consents(_permits(viewer, record, day)) or gate.value


# --- the decision ---------------------------------------------------------------------------


def decide(viewer: Viewer, resource: Json, record: ServiceUserRecord | None, day: date) -> Json | None:
    """The resource as ``viewer`` may see it, or None (see the module docstring).
    ``record`` is the service user's record the resource belongs to (None for the
    directory, which belongs to no one)."""
    return decide_why(viewer, resource, record, day)[0]


def decide_why(
    viewer: Viewer, resource: Json, record: ServiceUserRecord | None, day: date
) -> tuple[Json | None, tuple[str, ...]]:
    """As :func:`decide`, with the grounds of the disclosure (``_ground``): one for each
    row of the table that granted a view, empty when nothing is disclosed."""
    rtype = resource.get("resourceType")
    admin = viewer.organisation_type is OrganisationType.ADMIN
    if rtype == "AuditEvent" or admin:
        return (resource, ("administrator",)) if rtype == "AuditEvent" and admin else (None, ())
    labels = _labels(resource)
    if labels & NEVER_DISCLOSED:
        return None, ()
    if viewer.organisation_type in PATIENT_FACING and labels & WITHHELD_FROM_SERVICE_USER:
        return None, ()
    if record is not None:
        if rtype == "RelatedPerson" and f"RelatedPerson/{resource.get('id')}" in record.not_involved:
            return None, ()
        if not may_see_service_user(viewer, record, day):
            return None, ()
    granted = _granted(resource, viewer, record, day)
    if not granted:
        return None, ()
    visible = views.apply(resource, set(granted), viewer.organisations, record, day)
    if View.WHOLE in granted:
        # what a narrower view rested on was not needed: an administrator reviewing that
        # Consent must not be shown a disclosure that did not depend on it
        return visible, (granted[View.WHOLE],)
    return visible, tuple(sorted(set(granted.values())))


def _granted(resource: Json, viewer: Viewer, record: ServiceUserRecord | None, day: date) -> dict[View, str]:
    """The views granted, each with the ground of the first row that granted it."""
    granted: dict[View, str] = {}
    rules = _RULES_BY_TYPE[viewer.organisation_type]
    for info in kinds(resource, viewer, record):
        for rule in rules.get(info, ()):
            if rule.view in granted:
                continue
            if record is None:
                if Basis.ALWAYS in rule.bases:
                    granted[rule.view] = Basis.ALWAYS.value
                continue
            ground = next((g for b in rule.bases if (g := _ground(b, resource, viewer, record, day, info))), None)
            if ground is not None:
                granted[rule.view] = ground
    return granted


#: the rows of the table by organisation type and kind of information
_RULES_BY_TYPE: dict[OrganisationType, dict[Info, list[Rule]]] = {}
for _rule in RULES:
    for _kind in _rule.organisation_types:
        _RULES_BY_TYPE.setdefault(_kind, {}).setdefault(_rule.info, []).append(_rule)
for _kind in OrganisationType:
    _RULES_BY_TYPE.setdefault(_kind, {})
