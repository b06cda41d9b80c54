// Terminology for care plans: plan types, the care coordination arrangement, life areas,
// crisis and contingency content, planning exceptions and Section 117 after-care.
// Every concept is defined with a quote from its policy source ([NNN §x] = ../shared/policies/NNN_*.txt).

CodeSystem: CareCoordinationArrangement
Id: care-coordination-arrangement
Title: "Care coordination arrangement"
Description: "The care coordination arrangement (care level) a service user is under. England and Wales disagree, and English trusts are moving off CPA, so the arrangement is optional and always dated; absence means no arrangement was recorded and must never be read as a default level."
* insert LocalCodeSystem
* #cpa "Care Programme Approach (CPA)" "England, trust CPA regime. [000 §2.1] \"People offered care and treatment will receive care in line with one of the two care management arrangements identified by this policy: Care Programme Approach (CPA) or Care Support.\""
* #care-support "Care Support" "England, trust regime for lower complexity. [000 Glossary] \"Typically service users who are on Care Support require treatment and/or intervention but are formally assessed as having a low level of safety concerns or complexity.\""
* #key-worker-care-coordination "Care coordination with a named key worker" "England, post-CPA universal care coordination without levels. [004 §2.0] \"The term CPA is now no longer being used and will be replaced with care coordination for all service users who receiving services from LPT.\" [002 ¶9(ii)] \"A named key worker for all service users with a clearer multidisciplinary team (MDT) approach\""
* #wales-standard-cpa "Standard CPA (Wales)" "Wales, provisional sub-domain. [001 ¶171] \"Those service users covered by Standard CPA will be likely to:\" … \"be more able to self-manage their mental health\""
* #wales-enhanced-cpa "Enhanced CPA (Wales)" "Wales, provisional sub-domain. [001 ¶173] \"Service users who are admitted to mental health in-patient services, or who are under the care of Crisis Resolution Home Treatment services, or Assertive Outreach services should be considered as falling within Enhanced CPA.\""

ValueSet: CareCoordinationArrangementVS
Id: care-coordination-arrangement
Title: "Care coordination arrangement"
Description: "All care coordination arrangements (England trust CPA / Care Support, England post-CPA key worker model, Wales standard / enhanced CPA)."
* insert ConformanceMetadata
* include codes from system CareCoordinationArrangement

CodeSystem: CarePlanTypeLocal
Id: care-plan-type
Title: "Care plan type (local)"
Description: "Care plan types for which no SNOMED CT concept was found (standards.md §4.1). SNOMED CT is used for every other plan type (value set care-plan-type)."
* insert LocalCodeSystem
* #welsh-care-and-treatment-plan "Care and Treatment Plan (Wales)" "The statutory Welsh plan. [001 ¶88] \"Care and treatment plans should be in writing and proportionate to the level of clinical need\""
* #safety-plan "Safety plan" "[004 §3.4] \"if the service user has been accepted and immediate allocation is not possible, a safety plan will be co-produced by the service user and the assessing clinician\""
* #section-117-aftercare "Care plan including Section 117 after-care" "A second category of the main plan while a Section 117 after-care entitlement applies: it marks the plan that holds the after-care part, for readers and consents (a local authority shares the duty). [001 ¶165] \"There is no requirement for separate CPA and after-care plans to be in place.\" [004 §3.15] \"the duty to provide after-care services exists until both the CCG (now ICB) and the local authority are satisfied that the patient no longer requires them\""

ValueSet: CarePlanTypeVS
Id: care-plan-type
Title: "Care plan type"
Description: "Types of mental health care plan (CarePlan.category): SNOMED CT record artifacts where standards.md §4.1 gives a code, local codes otherwise. A crisis plan and a contingency plan are distinct (001 ¶86)."
* insert ConformanceMetadata
* $sct#2181441000000107 "Personalised Care and Support Plan"
* $sct#718347000 "Mental health care plan"
* $sct#736253002 "Mental health crisis plan"
* $sct#325691000000100 "Contingency plan"
* include codes from system CarePlanTypeLocal

CodeSystem: CrisisContingencyContent
Id: crisis-contingency-content
Title: "Crisis and contingency plan content"
Description: "The kinds of content a crisis or contingency plan holds, used to code its activities (CarePlan.activity.detail.code), aligned with the PRSB PCSP v2.0 section 'Contingency/safety plans'."
* insert LocalCodeSystem
* #trigger "Trigger" "What tends to set off a crisis (PRSB PCSP v2.0: Trigger factors, mandatory). [000 §3.3.9] \"a personalised plan (referred to in the Mental Health Act Code of practice as a behavioural support plan) should identify the potential risks, triggers and a positive plan to reduce the risk of restrictive practices.\""
* #early-warning-sign "Early warning sign" "[000 §3.3.11] \"Care plans will include a crisis plan which identifies early warning signs, individual coping strategies, and actions to be taken by the service user, family, carers, and/or the crisis intervention / urgent care team\""
* #what-helps "What helps (coping strategy)" "[000 §3.3.11] \"Care plans will include a crisis plan which identifies early warning signs, individual coping strategies\""
* #crisis-action "Action to take in a crisis" "[001 ¶86] \"the crisis plan specifies the actions to be taken in a crisis.\""
* #contingency-arrangement "Contingency arrangement" "[001 ¶86] \"The contingency plan is aimed at preventing circumstances escalating into a crisis by detailing the arrangements to be used at short notice\""
* #crisis-contact "Who to contact and how" "[000 App 2] \"Ensuring that the service user knows how to contact them and whom to contact in their absence and who to contact out of hours or in a crisis\""
* #carer-concern-route "How carers raise concerns" "[001 ¶87] \"the crisis and contingency plan could identify for them how to highlight any concerns they may have about an emerging crisis for an individual\""
* #advance-statement "Advance statement" "[000 §3.3.6] \"Where an Advance Statement exists, the care co-ordinator/lead clinician/named nurse should ensure that the key components are incorporated into the care plan.\""

ValueSet: CrisisContingencyContentVS
Id: crisis-contingency-content
Title: "Crisis and contingency plan content"
Description: "All kinds of crisis and contingency plan content."
* insert ConformanceMetadata
* include codes from system CrisisContingencyContent

CodeSystem: PlanningException
Id: planning-exception
Title: "Care planning exception"
Description: "Recorded reasons why a care plan was made without the usual involvement of the service user or their family."
* insert LocalCodeSystem
* #service-user-declined "Service user declined to engage in care planning" "[000 §3.3.5] \"Where a service user is unable or declines to engage in care planning, a statement to this effect must be provided within the care plan.\""
* #service-user-unable "Service user unable to engage in care planning" "[000 §3.3.5] \"Where a service user is unable or declines to engage in care planning, a statement to this effect must be provided within the care plan.\""
* #family-not-involved "Family not involved (exceptional circumstances)" "[000 §2.8] \"The views of the family should also be incorporated, unless exceptional circumstances dictate otherwise (these should be documented clearly within the patient record).\""

ValueSet: PlanningExceptionVS
Id: planning-exception
Title: "Care planning exception"
Description: "All care planning exceptions."
* insert ConformanceMetadata
* include codes from system PlanningException

CodeSystem: MentalHealthActSection
Id: mha-section
Title: "Mental Health Act 1983 detention section giving Section 117 after-care"
Description: "The sections of the Mental Health Act 1983 whose detention, once ended, gives entitlement to Section 117 after-care, plus the two routes 001 ¶164 adds."
* insert LocalCodeSystem
* #s3 "Section 3" "[001 ¶163] \"This section applies to patients who are detained under sections 3, 37, 45A, 47 or 48 of the 1983 Act and then cease to be detained and leave hospital.\""
* #s37 "Section 37" "[001 ¶163] \"This section applies to patients who are detained under sections 3, 37, 45A, 47 or 48 of the 1983 Act and then cease to be detained and leave hospital.\""
* #s45a "Section 45A" "[001 ¶163] \"This section applies to patients who are detained under sections 3, 37, 45A, 47 or 48 of the 1983 Act and then cease to be detained and leave hospital.\""
* #s47 "Section 47" "[001 ¶163] \"This section applies to patients who are detained under sections 3, 37, 45A, 47 or 48 of the 1983 Act and then cease to be detained and leave hospital.\""
* #s48 "Section 48" "[001 ¶163] \"This section applies to patients who are detained under sections 3, 37, 45A, 47 or 48 of the 1983 Act and then cease to be detained and leave hospital.\""
* #s17-leave "Section 17 leave of absence" "[001 ¶164] \"patients granted leave of absence from hospital under section 17 of the 1983 Act (if they would otherwise qualify when leaving hospital permanently)\""
* #sct "Supervised community treatment" "[001 ¶164] \"patients going onto supervised community treatment (SCT)\""

ValueSet: MentalHealthActSectionVS
Id: mha-section
Title: "Mental Health Act 1983 detention section giving Section 117 after-care"
Description: "All sections giving Section 117 after-care."
* insert ConformanceMetadata
* include codes from system MentalHealthActSection

CodeSystem: RecordLifecycle
Id: record-lifecycle
Title: "Record lifecycle"
Description: "Why fhircare changed a resource it had sent to the shared care record: the trust's extract no longer holds it, so it was ended (a plan revoked or completed, a care team inactive, a carer no longer active), never deleted. Carried in meta.tag, with a sentence in the narrative, by stores written before the record-withdrawn extension replaced the tag (a server may keep a resource's tags across updates, so a tag could outlive an ending)."
* insert LocalCodeSystem
* #withdrawn "No longer in the trust's record" "The trust's extract no longer holds this record; fhircare ended it rather than deleting it, so that nothing vanishes silently from the shared record. [002 ¶16] \"In digitised form they should be live, easily available and accessible\""

ValueSet: FhircareNarrativeStatusVS
Id: narrative-status
Title: "Narrative status (fhircare)"
Description: "How a fhircare resource's narrative relates to its data: generated (wholly from its core elements), extensions (and from its extensions), additional (it also holds information not in its data). Never empty."
* insert ConformanceMetadata
* http://hl7.org/fhir/narrative-status#generated "Generated"
* http://hl7.org/fhir/narrative-status#extensions "Extensions"
* http://hl7.org/fhir/narrative-status#additional "Additional"
