// Terminology for care coordination episodes, inpatient stays and out-of-area placements:
// the service line of an episode, the kind of an out-of-area placement, and the codes of UK
// Core's legal status extension (listed, so that they are checked offline without UK Core).

CodeSystem: ServiceLine
Id: service-line
Title: "Service line"
Description: "The service or pathway a care coordination episode belongs to (requirements.md DE-034): the care level and the rules that apply often depend on it."
* insert LocalCodeSystem
* #community-mental-health "Community mental health" "A community mental health team. [002 ¶1] \"transform community mental health services for adult and older adults\""
* #early-intervention "Early intervention" "Early intervention in psychosis. [000 §3.2.4] \"Service users under the care of Assertive Outreach, Early Intervention Service, Steps to Recovery or Secure Services will require CPA and allocation of a care co-ordinator.\""
* #assertive-outreach "Assertive outreach" "[001 ¶173] \"Service users who are admitted to mental health in-patient services, or who are under the care of Crisis Resolution Home Treatment services, or Assertive Outreach services should be considered as falling within Enhanced CPA.\""
* #crisis-home-treatment "Crisis resolution and home treatment" "[001 ¶173] \"under the care of Crisis Resolution Home Treatment services\""
* #inpatient "Inpatient" "[001 ¶173] \"Service users who are admitted to mental health in-patient services\""
* #rehabilitation "Rehabilitation" "[004 §3.10] \"For those service users being admitted to an LPT rehabilitation unit for an agreed time scale (which is over 3 months)\""
* #older-people "Older people's mental health" "[001 ¶9] \"including older adults (sometimes referred to as 'over working age')\""
* #learning-disability "Learning disability and autism" "[004 App 1] \"All patients who are discharged from a learning disabilities inpatient area (i.e. the Agnes Unit) will have a key worker.\""
* #forensic "Forensic" "[000 §3.1.5] \"for SOLAR and Forensic CAMHS that CPA should be modified for children and young people at a local level\""
* #perinatal "Perinatal" "One of the services where CPA continues. [000 App 4] \"Perinatal Mental Health\""
* #eating-disorders "Eating disorders" "One of the services where CPA continues. [000 App 4] \"Adult Eating Disorder Services\""
* #prison "Prison mental health" "One of the settings where CPA continues. [000 App 4] \"Custodial health and justice settings\""

ValueSet: ServiceLineVS
Id: service-line
Title: "Service line"
Description: "The service lines of care coordination episodes."
* insert ConformanceMetadata
* include codes from system ServiceLine

CodeSystem: PlacementType
Id: placement-type
Title: "Out-of-area placement type"
Description: "What kind of out-of-area placement a service user is in: the policies treat a planned specialist placement and a temporary acute bed differently (requirements.md DE-207, EC-13)."
* insert LocalCodeSystem
* #specialist-rehabilitation "Specialist rehabilitation" "[004 §3.6] \"in a specialist residential or inpatient user placement such as locked rehab etc.\""
* #locked-rehabilitation "Locked rehabilitation" "[004 §3.6] \"in a specialist residential or inpatient user placement such as locked rehab etc.\""
* #acute-temporary "Temporary acute admission" "An acute bed out of area, which needs weekly contact. [004 §3.6] \"an acutely ill service user who is temporarily accommodated out of area in a private facility on a short-term basis\" [004 §3.9] \"In the event of an out of area admission the key worker must keep in regular weekly contact with the admitting ward.\""
* #learning-disability-autism "Learning disability and autism placement" "[004 §3.6] \"Learning Disability and Autism services now have an allocated TCP Case Manager for this role\""
* #secure "Secure" "[000 App 4] \"Adult Secure Services\""

ValueSet: PlacementTypeVS
Id: placement-type
Title: "Out-of-area placement type"
Description: "The kinds of out-of-area placement."
* insert ConformanceMetadata
* include codes from system PlacementType

ValueSet: LegalStatusClassificationVS
Id: legal-status-classification
Title: "Mental Health Act legal status"
Description: "The codes of UK Core's legal status classification value set (England and Wales code systems), listed so that they can be checked offline without UK Core."
* insert ConformanceMetadata
* include codes from valueset LegalStatusClassificationEnglandVS
* include codes from valueset LegalStatusClassificationWalesVS

ValueSet: LegalStatusClassificationEnglandVS
Id: legal-status-classification-england
Title: "Mental Health Act legal status (England codes)"
Description: "UK Core's legal status classification codes for England."
* insert ConformanceMetadata
* $ukcore-legal-status-england#01 "Informal"
* $ukcore-legal-status-england#02 "Formally detained under Mental Health Act Section 2"
* $ukcore-legal-status-england#03 "Formally detained under Mental Health Act Section 3"
* $ukcore-legal-status-england#04 "Formally detained under Mental Health Act Section 4"
* $ukcore-legal-status-england#05 "Formally detained under Mental Health Act Section 5(2)"
* $ukcore-legal-status-england#06 "Formally detained under Mental Health Act Section 5(4)"
* $ukcore-legal-status-england#07 "Formally detained under Mental Health Act Section 35"
* $ukcore-legal-status-england#08 "Formally detained under Mental Health Act Section 36"
* $ukcore-legal-status-england#09 "Formally detained under Mental Health Act Section 37 with section 41 restrictions"
* $ukcore-legal-status-england#10 "Formally detained under Mental Health Act Section 37"
* $ukcore-legal-status-england#12 "Formally detained under Mental Health Act Section 38"
* $ukcore-legal-status-england#13 "Formally detained under Mental Health Act Section 44"
* $ukcore-legal-status-england#14 "Formally detained under Mental Health Act Section 46"
* $ukcore-legal-status-england#15 "Formally detained under Mental Health Act Section 47 with section 49 restrictions"
* $ukcore-legal-status-england#16 "Formally detained under Mental Health Act Section 47"
* $ukcore-legal-status-england#17 "Formally detained under Mental Health Act Section 48 with section 49 restrictions"
* $ukcore-legal-status-england#18 "Formally detained under Mental Health Act Section 48"
* $ukcore-legal-status-england#19 "Formally detained under Mental Health Act Section 135"
* $ukcore-legal-status-england#20 "Formally detained under Mental Health Act Section 136"
* $ukcore-legal-status-england#31 "Formally detained under Criminal Procedure(Insanity) Act 1964 as amended by the Criminal Procedures (Insanity and Unfitness to Plead) Act 1991"
* $ukcore-legal-status-england#32 "Formally detained under other acts"
* $ukcore-legal-status-england#35 "Subject to guardianship under Mental Health Act Section 7"
* $ukcore-legal-status-england#36 "Subject to guardianship under Mental Health Act Section 37"
* $ukcore-legal-status-england#37 "Formally detained under Mental Health Act Section 45A (Limited direction in force)"
* $ukcore-legal-status-england#38 "Formally detained under Mental Health Act Section 45A (Limitation direction ended)"
* $ukcore-legal-status-england#98 "Not Applicable"
* $ukcore-legal-status-england#99 "Not Known"

ValueSet: LegalStatusClassificationWalesVS
Id: legal-status-classification-wales
Title: "Mental Health Act legal status (Wales codes)"
Description: "UK Core's legal status classification codes for Wales (Wales has its own list: code 35 is a community treatment order there, guardianship in England)."
* insert ConformanceMetadata
* $ukcore-legal-status-wales#01 "Informal (including voluntary patients under Section 131)"
* $ukcore-legal-status-wales#02 "Formally detained under Mental Health Act Section 2 (Admission for assessment)"
* $ukcore-legal-status-wales#03 "Formally detained under Mental Health Act Section 3 (Admission for treatment of non-offender to hospital for assessment, for medical treatment)"
* $ukcore-legal-status-wales#04 "Formally detained under Mental Health Act Section 4 (Admission for assessment in cases of emergency)"
* $ukcore-legal-status-wales#05 "Formally detained under Mental Health Act Section 5 (2) (Power to hold informal patient already in hospital, by doctor or approved clinician)"
* $ukcore-legal-status-wales#06 "Formally detained under Mental Health Act Section 5 (4) (Power to hold informal patient already in hospital, by nurse)"
* $ukcore-legal-status-wales#07 "Formally detained under Mental Health Act Section 35 (Remand to hospital for report on accused's mental condition)"
* $ukcore-legal-status-wales#08 "Formally detained under Mental Health Act Section 36 (Remand of accused person to hospital for treatment)"
* $ukcore-legal-status-wales#09 "Formally detained under Mental Health Act Sections 37 and 41 (Hospital Order with restrictions)"
* $ukcore-legal-status-wales#10 "Formally detained under Mental Health Act Section 37 (Hospital Order)"
* $ukcore-legal-status-wales#12 "Formally detained under Mental Health Act Section 38 (Interim hospital order)"
* $ukcore-legal-status-wales#13 "Formally detained under Mental Health Act Section 44 (Patient committed to hospital by Magistrates Court pending Crown Court disposal)"
* $ukcore-legal-status-wales#14 "Formally detained under Mental Health Act Section 46 (Detained during Her Majesty's pleasure) REPEALED BY ARMED FORCES ACT 1996"
* $ukcore-legal-status-wales#15 "Formally detained under Mental Health Act Sections 47 and 49 (Removal to hospital of person serving a sentence of imprisonment with restrictions)"
* $ukcore-legal-status-wales#16 "Formally detained under Mental Health Act Section 47 (Removal to hospital of person serving a sentence of imprisonment)"
* $ukcore-legal-status-wales#17 "Formally detained under Mental Health Act Sections 48 and 49 (Removal to hospital of other person with restrictions, not serving a sentence of imprisonment)"
* $ukcore-legal-status-wales#18 "Formally detained under Mental Health Act Section 48 (Removal to hospital of other person not serving a sentence of imprisonment)"
* $ukcore-legal-status-wales#19 "Formally detained under Mental Health Act Section 135 (Warrant to search for and remove to a place of safety)"
* $ukcore-legal-status-wales#20 "Formally detained under Mental Health Act Section 136 (Mentally disordered person found in a public place)"
* $ukcore-legal-status-wales#30 "Formally detained under previous legislation (fifth schedule); this relates only to patients who, prior to the implementation of the Mental Health Act 1983, were detained under the Sixth Schedule of the Mental Health Act 1959"
* $ukcore-legal-status-wales#31 "Formally detained under Criminal Procedure (Insanity) Act 1964 as amended by the Criminal Procedures (Insanity and Unfitness to Plead) Act 1991"
* $ukcore-legal-status-wales#32 "Formally detained under other acts: Section 47 of the National Assistance Act 1948 Section 1,2 or 12 of the Children's and Young Persons Act 1969 Section 3 of the Powers of Criminal Courts Act 1973"
* $ukcore-legal-status-wales#34 "Formally detained under Mental Health Act Section 45A (Hospital and Limitation Direction)"
* $ukcore-legal-status-wales#35 "Community treatment order (Mental Health Act Section 17a) This is legally valid from 3rd November 2008"
* $ukcore-legal-status-wales#98 "Non applicable (only used for NON psychiatric consultant specialties)"

ValueSet: LegalStatusContextVS
Id: legal-status-context
Title: "Legal status context"
Description: "UK Core's legal status contexts: the legal status at admission or at discharge."
* insert ConformanceMetadata
* $ukcore-legal-status-context#admission "Admission"
* $ukcore-legal-status-context#discharge "Discharge"
