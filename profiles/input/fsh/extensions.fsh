// Extensions for what FHIR R4 has no element for. Each says which policy rule needs it.

Extension: CareCoordinationArrangementExtension
Id: care-coordination-arrangement
Title: "Care coordination arrangement"
Description: "The care coordination arrangement (England: CPA, Care Support or the key-worker model; Wales: standard or enhanced CPA) and when it applied. Optional, because post-CPA organisations record none (004 §2.0) and the level must never be defaulted; dated, because step-up and step-down need history (000 §3.6) and the policies disagree (requirements.md DD-01)."
Context: CarePlan, EpisodeOfCare
* insert ConformanceMetadata
* extension contains
    arrangement 1..1 MS and
    period 1..1 MS
* extension[arrangement] ^short = "The arrangement"
* extension[arrangement].value[x] only CodeableConcept
* extension[arrangement].valueCodeableConcept from CareCoordinationArrangementVS (required)
* extension[period] ^short = "When the arrangement applied (start required)"
* extension[period].value[x] only Period
* extension[period].valuePeriod.start 1..1

Extension: NextReviewExtension
Id: next-review
Title: "Next review"
Description: "When the plan is next to be reviewed: a date, a period, or a timeframe in words when that is all that was agreed (000 §3.4.2 \"An estimated date / timeframe of the next review must always be agreed.\"; requirements.md EC-73: \"allow Period/text\"). R4 CarePlan has no element for it (requirements.md DD-03)."
Context: CarePlan
* insert ConformanceMetadata
* value[x] only date or dateTime or Period or string
* valueString ^short = "A timeframe in words, such as \"in about three months, after the housing panel\""

Extension: Section117AftercareExtension
Id: section-117-aftercare
Title: "Section 117 after-care"
Description: "The service user's entitlement to after-care under section 117 of the Mental Health Act 1983: on the patient-level Flag, whatever plan is open (EC-25), and on the plan that holds the after-care part (001 ¶165 \"There is no requirement for separate CPA and after-care plans to be in place.\"). The entitlement ends only when both the health body and the local authority agree (004 §3.15): endAgreedBy names each that has."
Context: CarePlan, Flag
* insert ConformanceMetadata
* extension contains
    period 1..1 MS and
    detentionSection 0..1 MS and
    responsibleOrganisation 0..* MS and
    endAgreedBy 0..2 MS
* extension[period] ^short = "From leaving hospital to the agreed end"
* extension[period].value[x] only Period
* extension[period].valuePeriod.start 1..1
* extension[detentionSection] ^short = "The section the entitlement arises from"
* extension[detentionSection].value[x] only CodeableConcept
* extension[detentionSection].valueCodeableConcept from MentalHealthActSectionVS (required)
* extension[responsibleOrganisation] ^short = "The ICB / local health board and the local authority responsible"
* extension[responsibleOrganisation].value[x] only Reference(FhircareOrganization)
* extension[endAgreedBy] ^short = "A responsible body that has agreed the after-care can end (both must, R-48)"
* extension[endAgreedBy].value[x] only Reference(FhircareOrganization)

Extension: ReasonableAdjustmentConditionExtension
Id: reasonable-adjustment-condition
Title: "Reasonable adjustment: the condition it is for"
Description: "The condition or impairment a reasonable adjustment is for, in the trust's words (\"autism\", \"learning disability\", \"deaf\"), when the record says: on the reasonable adjustment Flag only. R4 Flag has no element for what a warning is about (requirements.md DE-004: learning disability and autism change how care is given)."
Context: Flag
* insert ConformanceMetadata
* value[x] only string

Extension: Section117ActivityExtension
Id: section-117-activity
Title: "Section 117 after-care activity"
Description: "Marks a care plan activity as Section 117 after-care, so that it can be reviewed as such (004 §3.15 \"to review Section 117 aftercare (where applicable)\")."
Context: CarePlan.activity
* insert ConformanceMetadata
* value[x] only boolean

Extension: ConsentToShareExtension
Id: consent-to-share
Title: "Consent to share the plan"
Description: "The service user's sharing decisions that govern who may receive this plan (004 §3.15 \"a copy of the updated care plan must be given to the service users and any other relevant others (with service users consent)\")."
Context: CarePlan
* insert ConformanceMetadata
* value[x] only Reference(FhircareConsent)

Extension: PlanSharedExtension
Id: plan-shared
Title: "Plan shared"
Description: "A copy of this version of the plan was given to someone, when, and under which consent (001 ¶93: copies within seven days of agreement; 004 §3.15: within 14 days)."
Context: CarePlan
* insert ConformanceMetadata
* extension contains
    recipient 1..1 MS and
    date 1..1 MS and
    consent 0..1 MS
* extension[recipient].value[x] only Reference(FhircarePatient or FhircareRelatedPerson or FhircareOrganization or FhircarePractitionerRole or FhircareCareTeam)
* extension[date].value[x] only dateTime
* extension[consent].value[x] only Reference(FhircareConsent)

Extension: PlanningExceptionExtension
Id: planning-exception
Title: "Care planning exception"
Description: "A statement that the plan was made without the usual involvement of the service user or their family, and why (000 §3.3.5, 000 §2.8)."
Context: CarePlan
* insert ConformanceMetadata
* extension contains
    type 1..1 MS and
    statement 1..1 MS
* extension[type].value[x] only CodeableConcept
* extension[type].valueCodeableConcept from PlanningExceptionVS (required)
* extension[statement] ^short = "The statement, in plain language"
* extension[statement].value[x] only string

Extension: LeadAwaitingAllocationExtension
Id: lead-awaiting-allocation
Title: "Named lead awaiting allocation"
Description: "The service user has been accepted but no named lead (key worker, care co-ordinator, ...) is allocated yet, since the given date; the team's duty worker is the default contact (004 §3.4 \"they will have an open team referral but no named lead key worker. The team would need to ensure access to a clinical duty worker (or similar system) within office hours\")."
Context: CareTeam
* insert ConformanceMetadata
* value[x] only dateTime
* valueDateTime ^short = "Since when a named lead has been awaited"

Extension: DefaultLeadExtension
Id: default-lead
Title: "Lead by default"
Description: "This participant is the named lead by default, not by allocation: the receiving team's manager, because no key worker was identified at discharge from inpatient care (004 §3.11 \"If at the point of discharge from inpatient settings, no key worker has been identified, this role defaults to the manager of the receiving team.\"; requirements.md EC-02). Replaced when a lead is allocated."
Context: CareTeam.participant
* insert ConformanceMetadata
* value[x] only boolean

Extension: CapacityAssessmentExtension
Id: capacity-assessment
Title: "Capacity assessment behind a best-interests decision"
Description: "The recorded mental capacity assessment that found the service user lacks capacity for this decision, on which a best-interests sharing decision rests (004 §5.7; requirements.md EC-40)."
Context: Consent
* insert ConformanceMetadata
* value[x] only Reference(FhircareCapacityAssessment)

Extension: YoungCarerExtension
Id: young-carer
Title: "Young carer"
Description: "The carer is a child or young person (004 §3.14 \"Where carers are under 18, their needs require consideration.\"). Recorded as stated, because the policies disagree on the age (under 16 or under 18, requirements.md EC-42)."
Context: RelatedPerson
* insert ConformanceMetadata
* value[x] only boolean

Extension: CarersAssessmentExtension
Id: carers-assessment
Title: "Carer's assessment"
Description: "Where the carer's own assessment has got to (offered, accepted, declined, completed), when, and which local authority owns it. The assessment itself is about the carer and stays in the local authority's record (requirements.md DD-18)."
Context: RelatedPerson
* insert ConformanceMetadata
* extension contains
    status 1..1 MS and
    date 1..1 MS and
    assessingOrganisation 0..1 MS
* extension[status].value[x] only code
* extension[status].valueCode from CarersAssessmentStatusVS (required)
* extension[date].value[x] only date
* extension[assessingOrganisation].value[x] only Reference(FhircareOrganization)

Extension: DoNotInvolveExtension
Id: do-not-involve
Title: "Do not involve"
Description: "The service user does not want this person involved in their care (004 §3.14 \"staff must also record on the Electronic Patient Record (SystemOne) any people identified that service user's do not want involved in their care\"). The deny decision itself is a Consent."
Context: RelatedPerson
* insert ConformanceMetadata
* extension contains
    recorded 1..1 MS and
    consent 0..1 MS
* extension[recorded].value[x] only dateTime
* extension[consent].value[x] only Reference(FhircareConsent)

Extension: PartnerOrganisationTypeExtension
Id: partner-organisation-type
Title: "Partner organisation type"
Description: "A sharing decision that applies to every partner organisation of a type (GP practices, VCSE partners, local authorities ...), rather than to a named recipient."
Context: Consent.provision
* insert ConformanceMetadata
* value[x] only CodeableConcept
* valueCodeableConcept from PartnerOrganisationTypeVS (required)

Extension: DialogTimepointExtension
Id: dialog-timepoint
Title: "DIALOG timepoint"
Description: "When in the treatment episode DIALOG was rated (baseline, review, end of treatment), so that paired scores can be formed (004 §3.17)."
Context: QuestionnaireResponse, Observation, Task
* insert ConformanceMetadata
* value[x] only Coding
* valueCoding from DialogTimepointVS (required)

Extension: OutOfAreaPlacementExtension
Id: out-of-area-placement
Title: "Out-of-area placement"
Description: "The stay is an out-of-area placement: of which kind, and whether the trust exempts the service user from data collection while it lasts. The policies disagree on contact and reporting (004 §3.6 \"Service users in this situation are exempt from data collection.\" vs 000 §3.8), so the exemption is recorded as the trust decided it (requirements.md EC-13, EC-91)."
Context: Encounter
* insert ConformanceMetadata
* extension contains
    placementType 1..1 MS and
    exemptFromDataCollection 1..1 MS
* extension[placementType].value[x] only CodeableConcept
* extension[placementType].valueCodeableConcept from PlacementTypeVS (required)
* extension[exemptFromDataCollection].value[x] only boolean

Extension: EstimatedDischargeDateExtension
Id: estimated-discharge-date
Title: "Estimated discharge date"
Description: "The discharge date estimated while the service user is in hospital (004 App 1 \"An estimated discharge date would be set at their admission care coordination review.\"). R4 Encounter has no element for it (requirements.md DD-19)."
Context: Encounter
* insert ConformanceMetadata
* value[x] only date

Extension: PreviousEpisodeExtension
Id: previous-episode
Title: "Previous episode"
Description: "The episode this one continues: the same service user returning to services (requirements.md EC-27) or the receiving team's episode of a transfer (EC-10)."
Context: EpisodeOfCare
* insert ConformanceMetadata
* value[x] only Reference(FhircareEpisodeOfCare)

Extension: TransferOfCareExtension
Id: transfer-of-care
Title: "Transfer of care"
Description: "A transfer of this episode's care to another team, and where it has got to. Until it is completed the key worker stays with this (the originating) team (004 §3.9 \"Unless the service user is being discharged the key worker responsibility for will remain with the originating team.\")."
Context: EpisodeOfCare
* insert ConformanceMetadata
* extension contains
    toTeam 1..1 MS and
    toEpisode 0..1 MS and
    status 1..1 MS and
    requested 1..1 MS and
    completed 0..1 MS
* extension[toTeam].value[x] only Reference(FhircareOrganization)
* extension[toEpisode].value[x] only Reference(FhircareEpisodeOfCare)
* extension[status] ^short = "requested | in-progress | completed | cancelled"
* extension[status].value[x] only code
* extension[status].valueCode from http://hl7.org/fhir/ValueSet/task-status (required)
* extension[requested].value[x] only date
* extension[completed].value[x] only date

Extension: ContactWhenExtension
Id: contact-when
Title: "When to use this crisis contact"
Description: "When a crisis, contingency or safety plan says to use this contact: in office hours, out of hours or at any time ([000 App 2] \"Ensuring that the service user knows how to contact them and whom to contact in their absence and who to contact out of hours or in a crisis\"). The contact's own availableTime says when it answers."
Context: CarePlan.activity
* insert ConformanceMetadata
* value[x] only CodeableConcept
* valueCodeableConcept from ContactWhenVS (required)

Extension: NamedLeadExtension
Id: named-lead
Title: "Named lead"
Description: "The named person who coordinates the service user's care, in whatever lead role (key worker, care co-ordinator, lead clinician): marked on the plan itself ([001 ¶150] \"The name and contact details of the care coordinator should be known and available to the service user. Such information should be clearly marked on the care and treatment plan\"). Their role is in the care team."
Context: CarePlan
* insert ConformanceMetadata
* value[x] only Reference(FhircarePractitionerRole)

Extension: CtpAreaExtension
Id: ctp-area
Title: "Welsh Care and Treatment Plan area"
Description: "One of the eight areas of a Welsh Care and Treatment Plan (Mental Health (Wales) Measure 2010 s.18): whether it was considered, whether action is needed, and the outcome. Considered with no action needed (the person manages it) is not the same as never considered (EC-76; [001 ¶77] \"it is sufficient simply to state that they will continue to maintain their tenancy\")."
Context: CarePlan
* insert ConformanceMetadata
* extension contains
    area 1..1 MS and
    considered 1..1 MS and
    actionNeeded 0..1 MS and
    outcome 0..1 MS
* extension[area].value[x] only CodeableConcept
* extension[area].valueCodeableConcept from WelshMeasureAreaVS (required)
* extension[considered].value[x] only boolean
* extension[actionNeeded] ^short = "False: considered, and no action needed (self-managed)"
* extension[actionNeeded].value[x] only boolean
* extension[outcome].value[x] only string

Extension: NeedStatusExtension
Id: need-status
Title: "Need status"
Description: "Whether the plan meets an assessed need, and why not when it does not ([001 ¶83] \"Any unmet needs should be clearly identified and recorded on the care and treatment plans.\"; requirements.md DD-02)."
Context: Condition
* insert ConformanceMetadata
* extension contains
    status 1..1 MS and
    unmetReason 0..1 MS
* extension[status].value[x] only CodeableConcept
* extension[status].valueCodeableConcept from NeedStatusVS (required)
* extension[unmetReason] ^short = "Why the need is not met (no resource, waiting list, ...)"
* extension[unmetReason].value[x] only string

Extension: AttendedExtension
Id: attended
Title: "Attended"
Description: "Whether the service user (on the Encounter) or a participant (on Encounter.participant) took part in a review they were invited to ([004 §3.16] \"It is important that efforts to contact all involved are captured\"; [000 §3.4.4] a review involves the service user \"unless the service user is unwilling or unable to be involved\")."
Context: Encounter, Encounter.participant
* insert ConformanceMetadata
* value[x] only boolean

Extension: OnBehalfOfServiceUserExtension
Id: on-behalf-of-service-user
Title: "On behalf of the service user"
Description: "The participant took part to speak for the service user ([004 §3.16] \"through a nominated advocate or carer\"; EC-52)."
Context: Encounter.participant
* insert ConformanceMetadata
* value[x] only boolean

Extension: ReviewedPlanExtension
Id: reviewed-plan
Title: "Care plan reviewed"
Description: "The care plan (version) a review was of. R4 Encounter has no element that refers to a CarePlan."
Context: Encounter
* insert ConformanceMetadata
* value[x] only Reference(FhircareCarePlan)

Extension: ReviewOutcomeExtension
Id: review-outcome
Title: "Review outcome"
Description: "What the review decided ([000 §3.4.6] \"There will be a clearly documented summary of the review process, including any decisions made\"). R4 Encounter has no outcome element."
Context: Encounter
* insert ConformanceMetadata
* value[x] only string

Extension: MedicationAlertExtension
Id: medication-alert
Title: "Medication a partner must know about"
Description: "Why a partner must know about this medicine: a depot injection, clozapine, lithium."
Context: MedicationStatement
* insert ConformanceMetadata
* value[x] only CodeableConcept
* valueCodeableConcept from MedicationAlertVS (required)

Extension: NextDoseDueExtension
Id: next-dose-due
Title: "Next dose due"
Description: "When the next dose of a depot injection is due: a missed dose matters to everyone caring for the person ([004 §3.12] \"any additional such as depot administration is handed over\")."
Context: MedicationStatement
* insert ConformanceMetadata
* value[x] only date

Extension: RecordNotCurrentExtension
Id: record-not-current
Title: "Record not current"
Description: "The trust's latest extract for this service user could not be loaded (it was rejected), so this is the last record of theirs that could be: shown rather than nothing, since withholding a crisis plan is the greater harm, but not current since the day given (the day of the first rejected extract). Removed when an extract of theirs loads again; the narrative says the same in its first paragraph. An extension rather than a meta.tag: a server may keep a resource's tags across updates (HAPI FHIR does), and a tag would then outlive the state it marks. Care plans are to be \"Always kept up to date\" (003, Somerset case study)."
Context: DomainResource
* insert ConformanceMetadata
* value[x] only date
* valueDate 1..1

Extension: RecordWithdrawnExtension
Id: record-withdrawn
Title: "No longer in the trust's record"
Description: "The trust's extract no longer holds this record, so fhircare ended it on the day given (a plan revoked or completed, a care team inactive, a carer no longer active) rather than deleting it, so that nothing vanishes silently from the shared record; the narrative says the same. Removed if the extract holds the record again. An extension rather than a meta.tag: a server may keep a resource's tags across updates (HAPI FHIR does), and a tag would then go on marking a record that is live again. Care plans \"In digitised form ... should be live, easily available and accessible\" (002 ¶16)."
Context: DomainResource
* insert ConformanceMetadata
* value[x] only date
* valueDate 1..1
