// DIALOG: the Questionnaire (11 items in source order, SNOMED CT coded, 1-7 rating, optional
// "more help?"), the QuestionnaireResponse profile tied to it, and the derived mean scores.

Alias: $dialog = https://fhir.fhircare.nhs.uk/Questionnaire/dialog
Alias: $data-absent-reason = http://hl7.org/fhir/StructureDefinition/data-absent-reason

// One DIALOG item: rating (1-7) with an optional nested "more help?" question.
RuleSet: DialogQuestion(index, prefix, linkId, sctCode, question)
* item[{index}].linkId = "{linkId}"
* item[{index}].prefix = "{prefix}"
* item[{index}].text = "{question}"
* item[{index}].code = $sct#{sctCode}
* item[{index}].type = #choice
* item[{index}].required = false
* item[{index}].repeats = false
* item[{index}].answerValueSet = "https://fhir.fhircare.nhs.uk/ValueSet/dialog-satisfaction"
* item[{index}].item[0].linkId = "{linkId}-more-help"
* item[{index}].item[0].text = "Would you like more help with this?"
* item[{index}].item[0].type = #boolean
* item[{index}].item[0].required = false
* item[{index}].item[0].repeats = false

Instance: dialog
InstanceOf: Questionnaire
Usage: #definition
Title: "DIALOG"
Description: "DIALOG: eleven self-rated satisfaction items (8 life domains, 3 treatment aspects)."
* url = $dialog
* version = "0.2.0"
* name = "DIALOG"
* title = "DIALOG"
* status = #draft
* experimental = false
* subjectType = #Patient
* date = "2025-01-01"
* publisher = "fhircare project"
* jurisdiction = urn:iso:std:iso:3166#GB "United Kingdom of Great Britain and Northern Ireland"
* description = "DIALOG asks the service user to rate their satisfaction with eight life domains and three treatment aspects from 1 (totally dissatisfied) to 7 (totally satisfied) (004 §3.17), each optionally followed by whether they would like more help with it (DIALOG+, outside the policies). Items are in source order (MHSDS item numbers: friendships is item 6, partner/family item 7) and coded with the UK SNOMED CT concept MHSDS uses for each item score (standards.md §4.3); match items by linkId or code, never by position. The wording is the instrument's as MHSDS names its item scores (item 10: the practical help you receive; item 11: consultations with mental health professionals); each rating carries its ordinal value (ordinalValue) so that scores are computed from the answers."
* purpose = "Routine outcome measurement linked to the care plan (004 §3.3 \"should be linked to routine outcome measurement (DIALOG) or a suitable alternative\")."
* insert DialogQuestion(0, 1, dialog-mental-health, 1037651000000100, How satisfied are you with your mental health?)
* insert DialogQuestion(1, 2, dialog-physical-health, 1037661000000102, How satisfied are you with your physical health?)
* insert DialogQuestion(2, 3, dialog-job-situation, 1037671000000109, How satisfied are you with your job situation?)
* insert DialogQuestion(3, 4, dialog-accommodation, 1037681000000106, How satisfied are you with your accommodation?)
* insert DialogQuestion(4, 5, dialog-leisure-activities, 1037691000000108, How satisfied are you with your leisure activities?)
* insert DialogQuestion(5, 6, dialog-friendships, 1037701000000108, How satisfied are you with your friendships?)
* insert DialogQuestion(6, 7, dialog-partner-family, 1037711000000105, How satisfied are you with your partner/family?)
* insert DialogQuestion(7, 8, dialog-personal-safety, 1037721000000104, How satisfied are you with your personal safety?)
* insert DialogQuestion(8, 9, dialog-medication, 1037731000000102, How satisfied are you with your medication?)
* insert DialogQuestion(9, 10, dialog-practical-help, 1037741000000106, How satisfied are you with the practical help you receive?)
* insert DialogQuestion(10, 11, dialog-meetings, 1037751000000109, How satisfied are you with consultations with mental health professionals?)

// One slice of the response per DIALOG item, matched by linkId.
RuleSet: DialogAnswerSlice(slice, linkId)
* item[{slice}].linkId = "{linkId}" (exactly)
// sliced per item, so that the more-help slice always has its linkId to match on (a
// generic slice without one cannot be evaluated: the HL7 validator reports an error)
* item[{slice}].answer.item ^slicing.discriminator.type = #value
* item[{slice}].answer.item ^slicing.discriminator.path = "linkId"
* item[{slice}].answer.item ^slicing.rules = #closed
* item[{slice}].answer.item contains moreHelp 0..1 MS
* item[{slice}].answer.item[moreHelp].linkId = "{linkId}-more-help" (exactly)

Profile: FhircareDialogResponse
Parent: QuestionnaireResponse
Id: fhircare-dialog-response
Title: "fhircare DIALOG response"
Description: "A service user's DIALOG ratings, tied to the DIALOG Questionnaire, with the timepoint (baseline, review, end of treatment) and the care plan it informs. Only the eleven DIALOG items may appear, each at most once; a completed response rates all eleven, or says for each unrated item why not (data-absent-reason)."
* insert FhircareProfile
* insert ServiceUserRecord
* identifier 1..1 MS
* identifier.system 1..1 MS
* identifier.value 1..1 MS
* extension contains DialogTimepointExtension named timepoint 1..1 MS
* questionnaire 1..1 MS
* basedOn 1..1 MS
* basedOn only Reference(FhircareCarePlan)
* status MS
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* encounter MS
* authored 1..1 MS
* author 1..1 MS
* author only Reference(FhircarePatient or FhircarePractitionerRole or FhircareRelatedPerson)
* source MS
* source only Reference(FhircarePatient or FhircareRelatedPerson or FhircarePractitionerRole)
* item MS
* item ^slicing.discriminator.type = #value
* item ^slicing.discriminator.path = "linkId"
* item ^slicing.rules = #closed
* item ^slicing.description = "The eleven DIALOG items, matched by linkId"
* item contains
    mentalHealth 0..1 MS and
    physicalHealth 0..1 MS and
    jobSituation 0..1 MS and
    accommodation 0..1 MS and
    leisureActivities 0..1 MS and
    friendships 0..1 MS and
    partnerFamily 0..1 MS and
    personalSafety 0..1 MS and
    medication 0..1 MS and
    practicalHelp 0..1 MS and
    meetings 0..1 MS
* item.extension contains $data-absent-reason named notRatedReason 0..1 MS
* item.answer 0..1 MS
* item.answer.value[x] 1..1 MS
* item.answer.value[x] only Coding
* item.answer.valueCoding from DialogSatisfactionVS (required)
* item.answer.valueCoding.extension contains http://hl7.org/fhir/StructureDefinition/ordinalValue named ordinalValue 0..1 MS
* item.answer.valueCoding.display 1..1 MS
* item.answer.item 0..1 MS
* item.answer.item.answer 0..1 MS
* item.answer.item.answer.value[x] 1..1 MS
* item.answer.item.answer.value[x] only boolean
* item.item 0..0
* insert DialogAnswerSlice(mentalHealth, dialog-mental-health)
* insert DialogAnswerSlice(physicalHealth, dialog-physical-health)
* insert DialogAnswerSlice(jobSituation, dialog-job-situation)
* insert DialogAnswerSlice(accommodation, dialog-accommodation)
* insert DialogAnswerSlice(leisureActivities, dialog-leisure-activities)
* insert DialogAnswerSlice(friendships, dialog-friendships)
* insert DialogAnswerSlice(partnerFamily, dialog-partner-family)
* insert DialogAnswerSlice(personalSafety, dialog-personal-safety)
* insert DialogAnswerSlice(medication, dialog-medication)
* insert DialogAnswerSlice(practicalHelp, dialog-practical-help)
* insert DialogAnswerSlice(meetings, dialog-meetings)
* obeys fhircare-dialog-1 and fhircare-dialog-2 and fhircare-dialog-3

Invariant: fhircare-dialog-1
Description: "A completed (or amended) DIALOG response rates all eleven items, or gives for each unrated item the reason why not (data-absent-reason)."
Severity: #error
Expression: "(status = 'completed' or status = 'amended') implies item.where(answer.exists() or extension('http://hl7.org/fhir/StructureDefinition/data-absent-reason').exists()).count() = 11"

Invariant: fhircare-dialog-2
Description: "The response answers the fhircare DIALOG Questionnaire (any version)."
Severity: #error
Expression: "questionnaire = 'https://fhir.fhircare.nhs.uk/Questionnaire/dialog' or questionnaire.startsWith('https://fhir.fhircare.nhs.uk/Questionnaire/dialog|')"

Invariant: fhircare-dialog-3
Description: "A rated item has no not-rated reason."
Severity: #error
Expression: "item.all(answer.empty() or extension('http://hl7.org/fhir/StructureDefinition/data-absent-reason').empty())"

Profile: FhircareDialogScore
Parent: Observation
Id: fhircare-dialog-score
Title: "fhircare DIALOG score"
Description: "A DIALOG mean score derived from one DIALOG response: subjective quality of life (mean of items 1-8) or treatment satisfaction (mean of items 9-11), on the 1-7 scale, computed from the rated items only. See profiles/README.md for why the scores are Observations and not calculated items."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains DialogTimepointExtension named timepoint 1..1 MS
* status MS
* category 1..1 MS
* category = $observation-category#survey
* code MS
* code from DialogScoreVS (required)
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* performer 0..1 MS
* performer only Reference(FhircarePatient)
* performer ^short = "The service user, who gave the ratings the score is the mean of (DIALOG is rated by the service user)"
* value[x] 1..1 MS
* value[x] only Quantity
* valueQuantity.value 1..1 MS
* valueQuantity.value ^minValueDecimal = 1
* valueQuantity.value ^maxValueDecimal = 7
* valueQuantity.system 1..1
* valueQuantity.system = $ucum (exactly)
* valueQuantity.code 1..1
* valueQuantity.code = #1 (exactly)
* valueQuantity.code ^short = "UCUM 1 (a number on a scale), not {score}: UCUM ignores annotations when comparing units, so the HL7 validator advises against them; Quantity.unit says 'score'"
* derivedFrom 1..1 MS
* derivedFrom only Reference(FhircareDialogResponse)
* dataAbsentReason 0..0
* component 0..0

Profile: FhircareDialogItem
Parent: Observation
Id: fhircare-dialog-item
Title: "fhircare DIALOG item score"
Description: "One DIALOG item as MHSDS records it: the item's UK SNOMED CT score concept (standards.md §4.3) with the integer rating 1-7, or why the item was not rated, derived from the DIALOG response; the DIALOG+ \"more help\" answer as a component. Every completed DIALOG has eleven, one per item, so that per-item change and paired scores can be counted by code (M-08), and a plan goal can name the item it came from (Goal.addresses, DE-154)."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains DialogTimepointExtension named timepoint 1..1 MS
* status MS
* category 1..1 MS
* category = $observation-category#survey
* code MS
* code from DialogItemVS (required)
* subject 1..1 MS
* subject only Reference(FhircarePatient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* performer 0..1 MS
* performer only Reference(FhircarePatient)
* performer ^short = "The service user, who gave the rating (DIALOG is rated by the service user, with or without a clinician's help)"
* value[x] MS
* value[x] only integer
* valueInteger ^minValueInteger = 1
* valueInteger ^maxValueInteger = 7
* dataAbsentReason MS
* derivedFrom 1..1 MS
* derivedFrom only Reference(FhircareDialogResponse)
* component 0..1 MS
* component.code = DialogItemDetail#more-help-wanted
* component.value[x] 1..1 MS
* component.value[x] only boolean
* obeys fhircare-dialog-item-1

Invariant: fhircare-dialog-item-1
Description: "An item has a rating 1-7 or the reason it was not rated, not both."
Severity: #error
Expression: "value.exists() xor dataAbsentReason.exists()"

Profile: FhircareDialogOffer
Parent: Task
Id: fhircare-dialog-offer
Title: "fhircare DIALOG offer not rated"
Description: "DIALOG offered but not rated: the service user chose not to (status rejected), or it was not appropriate (status cancelled: an organic condition, lacking the capacity to understand the tool, too unwell), with the reason as statusReason. Never a completed QuestionnaireResponse: an offer that was not rated is not a DIALOG, and counting it as one would inflate completion and paired-score counts; 'not applicable' is not non-compliance (EC-60, DE-153; requirements.md DD-15)."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* extension contains DialogTimepointExtension named timepoint 1..1 MS
* basedOn 1..1 MS
* basedOn only Reference(FhircareCarePlan)
* status MS
* statusReason 1..1 MS
* statusReason from DialogNotCompletedReasonVS (required)
* intent = #order
* code 1..1 MS
* code = CareTask#offer-dialog
* for 1..1 MS
* for only Reference(FhircarePatient)
* authoredOn 1..1 MS
* requester MS
* requester only Reference(FhircarePractitionerRole or FhircareOrganization)
* owner MS
* owner only Reference(FhircarePatient or FhircarePractitionerRole or FhircareOrganization)
* input 1..1 MS
* input.type = CareTask#questionnaire
* input.value[x] only canonical
* obeys fhircare-dialog-offer-1

Invariant: fhircare-dialog-offer-1
Description: "An offer of DIALOG that was not rated was declined (rejected) or not appropriate (cancelled); ratings given are a QuestionnaireResponse, never this Task."
Severity: #error
Expression: "status = 'rejected' or status = 'cancelled'"
