"""What a carer told the team (fhircare-carer-communication), as data in its own right: a
Communication from the carer (sender) to whoever recorded it, about the service user.

[004 §3.14] "The carer can share his / her / them, own view, and any other information
he / she /they, feel is necessary with the care team, regardless of whether the service
user has given permission or not." and "If a carer requests that information they share
with staff is not passed on to the service user, this request must be respected". Such
information is labelled restricted, NOPAT and carer-confidential (DD-17): kept from the
service user and every patient-facing output, but NOT from the clinicians and partners
who need it for safety — the request is only that the service user is not told.
"""

from __future__ import annotations

from fhircare.mapping.fhir import CODE_SYSTEM, Json, about_service_user, coding, concept, fhir_datetime
from fhircare.mapping.narrative import GENERATED, long_date, narrative, sentence
from fhircare.mapping.people import who
from fhircare.mapping.refs import Refs
from fhircare.source.carers import CarerInformation
from fhircare.source.local_codes import PerformerKind

COMMUNICATION_CATEGORY = CODE_SYSTEM + "communication-category"


def carer_communication(information: CarerInformation, refs: Refs) -> Json:
    key = refs.carer_information(information.carer_information_id)
    su = refs.record.service_user.given_name
    carer = who(PerformerKind.CARER, information.contact_id, refs)
    staff = information.recorded_by_staff_id
    recipient = refs.practitioner_role(staff) if staff else refs.trust
    withheld = (
        f"{carer} asked that this is not passed on to {su}: it is not shown to {su} or in anything"
        f" sent to {su}, but the care team and partners who need it to keep {su} safe can see it."
        if information.withhold_from_service_user
        else None
    )
    return {
        "resourceType": "Communication",
        "id": key.id,
        "meta": about_service_user("fhircare-carer-communication", withheld=information.withhold_from_service_user),
        "text": narrative(
            sentence(f"On {long_date(information.received_at)} {carer} told the team about {su}"),
            information.summary,
            withheld,
            status=GENERATED,
        ),
        "identifier": [key.identifier],
        "status": "completed",
        "category": [concept(coding(COMMUNICATION_CATEGORY, "carer-information"))],
        "subject": refs.patient.reference(),
        "sent": fhir_datetime(information.received_at),
        "received": fhir_datetime(information.received_at),
        "recipient": [recipient.reference()],
        "sender": refs.contact(information.contact_id).reference(),
        "payload": [{"contentString": information.summary}],
    }
