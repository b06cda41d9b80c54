// "Safe to share" (issue 9): the do-not-involve flag on the service user, decision-specific
// mental capacity assessments, and what a carer told the team as data in its own right.

Profile: FhircareFlag
Parent: Flag
Id: fhircare-flag
Title: "fhircare Flag (do not involve; nearest relative decision needed; Mental Health Act status; Section 117 after-care; reasonable adjustment)"
Description: "A warning on the service user that GP, urgent-care and shared-record systems show with the patient. do-not-involve: a person the service user does not want involved in their care is not to be contacted about it or told anything (004 §3.14); labelled normal (v3 Confidentiality N) so that whoever sees the service user sees it, the person named in code.text and linked (with the refusal) by the core flag-detail extension. nearest-relative-not-involved: that person is the nearest relative under the Mental Health Act 1983, so a decision is needed (requirements.md EC-44). Mental Health Act status (detained, community treatment order, guardianship, conditional discharge) and Section 117 after-care: on the service user, whatever plan is open, for as long as they apply (DD-06, DD-07, EC-25); a status with a UK Core legal status classification code carries it too. Reasonable adjustment (SNOMED CT 1108111000000107, the Core Information Standard's flag; requirements.md DE-002, DE-004): what the service user needs so that care can be given to them, in the adjustment's own words in code.text, its kind (fhircare reasonable-adjustment) among the categories when the trust codes it, and the condition or impairment it is for in the reasonable-adjustment-condition extension; labelled restricted like the rest of the mental health record."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* extension contains
    http://hl7.org/fhir/StructureDefinition/flag-detail named detail 0..* MS and
    Section117AftercareExtension named section117Aftercare 0..1 MS and
    ReasonableAdjustmentConditionExtension named reasonableAdjustmentCondition 0..1 MS
* status MS
* category 1..* MS
* code MS
* code from FlagCodeVS (required)
* code.text 1..1 MS
* code.text ^short = "What the warning says, naming the person: shown by systems that show only text"
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* period 1..1 MS
* period.start 1..1 MS
* author 1..1 MS
* author only Reference(FhircareOrganization or FhircarePractitionerRole)
* obeys fhircare-flag-1 and fhircare-flag-2 and fhircare-flag-3

Invariant: fhircare-flag-1
Description: "A do-not-involve flag is labelled normal (v3 Confidentiality N), so that it is shown wherever the service user is, and links the person it is about (flag-detail)."
Severity: #error
Expression: "code.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/flag-code' and code = 'do-not-involve').exists() implies (meta.security.where(system = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality' and code = 'N').exists() and extension('http://hl7.org/fhir/StructureDefinition/flag-detail').exists())"

Invariant: fhircare-flag-2
Description: "A Section 117 after-care flag carries the entitlement (period, detention section, the responsible bodies), and only that flag does."
Severity: #error
Expression: "extension('https://fhir.fhircare.nhs.uk/StructureDefinition/section-117-aftercare').exists() = code.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/flag-code' and code = 'section-117-aftercare').exists()"

Invariant: fhircare-flag-3
Description: "Only a reasonable adjustment flag (SNOMED CT 1108111000000107) says what condition it is for, or a kind of reasonable adjustment among its categories."
Severity: #error
Expression: "(extension('https://fhir.fhircare.nhs.uk/StructureDefinition/reasonable-adjustment-condition').exists() or category.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/reasonable-adjustment').exists()) implies code.coding.where(system = 'http://snomed.info/sct' and code = '1108111000000107').exists()"

Profile: FhircareCapacityAssessment
Parent: Observation
Id: fhircare-capacity-assessment
Title: "fhircare mental capacity assessment"
Description: "A mental capacity assessment for one named decision (requirements.md DD-08, EC-40: never a global 'lacks capacity' flag): the decision as the one component, has or lacks capacity as the value, who assessed and when. A best-interests sharing decision links the assessment it rests on (004 §5.7)."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* status MS
* code MS
* code = MentalCapacity#assessment
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* performer MS
* performer only Reference(FhircarePractitionerRole)
* value[x] 1..1 MS
* value[x] only CodeableConcept
* valueCodeableConcept from CapacityOutcomeVS (required)
* component 1..1 MS
* component.code = MentalCapacity#decision
* component.value[x] 1..1 MS
* component.value[x] only CodeableConcept
* component.valueCodeableConcept from CapacityDecisionVS (required)
* note MS

Profile: FhircareCarerCommunication
Parent: Communication
Id: fhircare-carer-communication
Title: "fhircare Communication (what a carer told the team)"
Description: "Information a carer gave the care team about the service user, as data in its own right: the carer as sender, the member of staff (or the trust) who received it, when, and what was said (004 §3.14: carers may share it whatever the service user's permission). When the carer asked that it is not passed on to the service user it carries confidentiality R, NOPAT and carer-confidential: withheld from the service user and every patient-facing output, not from clinicians and partners who need it for safety."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* status MS
* category 1..* MS
* category = CommunicationCategory#carer-information
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* sent 1..1 MS
* received MS
* recipient 1..* MS
* recipient only Reference(FhircarePractitionerRole or FhircareOrganization or FhircareCareTeam)
* sender 1..1 MS
* sender only Reference(FhircareRelatedPerson)
* payload 1..* MS
* payload.content[x] only string
