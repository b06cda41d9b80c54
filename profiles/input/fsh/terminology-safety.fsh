// Terminology for "safe to share": the basis of a disclosure, flags on the service user,
// carers' information as data, and mental capacity assessments (issue 9).

CodeSystem: ConsentBasis
Id: consent-basis
Title: "Basis of a sharing decision"
Description: "Why a disclosure (or a refusal) is lawful, as Consent.policyRule: the person's own decision, a best-interests decision after a recorded capacity assessment, a legal duty of a public body, or confidence broken for risk with its rationale recorded. A reader decides from this code, the provision and the resources' security labels what may be shown to whom."
* insert LocalCodeSystem
* #explicit-consent "The person's own decision" "The service user's (or, about their own details, the carer's) capacitous decision: consent or refusal. [004 §3.14] \"The service user's capacitous consent must be sought before any information relating to their mental health is shared with their carer\""
* #best-interests "Best interests, after a capacity assessment" "The service user lacks capacity for this decision (a recorded assessment, linked from the Consent); staff decide in their best interests. [004 §5.7] \"If the service user's capacity to consent is in doubt, clinical staff must ensure that a mental capacity assessment is completed and recorded.\" … \"Best interests' decisions may need to be made if a service user is not able to consent.\" [001 ¶180] \"Where a service user is unable to consent (through lack of capacity in relation to the specific matter of sharing information), the principles and requirements of the Mental Capacity Act 2005 must be followed.\""
* #legal-duty "Legal duty" "Grouping: a duty in law that makes the disclosure lawful without consent. [001 ¶181] \"such information cannot be shared, other than in prescribed circumstances regulated by legislation as well as the common law duty of confidentiality\""
  * #legal-duty-section-117 "Section 117 after-care (Mental Health Act 1983)" "Shared with the ICB or local health board and the local authority who provide after-care together. [001 ¶163] \"Section 117 of the Mental Health Act 1983 requires LHBs and Local Social Services Authorities, in collaboration with non-statutory agencies, to provide after-care for certain categories of detained patients.\""
  * #legal-duty-care-act "Care and support (Care Act 2014)" "The local authority's duties to assess and meet care and support needs (Wales: Social Services and Well-being (Wales) Act 2014). [000 App 4] \"Access to social care will still take place via the Care Act 2014.\""
  * #legal-duty-carers-assessment "Carer's assessment" "The local authority's duty to offer a carer an assessment of their own needs; the carer's own details go to it on the carer's decision. [004 §3.14] \"Local Authorities have a legal duty to offer carer's who provide or intend to provide \"care\" an assessment of their own needs.\""
* #risk-override "Confidence broken for risk or safety" "Without the service user's agreement, for risk or safety; the rationale is a Provenance (confidentiality-override). [004 §3.14] \"unless risk / safety factors or lack of mental capacity, relevant to the decision to be made, justify breaking such confidence. The rationale for this breaking of confidence must be recorded in EPR.\""
* insert Grouping(#legal-duty)

ValueSet: ConsentBasisVS
Id: consent-basis
Title: "Basis of a sharing decision"
Description: "Every basis a fhircare Consent can rest on (the legal-duty grouping concept excluded)."
* insert ConformanceMetadata
* include codes from system ConsentBasis
* exclude ConsentBasis#legal-duty

CodeSystem: FlagCode
Id: flag-code
Title: "fhircare flag"
Description: "What a flag on the service user warns of. Shown by GP, urgent-care and shared-record systems with the patient, so the text of Flag.code names the person."
* insert LocalCodeSystem
* #do-not-involve "Do not involve or contact (at the service user's request)" "A person the service user does not want involved in their care: not to be contacted about it or told anything of it. [004 §3.14] \"staff must also record on the Electronic Patient Record (SystemOne) any people identified that service user's do not want involved in their care\""
* #section-117-aftercare "Entitled to Section 117 after-care" "The entitlement itself, on the service user whatever plan is open: it ends only when both the health body and the local authority agree. [004 §3.15] \"the duty to provide after-care services exists until both the CCG (now ICB) and the local authority are satisfied that the patient no longer requires them\" [001 ¶163] \"This section applies to patients who are detained under sections 3, 37, 45A, 47 or 48 of the 1983 Act and then cease to be detained and leave hospital.\""
* #mental-health-act-status "Mental Health Act status" "Grouping: a status under the Mental Health Act 1983 that applies to the service user. [000 App 3] \"Current inpatient or subject to Supervised Community Treatment Order or Guardianship under section 7 of the mental health act.\""
  * #detained "Detained under the Mental Health Act" "[001 ¶163] \"This section applies to patients who are detained under sections 3, 37, 45A, 47 or 48 of the 1983 Act and then cease to be detained and leave hospital.\""
  * #community-treatment-order "Community treatment order" "Supervised community treatment: the responsible clinician can recall them to hospital. [000 §3.2.6] \"All service users who are subject to a Community Treatment Order (CTO) must be on CPA and allocated a care co-ordinator.\""
  * #guardianship "Guardianship" "[000 App 3] \"Current inpatient or subject to Supervised Community Treatment Order or Guardianship under section 7 of the mental health act.\""
  * #conditional-discharge "Conditionally discharged" "Discharged from a restricted hospital order on conditions; can be recalled. [001 ¶119] \"For service users already subject to the 1983 Act who are on leave of absence under section 17, supervised community treatment, or conditionally discharged, urgent consideration may need to be given to revoking leave\""
* #nearest-relative-not-involved "Nearest relative not to be involved: decision needed" "The person the service user does not want involved is their nearest relative, who has rights in law the service user's wish alone does not remove: the care team decides how they are met. [001 Annex 1] \"A person defined by section 26 of the Mental Health Act 1983 who has certain rights and powers under the Act in respect of a patient for whom they are the nearest relative\" [001 ¶68] \"subject to the service user's wishes, his or her nearest relative\""

* insert Grouping(#mental-health-act-status)

ValueSet: FlagCodeVS
Id: flag-code
Title: "fhircare flag"
Description: "All fhircare flags (the Mental Health Act grouping excluded), and the reasonable adjustment flag of the Core Information Standard (standards.md §2.2: \"Individual requirements: reasonable adjustments (flag 1108111000000107)\"), listed with its display so that it is checked offline; a Mental Health Act status also carries UK Core's legal status classification where it has a code."
* insert ConformanceMetadata
* include codes from system FlagCode
* exclude FlagCode#mental-health-act-status
* $sct#1108111000000107 "Reasonable adjustment flag"

CodeSystem: ReasonableAdjustment
Id: reasonable-adjustment
Title: "Reasonable adjustment"
Description: "What kind of reasonable adjustment a service user needs, for a trust that codes them (requirements.md DE-002, DE-004): on the reasonable adjustment Flag (Flag.category), beside the adjustment's own words in Flag.code.text. A small list of kinds, not a replacement for the words: the words say what to do."
* insert LocalCodeSystem
* #interpreter "Needs an interpreter" "A spoken-language interpreter at appointments and for information about their care. [000 §2.12] \"access to interpreting and information support\""
* #bsl-interpreter "Needs a British Sign Language interpreter" "[000 §2.12] \"including BSL for deaf people\""
* #easy-read "Needs information in easy read" "Letters, plans and information written in easy read. [000 §2.12] \"provision of plain language, easy to read versions where appropriate\""
* #plain-language "Needs information in plain language" "[000 §2.12] \"provision of plain language, easy to read versions where appropriate\""
* #accessible-format "Needs information in another accessible format" "Large print, braille, audio or another format the person can use. [002 ¶16] \"accessible both in terms of language and format\""
* #contact-method "Needs to be contacted in a particular way" "Such as a text message first and no telephone calls, or contact through a named person. [002 ¶24] \"Services therefore need to be provided in accessible ways and with the required reasonable adjustments.\""
* #environment "Needs an adjusted environment" "Such as a quiet room, fewer people, low lighting, or the first or last appointment of the day. [002 ¶24] \"Services therefore need to be provided in accessible ways and with the required reasonable adjustments.\""
* #support-person "Needs a carer or supporter with them" "A carer, supporter or advocate attends appointments or reviews with them. [002 ¶24] \"Services therefore need to be provided in accessible ways and with the required reasonable adjustments.\""
* #longer-appointment "Needs longer or more flexible appointments" "[002 ¶24] \"Services therefore need to be provided in accessible ways and with the required reasonable adjustments.\""
* #other "Another reasonable adjustment" "Only the adjustment's own words say what it is. [002 ¶24] \"Services therefore need to be provided in accessible ways and with the required reasonable adjustments.\""

ValueSet: ReasonableAdjustmentVS
Id: reasonable-adjustment
Title: "Reasonable adjustment"
Description: "All kinds of reasonable adjustment fhircare codes."
* insert ConformanceMetadata
* include codes from system ReasonableAdjustment

CodeSystem: CommunicationCategory
Id: communication-category
Title: "fhircare communication category"
Description: "Kinds of communication fhircare records as data in their own right."
* insert LocalCodeSystem
* #carer-information "Information a carer gave the team" "What a carer told the care team about the service user, recorded as it was given (whoever's permission). [004 §3.14] \"The carer can share his / her / them, own view, and any other information he / she /they, feel is necessary with the care team, regardless of whether the service user has given permission or not.\""

ValueSet: CommunicationCategoryVS
Id: communication-category
Title: "fhircare communication category"
Description: "All fhircare communication categories."
* insert ConformanceMetadata
* include codes from system CommunicationCategory

CodeSystem: MentalCapacity
Id: mental-capacity
Title: "Mental capacity assessment"
Description: "Decision-specific mental capacity assessments (requirements.md DD-08): the assessment, the decision it is about, and its outcome. Never a global 'lacks capacity' flag."
* insert LocalCodeSystem
* #assessment "Mental capacity assessment" "The observation code. [004 §5.7] \"If the service user's capacity to consent is in doubt, clinical staff must ensure that a mental capacity assessment is completed and recorded.\""
* #decision "Decision assessed" "The component code: which decision the assessment is about. [001 ¶180] \"lack of capacity in relation to the specific matter of sharing information\""
* #capacity-decision "Decision" "Grouping: the decisions capacity is assessed for. [001 ¶81] \"planning for a time when capacity may fluctuate or be lost\""
  * #information-sharing "Sharing information" "[001 ¶180] \"lack of capacity in relation to the specific matter of sharing information\""
  * #care-planning "Care planning" "[001 ¶81] \"planning for a time when capacity may fluctuate or be lost\""
  * #treatment "Treatment" "[004 §5.7] \"Clinical staff must ensure that capacitous consent has been sought and obtained before any care, intervention or treatment described in this policy is delivered.\""
  * #accommodation "Where to live" "[004 App 1] \"Those who lack the capacity to make choices around change of accommodation and have no family or friends to support them should have the services of an IMCA.\""
  * #finances "Money" "[001 ¶52] \"made a lasting power of attorney (LPA) on welfare and/or financial matters\""
* #capacity-outcome "Outcome" "Grouping: what the assessment found, for that decision only. [004 §5.7] \"If the service user's capacity to consent is in doubt, clinical staff must ensure that a mental capacity assessment is completed and recorded.\""
  * #has-capacity "Has capacity for this decision" "[004 §3.14] \"If a service user still refuses to give their capacitous consent, and there is no overriding responsibility in terms of risks then the service user's wishes must be respected.\""
  * #lacks-capacity "Lacks capacity for this decision" "[004 §5.7] \"Best interests' decisions may need to be made if a service user is not able to consent.\""
* insert Grouping(#capacity-decision)
* insert Grouping(#capacity-outcome)

ValueSet: CapacityDecisionVS
Id: capacity-decision
Title: "Capacity: decision assessed"
Description: "The decisions a mental capacity assessment is about."
* insert ConformanceMetadata
* include codes from system MentalCapacity where concept descendent-of #capacity-decision

ValueSet: CapacityOutcomeVS
Id: capacity-outcome
Title: "Capacity: outcome"
Description: "Has, or lacks, capacity for the decision assessed."
* insert ConformanceMetadata
* include codes from system MentalCapacity where concept descendent-of #capacity-outcome
