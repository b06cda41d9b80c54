"""Crisis and urgent care contacts (fhircare-healthcare-service): the services a crisis,
contingency or safety plan names as whom to contact, with when they answer.

A service is shared directory data, like a team: made from its directory row alone, so
that it is the same in every service user's bundle (a sync keeps it current once). A
reader at 2am must tell a 24-hour line from an office-hours number, so each says when it
is available (availableTime: all seven days all day, or some days between two times) and
when it is not (notAvailable) ([000 §3.3.11] "information about 24 hour access to
services").
"""

from __future__ import annotations

from fhircare.mapping.fhir import Json, coding, concept, concept_of, meta, prune
from fhircare.mapping.labels import label
from fhircare.mapping.narrative import GENERATED, listing, narrative, sentence
from fhircare.mapping.refs import Refs
from fhircare.source.care_team import Service
from fhircare.source.codes import Weekday

_SERVICE_CATEGORY = "http://terminology.hl7.org/CodeSystem/service-category"
_MENTAL_HEALTH = "22"
_DAY_WORDS = {
    Weekday.MONDAY: "Monday",
    Weekday.TUESDAY: "Tuesday",
    Weekday.WEDNESDAY: "Wednesday",
    Weekday.THURSDAY: "Thursday",
    Weekday.FRIDAY: "Friday",
    Weekday.SATURDAY: "Saturday",
    Weekday.SUNDAY: "Sunday",
}


def available_around_the_clock(service: Service) -> bool:
    """Answers 24 hours a day, 7 days a week (and is open)."""
    return service.active and service.available_24_7


def hours_words(service: Service) -> str:
    """``every day, all day``; ``Monday to Friday, 09:00 to 17:00``."""
    if service.available_24_7:
        return "every day, all day (24 hours)"
    days = [d for d in Weekday if d in service.days]
    if len(days) == 7:
        when = "every day"
    elif days == list(Weekday)[:5]:
        when = "Monday to Friday"
    else:
        when = listing(_DAY_WORDS[d] for d in days)
    times = f"{service.opens_at} to {service.closes_at}" if service.opens_at else "all day"
    return f"{when}, {times}"


def _available_time(service: Service) -> list[Json]:
    if service.available_24_7:
        return [{"daysOfWeek": [d.value for d in Weekday], "allDay": True}]
    days = [d.value for d in Weekday if d in service.days]
    if service.opens_at is None:
        return [{"daysOfWeek": days, "allDay": True}]
    return [
        {
            "daysOfWeek": days,
            "availableStartTime": f"{service.opens_at}:00",
            "availableEndTime": f"{service.closes_at}:00",
        }
    ]


def healthcare_service(service: Service, refs: Refs) -> Json:
    key = refs.service(service.service_id)
    closed = None
    if service.not_available is not None:
        closed = prune(
            {
                "description": service.not_available,
                "during": {
                    k: v.isoformat()
                    for k, v in (("start", service.not_available_from), ("end", service.not_available_to))
                    if v is not None
                }
                or None,
            }
        )
    provider = refs.service_provider(service)
    status = "" if service.active else " It is no longer running."
    return prune(
        {
            "resourceType": "HealthcareService",
            "id": key.id,
            "meta": meta("fhircare-healthcare-service"),
            "text": narrative(
                sentence(f"{service.name} ({label(service.service_type)}): {service.phone}"),
                sentence(f"Available {hours_words(service)}")
                + (f" {service.not_available}." if closed else "")
                + status,
                status=GENERATED,
            ),
            "identifier": [key.identifier],
            "active": service.active,
            "providedBy": provider.reference(),
            "category": [concept(coding(_SERVICE_CATEGORY, _MENTAL_HEALTH))],
            "type": [concept_of(service.service_type)],
            "name": service.name,
            "telecom": [{"system": "phone", "value": service.phone, "use": "work"}],
            "availableTime": _available_time(service),
            "notAvailable": [closed] if closed else None,
        }
    )


def service_words(service: Service) -> str:
    """Whom to call and when, for a plan's narrative."""
    return f"{service.name}, {service.phone}, {hours_words(service)}"
