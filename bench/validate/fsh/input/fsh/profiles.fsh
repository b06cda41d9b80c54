Alias: $SCT = http://snomed.info/sct
Alias: $ADDREL = https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole

Invariant: bench-nhs-1
Description: "An NHS number is ten digits"
Expression: "matches('^[0-9]{10}$')"
Severity: #error

Invariant: bench-dialog-1
Description: "Every DIALOG rating is an integer from 1 to 7"
Expression: "item.answer.value.ofType(integer).all($this >= 1 and $this <= 7)"
Severity: #error

Profile: BenchPatient
Parent: Patient
Id: BenchPatient
Title: "Bench Patient"
Description: "Benchmark profile: a mental health service user with a traced NHS number and a registered GP practice."
* identifier 1..* MS
* identifier ^slicing.discriminator.type = #pattern
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier ^slicing.ordered = false
* identifier contains nhsNumber 1..1 MS
* identifier[nhsNumber].system 1..1
* identifier[nhsNumber].system = "https://fhir.nhs.uk/Id/nhs-number"
* identifier[nhsNumber].value 1..1
* identifier[nhsNumber].value obeys bench-nhs-1
* name 1..* MS
* telecom MS
* gender 1..1 MS
* birthDate 1..1 MS
* address MS
* generalPractitioner 1..1 MS
* generalPractitioner only Reference(Organization)
* generalPractitioner.identifier 1..1
* generalPractitioner.identifier.system 1..1
* generalPractitioner.identifier.system = "https://fhir.nhs.uk/Id/ods-organization-code"
* generalPractitioner.identifier.value 1..1

Profile: BenchCarePlan
Parent: CarePlan
Id: BenchCarePlan
Title: "Bench CarePlan"
Description: "Benchmark profile: a personalised care and support plan for a community mental health service user."
* identifier 1..* MS
* status MS
* intent MS
* category 1..* MS
* category ^slicing.discriminator.type = #pattern
* category ^slicing.discriminator.path = "$this"
* category ^slicing.rules = #open
* category ^slicing.ordered = false
* category contains mentalHealthCarePlan 1..1 MS
* category[mentalHealthCarePlan] = $SCT#718347000
* title 1..1 MS
* subject MS
* subject only Reference(Patient)
* period 1..1 MS
* period.start 1..1
* author 1..1 MS
* author only Reference(PractitionerRole)
* careTeam 1..* MS
* goal 1..* MS
* activity 1..* MS
* activity.detail 1..1 MS
* activity.detail.code 1..1 MS
* activity.detail.status MS
* activity.detail.performer 1..* MS

Profile: BenchCareTeam
Parent: CareTeam
Id: BenchCareTeam
Title: "Bench CareTeam"
Description: "Benchmark profile: the multidisciplinary team around one service user, with a role and period for every member."
* status 1..1 MS
* name 1..1 MS
* subject 1..1 MS
* subject only Reference(Patient)
* period 1..1
* participant 1..* MS
* participant.role 1..* MS
* participant.member 1..1 MS
* participant.period 1..1 MS
* participant.period.start 1..1
* managingOrganization 1..1 MS

Profile: BenchDialogResponse
Parent: QuestionnaireResponse
Id: BenchDialogResponse
Title: "Bench DIALOG response"
Description: "Benchmark profile: a completed DIALOG response (11 items rated 1 to 7)."
* obeys bench-dialog-1
* questionnaire 1..1 MS
* questionnaire = "https://fhir.fhircare.nhs.uk/Questionnaire/dialog|1.0.0"
* subject 1..1 MS
* subject only Reference(Patient)
* authored 1..1 MS
* author MS
* item 11..* MS
* item.answer MS

Profile: BenchCarer
Parent: RelatedPerson
Id: BenchCarer
Title: "Bench carer"
Description: "Benchmark profile: a carer of a service user, with a carer relationship and a way to contact them."
* active 1..1 MS
* patient MS
* relationship 1..* MS
* relationship ^slicing.discriminator.type = #pattern
* relationship ^slicing.discriminator.path = "$this"
* relationship ^slicing.rules = #open
* relationship ^slicing.ordered = false
* relationship contains carer 1..1 MS
* relationship[carer] = $ADDREL#Carer
* name 1..* MS
* telecom 1..* MS

Profile: BenchGoal
Parent: Goal
Id: BenchGoal
Title: "Bench Goal"
Description: "Benchmark profile: a goal in a service user's care plan, in their own words, with a life-area category and a due date."
* category 1..* MS
* description.text 1..1 MS
* subject only Reference(Patient)
* target 1..* MS
* target.due[x] only date
* target.due[x] 1..1 MS
* expressedBy MS
