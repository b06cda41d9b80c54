// CareTeam: the named key worker, legacy coordination roles, the MDT with its disciplines,
// member organisations and participant periods.

Profile: FhircareCareTeam
Parent: CareTeam
Id: fhircare-care-team
Title: "fhircare CareTeam"
Description: "The service user's care team. An active team has exactly one current key worker, or says explicitly that a key worker is awaited and names the team manager as default contact (002 ¶9(ii), 004 §3.4, 004 §3.11). Every participant has a role (coordination role and/or discipline) and a period, so that the history of key workers is kept rather than overwritten (requirements.md EC-06)."
* insert FhircareProfile
* insert BusinessIdentifier
* extension contains KeyWorkerAwaitingAllocationExtension named keyWorkerAwaitingAllocation 0..1 MS
* status 1..1 MS
* category MS
* name MS
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* period MS
* participant 1..* MS
* participant.role 1..* MS
* participant.role from CareTeamParticipantRoleVS (extensible)
* participant.member 1..1 MS
* participant.member only Reference(FhircarePractitionerRole or FhircareRelatedPerson or FhircarePatient or FhircareOrganization)
* participant.onBehalfOf MS
* participant.onBehalfOf only Reference(FhircareOrganization)
* participant.period 1..1 MS
* participant.period.start 1..1 MS
* managingOrganization 1..* MS
* managingOrganization only Reference(FhircareOrganization)
* telecom MS
* obeys fhircare-care-team-1

// A participant is current when its period has started and not ended (dates compared with today()).
Invariant: fhircare-care-team-1
Description: "An active care team has exactly one current key worker and no 'awaiting allocation' marker, or no current key worker, the 'key worker awaiting allocation' marker and a current team manager as default contact."
Severity: #error
Expression: "status != 'active' or (participant.where(role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and code = 'key-worker').exists() and period.start <= today() and (period.end.empty() or period.end >= today())).count() = 1 and extension('https://fhir.fhircare.nhs.uk/StructureDefinition/key-worker-awaiting-allocation').empty()) or (participant.where(role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and code = 'key-worker').exists() and period.start <= today() and (period.end.empty() or period.end >= today())).empty() and extension('https://fhir.fhircare.nhs.uk/StructureDefinition/key-worker-awaiting-allocation').exists() and participant.where(role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and code = 'team-manager').exists() and period.start <= today() and (period.end.empty() or period.end >= today())).exists())"
