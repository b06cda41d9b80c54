// Terminology for carers, consent, security labels, provenance and NHS number verification.

CodeSystem: SecurityLabel
Id: security-label
Title: "fhircare security label"
Description: "Why information is labelled beyond the HL7 codes it always carries. HL7 v3 ActCode NOPAT (no disclosure to patient, family or caregivers without the clinician's authorisation; the label GP Connect uses to keep information off patient-facing services) says how to handle it; this code says why, and what it does not restrict (requirements.md DD-17)."
* insert LocalCodeSystem
* #carer-confidential "Carer-provided, withhold from the service user" "Information a carer gave and asked not to be passed on to the service user. It never reaches the service user or any patient-facing output (copies of plans, letters, portal and patient-held record feeds, viewers the service user invites), but it is NOT hidden from the clinicians and partners who need it to keep the service user safe: the request is only that the service user is not told. Always with confidentiality R and NOPAT. [004 §3.14] \"If a carer requests that information they share with staff is not passed on to the service user, this request must be respected – subject to Information sharing and Consent guidance\""

ValueSet: SecurityLabelVS
Id: security-label
Title: "fhircare security label"
Description: "All fhircare security labels."
* insert ConformanceMetadata
* include codes from system SecurityLabel

CodeSystem: CarersAssessmentStatus
Id: carers-assessment-status
Title: "Carer's assessment status"
Description: "Where a carer's assessment (an assessment of the carer's own needs, owned by the local authority) has got to."
* insert LocalCodeSystem
* #offered "Offered" "The carer was offered an assessment, or advised of their right to request one. [004 §3.14] \"Local Authorities have a legal duty to offer carer's who provide or intend to provide 'care' an assessment of their own needs.\" [001 ¶101] \"must, under the Carers (Equal Opportunities) Act 2004, be advised of their right to request an assessment of their ability to provide and to continue to provide care for the person cared for\""
* #accepted "Accepted" "The carer accepted the offer of an assessment. [004 §3.14] \"Local Authorities have a legal duty to offer carer's who provide or intend to provide 'care' an assessment of their own needs.\""
* #declined "Declined" "The carer declined the offer of an assessment. [004 §3.14] \"Local Authorities have a legal duty to offer carer's who provide or intend to provide 'care' an assessment of their own needs.\""
* #completed "Completed" "The local authority completed the assessment (its outcome stays in the local authority's record). [002 ¶17] \"the right to a carer's assessment\""

ValueSet: CarersAssessmentStatusVS
Id: carers-assessment-status
Title: "Carer's assessment status"
Description: "All carer's assessment statuses."
* insert ConformanceMetadata
* include codes from system CarersAssessmentStatus

CodeSystem: RelatedPersonRole
Id: related-person-role
Title: "Related person role (local)"
Description: "Roles a related person holds towards the service user that neither UK Core nor HL7 v3 RoleCode names (requirements.md DD-09)."
* insert LocalCodeSystem
* #nearest-relative "Nearest relative (Mental Health Act 1983)" "Not the same as next of kin or carer; one person may be all three. [001 Annex 1] \"A person defined by section 26 of the Mental Health Act 1983 who has certain rights and powers under the Act in respect of a patient for whom they are the nearest relative\""
* #nominated-representative "Nominated representative" "[001 ¶66] \"the service user may wish to nominate a representative to be engaged in the planning process\""

ValueSet: RelatedPersonRelationshipVS
Id: related-person-relationship
Title: "Related person relationship"
Description: "Relationships of carers and significant others to the service user: the content of UK Core PersonRelationshipType (HL7 v2 0131 contact roles except O, HL7 v3 personal relationships, UK Core additional roles including Carer), so that every code also satisfies UK Core, plus the Mental Health Act roles UK Core lacks."
* insert ConformanceMetadata
* include codes from system $v2-0131
* include codes from system $v3-RoleCode where concept is-a #_PersonalRelationshipRoleType
* $ukcore-additional-relationship#Agent "Agent of patient"
* $ukcore-additional-relationship#Guardian "Guardian of patient"
* $ukcore-additional-relationship#Personal "Personal relationship with the patient"
* $ukcore-additional-relationship#PolygamousPartner "Polygamous Partner of patient"
* $ukcore-additional-relationship#Dependant "Dependant of patient"
* $ukcore-additional-relationship#NonDependant "Non Dependant of patient"
* $ukcore-additional-relationship#ProxyContact "Proxy Contact for patient"
* $ukcore-additional-relationship#ProxyCommunication "Proxy Communication for patient"
* $ukcore-additional-relationship#ProxyContactCommunication "Proxy Contact and Communication for patient"
* $ukcore-additional-relationship#Carer "Carer of patient"
* $ukcore-additional-relationship#NotSpecified "Not Specified"
* include codes from system RelatedPersonRole
* exclude $v2-0131#O
* exclude $v3-RoleCode#_PersonalRelationshipRoleType

ValueSet: NHSNumberVerificationStatusVS
Id: nhs-number-verification-status
Title: "NHS number verification status"
Description: "The codes of UK Core's NHS number verification status value set (England and Wales code systems, v3 NullFlavor NI), listed so that they can be checked offline without UK Core."
* insert ConformanceMetadata
* $ukcore-nhs-number-verification-england#01 "Number present and verified"
* $ukcore-nhs-number-verification-england#02 "Number present but not traced"
* $ukcore-nhs-number-verification-england#03 "Trace required"
* $ukcore-nhs-number-verification-england#04 "Trace attempted - No match or multiple match found"
* $ukcore-nhs-number-verification-england#05 "Trace needs to be resolved - (NHS number or patient detail conflict)"
* $ukcore-nhs-number-verification-england#06 "Trace in progress"
* $ukcore-nhs-number-verification-england#07 "Number not present and trace not required"
* $ukcore-nhs-number-verification-england#08 "Trace postponed (baby under six weeks old)"
* $ukcore-nhs-number-verification-wales#nn "Number present and traced using Welsh NHS AR"
* $ukcore-nhs-number-verification-wales#01 "Number present & traced"
* $ukcore-nhs-number-verification-wales#02 "Number present but not traced"
* $ukcore-nhs-number-verification-wales#03 "Trace required"
* $ukcore-nhs-number-verification-wales#04 "Trace attempted – no match or multiple match found"
* $ukcore-nhs-number-verification-wales#05 "Trace needs to be resolved (NHS number or patient detail conflict)"
* $ukcore-nhs-number-verification-wales#06 "Trace in progress"
* $ukcore-nhs-number-verification-wales#07 "Number not present and trace not required"
* $ukcore-nhs-number-verification-wales#08 "Trace postponed (baby under six weeks old)"
* $v3-NullFlavor#NI "NoInformation"

ValueSet: ConsentCategoryVS
Id: consent-category
Title: "Consent category"
Description: "The kinds of consent fhircare records: the service user's consent to disclose information (to a carer, a partner organisation type), and a carer's consent to have their own details recorded."
* insert ConformanceMetadata
* $v3-ActCode#IDSCL "information disclosure"
* $v3-ActCode#ICOL "information collection"

CodeSystem: RecordActivity
Id: record-activity
Title: "Record activity"
Description: "Record-keeping activities the policies require evidence for, used in Provenance.activity alongside the HL7 data operation."
* insert LocalCodeSystem
* #carer-provided-information "Carer-provided information recorded" "[004 §3.14] \"The carer can share his / her / them, own view, and any other information he / she /they, feel is necessary with the care team, regardless of whether the service user has given permission or not.\""
* #confidentiality-override "Confidence broken (risk, safety or capacity)" "[004 §3.14] \"The rationale for this breaking of confidence must be recorded in EPR.\""
* #consent-refusal "Refusal of consent recorded" "[004 §3.14] \"The rationale for refusing consent must be recorded in the service user's EPR.\""
* #plan-agreed "Plan agreed and signed" "[001 ¶90] \"should be encouraged to sign their plans wherever possible\""

ValueSet: RecordActivityVS
Id: record-activity
Title: "Record activity"
Description: "All record activities."
* insert ConformanceMetadata
* include codes from system RecordActivity
