// EpisodeOfCare (one team's involvement: the care coordination episode) and Encounter
// (an inpatient stay or an out-of-area placement).

Profile: FhircareEpisodeOfCare
Parent: EpisodeOfCare
Id: fhircare-episode-of-care
Title: "fhircare EpisodeOfCare (care coordination episode)"
Description: "One team's involvement with the service user, an open team referral (requirements.md DE-034, DE-037, DE-040): its service line, its care coordination arrangement (optional and dated, never defaulted), its status (waitlist: accepted but nobody allocated yet, EC-01), the named key worker as care manager while this team holds that role (during a transfer it stays with the originating team, EC-10), and the episode it continues (EC-27)."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains
    CareCoordinationArrangementExtension named careCoordinationArrangement 0..* MS and
    PreviousEpisodeExtension named previousEpisode 0..1 MS and
    TransferOfCareExtension named transferOfCare 0..* MS
* status MS
* type 1..* MS
* type from ServiceLineVS (extensible)
* patient MS
* patient only Reference(FhircarePatient)
* managingOrganization 1..1 MS
* managingOrganization only Reference(FhircareOrganization)
* period 1..1 MS
* period.start 1..1 MS
* careManager MS
* careManager only Reference(FhircarePractitionerRole)
* team MS
* team only Reference(FhircareCareTeam)
* obeys fhircare-episode-1 and fhircare-episode-2

Invariant: fhircare-episode-1
Description: "An episode on the waiting list has no key worker yet (004 §3.4 \"they will have an open team referral but no named lead key worker\")."
Severity: #error
Expression: "status = 'waitlist' implies careManager.empty()"

Invariant: fhircare-episode-2
Description: "A finished episode has an end date."
Severity: #error
Expression: "status = 'finished' implies period.end.exists()"

Profile: FhircareEncounter
Parent: Encounter
Id: fhircare-encounter
Title: "fhircare Encounter (inpatient stay or out-of-area placement)"
Description: "An inpatient admission and, once it happened, the discharge (requirements.md DE-200..205), or an out-of-area placement (DE-207, EC-13): when, with which provider, on what Mental Health Act legal status (UK Core's LegalStatus extension), the estimated discharge date, leave of absence as on-leave periods (EC-18), and how the stay ended. Admissions and discharges are review triggers (001 ¶114) and start the follow-up clocks (72 hours, 5 working days), so partners need them as events of their own."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains
    $UKCoreLegalStatus named legalStatus 0..* MS and
    OutOfAreaPlacementExtension named outOfAreaPlacement 0..1 MS and
    EstimatedDischargeDateExtension named estimatedDischargeDate 0..1 MS
* status MS
* statusHistory MS
* class MS
* priority MS
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* episodeOfCare MS
* episodeOfCare only Reference(FhircareEpisodeOfCare)
* period 1..1 MS
* period.start 1..1 MS
* hospitalization MS
* hospitalization.dischargeDisposition MS
* location MS
* serviceProvider 1..1 MS
* serviceProvider only Reference(FhircareOrganization)
* obeys fhircare-encounter-1

Invariant: fhircare-encounter-1
Description: "A finished stay says when it ended (the discharge, or the end of the placement)."
Severity: #error
Expression: "status = 'finished' implies period.end.exists()"
