// CarePlan (the personalised care and support plan and its crisis / contingency sub-plans,
// PRSB PCSP v2.0) and Goal (with its life area).

Profile: FhircareCarePlan
Parent: CarePlan
Id: fhircare-care-plan
Title: "fhircare CarePlan (personalised care and support plan)"
Description: "A mental health care plan following the sections of the PRSB Personalised Care and Support Plan v2.0: its type; the care coordination arrangement (optional, dated); goals with their life area; activities saying who performs them (service user, carer, service or partner organisation); the next review; Section 117 after-care; consent to share and when it was shared; author and contributors, the service user among them. Crisis and contingency plans are CarePlans of their own type, partOf the main plan, so that they can be shared on their own (001 ¶177)."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains
    CareCoordinationArrangementExtension named careCoordinationArrangement 0..* MS and
    NextReviewExtension named nextReview 0..1 MS and
    Section117AftercareExtension named section117Aftercare 0..1 MS and
    ConsentToShareExtension named consentToShare 0..* MS and
    PlanSharedExtension named planShared 0..* MS and
    PlanningExceptionExtension named planningException 0..* MS and
    NamedLeadExtension named namedLead 0..1 MS and
    CtpAreaExtension named ctpArea 0..8 MS
* status MS
* intent MS
* category 1..* MS
* category from CarePlanTypeVS (required)
* title MS
* description MS
* subject MS
* subject only Reference(FhircarePatient)
* period MS
* created 1..1 MS
* author 1..1 MS
* author only Reference(FhircarePractitionerRole or FhircareCareTeam or FhircareOrganization)
* contributor 1..* MS
* contributor only Reference(FhircarePatient or FhircareRelatedPerson or FhircarePractitionerRole or FhircareOrganization)
* careTeam MS
* careTeam only Reference(FhircareCareTeam)
* partOf MS
* partOf only Reference(FhircareCarePlan)
* replaces MS
* replaces only Reference(FhircareCarePlan)
* addresses MS
* addresses only Reference(FhircareNeed)
* supportingInfo MS
* supportingInfo ^short = "What to look out for and what helps, the advance statement, about me, the risk assessment, medication"
* goal MS
* goal only Reference(FhircareGoal)
* activity MS
* activity.extension contains
    Section117ActivityExtension named section117 0..1 MS and
    ContactWhenExtension named contactWhen 0..1 MS
* activity.detail MS
* activity.detail.code MS
* activity.detail.status MS
* activity.detail.description MS
* activity.detail.goal MS
* activity.detail.goal only Reference(FhircareGoal)
* activity.detail.scheduled[x] MS
* activity.detail.performer 1..* MS
* activity.detail.performer only Reference(FhircarePatient or FhircareRelatedPerson or FhircarePractitionerRole or FhircareOrganization or FhircareCareTeam or HealthcareService)
* activity.detail.performer.type 1..1 MS
* activity.detail.performer.type ^short = "Who performs it: Patient (the service user), RelatedPerson (a carer), PractitionerRole, CareTeam, HealthcareService or Organization (a partner)"
* note MS
* obeys fhircare-care-plan-1 and fhircare-care-plan-2 and fhircare-care-plan-3 and fhircare-care-plan-4 and fhircare-care-plan-5 and fhircare-care-plan-6 and fhircare-care-plan-7

Invariant: fhircare-care-plan-1
Description: "An active plan records its next review date or timeframe (000 §3.4.2, 004 Definitions)."
Severity: #error
Expression: "status = 'active' implies extension('https://fhir.fhircare.nhs.uk/StructureDefinition/next-review').exists()"

Invariant: fhircare-care-plan-2
Description: "The service user is among the plan's contributors, or the plan states that they declined or were unable to engage in care planning (000 §3.3.5)."
Severity: #error
Expression: "contributor.where(reference = %resource.subject.reference).exists() or extension('https://fhir.fhircare.nhs.uk/StructureDefinition/planning-exception').extension('type').value.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/planning-exception' and (code = 'service-user-declined' or code = 'service-user-unable')).exists()"

Invariant: fhircare-care-plan-3
Description: "A crisis or contingency plan says who to contact and how (an activity), and points to what to look out for (triggers or early warning signs: Observations in supportingInfo) (000 §3.3.11, 001 ¶86)."
Severity: #error
Expression: "category.coding.where(system = 'http://snomed.info/sct' and (code = '736253002' or code = '325691000000100')).exists() implies (activity.detail.code.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/crisis-contingency-content' and code = 'crisis-contact').exists() and supportingInfo.where(type = 'Observation').exists())"

Invariant: fhircare-care-plan-6
Description: "An active crisis or safety plan names a service to contact out of hours or at any time (a HealthcareService that says when it answers): [000 §3.3.11] \"information about 24 hour access to services\"."
Severity: #error
Expression: "(status = 'active' and category.coding.where((system = 'http://snomed.info/sct' and code = '736253002') or (system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-plan-type' and code = 'safety-plan')).exists()) implies activity.where(detail.code.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/crisis-contingency-content' and code = 'crisis-contact').exists() and detail.performer.where(type = 'HealthcareService').exists() and extension('https://fhir.fhircare.nhs.uk/StructureDefinition/contact-when').value.coding.where(code = 'out-of-hours' or code = 'any-time').exists()).exists()"

Invariant: fhircare-care-plan-7
Description: "An active Welsh Care and Treatment Plan names the care coordinator and records each of the eight areas once, considered or not (001 ¶150, EC-76)."
Severity: #error
Expression: "(status = 'active' and category.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-plan-type' and code = 'welsh-care-and-treatment-plan').exists()) implies (extension('https://fhir.fhircare.nhs.uk/StructureDefinition/named-lead').exists() and extension.where(url = 'https://fhir.fhircare.nhs.uk/StructureDefinition/ctp-area').count() = 8 and extension.where(url = 'https://fhir.fhircare.nhs.uk/StructureDefinition/ctp-area').extension('area').value.coding.code.distinct().count() = 8)"

Invariant: fhircare-care-plan-4
Description: "An activity performer's type says what kind of performer it is (Patient, RelatedPerson, PractitionerRole, Organization, CareTeam or HealthcareService) and agrees with the reference."
Severity: #error
Expression: "activity.detail.performer.all((type = 'Patient' or type = 'RelatedPerson' or type = 'PractitionerRole' or type = 'Organization' or type = 'CareTeam' or type = 'HealthcareService') and (reference.empty() or reference.startsWith('urn:') or reference.startsWith('#') or reference.startsWith(type + '/') or reference.contains('/' + type + '/')))"

Invariant: fhircare-care-plan-5
Description: "A plan holds Section 117 after-care exactly when it is categorised as including it, so that readers and consents can find the after-care part by category (001 ¶165)."
Severity: #error
Expression: "extension('https://fhir.fhircare.nhs.uk/StructureDefinition/section-117-aftercare').exists() = category.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/care-plan-type' and code = 'section-117-aftercare').exists()"

Profile: FhircareGoal
Parent: Goal
Id: fhircare-goal
Title: "fhircare Goal"
Description: "An outcome or recovery goal of a care plan, in the service user's own words (000 §3.3.2 \"personal goals for recovery\"), with the life area it belongs to: a Mental Health (Wales) Measure area and/or a DIALOG domain (001 ¶74, 004 §3.17)."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* lifecycleStatus MS
* achievementStatus MS
* category 1..* MS
* category from LifeAreaVS (required)
* description MS
* description.text 1..1 MS
* description.text ^short = "The goal in the service user's own words"
* subject MS
* subject only Reference(FhircarePatient)
* start[x] MS
* target MS
* target.due[x] MS
* expressedBy MS
* expressedBy only Reference(FhircarePatient or FhircareRelatedPerson or FhircarePractitionerRole)
* addresses MS
* addresses only Reference(FhircareDialogItem or FhircareNeed)
* addresses ^short = "The DIALOG item whose \"more help\" answer led to this goal (DE-154), or the need it meets"
* outcomeReference MS
