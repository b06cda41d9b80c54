// What partners need to act on the plan (issue 10): crisis contacts that say when they
// answer, what to look out for and what helps as data, the advance statement, a pointer an
// urgent-care system finds the crisis plan by, needs and what matters to the service user,
// reviews, risk, medication.

Alias: $nhs-number-system = https://fhir.nhs.uk/Id/nhs-number

Profile: FhircareHealthcareService
Parent: HealthcareService
Id: fhircare-healthcare-service
Title: "fhircare crisis and urgent care contact"
Description: "A service a crisis, contingency or safety plan names as whom to contact: the trust's 24-hour crisis line, home treatment, NHS 111's mental health option, a crisis cafe, 999, a team's duty worker. Shared directory data (the same in every service user's bundle, no security labels). It says when it answers (availableTime) and when it does not (notAvailable), so that a reader at 2am can tell a 24/7 line from an office-hours number ([000 §3.3.11] \"contact details for the care co-ordinator/lead clinician and information about 24 hour access to services\")."
* insert FhircareProfile
* insert BusinessIdentifier
* active 1..1 MS
* providedBy 1..1 MS
* providedBy only Reference(FhircareOrganization)
* category MS
* type 1..* MS
* type from UrgentCareServiceTypeVS (required)
* name 1..1 MS
* telecom 1..* MS
* telecom.system 1..1 MS
* telecom.value 1..1 MS
* availableTime 1..* MS
* availableTime.daysOfWeek 1..* MS
* availableTime.allDay MS
* availableTime.availableStartTime MS
* availableTime.availableEndTime MS
* notAvailable MS
* availabilityExceptions MS
* obeys fhircare-healthcare-service-1 and fhircare-healthcare-service-2

Invariant: fhircare-healthcare-service-1
Description: "Each time the service is available is all day, or between a start and an end time."
Severity: #error
Expression: "availableTime.all(allDay = true or (availableStartTime.exists() and availableEndTime.exists()))"

Invariant: fhircare-healthcare-service-2
Description: "A crisis contact can be telephoned."
Severity: #error
Expression: "telecom.where(system = 'phone').exists()"

Profile: FhircareCrisisPlanInformation
Parent: Observation
Id: fhircare-crisis-plan-information
Title: "fhircare crisis plan: what to look out for, what helps"
Description: "A trigger, an early warning sign or what helps, in the words of the plan, that a crisis, contingency or safety plan points to (supportingInfo): information about the person, not an action anyone performs (PRSB PCSP \"Trigger factors\", \"Relapse indicators / early warning signs\", \"Coping strategies\"; [000 §3.3.11] \"a crisis plan which identifies early warning signs, individual coping strategies\"). performer is who noticed or said it."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* status MS
* code MS
* code from CrisisPlanContentFindingVS (required)
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* performer MS
* performer only Reference(FhircarePatient or FhircareRelatedPerson or FhircarePractitionerRole)
* value[x] 1..1 MS
* value[x] only string
* component 0..0
* hasMember 0..0

Profile: FhircareAdvanceStatement
Parent: Observation
Id: fhircare-advance-statement
Title: "fhircare advance statement"
Description: "The service user has made an advance statement (statement of wishes), when, and its key components as the plan records them (PRSB PCSP: SNOMED CT 816281000000101 \"Has advance statement (Mental Capacity Act 2005)\"). Not legally binding, but it must be considered in best-interests decisions ([004 Definitions] \"A Statement of Wishes (preferences) although not legally binding, must be considered by those making best interests' decisions\"); its key components belong in the plan ([000 §3.3.6]). An Observation, not a DocumentReference: the trust's record holds the fact and the key points, not the document."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* status MS
* code MS
* code = $sct#816281000000101
* code from AdvanceStatementVS (required)
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* performer 1..* MS
* performer only Reference(FhircarePatient)
* value[x] MS
* value[x] only string
* valueString ^short = "The key components, as the plan records them"
* component 0..0

Profile: FhircareAboutMe
Parent: Observation
Id: fhircare-about-me
Title: "fhircare about me (strengths, what matters)"
Description: "What the service user says about themselves in the plan: a strength (DE-019; [001 ¶43] \"the personal strengths of individuals\") or what is most important to them (PRSB About Me, SNOMED CT 1515861000000103), in their words."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* status MS
* code MS
* code from AboutMeVS (required)
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* performer MS
* performer only Reference(FhircarePatient or FhircareRelatedPerson or FhircarePractitionerRole)
* value[x] 1..1 MS
* value[x] only string
* component 0..0

Profile: FhircareNeed
Parent: Condition
Id: fhircare-need
Title: "fhircare need"
Description: "An assessed health or social care need a plan addresses (CarePlan.addresses), met or not, and why not ([001 ¶83] \"Any unmet needs should be clearly identified and recorded on the care and treatment plans.\"; requirements.md DD-02). The need is in words (code.text); category says it is a problem-list item and, where recorded, its life area."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* extension contains NeedStatusExtension named needStatus 1..1 MS
* clinicalStatus 1..1 MS
* category 1..* MS
* code 1..1 MS
* code.text 1..1 MS
* code.text ^short = "The need, in words"
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* recordedDate 1..1 MS
* asserter MS
* asserter only Reference(FhircarePatient or FhircarePractitionerRole)
* obeys fhircare-need-1

Invariant: fhircare-need-1
Description: "An unmet need says why it is not met (001 ¶83)."
Severity: #error
Expression: "extension('https://fhir.fhircare.nhs.uk/StructureDefinition/need-status').where(extension('status').value.coding.where(code = 'unmet').exists()).all(extension('unmetReason').exists())"

Profile: FhircareCrisisPlanPointer
Parent: DocumentReference
Id: fhircare-crisis-plan-pointer
Title: "fhircare crisis plan pointer (National Record Locator style)"
Description: "A pointer that lets an urgent-care system find the service user's crisis, contingency or safety plan from the NHS number alone, as England's National Record Locator does: type SNOMED CT 736253002 (mental health crisis plan) or 325691000000100 (contingency plan), category 734163000 (care plan), subject with the NHS number, the trust as custodian, and where to fetch the plan: the CarePlan (context.related) and a search by its business identifier (content.attachment.url, relative to the shared record). Current while the plan is in force; superseded once it has ended (IS-18, DE-098: [001 ¶177] \"to enable practitioners from other teams (and other agencies) not directly providing day to day support to access this in a crisis\")."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* masterIdentifier 1..1 MS
* masterIdentifier ^short = "The crisis plan's own business identifier"
* status MS
* docStatus MS
* type 1..1 MS
* type from CrisisPlanDocumentTypeVS (required)
* category 1..* MS
* category from CarePlanDocumentCategoryVS (required)
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* subject.identifier MS
* subject.identifier ^short = "The NHS number, so the plan can be found from it alone"
* date 1..1 MS
* author 1..* MS
* custodian 1..1 MS
* custodian only Reference(FhircareOrganization)
* content 1..1 MS
* content.attachment.contentType 1..1 MS
* content.attachment.url 1..1 MS
* content.attachment.title 1..1 MS
* context 1..1 MS
* context.related 1..* MS
* context.related only Reference(FhircareCarePlan)
* obeys fhircare-crisis-plan-pointer-1

Invariant: fhircare-crisis-plan-pointer-1
Description: "The NHS number the plan is found by, when the subject carries one, is an NHS number identifier."
Severity: #error
Expression: "subject.identifier.exists() implies subject.identifier.system = 'https://fhir.nhs.uk/Id/nhs-number'"

Profile: FhircareCarePlanReview
Parent: Encounter
Id: fhircare-care-plan-review
Title: "fhircare care plan review"
Description: "A review of a care plan (DE-140..146): its kind (CPA review, care coordination review, CTP review, MDT review, emergency review, ...), when, who asked for it (reasonCode), whether the service user took part, who was invited and whether each took part (carers, advocates and representatives included, EC-52), the outcome, and the plan (version) reviewed. A review held as a series of conversations stays in progress until it is completed (EC-70). The next review date stays on the plan (next-review)."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains
    ReviewedPlanExtension named reviewedPlan 1..1 MS and
    AttendedExtension named serviceUserAttended 1..1 MS and
    ReviewOutcomeExtension named outcome 0..1 MS
* extension[serviceUserAttended] ^short = "Whether the service user took part ([000 §3.4.4]: unless unwilling or unable)"
* status MS
* class MS
* type 1..* MS
* type from ReviewEncounterTypeVS (required)
* reasonCode MS
* reasonCode from ReviewRequesterVS (required)
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* episodeOfCare MS
* episodeOfCare only Reference(FhircareEpisodeOfCare)
* participant MS
* participant.extension contains
    AttendedExtension named attended 1..1 MS and
    OnBehalfOfServiceUserExtension named onBehalfOfServiceUser 0..1 MS
* participant.individual 1..1 MS
* participant.individual only Reference(FhircarePractitionerRole or FhircareRelatedPerson)
* period 1..1 MS
* period.start 1..1 MS
* serviceProvider 1..1 MS
* serviceProvider only Reference(FhircareOrganization)

Profile: FhircareRiskAssessment
Parent: RiskAssessment
Id: fhircare-risk-assessment
Title: "fhircare risk assessment"
Description: "The latest risk assessment, however the trust does it (R-59), with one prediction per kind of risk considered and the assessor's reasoning for each; a likelihood only where the assessor recorded one (requirements.md DD-11: never a single 'high risk' label; [002 ¶21] assessments \"should not be based on the use of tools and checklists\"); how the risks are managed (mitigation, the risk management plan: DE-063); who assessed and when. No UK Core RiskAssessment profile exists."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* status MS
* method MS
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* occurrence[x] 1..1 MS
* occurrence[x] only dateTime
* performer MS
* performer only Reference(FhircarePractitionerRole)
* prediction 1..* MS
* prediction.outcome 1..1 MS
* prediction.outcome from RiskDomainVS (required)
* prediction.qualitativeRisk MS
* prediction.rationale 1..1 MS
* mitigation MS
* note 1..* MS
* note ^short = "The assessment's summary"

Profile: FhircareMedicationStatement
Parent: MedicationStatement
Id: fhircare-medication-statement
Title: "fhircare medication a partner must know about"
Description: "Medication the trust records that a partner must know about to act safely (DE-070): a depot injection and when the next dose is due, clozapine and its blood monitoring, lithium and its levels. What the trust's record says, not a complete medication list: the GP record remains the source for everything else."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains
    MedicationAlertExtension named alert 0..1 MS and
    NextDoseDueExtension named nextDoseDue 0..1 MS
* status MS
* medication[x] MS
* medication[x] only CodeableConcept
* medicationCodeableConcept.text 1..1 MS
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* effective[x] MS
* effective[x] only Period
* informationSource MS
* informationSource only Reference(FhircarePractitionerRole or FhircareOrganization)
* dosage MS
* dosage.text MS
* note MS
* obeys fhircare-medication-statement-1

Invariant: fhircare-medication-statement-1
Description: "A next dose is due only for medication being taken."
Severity: #error
Expression: "extension('https://fhir.fhircare.nhs.uk/StructureDefinition/next-dose-due').exists() implies status = 'active'"
