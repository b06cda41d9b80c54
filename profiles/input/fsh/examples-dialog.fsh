// Examples: DIALOG responses (baseline fully rated; review with one item not rated and why)
// and the two mean scores derived from the baseline.

// One rated DIALOG item (slice name, linkId, rating 1-7).
RuleSet: Rated(slice, linkId, rating, display)
* item[{slice}].linkId = "{linkId}"
* item[{slice}].answer[0].valueCoding = DialogSatisfaction#{rating} "{display}"
* item[{slice}].answer[0].valueCoding.extension[ordinalValue].valueDecimal = {rating}

// The service user would like more help with this item.
RuleSet: MoreHelp(slice, linkId)
* item[{slice}].answer[0].item[moreHelp].linkId = "{linkId}-more-help"
* item[{slice}].answer[0].item[moreHelp].answer[0].valueBoolean = true

Instance: example-dialog-baseline
InstanceOf: FhircareDialogResponse
Usage: #example
Title: "Alex's DIALOG at the start of treatment"
* insert ExampleNarrative(Alex rated DIALOG on 25 January 2025 at the start of treatment. Least satisfied with job situation - 2 - and wants more help with it and with mental health.)
* insert RestrictedLabels
* identifier.system = "https://fhir.fhircare.nhs.uk/Id/synthetic-valley-trust/dialog"
* identifier.value = "SVT-D-0001"
* extension[timepoint].valueCoding = DialogTimepoint#baseline "Baseline (start of treatment)"
* questionnaire = "https://fhir.fhircare.nhs.uk/Questionnaire/dialog|0.2.0"
* basedOn = Reference(example-care-plan)
* status = #completed
* subject = Reference(example-patient)
* authored = "2025-01-25T10:00:00Z"
* author = Reference(example-patient)
* source = Reference(example-patient)
* insert Rated(mentalHealth, dialog-mental-health, 3, 3)
* insert MoreHelp(mentalHealth, dialog-mental-health)
* insert Rated(physicalHealth, dialog-physical-health, 4, 4 - midpoint)
* insert Rated(jobSituation, dialog-job-situation, 2, 2)
* insert MoreHelp(jobSituation, dialog-job-situation)
* insert Rated(accommodation, dialog-accommodation, 3, 3)
* insert Rated(leisureActivities, dialog-leisure-activities, 4, 4 - midpoint)
* insert Rated(friendships, dialog-friendships, 5, 5)
* insert Rated(partnerFamily, dialog-partner-family, 4, 4 - midpoint)
* insert Rated(personalSafety, dialog-personal-safety, 5, 5)
* insert Rated(medication, dialog-medication, 5, 5)
* insert Rated(practicalHelp, dialog-practical-help, 4, 4 - midpoint)
* insert Rated(meetings, dialog-meetings, 6, 6)

Instance: example-dialog-review
InstanceOf: FhircareDialogResponse
Usage: #example
Title: "Alex's DIALOG at review, with one item not rated"
* insert ExampleNarrative(Alex rated DIALOG at review on 20 May 2025 in an appointment with Jordan. Alex chose not to rate partner/family.)
* insert RestrictedLabels
* identifier.system = "https://fhir.fhircare.nhs.uk/Id/synthetic-valley-trust/dialog"
* identifier.value = "SVT-D-0002"
* extension[timepoint].valueCoding = DialogTimepoint#review "Review (during treatment)"
* questionnaire = "https://fhir.fhircare.nhs.uk/Questionnaire/dialog|0.2.0"
* basedOn = Reference(example-care-plan)
* status = #completed
* subject = Reference(example-patient)
* authored = "2025-05-20T15:00:00Z"
* author = Reference(example-role-key-worker)
* source = Reference(example-patient)
* insert Rated(mentalHealth, dialog-mental-health, 4, 4 - midpoint)
* insert Rated(physicalHealth, dialog-physical-health, 4, 4 - midpoint)
* insert Rated(jobSituation, dialog-job-situation, 3, 3)
* insert MoreHelp(jobSituation, dialog-job-situation)
* insert Rated(accommodation, dialog-accommodation, 3, 3)
* insert Rated(leisureActivities, dialog-leisure-activities, 5, 5)
* insert Rated(friendships, dialog-friendships, 5, 5)
* item[partnerFamily].linkId = "dialog-partner-family"
* item[partnerFamily].extension[notRatedReason].valueCode = #asked-declined
* insert Rated(personalSafety, dialog-personal-safety, 6, 6)
* insert Rated(medication, dialog-medication, 5, 5)
* insert Rated(practicalHelp, dialog-practical-help, 5, 5)
* insert Rated(meetings, dialog-meetings, 6, 6)

Instance: example-dialog-score-quality-of-life
InstanceOf: FhircareDialogScore
Usage: #example
Title: "Alex's baseline DIALOG subjective quality of life"
* insert ExampleNarrative(Subjective quality of life at baseline: 3.75 out of 7 - the mean of Alex's eight life-domain ratings on 25 January 2025.)
* insert RestrictedLabels
* insert TrustIdentifier(0, dialog-score, SVT-DS-0001)
* extension[timepoint].valueCoding = DialogTimepoint#baseline "Baseline (start of treatment)"
* status = #final
* code = DialogScore#subjective-quality-of-life "DIALOG subjective quality of life (mean of items 1-8)"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-01-25T10:00:00Z"
* performer = Reference(example-patient)
* valueQuantity = 3.75 '1' "score"
* derivedFrom[0] = Reference(example-dialog-baseline)

Instance: example-dialog-score-treatment-satisfaction
InstanceOf: FhircareDialogScore
Usage: #example
Title: "Alex's baseline DIALOG treatment satisfaction"
* insert ExampleNarrative(Treatment satisfaction at baseline: 5 out of 7 - the mean of Alex's three treatment ratings on 25 January 2025.)
* insert RestrictedLabels
* insert TrustIdentifier(0, dialog-score, SVT-DS-0002)
* extension[timepoint].valueCoding = DialogTimepoint#baseline "Baseline (start of treatment)"
* status = #final
* code = DialogScore#treatment-satisfaction "DIALOG treatment satisfaction (mean of items 9-11)"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-01-25T10:00:00Z"
* performer = Reference(example-patient)
* valueQuantity = 5 '1' "score"
* derivedFrom[0] = Reference(example-dialog-baseline)
