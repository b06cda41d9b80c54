// Examples: carers and significant others, sharing decisions and provenance.

Instance: example-carer-parent
InstanceOf: FhircareRelatedPerson
Usage: #example
Title: "Pat Sample, Alex's mother and carer"
* insert ExampleNarrative(Pat Sample\, Alex's mother and carer. Carer's assessment offered on 10 January 2025 and accepted on 20 January 2025.)
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
* insert ExampleNarrative(Lee Sample\, Alex's father. Alex does not want Lee involved in their care - recorded on 20 January 2025.)
* insert TrustIdentifier(0, contact, SVT-RP-0003)
* extension[doNotInvolve].extension[recorded].valueDateTime = "2025-01-20"
* extension[doNotInvolve].extension[consent].valueReference = Reference(example-consent-do-not-involve)
* active = true
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
* meta.security[0] = $v3-Confidentiality#R "restricted"
* meta.security[1] = SecurityLabel#carer-confidential "Carer-provided, withhold from the service user"
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
* insert ExampleNarrative(On 20 January 2025 Alex agreed that their care plan and crisis plan may be shared with Pat Sample\, their mother and carer.)
* insert TrustIdentifier(0, consent, SVT-C-0001)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#IDSCL "information disclosure"
* patient = Reference(example-patient)
* dateTime = "2025-01-20T10:30:00Z"
* performer[0] = Reference(example-patient)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* provision.type = #permit
* provision.period.start = "2025-01-20"
* provision.actor[0].role = $v3-ParticipationType#IRCP "information recipient"
* provision.actor[0].reference = Reference(example-carer-parent)
* provision.action[0] = $consentaction#disclose "Disclose"
* provision.data[0].meaning = #related
* provision.data[0].reference = Reference(example-care-plan)

Instance: example-consent-do-not-involve
InstanceOf: FhircareConsent
Usage: #example
Title: "Alex does not want their father involved"
* insert ExampleNarrative(On 20 January 2025 Alex said they do not want Lee Sample\, their father\, involved in their care or told about it.)
* insert TrustIdentifier(0, consent, SVT-C-0002)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#IDSCL "information disclosure"
* patient = Reference(example-patient)
* dateTime = "2025-01-20T10:35:00Z"
* performer[0] = Reference(example-patient)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* provision.type = #deny
* provision.period.start = "2025-01-20"
* provision.actor[0].role = $v3-ParticipationType#IRCP "information recipient"
* provision.actor[0].reference = Reference(example-not-involved)

Instance: example-consent-partner-types
InstanceOf: FhircareConsent
Usage: #example
Title: "Alex consents to share their crisis plan with GP practices and VCSE partners"
* insert ExampleNarrative(On 1 February 2025 Alex agreed that their crisis plan may be shared with GP practices and voluntary sector partners involved in their care.)
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
* provision.type = #permit
* provision.period.start = "2025-02-01"
* provision.action[0] = $consentaction#access "Access"
* provision.data[0].meaning = #instance
* provision.data[0].reference = Reference(example-crisis-plan)

Instance: example-consent-carer-details
InstanceOf: FhircareConsent
Usage: #example
Title: "Pat consents to the trust recording her details"
* insert ExampleNarrative(On 10 January 2025 Pat Sample agreed that the trust may keep a record of her details as Alex's carer.)
* insert TrustIdentifier(0, consent, SVT-C-0004)
* status = #active
* scope = $consentscope#patient-privacy
* category[0] = $v3-ActCode#ICOL "information collection"
* patient = Reference(example-patient)
* dateTime = "2025-01-10T11:00:00Z"
* performer[0] = Reference(example-carer-parent)
* organization[0] = Reference(example-trust)
* policy[0].uri = "https://fhir.fhircare.nhs.uk/policy/synthetic-valley-trust/information-sharing"
* provision.type = #permit
* provision.actor[0].role = $v3-ParticipationType#IRCP "information recipient"
* provision.actor[0].reference = Reference(example-trust)
* provision.action[0] = $consentaction#collect "Collect"
* provision.data[0].meaning = #instance
* provision.data[0].reference = Reference(example-carer-parent)

Instance: example-provenance-carer-information
InstanceOf: FhircareProvenance
Usage: #example
Title: "Sam Specimen told the team about Alex, and asked that Alex is not told"
* insert ExampleNarrative(On 5 March 2025 Sam Specimen phoned the duty worker with concerns about Alex and asked that this is not passed on to Alex. Recorded by Jordan Sample.)
* meta.security[0] = $v3-Confidentiality#R "restricted"
* meta.security[1] = SecurityLabel#carer-confidential "Carer-provided, withhold from the service user"
* target[0] = Reference(example-carer-confidential)
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
* target[0] = Reference(example-consent-do-not-involve)
* occurredDateTime = "2025-01-20T10:35:00Z"
* recorded = "2025-01-20T11:00:00Z"
* activity.coding[0] = $v3-DataOperation#CREATE "create"
* activity.coding[1] = RecordActivity#consent-refusal "Refusal of consent recorded"
* reason[0].text = "Alex has capacity for this decision and has explained their reasons; no overriding risk was identified at the MDT."
* agent[0].type = $provenance-participant-type#author "Author"
* agent[0].who = Reference(example-role-key-worker)
* agent[0].onBehalfOf = Reference(example-trust)
