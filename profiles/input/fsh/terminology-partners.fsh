// Terminology for what partners need to act on the plan (issue 10): crisis contacts and
// when to use them, needs and what the service user says about themselves, reviews, risk,
// medication, and DIALOG as MHSDS records it. SNOMED CT concepts are listed in value sets
// with their preferred terms (standards.md §2.3, §4.1, §4.3) so that every coding's display
// can be checked offline.

CodeSystem: UrgentCareServiceType
Id: urgent-care-service-type
Title: "Crisis and urgent care service"
Description: "What a service a crisis or contingency plan names is (HealthcareService.type): whom to contact, and what they can do."
* insert LocalCodeSystem
* #mental-health-crisis-line "Mental health crisis line" "A telephone line for a mental health crisis, usually answered around the clock. [000 §3.3.11] \"information about 24 hour access to services\""
* #crisis-resolution-home-treatment "Crisis resolution and home treatment" "[001 ¶86] \"the input of a crisis resolution home treatment service, which may avoid the recall of the individual into hospital\""
* #nhs-111-mental-health "NHS 111 mental health option" "NHS 111's option for urgent mental health help. [000 App 2] \"who to contact out of hours or in a crisis\""
* #liaison-psychiatry "Liaison psychiatry (emergency department)" "[003 CNWL] \"their inpatient wards and Home Treatment, Urgent Care and Psychiatric Liaison Teams achieved Stage 1 of the National Triangle of Care accreditation award\""
* #crisis-sanctuary "Crisis sanctuary or crisis cafe" "Somewhere to go in a crisis, often run with a voluntary sector partner. [000 §3.3.11] \"actions to be taken by the service user, family, carers, and/or the crisis intervention / urgent care team\""
* #emergency-services "Emergency services (999)" "When life is in immediate danger. [003 MPFT] \"The Crisis Response teams and Emergency services will deal with crisis calls.\""
* #duty-worker-line "Team duty worker" "The team's duty worker, in office hours. [004 §3.4] \"The team would need to ensure access to a clinical duty worker (or similar system) within office hours\""

ValueSet: UrgentCareServiceTypeVS
Id: urgent-care-service-type
Title: "Crisis and urgent care service"
Description: "All kinds of crisis and urgent care service."
* insert ConformanceMetadata
* include codes from system UrgentCareServiceType

CodeSystem: ContactWhen
Id: contact-when
Title: "When to use a crisis contact"
Description: "When a crisis, contingency or safety plan says to use a contact: in office hours, out of hours, or at any time."
* insert LocalCodeSystem
* #office-hours "In office hours" "[004 §3.4] \"The team would need to ensure access to a clinical duty worker (or similar system) within office hours\""
* #out-of-hours "Out of hours" "Evenings, nights, weekends and bank holidays. [000 App 2] \"who to contact out of hours or in a crisis\""
* #any-time "At any time" "[000 §3.3.11] \"information about 24 hour access to services\""

ValueSet: ContactWhenVS
Id: contact-when
Title: "When to use a crisis contact"
Description: "All of when to use a crisis contact."
* insert ConformanceMetadata
* include codes from system ContactWhen

CodeSystem: NeedStatus
Id: need-status
Title: "Need status"
Description: "Whether an assessed need is met by the plan (requirements.md DD-02)."
* insert LocalCodeSystem
* #met "Met" "The plan meets the need. [000 §2.7] \"The care plan will be based on the assessed needs, including risk, safety and vulnerabilities, of the service user\""
* #partly-met "Partly met" "[001 ¶83] \"Any unmet needs should be clearly identified and recorded on the care and treatment plans.\""
* #unmet "Not met" "A need no service meets yet, with the reason. [001 ¶83] \"Any unmet needs should be clearly identified and recorded on the care and treatment plans.\" … \"Consideration should be given to the risks associated with not meeting a need.\" [001 ¶50] \"Assessment may identify needs which exist even though resources are not available to address them\""

ValueSet: NeedStatusVS
Id: need-status
Title: "Need status"
Description: "All need statuses."
* insert ConformanceMetadata
* include codes from system NeedStatus

CodeSystem: PersonalStatement
Id: personal-statement
Title: "About me"
Description: "What the service user says about themselves in the plan, where no SNOMED CT concept was found (the PRSB About Me heading 'What is most important to me' is SNOMED CT 1515861000000103)."
* insert LocalCodeSystem
* #strength "Strength" "[001 ¶43] \"the assessment process will identify needs and risks (including vulnerability), alongside the personal strengths of individuals\""

ValueSet: AboutMeVS
Id: about-me
Title: "About me"
Description: "What the service user says about themselves: their strengths, and what is most important to them (PRSB About Me, standards.md §2.3)."
* insert ConformanceMetadata
* include codes from system PersonalStatement
* $sct#1515861000000103 "What is most important to me"

CodeSystem: ReviewType
Id: review-type
Title: "Care plan review type"
Description: "The kind of review of a care plan (requirements.md DE-140)."
* insert LocalCodeSystem
* #cpa-review "CPA review" "[000 §3.4.1] \"For those on CPA, this will be a CPA review and should be documented on the CPA Review form.\""
* #care-support-review "Care Support review" "[000 §3.4.1] \"For those on Care Support, this will be a review completed by the lead clinician and will be documented in the Care Support Plan.\""
* #care-coordination-review "Care coordination review" "[004 Definitions] \"All service users are entitled to regular reviews of their care plan.\""
* #ctp-review "Care and treatment plan review (Wales)" "[001 ¶105] \"in all cases a formal review of the care and treatment plan must take place at least annually\""
* #mdt-review "MDT review" "[000 §3.4.11] \"a formal review comprising of a multi-disciplinary discussion may be called by any member of the care team including the service user or carer\""
* #emergency-review "Emergency review" "[001 ¶112] \"Such events should trigger an emergency review and assessment\""
* #admission-review "Admission review" "[004 §3.15] \"Service users who have been admitted to hospital must have a review within the first 2 weeks of admission.\""
* #pre-discharge-review "Review before discharge or transfer" "[004 §3.15] \"A review must also take place prior to discharge from an inpatient setting, transfer of care into another team, in or out of area\""
* #post-discharge-review "Review after discharge" "[004 App 1] \"Agree first post discharge care coordination review meeting date\""

ValueSet: ReviewEncounterTypeVS
Id: review-encounter-type
Title: "Care plan review"
Description: "What kind of encounter a care plan review is: SNOMED CT review of care plan (PRSB PCSP's review tag, standards.md §4.1) and the kind of review."
* insert ConformanceMetadata
* $sct#425268008 "Review of care plan"
* include codes from system ReviewType

CodeSystem: ReviewRequester
Id: review-requester
Title: "Who asked for a review"
Description: "Why a review took place: it was due, or someone asked for it (requirements.md DE-144)."
* insert LocalCodeSystem
* #scheduled "Scheduled" "[000 §3.4.2] \"An estimated date / timeframe of the next review must always be agreed.\""
* #service-user "Asked for by the service user" "[004 Definitions] \"Service users and carers can request a review of their care at any time.\""
* #carer "Asked for by a carer" "[004 Definitions] \"Service users and carers can request a review of their care at any time.\""
* #gp "Asked for by the GP" "[001 ¶112] \"can be initiated by any member of the care team, the GP, the service user, or carer\""
* #care-team "Asked for by the care team" "[000 §3.4.11] \"a formal review comprising of a multi-disciplinary discussion may be called by any member of the care team including the service user or carer\""

ValueSet: ReviewRequesterVS
Id: review-requester
Title: "Who asked for a review"
Description: "All of who asked for a review."
* insert ConformanceMetadata
* include codes from system ReviewRequester

CodeSystem: RiskDomain
Id: risk-domain
Title: "Kind of risk"
Description: "The kinds of risk a risk assessment considers, one prediction each: never a single 'high risk' label (requirements.md DD-11; [002 ¶21] risk assessments \"should not be based on the use of tools and checklists\")."
* insert LocalCodeSystem
* #harm-to-self "Harm to self" "[001 ¶57] \"harm to self (including deliberate self harm)\""
* #suicide "Suicide" "[001 ¶57] \"harm to self (including deliberate self harm)\" … \"suicide\""
* #harm-to-others "Harm to others" "[001 ¶57] \"harm to others (including violence)\""
* #harm-from-others "Harm from others (exploitation, abuse)" "[001 ¶58] \"comprehensive risk assessment takes accounts of the risks to and by the individual\""
* #self-neglect "Self-neglect" "[001 ¶57] \"self neglect\""
* #substance-use "Alcohol or substance use" "[001 ¶57] \"adverse risks associated with abuse of alcohol or substances\""
* #social-vulnerability "Social vulnerability" "[001 ¶57] \"social vulnerability\""

ValueSet: RiskDomainVS
Id: risk-domain
Title: "Kind of risk"
Description: "All kinds of risk."
* insert ConformanceMetadata
* include codes from system RiskDomain

CodeSystem: MedicationAlert
Id: medication-alert
Title: "Medication a partner must know about"
Description: "Why a partner must know about a medicine: a missed depot dose, clozapine's blood monitoring and toxicity, lithium's narrow therapeutic range."
* insert LocalCodeSystem
* #depot-injection "Depot (long-acting) injection" "A missed dose raises the risk of relapse: the next due date matters. [004 §3.12] \"any additional such as depot administration is handed over\""
* #clozapine "Clozapine" "Needs regular blood monitoring; signs of infection, constipation or toxicity are urgent. [001 ¶76] \"Medical treatment (medication etc)\""
* #lithium "Lithium" "Needs regular blood levels; other medicines and dehydration can make it toxic. [001 ¶76] \"Medical treatment (medication etc)\""

ValueSet: MedicationAlertVS
Id: medication-alert
Title: "Medication a partner must know about"
Description: "All kinds of medication a partner must know about."
* insert ConformanceMetadata
* include codes from system MedicationAlert

CodeSystem: DialogNotCompletedReason
Id: dialog-not-completed-reason
Title: "Why DIALOG was not rated"
Description: "Why an offer of DIALOG did not give ratings: the service user chose not to, or DIALOG is not appropriate for them, which is not non-compliance (EC-60)."
* insert LocalCodeSystem
* #declined "Service user chose not to rate it" "[004 §7.0] \"All service users will be offered DIALOG (excluding organic service users)\""
* #organic-condition "Not appropriate: organic condition" "[004 §7.0] \"All service users will be offered DIALOG (excluding organic service users)\""
* #lacks-capacity-to-understand "Not appropriate: lacks capacity to understand the tool" "[004 §3.17] \"DIALOG will only be used for those services users who have a functional mental health problem or have the capacity to understand the tool.\""
* #too-unwell "Not appropriate at the moment: too unwell" "[004 §3.17] \"Opportunity for those that are digitally excluded or unable to complete this independently should be given during the appointment.\""

ValueSet: DialogNotCompletedReasonVS
Id: dialog-not-completed-reason
Title: "Why DIALOG was not rated"
Description: "All reasons why DIALOG was not rated."
* insert ConformanceMetadata
* include codes from system DialogNotCompletedReason

CodeSystem: CareTask
Id: care-task
Title: "Care coordination task"
Description: "Tasks fhircare records (Task.code) and what they are given (Task.input.type)."
* insert LocalCodeSystem
* #offer-dialog "Offer DIALOG" "[004 §3.17] \"The Dialog Survey should be sent via a text including the link to the survey, to all service user as soon as they are accepted into service for treatment\""
* #questionnaire "Questionnaire offered" "[004 §3.17] \"It is a tool that is completed by the service user\""

ValueSet: CareTaskVS
Id: care-task
Title: "Care coordination task"
Description: "All care coordination tasks."
* insert ConformanceMetadata
* include codes from system CareTask

CodeSystem: DialogItemDetail
Id: dialog-item-detail
Title: "DIALOG item detail"
Description: "Parts of one DIALOG item beyond its rating."
* insert LocalCodeSystem
* #more-help-wanted "Would like more help with this" "The DIALOG+ question after each rating (outside the policies; optional, EC-66). [004 §3.17] \"its content helps to highlight areas: they'd like further support with, or of concern, or that are going well\""

ValueSet: DialogItemDetailVS
Id: dialog-item-detail
Title: "DIALOG item detail"
Description: "All parts of a DIALOG item beyond its rating."
* insert ConformanceMetadata
* include codes from system DialogItemDetail

ValueSet: DialogItemVS
Id: dialog-item
Title: "DIALOG item score"
Description: "The UK SNOMED CT observable entities MHSDS records each DIALOG item's score with (standards.md §4.3), with their preferred terms."
* insert ConformanceMetadata
* $sct#1037651000000100 "DIALOG patient rated outcome measure item 1 score - how satisfied are you with your mental health"
* $sct#1037661000000102 "DIALOG patient rated outcome measure item 2 score - how satisfied are you with your physical health"
* $sct#1037671000000109 "DIALOG patient rated outcome measure item 3 score - how satisfied are you with your job situation"
* $sct#1037681000000106 "DIALOG patient rated outcome measure item 4 score - how satisfied are you with your accommodation"
* $sct#1037691000000108 "DIALOG patient rated outcome measure item 5 score - how satisfied are you with your leisure activities"
* $sct#1037701000000108 "DIALOG patient rated outcome measure item 6 score - how satisfied are you with your friendships"
* $sct#1037711000000105 "DIALOG patient rated outcome measure item 7 score - how satisfied are you with your partner/family"
* $sct#1037721000000104 "DIALOG patient rated outcome measure item 8 score - how satisfied are you with your personal safety"
* $sct#1037731000000102 "DIALOG patient rated outcome measure item 9 score - how satisfied are you with your medication"
* $sct#1037741000000106 "DIALOG patient rated outcome measure item 10 score - how satisfied are you with the practical help you receive"
* $sct#1037751000000109 "DIALOG patient rated outcome measure item 11 score - how satisfied are you with consultations with mental health professionals"

ValueSet: CrisisPlanDocumentTypeVS
Id: crisis-plan-document-type
Title: "Crisis plan record type"
Description: "The National Record Locator record types of the plans an urgent-care system looks for (standards.md §4.1): mental health crisis plan and contingency plan."
* insert ConformanceMetadata
* $sct#736253002 "Mental health crisis plan"
* $sct#325691000000100 "Contingency plan"

ValueSet: CarePlanDocumentCategoryVS
Id: care-plan-document-category
Title: "Care plan record category"
Description: "The National Record Locator category of care plans (standards.md §4.1)."
* insert ConformanceMetadata
* $sct#734163000 "Care plan"

ValueSet: AdvanceStatementVS
Id: advance-statement
Title: "Advance statement"
Description: "The PRSB PCSP advance statement code (standards.md §2.1)."
* insert ConformanceMetadata
* $sct#816281000000101 "Has advance statement (Mental Capacity Act 2005)"

ValueSet: CrisisPlanContentFindingVS
Id: crisis-plan-information
Title: "What to look out for, and what helps"
Description: "The crisis and contingency plan content that is information about the person rather than an action: triggers, early warning signs and what helps."
* insert ConformanceMetadata
* CrisisContingencyContent#trigger
* CrisisContingencyContent#early-warning-sign
* CrisisContingencyContent#what-helps

ValueSet: CommunicationLanguageVS
Id: communication-language
Title: "Language of communication"
Description: "Languages service users in England and Wales often prefer, as BCP-47 tags with their names (the R4 common languages value set lacks Welsh and several others), so that a reader sees the language and not a bare tag ([001 ¶183] Welsh speakers are offered the medium of Welsh; [000 §2.12] interpreting)."
* insert ConformanceMetadata
* urn:ietf:bcp:47#cy "Welsh"
* urn:ietf:bcp:47#ur "Urdu"
* urn:ietf:bcp:47#ro "Romanian"
* urn:ietf:bcp:47#gu "Gujarati"
* urn:ietf:bcp:47#so "Somali"
* urn:ietf:bcp:47#ti "Tigrinya"
* urn:ietf:bcp:47#ku "Kurdish"
* urn:ietf:bcp:47#fa "Persian"
* urn:ietf:bcp:47#ps "Pashto"
* urn:ietf:bcp:47#lt "Lithuanian"
* urn:ietf:bcp:47#tr "Turkish"
* urn:ietf:bcp:47#bg "Bulgarian"
* urn:ietf:bcp:47#sq "Albanian"
* urn:ietf:bcp:47#ta "Tamil"
* urn:ietf:bcp:47#uk "Ukrainian"
* urn:ietf:bcp:47#ml "Malayalam"
* urn:ietf:bcp:47#sgn-GB "British Sign Language"
