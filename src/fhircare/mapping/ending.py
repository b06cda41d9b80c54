"""What happens to a resource the trust's extract no longer holds: it is ended, never
deleted, so nothing vanishes silently from the shared care record (a partner who saw a
plan yesterday sees today that it ended, and when).

The rules, one per resource type (README "Sync to a shared care record" lists them):

- CarePlan: ``completed`` when its period ended on or before the day of the run,
  otherwise ``revoked`` (ended before completion); ``period.end`` set to that day.
- Goal: lifecycleStatus ``cancelled``.
- CareTeam: ``inactive``, every participant's period ended. A member who disappears from
  a care team that is still there is kept as a participant whose period ended
  (:func:`carry_over`), so the team's history stays whole.
- RelatedPerson: ``active`` false, period ended.
- Consent: ``inactive``.
- EpisodeOfCare: ``finished``, period ended.
- Encounter: ``unknown`` while it was open (the trust no longer says how it went),
  ``cancelled`` when only planned.
- Flag: ``inactive``, period ended. Condition: clinicalStatus ``inactive``.
- Task: an open one ``cancelled``; a DIALOG offer not rated (rejected or cancelled) stays
  as it was: what happened stays true.
- RiskAssessment, MedicationStatement: status ``unknown``: the trust no longer says whether
  the assessment stands or the medicine is taken (nothing is claimed to have stopped).
- DocumentReference (the crisis plan pointer): ``superseded``: urgent care no longer finds
  it as the current plan.
- Patient: ``active`` false (only when the whole service user is ended).
- Anything else (QuestionnaireResponse, Observation, Provenance, ...): a record of what
  happened stays true; it is marked as withdrawn from the trust's extract.

Each ended resource also says so in its narrative and carries the ``record-withdrawn``
extension (with the day). Both marks below are extensions, never meta.tag: the state they
mark can end, and a server may keep a resource's tags across updates.

A refusal is not ended because its row is gone (:func:`is_safeguard`): a Consent that
refuses a disclosure, and a Flag that says someone is not to be involved, widen what is
disclosed when they end, so only the trust's own word ends them (a row saying it was
withdrawn, or an operator confirming the extract is whole); a row lost from an export
must not disclose a plan to the person the service user refused (hazard H04).

While a service user's latest extract is rejected, their current resources stay as they
were loaded last, marked not current (``hold_back``: the ``record-not-current`` extension
and the narrative's first paragraph); the next extract of theirs that loads replaces them.
Pure functions over FHIR JSON; the record store decides when to call them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import date
from html import escape

import orjson

from fhircare.mapping.fhir import CODE_SYSTEM, STRUCTURE_DEFINITION, Json, decides_disclosure, end_day
from fhircare.mapping.flags import DO_NOT_INVOLVE, FLAG_CODE, FLAG_DETAIL
from fhircare.mapping.narrative import long_date

#: on every resource fhircare ended because the trust's extract no longer holds it, with the
#: day it was ended. An extension, not a meta.tag: the extract may hold the resource again,
#: and a server may keep a resource's tags across updates (HAPI FHIR does), so a tag would go
#: on saying "no longer in the trust's record" of a live resource (a depot medicine, found
#: by the integration test)
WITHDRAWN_EXTENSION = STRUCTURE_DEFINITION + "record-withdrawn"
#: the meta.tag that marked an ended resource before the extension (stores written then)
LEGACY_WITHDRAWN_TAG: Json = {"system": CODE_SYSTEM + "record-lifecycle", "code": "withdrawn"}

#: on every current resource of a service user whose latest extract was rejected, with the
#: day it stopped being current: the shared record goes on showing their last good record
#: (withholding a crisis plan is the greater harm), and this says it is not the current one
#: (hazard log H10). An extension, not a meta.tag: a server may keep a resource's tags across
#: updates (HAPI FHIR does), and the mark would outlive the state it marks
NOT_CURRENT_EXTENSION = STRUCTURE_DEFINITION + "record-not-current"
#: the narrative's first paragraph while held back; the class finds it again to take it out
_HELD_BACK_CLASS = "fhircare-held-back"
_HELD_BACK_NOTE = re.compile(f'<p class="{_HELD_BACK_CLASS}">[^<]*</p>')

_OPEN_PLAN = {"draft", "active", "on-hold", "unknown"}
_CLOSED_GOAL = {"completed", "cancelled", "entered-in-error", "rejected"}
_OPEN_ENCOUNTER = {"arrived", "triaged", "in-progress", "onleave"}


def _end_period(resource: Json, day: date, key: str = "period") -> None:
    found = resource.get(key)
    span = dict(found) if isinstance(found, dict) else {}
    if "end" not in span:
        span["end"] = day.isoformat()
        if "start" in span and span["start"][:10] > span["end"]:
            # a period that had not started yet ends when it would have begun
            span["end"] = span["start"]
        resource[key] = span


def _care_plan(resource: Json, day: date) -> None:
    if resource.get("status") not in _OPEN_PLAN:
        return
    end = (resource.get("period") or {}).get("end")
    resource["status"] = "completed" if end is not None and end[:10] <= day.isoformat() else "revoked"
    _end_period(resource, day)


def _goal(resource: Json, day: date) -> None:
    if resource.get("lifecycleStatus") not in _CLOSED_GOAL:
        resource["lifecycleStatus"] = "cancelled"


def _care_team(resource: Json, day: date) -> None:
    if resource.get("status") in ("active", "proposed", "suspended"):
        resource["status"] = "inactive"
    for participant in resource.get("participant") or []:
        _end_period(participant, day)
    _end_period(resource, day)
    if resource.get("extension") and _only_awaiting(resource):
        del resource["extension"]


def _only_awaiting(resource: Json) -> bool:
    """An ended team waits for nobody: the awaiting-allocation marker goes with it."""
    return all(str(e.get("url", "")).endswith("lead-awaiting-allocation") for e in resource.get("extension", []))


def _related_person(resource: Json, day: date) -> None:
    resource["active"] = False
    _end_period(resource, day)


def _consent(resource: Json, day: date) -> None:
    if resource.get("status") in ("active", "proposed", "draft"):
        resource["status"] = "inactive"


def _episode(resource: Json, day: date) -> None:
    if resource.get("status") not in ("finished", "cancelled", "entered-in-error"):
        resource["status"] = "finished"
        _end_period(resource, day)


def _encounter(resource: Json, day: date) -> None:
    status = resource.get("status")
    if status == "planned":
        resource["status"] = "cancelled"
    elif status in _OPEN_ENCOUNTER:
        resource["status"] = "unknown"


def _flag(resource: Json, day: date) -> None:
    if resource.get("status") == "active":
        resource["status"] = "inactive"
        _end_period(resource, day)


def _condition(resource: Json, day: date) -> None:
    resource["clinicalStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "inactive",
                "display": "Inactive",
            }
        ]
    }


_OPEN_TASK = {"draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold"}


def _task(resource: Json, day: date) -> None:
    if resource.get("status") in _OPEN_TASK:
        resource["status"] = "cancelled"


def _unknown(resource: Json, day: date) -> None:
    if resource.get("status") != "entered-in-error":
        resource["status"] = "unknown"


def _medication(resource: Json, day: date) -> None:
    _unknown(resource, day)
    # when the next dose is due is no longer known either (fhircare-medication-statement-1)
    kept = [e for e in resource.get("extension") or [] if not str(e.get("url", "")).endswith("/next-dose-due")]
    if kept:
        resource["extension"] = kept
    else:
        resource.pop("extension", None)


def _document_reference(resource: Json, day: date) -> None:
    if resource.get("status") == "current":
        resource["status"] = "superseded"


def _patient(resource: Json, day: date) -> None:
    resource["active"] = False


_RULES: dict[str, Callable[[Json, date], None]] = {
    "CarePlan": _care_plan,
    "Goal": _goal,
    "CareTeam": _care_team,
    "RelatedPerson": _related_person,
    "Consent": _consent,
    "EpisodeOfCare": _episode,
    "Encounter": _encounter,
    "Flag": _flag,
    "Condition": _condition,
    "Task": _task,
    "RiskAssessment": _unknown,
    "MedicationStatement": _medication,
    "DocumentReference": _document_reference,
    "Patient": _patient,
}


def _has_extension(resource: Json, url: str) -> bool:
    extensions = resource.get("extension")
    return isinstance(extensions, list) and any(isinstance(e, dict) and e.get("url") == url for e in extensions)


def is_withdrawn(resource: Json) -> bool:
    if _has_extension(resource, WITHDRAWN_EXTENSION):
        return True
    tags = (resource.get("meta") or {}).get("tag")
    return isinstance(tags, list) and any(
        isinstance(t, dict) and t.get("system") == LEGACY_WITHDRAWN_TAG["system"] and t.get("code") == "withdrawn"
        for t in tags
    )


#: how the marks read in stored (orjson, compact) content, for a test without parsing it
_WITHDRAWN_BYTES = (f'"url":"{WITHDRAWN_EXTENSION}"'.encode(), b'"code":"withdrawn"')


def withdrawn_in(content: bytes) -> bool:
    """:func:`is_withdrawn` of stored content, without parsing it (the sync asks it of
    every resource it sends)."""
    return any(mark in content for mark in _WITHDRAWN_BYTES)


def prepend_paragraphs(div: str, paragraphs: str) -> str:
    """``div`` (a narrative's XHTML) with ``paragraphs`` first inside it, where a reader
    sees them before anything the resource says."""
    opened = div.index(">") + 1
    return div[:opened] + paragraphs + div[opened:]


def end_resource(resource: Json, day: date) -> Json:
    """The resource as ended on ``day`` (a new object; ``resource`` is unchanged). Ending
    an ended resource changes nothing, so re-running a load is stable."""
    if is_withdrawn(resource):
        return resource
    # ended now, whatever it was while held back (``release`` copies only when marked)
    ended = copy.deepcopy(release(resource))
    rule = _RULES.get(ended.get("resourceType", ""))
    if rule is not None:
        rule(ended, day)
    ended["extension"] = [*(ended.get("extension") or []), {"url": WITHDRAWN_EXTENSION, "valueDate": day.isoformat()}]
    _say_ended(ended, day)
    return ended


def is_safeguard(resource: Json, day: date) -> bool:
    """The resource, while current, keeps something from someone on ``day``: a Consent that
    refuses a disclosure (its provision a ``deny`` of ``disclose`` or ``access``, or of
    everything, whose period has not ended: the refusals the access policy applies), or an
    active Flag that someone is not to be involved. Ending it would widen what is disclosed
    (see the module docstring). A permit with an exception is not one (keeping it would
    keep its permit too), nor a carer's refusal to have their details recorded (ending it
    discloses nothing)."""
    if is_withdrawn(resource):
        return False
    rtype = resource.get("resourceType")
    if rtype == "Consent":
        provision = resource.get("provision")
        return (
            resource.get("status") == "active"
            and isinstance(provision, dict)
            and provision.get("type") == "deny"
            and _refuses_disclosure(provision)
            and not _ended_before(provision.get("period"), day)
        )
    if rtype == "Flag" and resource.get("status") == "active":
        return (FLAG_CODE, DO_NOT_INVOLVE) in _codings(resource.get("code"))
    return False


def safeguards_to_keep(
    gone: list[Json], lifted: set[tuple[str, str]], present_consents: list[Json], day: date
) -> list[Json]:
    """Of the resources a service user's extract no longer holds (``gone``; ``lifted`` the
    RelatedPersons whose rows say they may be involved, ``present_consents`` the extract's
    Consents), the safeguards that only a lost row can explain, to keep in force:

    - a do-not-involve Flag unless the person's row is there and says, in so many words, that
      they may be involved (``lifted``: the trust's word); a row whose cell is blank (an
      export that stopped joining the alerts, a column renamed) says nothing, and the flag
      stays (found by a review);
    - a refusal that no refusal the extract holds repeats (the same recipients and scope,
      recorded again under another id): otherwise the refusal is in force through that one."""
    repeated = {_refusal_scope(c) for c in present_consents if is_safeguard(c, day)}
    kept = []
    for resource in gone:
        if not is_safeguard(resource, day):
            continue
        if resource.get("resourceType") == "Flag":
            if any(p in lifted for p in people_not_involved(resource)):
                continue
        elif _refusal_scope(resource) in repeated:
            continue
        kept.append(resource)
    return kept


def people_not_involved(flag: Json) -> list[tuple[str, str]]:
    """The RelatedPersons a do-not-involve Flag names (its ``flag-detail``), as keys."""
    people = (_key(d.get("valueReference")) for d in _extensions(flag, FLAG_DETAIL))
    return [p for p in people if p is not None and p[0] == "RelatedPerson"]


def _refuses_disclosure(provision: Json) -> bool:
    """The refusal decides a disclosure: the access policy's own rule (``access`` or
    ``disclose``, or no action at all), so that every refusal the policy applies is kept."""
    return decides_disclosure({str(code) for _system, code in _codings_of(provision.get("action"))})


def _ended_before(period: object, day: date) -> bool:
    """The period ended before ``day``, read as the access policy reads it (``2024-12``
    ends on 31 December); an end that is not a date has not ended: the refusal stands
    (fail safe)."""
    last = end_day(period.get("end"), unreadable=None) if isinstance(period, dict) else None
    return last is not None and last < day


def _refusal_scope(consent: Json) -> bytes:
    """What a refusal refuses, whatever its id, dates and narrative: its provision but the period."""
    provision = {k: v for k, v in (consent.get("provision") or {}).items() if k != "period"}
    return orjson.dumps(provision, option=orjson.OPT_SORT_KEYS)


def _codings(concept: object) -> set[tuple[object, object]]:
    coding = concept.get("coding", ()) if isinstance(concept, dict) else ()
    return {(c.get("system"), c.get("code")) for c in coding if isinstance(c, dict)}


def _codings_of(concepts: object) -> set[tuple[object, object]]:
    found: set[tuple[object, object]] = set()
    for concept in concepts if isinstance(concepts, list) else ():
        found |= _codings(concept)
    return found


def _extensions(resource: Json, url: str) -> list[Json]:
    return [e for e in resource.get("extension", ()) if isinstance(e, dict) and e.get("url") == url]


def _key(reference: object) -> tuple[str, str] | None:
    ref = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(ref, str) or ref.count("/") != 1:
        return None
    rtype, rid = ref.split("/")
    return rtype, rid


def is_held_back(resource: Json) -> bool:
    return _has_extension(resource, NOT_CURRENT_EXTENSION)


def hold_back(resource: Json, day: date) -> Json:
    """The resource marked as not current since ``day``, when the service user's extract
    was rejected (a new object). A resource already marked, or ended, is returned as it is,
    so a service user rejected run after run keeps the day it began."""
    if is_withdrawn(resource) or is_held_back(resource):
        return resource
    held = copy.deepcopy(resource)
    held["extension"] = [*(held.get("extension") or []), {"url": NOT_CURRENT_EXTENSION, "valueDate": day.isoformat()}]
    text = held.get("text")
    div = text.get("div") if isinstance(text, dict) else None
    if isinstance(text, dict) and isinstance(div, str) and div.startswith("<div") and ">" in div:
        sentence = (
            f"Not current: the trust’s extract of {long_date(day)} for this service user could not be loaded,"
            " so this is the last record of theirs that could be. Check with the trust before acting on it."
        )
        text["div"] = prepend_paragraphs(div, f'<p class="{_HELD_BACK_CLASS}">{escape(sentence, quote=False)}</p>')
    return held


def lifecycle_notes(resource: Json) -> list[str]:
    """The narrative's paragraphs (XHTML) saying the resource is not current or was ended,
    for a view that replaces the narrative and must not lose them."""
    text = resource.get("text")
    div = text.get("div") if isinstance(text, dict) else None
    if not isinstance(div, str):
        return []
    notes = []
    if is_held_back(resource) and (held := _HELD_BACK_NOTE.search(div)):
        notes.append(held.group(0))
    if is_withdrawn(resource) and (ended := _ENDED_NOTE.search(div)):
        notes.append(ended.group(0))
    return notes


def release(resource: Json) -> Json:
    """The resource without the held-back mark (a new object when it had one): an extract
    of the service user loaded again, and what it no longer holds is ended from this."""
    if not is_held_back(resource):
        return resource
    released = copy.deepcopy(resource)
    kept = [e for e in released["extension"] if not (isinstance(e, dict) and e.get("url") == NOT_CURRENT_EXTENSION)]
    if kept:
        released["extension"] = kept
    else:
        released.pop("extension")
    text = released.get("text")
    if isinstance(text, dict) and isinstance(text.get("div"), str):
        text["div"] = _HELD_BACK_NOTE.sub("", text["div"], count=1)
    return released


#: the narrative's paragraph saying a resource was ended (trust text is escaped: no ``<p>``)
_ENDED_NOTE = re.compile("<p>No longer in the trust’s record since [^<]*</p>")


def _say_ended(resource: Json, day: date) -> None:
    text = resource.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("div"), str) or not text["div"].endswith("</div>"):
        return
    note = f"<p>{escape(f'No longer in the trust’s record since {long_date(day)}: ended then.', quote=False)}</p>"
    text["div"] = text["div"][: -len("</div>")] + note + "</div>"


def _participant_key(participant: Json) -> tuple[str, str, str]:
    member = (participant.get("member") or {}).get("reference", "")
    roles = ",".join(
        f"{c.get('system')}|{c.get('code')}" for r in participant.get("role") or [] for c in r.get("coding") or []
    )
    start = (participant.get("period") or {}).get("start", "")
    return member, roles, start


def carry_over(new: Json, previous: Json, day: date) -> Json:
    """``new`` with what ``previous`` held and ``new`` no longer does, ended on ``day``.

    Today this applies to CareTeam participants: a member missing from the extract's care
    team stays in the shared record as a participant whose period ended (never silently
    removed), and is said so in the narrative. Other types are returned unchanged."""
    if new.get("resourceType") != "CareTeam" or previous.get("resourceType") != "CareTeam":
        return new
    present = {_participant_key(p) for p in new.get("participant") or []}
    gone = [p for p in previous.get("participant") or [] if _participant_key(p) not in present]
    if not gone:
        return new
    merged = copy.deepcopy(new)
    for participant in gone:
        kept = copy.deepcopy(participant)
        _end_period(kept, day)
        merged.setdefault("participant", []).append(kept)
    text = merged.get("text")
    if isinstance(text, dict) and isinstance(text.get("div"), str) and text["div"].endswith("</div>"):
        count = len(gone)
        who = "member" if count == 1 else "members"
        note = f"{count} former {who} no longer in the trust’s record (ended by {long_date(day)} at the latest)."
        text["div"] = text["div"][: -len("</div>")] + f"<p>{escape(note, quote=False)}</p></div>"
    return merged
