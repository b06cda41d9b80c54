// Terminology for DIALOG: the 1-7 satisfaction scale, the timepoints and the derived scores.
// The item codes themselves are SNOMED CT (standards.md §4.3) and live in the Questionnaire.

CodeSystem: DialogSatisfaction
Id: dialog-satisfaction
Title: "DIALOG satisfaction rating"
Description: "The DIALOG 1-7 satisfaction scale. The code is the rating. The policies name only the end points; 4 is the neutral midpoint and ratings below 4 mean dissatisfaction (outside the policies: published DIALOG material, standards.md §4.3). Ratings outside 1-7 (MHSDS allows 0-8) are invalid."
* insert LocalCodeSystem
* #1 "1 - totally dissatisfied" "[004 §3.17] \"rate their satisfaction from 1 (totally dissatisfied) to 7 (totally satisfied)\""
* #2 "2" "Second point of the scale, between totally dissatisfied (1) and the midpoint (4). [004 §3.17] \"rate their satisfaction from 1 (totally dissatisfied) to 7 (totally satisfied)\""
* #3 "3" "Third point of the scale, just below the midpoint (4). [004 §3.17] \"rate their satisfaction from 1 (totally dissatisfied) to 7 (totally satisfied)\""
* #4 "4 - midpoint" "The neutral midpoint of the scale. [004 §3.17] \"rate their satisfaction from 1 (totally dissatisfied) to 7 (totally satisfied)\""
* #5 "5" "Fifth point of the scale, just above the midpoint (4). [004 §3.17] \"rate their satisfaction from 1 (totally dissatisfied) to 7 (totally satisfied)\""
* #6 "6" "Sixth point of the scale, between the midpoint (4) and totally satisfied (7). [004 §3.17] \"rate their satisfaction from 1 (totally dissatisfied) to 7 (totally satisfied)\""
* #7 "7 - totally satisfied" "[004 §3.17] \"rate their satisfaction from 1 (totally dissatisfied) to 7 (totally satisfied)\""

* insert Ordinal(#1, 1)
* insert Ordinal(#2, 2)
* insert Ordinal(#3, 3)
* insert Ordinal(#4, 4)
* insert Ordinal(#5, 5)
* insert Ordinal(#6, 6)
* insert Ordinal(#7, 7)

ValueSet: DialogSatisfactionVS
Id: dialog-satisfaction
Title: "DIALOG satisfaction rating"
Description: "The seven DIALOG satisfaction ratings."
* insert ConformanceMetadata
* include codes from system DialogSatisfaction

CodeSystem: DialogTimepoint
Id: dialog-timepoint
Title: "DIALOG timepoint"
Description: "When in a treatment episode a DIALOG rating was made, so that paired (start/end) scores can be formed."
* insert LocalCodeSystem
* #baseline "Baseline (start of treatment)" "[004 §3.17] \"All service users should have the opportunity to complete their Dialog survey at the beginning and end of their treatment episode\""
* #review "Review (during treatment)" "[004 §3.17] \"there should be evidence of at least one further for review during, where appropriate.\""
* #end-of-treatment "End of treatment" "[004 §3.17] \"All service users should have the opportunity to complete their Dialog survey at the beginning and end of their treatment episode\""

ValueSet: DialogTimepointVS
Id: dialog-timepoint
Title: "DIALOG timepoint"
Description: "All DIALOG timepoints."
* insert ConformanceMetadata
* include codes from system DialogTimepoint

CodeSystem: DialogScore
Id: dialog-score
Title: "DIALOG derived score"
Description: "The two DIALOG mean scores. No SNOMED CT or LOINC code was found for either (standards.md §4.3, §6 item 4)."
* insert LocalCodeSystem
* #subjective-quality-of-life "DIALOG subjective quality of life (mean of items 1-8)" "The mean of the ratings of the eight life domains. [004 §3.17] \"the first 8 being about their quality of life\""
* #treatment-satisfaction "DIALOG treatment satisfaction (mean of items 9-11)" "The mean of the ratings of the three treatment aspects. [004 §3.17] \"the remaining 3 their satisfaction with their medication and the service they are receiving\""

ValueSet: DialogScoreVS
Id: dialog-score
Title: "DIALOG derived score"
Description: "Both DIALOG mean scores."
* insert ConformanceMetadata
* include codes from system DialogScore

// Each rating's ordinal value, so that scores are computed from the coded answers
RuleSet: Ordinal(code, value)
* {code} ^extension[0].url = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
* {code} ^extension[0].valueDecimal = {value}
