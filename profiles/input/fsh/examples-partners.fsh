// Examples (issue 10): what partners need to act on Alex's plan - crisis contacts that say
// when they answer, what to look out for and what helps, the advance statement, a pointer
// urgent care finds the crisis plan by, needs, strengths and what matters, a review, the
// risk assessment, a depot injection, DIALOG items and a declined offer, Mental Health Act
// status and Section 117 after-care on the service user; and Rhian Enghraifft's Welsh Care
// and Treatment Plan with its eight areas.

RuleSet: ExampleNarrativeStatus(status, text)
* text.status = #{status}
* text.div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{text}</p></div>"

Instance: example-nhs-111
InstanceOf: FhircareOrganization
Usage: #example
Title: "Synthetic Valley NHS 111 (urgent care)"
* insert ExampleNarrative(Synthetic Valley NHS 111 (ODS ZZ1111\)\, an NHS 111 provider.)
* identifier[odsOrganisationCode].value = "ZZ1111"
* active = true
* type[0].coding[0] = $organization-type#prov "Healthcare Provider"
* type[0].coding[1] = PartnerOrganisationType#nhs-111-provider "NHS 111 provider"
* name = "Synthetic Valley NHS 111"

Instance: example-crisis-line
InstanceOf: FhircareHealthcareService
Usage: #example
Title: "The trust's 24-hour mental health crisis line"
* insert ExampleNarrative(Synthetic Valley 24-hour mental health crisis line: 01632 960 999\, every day\, all day.)
* insert TrustIdentifier(0, service, SV-CRISIS-LINE)
* active = true
* providedBy = Reference(example-trust)
* category[0] = http://terminology.hl7.org/CodeSystem/service-category#22 "Mental Health"
* type[0] = UrgentCareServiceType#mental-health-crisis-line "Mental health crisis line"
* name = "Synthetic Valley 24-hour mental health crisis line"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 999"
* availableTime[0].daysOfWeek[0] = #mon
* availableTime[0].daysOfWeek[1] = #tue
* availableTime[0].daysOfWeek[2] = #wed
* availableTime[0].daysOfWeek[3] = #thu
* availableTime[0].daysOfWeek[4] = #fri
* availableTime[0].daysOfWeek[5] = #sat
* availableTime[0].daysOfWeek[6] = #sun
* availableTime[0].allDay = true

Instance: example-crisis-cafe
InstanceOf: FhircareHealthcareService
Usage: #example
Title: "The Evening Sanctuary (crisis cafe): evenings only"
* insert ExampleNarrative(The Evening Sanctuary (crisis cafe\): 01632 960 950\, every day from 18:00 to 23:30. Closed on 25 and 26 December.)
* insert TrustIdentifier(0, service, SV-SANCTUARY)
* active = true
* providedBy = Reference(example-vcse)
* category[0] = http://terminology.hl7.org/CodeSystem/service-category#22 "Mental Health"
* type[0] = UrgentCareServiceType#crisis-sanctuary "Crisis sanctuary or crisis cafe"
* name = "The Evening Sanctuary (crisis cafe)"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 950"
* availableTime[0].daysOfWeek[0] = #mon
* availableTime[0].daysOfWeek[1] = #tue
* availableTime[0].daysOfWeek[2] = #wed
* availableTime[0].daysOfWeek[3] = #thu
* availableTime[0].daysOfWeek[4] = #fri
* availableTime[0].daysOfWeek[5] = #sat
* availableTime[0].daysOfWeek[6] = #sun
* availableTime[0].availableStartTime = "18:00:00"
* availableTime[0].availableEndTime = "23:30:00"
* notAvailable[0].description = "Closed on 25 and 26 December"

// What to look out for, and what helps (crisis plan supporting information)
RuleSet: CrisisInformation(value, code, display, performer, text)
* insert RestrictedLabels
* insert TrustIdentifier(0, crisis-plan-information, {value})
* status = #final
* code = CrisisContingencyContent#{code} "{display}"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-02-01"
* performer[0] = Reference({performer})
* valueString = "{text}"

Instance: example-trigger
InstanceOf: FhircareCrisisPlanInformation
Usage: #example
Title: "Trigger: the anniversary of Alex's gran's death"
* insert ExampleNarrative(Trigger: the anniversary of my gran's death in March.)
* insert CrisisInformation(SVT-AC-0101, trigger, Trigger, example-patient, The anniversary of my gran's death in March.)

Instance: example-early-warning-sign
InstanceOf: FhircareCrisisPlanInformation
Usage: #example
Title: "Early warning sign: stops sleeping and answering the phone"
* insert ExampleNarrative(Early warning sign\, noticed by Pat: I stop sleeping and stop answering my phone.)
* insert CrisisInformation(SVT-AC-0102, early-warning-sign, Early warning sign, example-carer-parent, I stop sleeping and stop answering my phone - Pat usually notices first.)

Instance: example-what-helps
InstanceOf: FhircareCrisisPlanInformation
Usage: #example
Title: "What helps: walking the dog and talking to Pat"
* insert ExampleNarrative(What helps: walking the dog and talking to Pat.)
* insert CrisisInformation(SVT-AC-0103, what-helps, What helps (coping strategy\), example-patient, Walking the dog and talking to Pat.)

Instance: example-advance-statement
InstanceOf: FhircareAdvanceStatement
Usage: #example
Title: "Alex's advance statement"
* insert ExampleNarrative(Alex made an advance statement on 2 November 2024: no home visits without a phone call first. Not legally binding\, but to be considered in any best-interests decision.)
* insert RestrictedLabels
* insert TrustIdentifier(0, advance-statement, SVT-CP-0001)
* status = #final
* code = $sct#816281000000101 "Has advance statement (Mental Capacity Act 2005)"
* subject = Reference(example-patient)
* effectiveDateTime = "2024-11-02"
* performer[0] = Reference(example-patient)
* valueString = "No home visits without a phone call first."

Instance: example-about-me-strength
InstanceOf: FhircareAboutMe
Usage: #example
Title: "Alex's strength"
* insert ExampleNarrative(A strength\, in Alex's words: I am a good listener and my friends come to me for advice.)
* insert RestrictedLabels
* insert TrustIdentifier(0, plan-statement, SVT-ST-0001)
* status = #final
* code = PersonalStatement#strength "Strength"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-02-01"
* performer[0] = Reference(example-patient)
* valueString = "I am a good listener and my friends come to me for advice."

Instance: example-about-me-what-matters
InstanceOf: FhircareAboutMe
Usage: #example
Title: "What is most important to Alex"
* insert ExampleNarrative(What is most important to Alex: seeing my nephews every weekend.)
* insert RestrictedLabels
* insert TrustIdentifier(0, plan-statement, SVT-ST-0002)
* status = #final
* code = $sct#1515861000000103 "What is most important to me"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-02-01"
* performer[0] = Reference(example-patient)
* valueString = "Seeing my nephews every weekend."

Instance: example-need-housing
InstanceOf: FhircareNeed
Usage: #example
Title: "Need: safe and settled accommodation (partly met)"
* insert ExampleNarrative(Need (accommodation\): safe and settled accommodation - partly met.)
* insert RestrictedLabels
* insert TrustIdentifier(0, need, SVT-N-0001)
* extension[needStatus].extension[status].valueCodeableConcept = NeedStatus#partly-met "Partly met"
* clinicalStatus = http://terminology.hl7.org/CodeSystem/condition-clinical#active "Active"
* category[0] = http://terminology.hl7.org/CodeSystem/condition-category#problem-list-item "Problem List Item"
* category[1] = LifeArea#accommodation "Accommodation"
* code.text = "Safe and settled accommodation."
* subject = Reference(example-patient)
* recordedDate = "2025-02-01"
* asserter = Reference(example-role-key-worker)

Instance: example-need-unmet
InstanceOf: FhircareNeed
Usage: #example
Title: "Need: help with debts and benefits (not met: no adviser available)"
* insert ExampleNarrative(Need (finance and money\): help with debts and benefits - not met (no welfare rights adviser available until September\).)
* insert RestrictedLabels
* insert TrustIdentifier(0, need, SVT-N-0002)
* extension[needStatus].extension[status].valueCodeableConcept = NeedStatus#unmet "Not met"
* extension[needStatus].extension[unmetReason].valueString = "No welfare rights adviser available until September."
* clinicalStatus = http://terminology.hl7.org/CodeSystem/condition-clinical#active "Active"
* category[0] = http://terminology.hl7.org/CodeSystem/condition-category#problem-list-item "Problem List Item"
* category[1] = LifeArea#finance-and-money "Finance and money"
* code.text = "Help with debts and benefits."
* subject = Reference(example-patient)
* recordedDate = "2025-02-01"
* asserter = Reference(example-role-key-worker)

Instance: example-crisis-plan-pointer
InstanceOf: FhircareCrisisPlanPointer
Usage: #example
Title: "Where urgent care finds Alex's crisis plan"
* insert ExampleNarrative(Alex Sample's mental health crisis plan (NHS number 999 000 0018\)\, held by Synthetic Valley NHS Foundation Trust: current since 1 February 2025.)
* insert RestrictedLabels
* insert TrustIdentifier(0, crisis-plan-pointer, SVT-CP-0002)
* masterIdentifier.system = "https://fhir.fhircare.nhs.uk/Id/synthetic-valley-trust/careplan"
* masterIdentifier.value = "SVT-CP-0002"
* status = #current
* docStatus = #final
* type = $sct#736253002 "Mental health crisis plan"
* category[0] = $sct#734163000 "Care plan"
* subject = Reference(example-patient)
* subject.identifier.system = $nhs-number-system
* subject.identifier.value = "9990000018"
* date = "2025-02-01T00:00:00Z"
* author[0] = Reference(example-role-key-worker)
* custodian = Reference(example-trust)
* content[0].attachment.contentType = #application/fhir+json
* content[0].attachment.url = "CarePlan?identifier=https://fhir.fhircare.nhs.uk/Id/synthetic-valley-trust/careplan|SVT-CP-0002"
* content[0].attachment.title = "My crisis plan"
* content[0].attachment.creation = "2025-02-01"
* context.related[0] = Reference(example-crisis-plan)

Instance: example-review
InstanceOf: FhircareCarePlanReview
Usage: #example
Title: "Alex's care coordination review on 1 February 2025"
* insert ExampleNarrativeStatus(additional, Care coordination review of Alex's plan on 1 February 2025\, face to face\, completed. Alex took part; Pat took part; Dr Casey Specimen was invited and sent a report. Outcome: plan updated.)
* insert RestrictedLabels
* insert TrustIdentifier(0, review, SVT-RV-0001)
* extension[reviewedPlan].valueReference = Reference(example-care-plan)
* extension[serviceUserAttended].valueBoolean = true
* extension[outcome].valueString = "Plan updated: goals reviewed and the crisis plan checked."
* status = #finished
* class = http://terminology.hl7.org/CodeSystem/v3-ActCode#AMB "ambulatory"
* type[0].coding[0] = $sct#425268008 "Review of care plan"
* type[0].coding[1] = ReviewType#care-coordination-review "Care coordination review"
* reasonCode[0] = ReviewRequester#scheduled "Scheduled"
* subject = Reference(example-patient)
* episodeOfCare[0] = Reference(example-episode)
* participant[0].extension[attended].valueBoolean = true
* participant[0].type[0] = $v3-ParticipationType#PPRF "primary performer"
* participant[0].individual = Reference(example-role-key-worker)
* participant[1].extension[attended].valueBoolean = true
* participant[1].type[0] = $v3-ParticipationType#PART "Participation"
* participant[1].individual = Reference(example-carer-parent)
* participant[2].extension[attended].valueBoolean = false
* participant[2].type[0] = $v3-ParticipationType#PART "Participation"
* participant[2].individual = Reference(example-role-psychiatrist)
* period.start = "2025-02-01"
* serviceProvider = Reference(example-community-team)

Instance: example-risk-assessment
InstanceOf: FhircareRiskAssessment
Usage: #example
Title: "Alex's risk assessment"
* insert ExampleNarrative(Risk assessment on 20 January 2025 by Jordan Sample. Harm to self: cut their arms twice last year when very low; none since the spring. Self-neglect (low likelihood\): stops eating when mood drops. Managed by: the crisis plan shared with the GP; weekly contact while mood is low.)
* insert RestrictedLabels
* insert TrustIdentifier(0, risk-assessment, SVT-RA-0001)
* status = #final
* method.text = "Clinical risk assessment and formulation"
* subject = Reference(example-patient)
* occurrenceDateTime = "2025-01-20"
* performer = Reference(example-role-key-worker)
* prediction[0].outcome = RiskDomain#harm-to-self "Harm to self"
* prediction[0].rationale = "Cut their arms twice last year when very low; none since the spring."
* prediction[1].outcome = RiskDomain#self-neglect "Self-neglect"
* prediction[1].qualitativeRisk = http://terminology.hl7.org/CodeSystem/risk-probability#low "Low likelihood"
* prediction[1].rationale = "Stops eating when mood drops."
* mitigation = "The crisis plan shared with the GP; weekly contact while mood is low."
* note[0].text = "Risks discussed with Alex and, with their agreement, Pat; plan agreed together."

Instance: example-medication-depot
InstanceOf: FhircareMedicationStatement
Usage: #example
Title: "Alex's depot injection, next due 14 July 2025"
* insert ExampleNarrative(Aripiprazole 400 mg long-acting injection\, intramuscular\, every 4 weeks (a depot injection\); next dose due 14 July 2025.)
* insert RestrictedLabels
* insert TrustIdentifier(0, medication, SVT-MD-0001)
* extension[alert].valueCodeableConcept = MedicationAlert#depot-injection "Depot (long-acting) injection"
* extension[nextDoseDue].valueDate = "2025-07-14"
* status = #active
* medicationCodeableConcept.text = "Aripiprazole 400 mg long-acting injection"
* subject = Reference(example-patient)
* effectivePeriod.start = "2024-06-01"
* informationSource = Reference(example-role-psychiatrist)
* dosage[0].text = "Intramuscular injection, every 4 weeks"
* note[0].text = "Given at the depot clinic; if a dose is missed, tell the care team the same day."

Instance: example-dialog-item-job
InstanceOf: FhircareDialogItem
Usage: #example
Title: "Alex's baseline DIALOG: job situation 2, would like more help"
* insert ExampleNarrativeStatus(extensions, Job situation: 2 out of 7 at baseline on 25 January 2025; Alex would like more help with it.)
* insert RestrictedLabels
* insert TrustIdentifier(0, dialog-item, SVT-D-0001-dialog-job-situation)
* extension[timepoint].valueCoding = DialogTimepoint#baseline "Baseline (start of treatment)"
* status = #final
* code = $sct#1037671000000109 "DIALOG patient rated outcome measure item 3 score - how satisfied are you with your job situation"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-01-25T10:00:00Z"
* performer = Reference(example-patient)
* valueInteger = 2
* derivedFrom[0] = Reference(example-dialog-baseline)
* component[0].valueBoolean = true

Instance: example-dialog-item-not-rated
InstanceOf: FhircareDialogItem
Usage: #example
Title: "Alex's review DIALOG: partner/family not rated"
* insert ExampleNarrativeStatus(extensions, Partner/family: not rated at review on 20 May 2025 (Alex chose not to\).)
* insert RestrictedLabels
* insert TrustIdentifier(0, dialog-item, SVT-D-0002-dialog-partner-family)
* extension[timepoint].valueCoding = DialogTimepoint#review "Review (during treatment)"
* status = #final
* code = $sct#1037711000000105 "DIALOG patient rated outcome measure item 7 score - how satisfied are you with your partner/family"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-05-20T15:00:00Z"
* performer = Reference(example-patient)
* dataAbsentReason = $data-absent-reason-cs#asked-declined "Asked But Declined"
* derivedFrom[0] = Reference(example-dialog-review)

Instance: example-dialog-offer-declined
InstanceOf: FhircareDialogOffer
Usage: #example
Title: "Alex chose not to rate DIALOG in March"
* insert ExampleNarrative(Alex was offered DIALOG (review\) on 14 March 2025 and chose not to rate it then.)
* insert RestrictedLabels
* insert TrustIdentifier(0, dialog, SVT-D-0003)
* extension[timepoint].valueCoding = DialogTimepoint#review "Review (during treatment)"
* basedOn[0] = Reference(example-care-plan)
* status = #rejected
* statusReason = DialogNotCompletedReason#declined "Service user chose not to rate it"
* statusReason.text = "Did not want to fill in a questionnaire at the moment."
* intent = #order
* code = CareTask#offer-dialog "Offer DIALOG"
* for = Reference(example-patient)
* authoredOn = "2025-03-14T11:00:00Z"
* requester = Reference(example-role-key-worker)
* owner = Reference(example-patient)
* input[0].type = CareTask#questionnaire "Questionnaire offered"
* input[0].valueCanonical = "https://fhir.fhircare.nhs.uk/Questionnaire/dialog|0.2.0"

Instance: example-flag-cto
InstanceOf: FhircareFlag
Usage: #example
Title: "Alex is on a community treatment order"
* insert ExampleNarrative(Alex is on a community treatment order (Mental Health Act 1983\) since 10 March 2023.)
* insert RestrictedLabels
* insert TrustIdentifier(0, legal-status, SVT-LS-0002)
* status = #active
* category[0] = $flag-category#admin "Administrative"
* code = FlagCode#community-treatment-order "Community treatment order"
* code.text = "On a community treatment order (Mental Health Act 1983)"
* subject = Reference(example-patient)
* period.start = "2023-03-10"
* author = Reference(example-trust)

Instance: example-flag-reasonable-adjustment
InstanceOf: FhircareFlag
Usage: #example
Title: "Alex's reasonable adjustment: quiet room, no phone calls, text first"
* insert ExampleNarrativeStatus(extensions, Reasonable adjustment for autism: quiet room\, no phone calls\, text first.</p><p>Needs to be contacted in a particular way.</p><p>Recorded on 3 March 2025.)
* insert RestrictedLabels
* insert TrustIdentifier(0, reasonable-adjustment, SVT-RA-0001)
* extension[reasonableAdjustmentCondition].valueString = "autism"
* status = #active
* category[0] = $flag-category#contact "Subject Contact"
* category[1] = ReasonableAdjustment#contact-method "Needs to be contacted in a particular way"
* code = $sct#1108111000000107 "Reasonable adjustment flag"
* code.text = "Reasonable adjustment for autism: quiet room, no phone calls, text first"
* subject = Reference(example-patient)
* period.start = "2025-03-03"
* author = Reference(example-trust)

Instance: example-flag-section-117
InstanceOf: FhircareFlag
Usage: #example
Title: "Alex is entitled to Section 117 after-care"
* insert ExampleNarrative(Alex is entitled to Section 117 after-care since 15 January 2023\, after detention under section 3; Synthetic Valley Integrated Care Board and Synthetic Valley Council are responsible.)
* insert RestrictedLabels
* insert TrustIdentifier(0, section-117, SVT-S117-0001)
* extension[section117Aftercare].extension[period].valuePeriod.start = "2023-01-15"
* extension[section117Aftercare].extension[detentionSection].valueCodeableConcept = MentalHealthActSection#s3 "Section 3"
* extension[section117Aftercare].extension[responsibleOrganisation][0].valueReference = Reference(example-icb)
* extension[section117Aftercare].extension[responsibleOrganisation][1].valueReference = Reference(example-local-authority)
* status = #active
* category[0] = $flag-category#admin "Administrative"
* code = FlagCode#section-117-aftercare "Entitled to Section 117 after-care"
* code.text = "Entitled to Section 117 after-care (Mental Health Act 1983)"
* subject = Reference(example-patient)
* period.start = "2023-01-15"
* author = Reference(example-trust)

Instance: example-patient-welsh
InstanceOf: FhircarePatient
Usage: #example
Title: "Rhian Enghraifft, a service user in Wales"
* insert ExampleNarrative(Rhian Enghraifft\, born 8 March 1978. NHS number 999 000 0034 (verified\). Prefers Welsh.)
* insert IdentityLabel
* identifier[nhsNumber].value = "9990000034"
* insert TrustIdentifier(1, patient, SVT-P-0003)
* identifier[nhsNumber].extension[nhsNumberVerificationStatus].valueCodeableConcept = $ukcore-nhs-number-verification-england#01 "Number present and verified"
* active = true
* name[0].family = "Enghraifft"
* name[0].given[0] = "Rhian"
* birthDate = "1978-03-08"
* communication[0].language = urn:ietf:bcp:47#cy "Welsh"
* communication[0].preferred = true
* managingOrganization = Reference(example-trust)

// One of the eight areas of a Welsh plan
RuleSet: CtpArea(index, code, display, considered, action, outcome)
* extension[ctpArea][{index}].extension[area].valueCodeableConcept = LifeArea#{code} "{display}"
* extension[ctpArea][{index}].extension[considered].valueBoolean = {considered}
* extension[ctpArea][{index}].extension[actionNeeded].valueBoolean = {action}
* extension[ctpArea][{index}].extension[outcome].valueString = "{outcome}"

Instance: example-welsh-ctp
InstanceOf: FhircareCarePlan
Usage: #example
Title: "Rhian's Care and Treatment Plan (Wales), all eight areas"
* insert ExampleNarrativeStatus(extensions, Rhian's care and treatment plan. Care coordinator: Jordan Sample. Accommodation: considered - rents a flat she manages well\, no action needed. Each of the eight areas is recorded.)
* insert RestrictedLabels
* insert TrustIdentifier(0, careplan, SVT-CP-0010)
* extension[nextReview].valueDate = "2025-11-01"
* extension[namedLead].valueReference = Reference(example-role-key-worker)
* insert CtpArea(0, finance-and-money, Finance and money, true, true, Welfare rights advice booked.)
* insert CtpArea(1, accommodation, Accommodation, true, false, Rents a flat she manages well: will continue to maintain the tenancy.)
* insert CtpArea(2, personal-care-and-physical-wellbeing, Personal care and physical well-being, true, true, Annual physical health check with the GP.)
* insert CtpArea(3, education-and-training, Education and training, true, false, Not looking for a course at the moment.)
* insert CtpArea(4, work-and-occupation, Work and occupation, true, true, Referral to the employment support service.)
* insert CtpArea(5, parenting-or-caring-relationships, Parenting or caring relationships, true, false, No caring responsibilities.)
* insert CtpArea(6, social-cultural-or-spiritual, Social\, cultural or spiritual, true, false, Goes to the chapel choir: no support needed.)
* insert CtpArea(7, medical-and-other-treatment, Medical and other forms of treatment including psychological interventions, true, true, Medication reviewed every three months.)
* status = #active
* intent = #plan
* category[0] = CarePlanTypeLocal#welsh-care-and-treatment-plan "Care and Treatment Plan (Wales)"
* category[1] = $sct#718347000 "Mental health care plan"
* title = "My care and treatment plan"
* subject = Reference(example-patient-welsh)
* period.start = "2025-05-01"
* created = "2025-05-01"
* author = Reference(example-role-key-worker)
* contributor[0] = Reference(example-patient-welsh)
