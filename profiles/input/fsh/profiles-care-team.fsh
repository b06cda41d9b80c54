// CareTeam: the named lead in whichever lead role the arrangement uses (never relabelled),
// coordination roles that cover it, the MDT with its disciplines, member organisations and
// participant periods.

Profile: FhircareCareTeam
Parent: CareTeam
Id: fhircare-care-team
Title: "fhircare CareTeam"
Description: "The service user's care team. An active team has exactly one current named lead in one of the lead roles (key worker, care co-ordinator, lead clinician, lead professional, temporary care co-ordinator, named nurse, TCP case manager: whichever the arrangement uses, recorded as it is, 002 ¶13), or says explicitly that a lead is awaited and names the duty worker as default contact (004 §3.4). The receiving team's manager standing in at inpatient discharge is a lead marked default-lead (004 §3.11). Every participant has a role (coordination role and/or discipline) and a period, so that the history of leads is kept rather than overwritten (requirements.md EC-06)."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* extension contains LeadAwaitingAllocationExtension named leadAwaitingAllocation 0..1 MS
* status 1..1 MS
* category MS
* name MS
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* period MS
* participant 1..* MS
* participant.extension contains DefaultLeadExtension named defaultLead 0..1 MS
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
* obeys fhircare-care-team-1 and fhircare-care-team-2

// A participant is current when its period has started and not ended (dates compared with today()).
// The lead roles are care-team-role's lead-role concepts (value set lead-role), listed because
// FHIRPath here cannot test subsumption.
Invariant: fhircare-care-team-1
Description: "An active care team has exactly one current participant in a lead role (key worker, care co-ordinator, lead clinician, lead professional, temporary care co-ordinator, named nurse, TCP case manager) and no 'awaiting allocation' marker, or no current lead, the 'lead awaiting allocation' marker and a current duty worker as default contact (004 §3.4)."
Severity: #error
Expression: "status != 'active' or (participant.where(role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and (code = 'key-worker' or code = 'care-coordinator' or code = 'lead-clinician' or code = 'lead-professional' or code = 'temporary-care-coordinator' or code = 'named-nurse' or code = 'tcp-case-manager')).exists() and period.start <= today() and (period.end.empty() or period.end >= today())).count() = 1 and extension('https://fhir.fhircare.nhs.uk/StructureDefinition/lead-awaiting-allocation').empty()) or (participant.where(role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and (code = 'key-worker' or code = 'care-coordinator' or code = 'lead-clinician' or code = 'lead-professional' or code = 'temporary-care-coordinator' or code = 'named-nurse' or code = 'tcp-case-manager')).exists() and period.start <= today() and (period.end.empty() or period.end >= today())).empty() and extension('https://fhir.fhircare.nhs.uk/StructureDefinition/lead-awaiting-allocation').exists() and participant.where(role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and code = 'duty-worker').exists() and period.start <= today() and (period.end.empty() or period.end >= today())).exists())"

Invariant: fhircare-care-team-2
Description: "A lead by default is the team manager, in a lead role (004 §3.11)."
Severity: #error
Expression: "participant.where(extension('https://fhir.fhircare.nhs.uk/StructureDefinition/default-lead').value = true).all(role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and (code = 'key-worker' or code = 'care-coordinator' or code = 'lead-clinician' or code = 'lead-professional' or code = 'temporary-care-coordinator' or code = 'named-nurse' or code = 'tcp-case-manager')).exists() and role.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role' and code = 'team-manager').exists())"
