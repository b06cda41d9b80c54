"""Views of a resource narrower than the whole (``policy_table.View``), and the removal of
people the service user does not want involved from whatever is shown.

A narrowed resource keeps only the elements its view lists (never "everything but"), its
narrative is replaced (the stored one describes the whole resource), and it is labelled
REDACTED (v3 ObservationValue) so that a reader knows it is not the whole record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from fhircare.api.policy_table import DEFAULT_CONTACT_ROLES, LEAD_ROLES, View
from fhircare.api.record import (
    CRISIS_CONTENT,
    DEFAULT_LEAD_EXTENSION,
    FLAG_CODE,
    SD,
    ServiceUserRecord,
    codings,
    references_of,
)
from fhircare.mapping.ending import NOT_CURRENT_EXTENSION, WITHDRAWN_EXTENSION, lifecycle_notes, prepend_paragraphs
from fhircare.mapping.fhir import end_day
from fhircare.store.search_index import local_reference

Json = dict[str, Any]

REDACTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "REDACTED"}
_NARRATIVE = {
    "status": "generated",
    "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Only the part of this record that is shared with your'
    " organisation is shown.</p></div>",
}
#: the elements a narrowed CarePlan or CareTeam keeps
_KEPT = {
    "CarePlan": (
        "resourceType",
        "id",
        "meta",
        "identifier",
        "status",
        "intent",
        "category",
        "title",
        "subject",
        "period",
    ),
    "CareTeam": (
        "resourceType",
        "id",
        "meta",
        "identifier",
        "status",
        "category",
        "name",
        "subject",
        "period",
        "managingOrganization",
        "telecom",
    ),
}
_AWAITING = (SD + "lead-awaiting-allocation", SD + "key-worker-awaiting-allocation")
#: what says a resource is ended or not current (mapping.ending): never narrowed away
_LIFECYCLE = (WITHDRAWN_EXTENSION, NOT_CURRENT_EXTENSION)


def _performers(activity: Json) -> set[str]:
    detail = activity.get("detail") or {}
    return {r for p in detail.get("performer", ()) if (r := local_reference(p)) is not None}


def _is_crisis_contact(activity: Json) -> bool:
    return (CRISIS_CONTENT, "crisis-contact") in codings((activity.get("detail") or {}).get("code"))


def _current(participant: Json, day: date) -> bool:
    last = end_day((participant.get("period") or {}).get("end"), unreadable=date.min)
    return last is None or day <= last


def _is_lead(participant: Json, awaiting: bool) -> bool:
    roles = codings(participant.get("role"))
    if roles & LEAD_ROLES:
        return True
    if any(isinstance(e, dict) and e.get("url") == DEFAULT_LEAD_EXTENSION for e in participant.get("extension", ())):
        return True
    return awaiting and bool(roles & DEFAULT_CONTACT_ROLES)


#: Patient extensions only direct care sees (View.DEMOGRAPHICS)
_SPECIAL = frozenset({"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"})


def _label_redacted(out: Json) -> None:
    """Label a view REDACTED (once): it is not the whole resource."""
    meta = dict(out.get("meta") or {})
    labels = list(meta.get("security", ()))
    meta["security"] = labels if REDACTED in labels else [*labels, REDACTED]
    out["meta"] = meta


def _narrowed(resource: Json, field: str, kept: list[Json], *, whole: bool = False) -> Json:
    """``resource`` with ``field`` holding only ``kept``: every other element too when
    ``whole`` (a person not to be involved removed), else only those its view keeps."""
    out = dict(resource) if whole else {k: resource[k] for k in _KEPT[resource["resourceType"]] if k in resource}
    _label_redacted(out)
    out["text"] = _NARRATIVE
    marks = [e for e in resource.get("extension", ()) if isinstance(e, dict) and e.get("url") in _LIFECYCLE]
    if marks and not whole:
        out["extension"] = marks  # ended, or not current: kept in any view
    notes = lifecycle_notes(resource)
    if notes:
        # not current (H10), or ended (H09): said first in any narrative it is shown with
        out["text"] = {**_NARRATIVE, "div": prepend_paragraphs(_NARRATIVE["div"], "".join(notes))}
    if field:
        out[field] = kept
    return out


def _filter(resource: Json, field: str, keep: Callable[[Json], bool]) -> tuple[list[Json], bool]:
    items = [i for i in resource.get(field, ()) if isinstance(i, dict)]
    kept = [i for i in items if keep(i)]
    return kept, len(kept) != len(items)


def apply(
    resource: Json, granted: Iterable[View], organisations: frozenset[str], record: ServiceUserRecord | None, day: date
) -> Json | None:
    """The resource in the widest view granted (None when that view leaves nothing), with
    no reference left to a person the service user does not want involved."""
    not_involved = record.not_involved if record is not None else frozenset()
    shown = _view(resource, set(granted), organisations, not_involved, day)
    if shown is None or not not_involved or _names_them_to_keep_them_out(shown):
        return shown
    if not references_of(shown) & not_involved:
        return shown
    # anywhere else the person is named (an early warning sign they noticed, a goal they
    # expressed, an encounter they took part in, an older version): the reference goes, and
    # the narrative, which names them, is replaced
    scrubbed = _without(shown, not_involved)
    assert isinstance(scrubbed, dict)
    return _narrowed(scrubbed, "", [], whole=True)


#: Flags that name a person not to be involved for a reason (``_names_them_to_keep_them_out``)
_NAMING_FLAGS = frozenset({(FLAG_CODE, "do-not-involve"), (FLAG_CODE, "nearest-relative-not-involved")})


def _names_them_to_keep_them_out(resource: Json) -> bool:
    """The do-not-involve Flag, and a Consent (a refusal naming the person): they name the
    person so that no one involves them, and without the name a refusal to one person
    would read as a refusal to everyone. The nearest relative's "decision needed" Flag
    names them so that the care team, with an AMHP, decide how their rights under the
    Mental Health Act are met (H03): without the person and its narrative the decision has
    no subject (and its code's text names them all the same)."""
    rtype = resource.get("resourceType")
    return rtype == "Consent" or (rtype == "Flag" and bool(codings(resource.get("code")) & _NAMING_FLAGS))


def _without(node: Any, refs: frozenset[str]) -> Any:
    """``node`` with every Reference to one of ``refs`` removed (None: remove ``node``)."""
    if isinstance(node, dict):
        if "reference" in node and local_reference(node) in refs:
            return None
        out = {}
        for key, value in node.items():
            kept = _without(value, refs)
            if kept is not None and kept != [] and kept != {}:
                out[key] = kept
        return out if out or not node else None
    if isinstance(node, list):
        return [kept for item in node if (kept := _without(item, refs)) is not None]
    return node


def _view(
    resource: Json, views: set[View], organisations: frozenset[str], not_involved: frozenset[str], day: date
) -> Json | None:
    rtype = resource.get("resourceType")
    if rtype == "Patient" and View.WHOLE not in views:
        every = resource.get("extension", ())
        extensions = [e for e in every if not (isinstance(e, dict) and e.get("url") in _SPECIAL)]
        if len(extensions) == len(every):
            return resource
        out = {k: v for k, v in resource.items() if k != "extension"}
        if extensions:
            out["extension"] = extensions
        _label_redacted(out)
        return out  # the narrative does not say the ethnic category: it stands
    if rtype == "CarePlan":

        def keep_activity(activity: Json) -> bool:
            performers = _performers(activity)
            if performers & not_involved:
                return False
            if View.WHOLE in views:
                return True
            own = View.OWN_ACTIONS in views and bool(performers & organisations)
            return own or (View.CRISIS_CONTACTS in views and _is_crisis_contact(activity))

        kept, changed = _filter(resource, "activity", keep_activity)
        if View.WHOLE in views:
            return _narrowed(resource, "activity", kept, whole=True) if changed else resource
        return _narrowed(resource, "activity", kept) if kept else None
    if rtype == "CareTeam":
        awaiting = any(isinstance(e, dict) and e.get("url") in _AWAITING for e in resource.get("extension", ()))

        def keep_member(participant: Json) -> bool:
            member = local_reference(participant.get("member"))
            if member in not_involved:
                return False
            if View.WHOLE in views:
                return True
            return _current(participant, day) and (member in organisations or _is_lead(participant, awaiting))

        kept, changed = _filter(resource, "participant", keep_member)
        if View.WHOLE in views:
            return _narrowed(resource, "participant", kept, whole=True) if changed else resource
        return _narrowed(resource, "participant", kept)
    return resource if View.WHOLE in views else None
