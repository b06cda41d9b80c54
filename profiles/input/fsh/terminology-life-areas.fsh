// Life areas: the eight areas of the Mental Health (Wales) Measure 2010 and the DIALOG domains.
// Used for Goal.category (and so for the outcomes of a Welsh Care and Treatment Plan).

CodeSystem: LifeArea
Id: life-area
Title: "Life area"
Description: "Areas of a person's life a care plan outcome or goal is about: the eight areas a Welsh Care and Treatment Plan must consider (Mental Health (Wales) Measure 2010 s.18(1)(a), outside the policies: the 2010 interim policy table has nine rows, mapped below) and the eleven DIALOG domains (8 life domains, 3 treatment aspects, 004 §3.17)."
* insert LocalCodeSystem
* #welsh-measure-area "Mental Health (Wales) Measure area" "Grouping: the eight statutory areas. [001 ¶77] \"if a service user has rented accommodation that is satisfactory and well managed by them, then it is sufficient simply to state that they will continue to maintain their tenancy\""
  * #finance-and-money "Finance and money" "Measure area (i). Policy row 'Finance and money': [001 CTP table] \"Considering vulnerability to financial abuse and putting steps in place to protect the individual\""
  * #accommodation "Accommodation" "Measure area (ii). Policy row 'Accommodation, including housing': [001 CTP table] \"Registration of homelessness/referral for supported housing where necessary\""
  * #personal-care-and-physical-wellbeing "Personal care and physical well-being" "Measure area (iii). Policy row 'Personal care and physical well-being': [001 CTP table] \"Encouraging appropriate contact with GP and continuing consideration of all aspects of a service user's physical well-being and personal care\""
  * #education-and-training "Education and training" "Measure area (iv). Policy row 'Training and education': [001 CTP table] \"Opportunities to take up training or educational courses in the community\""
  * #work-and-occupation "Work and occupation" "Measure area (v). Policy row 'Work and occupation': [001 CTP table] \"Support to maintain contact with an existing employer or to seek vocational guidance\""
  * #parenting-or-caring-relationships "Parenting or caring relationships" "Measure area (vi). Policy row 'Parenting or caring relationships': [001 CTP table] \"Support/consideration for meeting needs of those cared for by the service user\""
  * #social-cultural-or-spiritual "Social, cultural or spiritual" "Measure area (vii). Policy row 'Social (including leisure), cultural and spiritual': [001 CTP table] \"Support to maintain or build a social network and leisure activities in the community\""
  * #medical-and-other-treatment "Medical and other forms of treatment including psychological interventions" "Measure area (viii). Policy rows 'Medical treatment (medication etc)' and 'Other forms of treatment, including psychological interventions': [001 CTP table] \"Access to appropriate psychological and other treatments\""
* #dialog-domain "DIALOG domain" "Grouping: the eleven DIALOG domains, keyed by code, never by position (leaflets order items 6 and 7 differently). [004 §3.17] \"rate their satisfaction and needs for care on 8 life domains and 3 treatment aspects\""
  * #dialog-life-domain "DIALOG life domain" "Grouping: DIALOG items 1-8. [004 §3.17] \"the first 8 being about their quality of life\""
    * #dialog-mental-health "Mental health" "DIALOG item 1. [004 §3.17] \"Mental Health\""
    * #dialog-physical-health "Physical health" "DIALOG item 2. [004 §3.17] \"Physical Health\""
    * #dialog-job-situation "Job situation" "DIALOG item 3. [004 §3.17] \"Job Situation\""
    * #dialog-accommodation "Accommodation" "DIALOG item 4. [004 §3.17] \"Accommodation\""
    * #dialog-leisure-activities "Leisure activities" "DIALOG item 5. [004 §3.17] \"Leisure Activities\""
    * #dialog-friendships "Friendships" "DIALOG item 6 (SNOMED CT 1037701000000108). [004 §3.17] \"Friendships\""
    * #dialog-partner-family "Partner/family" "DIALOG item 7 (SNOMED CT 1037711000000105). [004 §3.17] \"Partner/ family\""
    * #dialog-personal-safety "Personal safety" "DIALOG item 8. [004 §3.17] \"Personal Safety\""
  * #dialog-treatment-aspect "DIALOG treatment aspect" "Grouping: DIALOG items 9-11. [004 §3.17] \"the remaining 3 their satisfaction with their medication and the service they are receiving\""
    * #dialog-medication "Medication" "DIALOG item 9. [004 §3.17] \"Medication\""
    * #dialog-practical-help "Practical help" "DIALOG item 10. [004 §3.17] \"Practical Help\""
    * #dialog-meetings "Meetings with mental health professionals" "DIALOG item 11 (SNOMED CT: consultations with mental health professionals). [004 §3.17] \"Meetings\""
* insert Grouping(#welsh-measure-area)
* insert Grouping(#dialog-domain)
* insert Grouping(#dialog-domain #dialog-life-domain)
* insert Grouping(#dialog-domain #dialog-treatment-aspect)

ValueSet: LifeAreaVS
Id: life-area
Title: "Life area"
Description: "The eight Mental Health (Wales) Measure areas and the eleven DIALOG domains (grouping concepts excluded)."
* insert ConformanceMetadata
* include codes from system LifeArea where concept descendent-of #welsh-measure-area
* include codes from system LifeArea where concept descendent-of #dialog-life-domain
* include codes from system LifeArea where concept descendent-of #dialog-treatment-aspect

ValueSet: WelshMeasureAreaVS
Id: welsh-measure-area
Title: "Mental Health (Wales) Measure area"
Description: "The eight areas a Welsh Care and Treatment Plan considers."
* insert ConformanceMetadata
* include codes from system LifeArea where concept descendent-of #welsh-measure-area

Instance: welsh-policy-row-to-measure-area
InstanceOf: ConceptMap
Usage: #definition
* title = "Welsh 2010 CTP policy table rows to Measure areas"
* description = "The 2010 interim policy (001 ¶76-77) tabulates nine rows; the enacted Measure lists eight areas. Two rows (medical treatment; other treatment including psychological interventions) map to one, wider, area."
* url = "https://fhir.fhircare.nhs.uk/ConceptMap/welsh-policy-row-to-measure-area"
* version = "0.1.0"
* name = "WelshPolicyRowToMeasureArea"
* status = #draft
* experimental = false
* publisher = "fhircare project"
* sourceUri = "https://fhir.fhircare.nhs.uk/ValueSet/welsh-ctp-policy-row"
* targetUri = "https://fhir.fhircare.nhs.uk/ValueSet/welsh-measure-area"
* group[0].source = "https://fhir.fhircare.nhs.uk/CodeSystem/welsh-ctp-policy-row"
* group[0].target = "https://fhir.fhircare.nhs.uk/CodeSystem/life-area"
* group[0].element[0].code = #medical-treatment
* group[0].element[0].target[0].code = #medical-and-other-treatment
* group[0].element[0].target[0].equivalence = #wider
* group[0].element[1].code = #other-treatment
* group[0].element[1].target[0].code = #medical-and-other-treatment
* group[0].element[1].target[0].equivalence = #wider
* group[0].element[2].code = #personal-care-and-physical-wellbeing
* group[0].element[2].target[0].code = #personal-care-and-physical-wellbeing
* group[0].element[2].target[0].equivalence = #equivalent
* group[0].element[3].code = #accommodation-including-housing
* group[0].element[3].target[0].code = #accommodation
* group[0].element[3].target[0].equivalence = #equivalent
* group[0].element[4].code = #work-and-occupation
* group[0].element[4].target[0].code = #work-and-occupation
* group[0].element[4].target[0].equivalence = #equivalent
* group[0].element[5].code = #training-and-education
* group[0].element[5].target[0].code = #education-and-training
* group[0].element[5].target[0].equivalence = #equivalent
* group[0].element[6].code = #finance-and-money
* group[0].element[6].target[0].code = #finance-and-money
* group[0].element[6].target[0].equivalence = #equivalent
* group[0].element[7].code = #social-leisure-cultural-spiritual
* group[0].element[7].target[0].code = #social-cultural-or-spiritual
* group[0].element[7].target[0].equivalence = #equivalent
* group[0].element[8].code = #parenting-or-caring-relationships
* group[0].element[8].target[0].code = #parenting-or-caring-relationships
* group[0].element[8].target[0].equivalence = #equivalent

CodeSystem: WelshCtpPolicyRow
Id: welsh-ctp-policy-row
Title: "Welsh 2010 CTP policy table row"
Description: "The nine rows of the care and treatment plan table in the Welsh 2010 interim policy (001 ¶76-77), for mapping records kept against that table."
* insert LocalCodeSystem
* #medical-treatment "Medical treatment (medication etc)" "[001 CTP table] \"Medical treatment (medication etc)\""
* #other-treatment "Other forms of treatment, including psychological interventions" "[001 CTP table] \"Access to appropriate psychological and other treatments\""
* #personal-care-and-physical-wellbeing "Personal care and physical well-being" "[001 CTP table] \"Personal care and physical well-being\""
* #accommodation-including-housing "Accommodation, including housing" "[001 CTP table] \"Accommodation, including housing\""
* #work-and-occupation "Work and occupation" "[001 CTP table] \"Work and occupation\""
* #training-and-education "Training and education" "[001 CTP table] \"Training and education\""
* #finance-and-money "Finance and money" "[001 CTP table] \"Finance and money\""
* #social-leisure-cultural-spiritual "Social (including leisure), cultural and spiritual" "[001 CTP table] \"Social (including leisure), cultural and spiritual\""
* #parenting-or-caring-relationships "Parenting or caring relationships" "[001 CTP table] \"Support/consideration for meeting needs of those cared for by the service user\""

ValueSet: WelshCtpPolicyRowVS
Id: welsh-ctp-policy-row
Title: "Welsh 2010 CTP policy table row"
Description: "All nine rows of the Welsh 2010 CTP policy table."
* insert ConformanceMetadata
* include codes from system WelshCtpPolicyRow
