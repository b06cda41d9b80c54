// Examples: carers and significant others, sharing decisions and provenance.

Instance: example-carer-parent
InstanceOf: FhircareRelatedPerson
Usage: #example
Title: "Pat Sample, Alex's mother and carer"
* insert ExampleNarrative(Pat Sample\, Alex's mother and carer. Carer's assessment offered on 10 January 2025 and accepted on 20 January 2025.)
* insert RestrictedLabels
* insert TrustIdentifier(0, contact, SVT-RP-0001)
* extension[carersAssessment][0].extension[status].valueCode = #offered
* extension[carersAssessment][0].extension[date].valueDate = "2025-01-10"
* extension[carersAssessment][0].extension[assessingOrganisation].valueReference = Reference(example-local-authority)
* extension[carersAssessment][1].extension[status].valueCode = #accepted
* extension[carersAssessment][1].extension[date].valueDate = "2025-01-20"
* extension[carersAssessment][1].extension[assessingOrganisation].valueReference = Reference(example-local-authority)
* active = true
* patient = Reference(example-patient)
* relationship[0] = $v3-RoleCode#MTH "mother"
* relationship[1] = $ukcore-additional-relationship#Carer "Carer of patient"
* name[0].family = "Sample"
* name[0].given[0] = "Pat"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 102"

Instance: example-young-carer
InstanceOf: FhircareRelatedPerson
Usage: #example
Title: "Charlie Sample, Alex's younger brother and a young carer"
* insert ExampleNarrative(Charlie Sample\, Alex's younger brother\, helps look after Alex and is a young carer.)
* insert RestrictedLabels
* insert TrustIdentifier(0, contact, SVT-RP-0002)
* extension[youngCarer].valueBoolean = true
* active = true
* patient = Reference(example-patient)
* relationship[0] = $v3-RoleCode#BRO "brother"
* relationship[1] = $ukcore-additional-relationship#Carer "Carer of patient"
* name[0].family = "Sample"
* name[0].given[0] = "Charlie"
* birthDate = "2010-06-01"

Instance: example-not-involved
InstanceOf: FhircareRelatedPerson
Usage: #example
Title: "Lee Sample, Alex's father, whom Alex does not want involved"
* insert ExampleNarrative(Lee Sample\, Alex's father. Alex does not want Lee involved in their care - recorded on 20 January 2025: do not contact him about it or share information with him.)
* insert RestrictedLabels
* insert TrustIdentifier(0, contact, SVT-RP-0003)
* extension[doNotInvolve].extension[recorded].valueDateTime = "2025-01-20"
* extension[doNotInvolve].extension[consent].valueReference = Reference(example-consent-do-not-involve)
* active = false
* patient = Reference(example-patient)
* relationship[0] = $v3-RoleCode#FTH "father"
* name[0].family = "Sample"
* name[0].given[0] = "Lee"

Instance: example-carer-confidential
InstanceOf: FhircareRelatedPerson
Usage: #example
Title: "A friend who cares for Alex and asked not to be named to Alex"
* insert ExampleNarrative(Sam Specimen\, a friend who supports Alex day to day. Sam contacted the team and asked that this is not passed on to Alex.)
* insert TrustIdentifier(0, contact, SVT-RP-0004)
* insert WithheldLabels
* active = true
* patient = Reference(example-patient)
* relationship[0] = $v3-RoleCode#FRND "unrelated friend"
* relationship[1] = $ukcore-additional-relationship#Carer "Carer of patient"
* name[0].family = "Specimen"
* name[0].given[0] = "Sam"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 103"

Instance: example-consent-carer
InstanceOf: FhircareConsent
Usage: #example
Title: "Alex consents to share their care and crisis plans with Pat"
* insert ExampleNarrative(On 20 January 2025 Alex agreed that Alex's care plan\, with its goals and care team and the plans that are part of it (the crisis plan\)\, may be shared with Pat Sample\, their mother and carer\, so that she can support Alex. From 20 January 2025\, with no end date.)
* insert RestrictedLabels
* insert TrustIdentifier(0, consent, SVT-C-0001)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#IDSCL "information disclosure"
* patient = Reference(example-patient)
* dateTime = "2025-01-20T10:30:00Z"
* performer[0] = Reference(example-patient)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* policyRule = ConsentBasis#explicit-consent "The person's own decision"
* provision.type = #permit
* provision.period.start = "2025-01-20"
* provision.actor[0].role = $v3-ParticipationType#IRCP "information recipient"
* provision.actor[0].reference = Reference(example-carer-parent)
* provision.action[0] = $consentaction#disclose "Disclose"
* provision.purpose[0] = $v3-ActReason#SUPNWK "support network"
* provision.class[0] = $resource-types#CarePlan
* provision.class[1] = $resource-types#Goal
* provision.class[2] = $resource-types#CareTeam
* provision.data[0].meaning = #related
* provision.data[0].reference = Reference(example-care-plan)
* provision.data[1].meaning = #dependents
* provision.data[1].reference = Reference(example-care-plan)

Instance: example-consent-do-not-involve
InstanceOf: FhircareConsent
Usage: #example
Title: "Alex does not want their father involved"
* insert ExampleNarrative(On 20 January 2025 Alex decided that no information about Alex is to be shared with Lee Sample\, their father\, whom Alex does not want involved in their care.)
* insert RestrictedLabels
* insert TrustIdentifier(0, consent, SVT-C-0002)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#IDSCL "information disclosure"
* patient = Reference(example-patient)
* dateTime = "2025-01-20T10:35:00Z"
* performer[0] = Reference(example-patient)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* policyRule = ConsentBasis#explicit-consent "The person's own decision"
* provision.type = #deny
* provision.period.start = "2025-01-20"
* provision.actor[0].role = $v3-ParticipationType#IRCP "information recipient"
* provision.actor[0].reference = Reference(example-not-involved)
* provision.action[0] = $consentaction#disclose "Disclose"

Instance: example-consent-partner-types
InstanceOf: FhircareConsent
Usage: #example
Title: "Alex consents to share their crisis plan with GP practices and VCSE partners"
* insert ExampleNarrative(On 1 February 2025 Alex agreed that Alex's crisis\, contingency and safety plans may be shared with every GP practice and voluntary sector organisation\, to coordinate Alex's care and for urgent care in a crisis. From 1 February 2025\, with no end date.)
* insert RestrictedLabels
* insert TrustIdentifier(0, consent, SVT-C-0003)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#IDSCL "information disclosure"
* patient = Reference(example-patient)
* dateTime = "2025-02-01T14:00:00Z"
* performer[0] = Reference(example-patient)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* provision.extension[partnerOrganisationType][0].valueCodeableConcept = PartnerOrganisationType#gp-practice "GP practice / primary care"
* provision.extension[partnerOrganisationType][1].valueCodeableConcept = PartnerOrganisationType#vcse "Voluntary, community and social enterprise (VCSE) organisation"
* policyRule = ConsentBasis#explicit-consent "The person's own decision"
* provision.type = #permit
* provision.period.start = "2025-02-01"
* provision.action[0] = $consentaction#disclose "Disclose"
* provision.purpose[0] = $v3-ActReason#COC "coordination of care"
* provision.purpose[1] = $v3-ActReason#ETREAT "Emergency Treatment"
* provision.class[0] = $resource-types#CarePlan
* provision.code[0] = $sct#736253002 "Mental health crisis plan"
* provision.code[1] = $sct#325691000000100 "Contingency plan"
* provision.code[2] = CarePlanTypeLocal#safety-plan "Safety plan"

Instance: example-consent-carer-details
InstanceOf: FhircareConsent
Usage: #example
Title: "Pat consents to the trust recording her details"
* insert ExampleNarrative(On 10 January 2025 Pat Sample agreed that the trust may keep a record of her details as Alex's carer.)
* insert RestrictedLabels
* insert TrustIdentifier(0, consent, SVT-C-0004)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#ICOL "information collection"
* patient = Reference(example-patient)
* dateTime = "2025-01-10T11:00:00Z"
* performer[0] = Reference(example-carer-parent)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* policyRule = ConsentBasis#explicit-consent "The person's own decision"
* provision.type = #permit
* provision.period.start = "2025-01-10"
* provision.actor[0].role = $v3-ParticipationType#IRCP "information recipient"
* provision.actor[0].reference = Reference(example-trust)
* provision.action[0] = $consentaction#collect "Collect"
* provision.purpose[0] = $v3-ActReason#COC "coordination of care"
* provision.class[0] = $resource-types#RelatedPerson
* provision.data[0].meaning = #instance
* provision.data[0].reference = Reference(example-carer-parent)

Instance: example-provenance-carer-information
InstanceOf: FhircareProvenance
Usage: #example
Title: "Who gave and who recorded what Sam Specimen told the team"
* insert ExampleNarrative(Information given by Sam Specimen on 5 March 2025\, recorded by Jordan Sample.)
* insert WithheldLabels
* target[0] = Reference(example-carer-information)
* occurredDateTime = "2025-03-05T16:20:00Z"
* recorded = "2025-03-05T16:45:00Z"
* activity.coding[0] = $v3-DataOperation#CREATE "create"
* activity.coding[1] = RecordActivity#carer-provided-information "Carer-provided information recorded"
* agent[0].type = $provenance-participant-type#informant "Informant"
* agent[0].who = Reference(example-carer-confidential)
* agent[1].type = $provenance-participant-type#author "Author"
* agent[1].who = Reference(example-role-key-worker)
* agent[1].onBehalfOf = Reference(example-trust)

Instance: example-provenance-consent-refusal
InstanceOf: FhircareProvenance
Usage: #example
Title: "Why Alex's father is not to be involved"
* insert ExampleNarrative(Alex's refusal to have their father involved was recorded with its rationale by Jordan Sample on 20 January 2025.)
* insert RestrictedLabels
* target[0] = Reference(example-consent-do-not-involve)
* occurredDateTime = "2025-01-20T10:35:00Z"
* recorded = "2025-01-20T11:00:00Z"
* activity.coding[0] = $v3-DataOperation#CREATE "create"
* activity.coding[1] = RecordActivity#consent-refusal "Refusal of consent recorded"
* reason[0] = $v3-ActReason#PATRQT "patient requested"
* reason[0].text = "Alex has capacity for this decision and has explained their reasons; no overriding risk was identified at the MDT."
* agent[0].type = $provenance-participant-type#author "Author"
* agent[0].who = Reference(example-role-key-worker)
* agent[0].onBehalfOf = Reference(example-trust)

Instance: example-carer-information
InstanceOf: FhircareCarerCommunication
Usage: #example
Title: "What Sam Specimen told the team about Alex, and asked Alex not to be told"
* insert ExampleNarrative(On 5 March 2025 Sam Specimen told the team about Alex: Alex has stopped going out and is not eating. Sam asked that this is not passed on to Alex: it is not shown to Alex or in anything sent to Alex\, but the care team and partners who need it to keep Alex safe can see it.)
* insert TrustIdentifier(0, carer-information, SVT-CI-0001)
* insert WithheldLabels
* status = #completed
* category[0] = CommunicationCategory#carer-information "Information a carer gave the team"
* subject = Reference(example-patient)
* sent = "2025-03-05T16:20:00Z"
* received = "2025-03-05T16:20:00Z"
* recipient[0] = Reference(example-role-key-worker)
* sender = Reference(example-carer-confidential)
* payload[0].contentString = "Alex has stopped going out and is not eating."

Instance: example-flag-do-not-involve
InstanceOf: FhircareFlag
Usage: #example
Title: "Do not involve or contact Lee Sample (Alex's father)"
* insert ExampleNarrative(Do not involve or contact Lee Sample (Alex's father\) about Alex's care\, and share no information with them. Alex asked for this; recorded on 20 January 2025.)
* insert TrustIdentifier(0, flag-do-not-involve, SVT-RP-0003)
* insert IdentityLabel
* extension[detail][0].valueReference = Reference(example-not-involved)
* extension[detail][1].valueReference = Reference(example-consent-do-not-involve)
* status = #active
* category[0] = $flag-category#contact "Subject Contact"
* code = FlagCode#do-not-involve "Do not involve or contact (at the service user's request)"
* code.text = "Do not involve or contact Lee Sample (Alex's father) about Alex's care"
* subject = Reference(example-patient)
* period.start = "2025-01-20"
* author = Reference(example-trust)

Instance: example-capacity-assessment
InstanceOf: FhircareCapacityAssessment
Usage: #example
Title: "During a relapse Alex lacks capacity to decide about sharing information (one decision)"
* insert ExampleNarrative(Mental capacity assessment on 2 June 2025 by Jordan Sample: Alex lacks capacity to decide about sharing information about them. This assessment is about that one decision only.)
* insert TrustIdentifier(0, capacity-assessment, SVT-MC-0001)
* insert RestrictedLabels
* status = #final
* code = MentalCapacity#assessment "Mental capacity assessment"
* code.text = "Mental capacity assessment"
* subject = Reference(example-patient)
* effectiveDateTime = "2025-06-02"
* performer[0] = Reference(example-role-key-worker)
* valueCodeableConcept = MentalCapacity#lacks-capacity "Lacks capacity for this decision"
* component[0].code = MentalCapacity#decision "Decision assessed"
* component[0].valueCodeableConcept = MentalCapacity#information-sharing "Sharing information"
* note[0].text = "Could not retain or weigh who would see the plan; reassess in three months."

Instance: example-consent-best-interests
InstanceOf: FhircareConsent
Usage: #example
Title: "Alex's crisis plan shared with their mother in Alex's best interests"
* insert ExampleNarrative(On 3 June 2025 Jordan Sample decided that Alex's crisis\, contingency and safety plans may be shared with Pat Sample\, so that they can support Alex and for urgent care in a crisis\, in Alex's best interests\, as Alex lacks capacity to decide this. From 3 June 2025 until 3 September 2025.)
* insert TrustIdentifier(0, consent, SVT-C-0005)
* insert RestrictedLabels
* extension[capacityAssessment].valueReference = Reference(example-capacity-assessment)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#IDSCL "information disclosure"
* patient = Reference(example-patient)
* dateTime = "2025-06-03T11:00:00Z"
* performer[0] = Reference(example-role-key-worker)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* policyRule = ConsentBasis#best-interests "Best interests, after a capacity assessment"
* provision.type = #permit
* provision.period.start = "2025-06-03"
* provision.period.end = "2025-09-03"
* provision.actor[0].role = $v3-ParticipationType#IRCP "information recipient"
* provision.actor[0].reference = Reference(example-carer-parent)
* provision.action[0] = $consentaction#disclose "Disclose"
* provision.purpose[0] = $v3-ActReason#SUPNWK "support network"
* provision.purpose[1] = $v3-ActReason#ETREAT "Emergency Treatment"
* provision.class[0] = $resource-types#CarePlan
* provision.code[0] = $sct#736253002 "Mental health crisis plan"
* provision.code[1] = $sct#325691000000100 "Contingency plan"
* provision.code[2] = CarePlanTypeLocal#safety-plan "Safety plan"
