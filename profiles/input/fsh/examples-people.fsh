// Examples: service users, organisations and staff. All data is synthetic: NHS numbers from the
// 999 range (modulus 11 valid), made-up ODS codes starting ZZ, Ofcom drama telephone numbers
// (01632 960xxx), invented names.

// Plain-language narrative (DESIGN.md "Narrative"). Escape commas in the text as \,
RuleSet: ExampleNarrative(text)
* text.status = #generated
* text.div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{text}</p></div>"

// Security labels (profiles/README.md "What a reader may show to whom"): the service user's
// identity is normal (N); the rest of their record restricted mental health information
// (R, PSY); what a carer asked to keep from the service user also NOPAT and carer-confidential.
RuleSet: IdentityLabel
* meta.security[0] = $v3-Confidentiality#N "normal"

RuleSet: RestrictedLabels
* meta.security[0] = $v3-Confidentiality#R "restricted"
* meta.security[1] = $v3-ActCode#PSY

RuleSet: WithheldLabels
* insert RestrictedLabels
* meta.security[2] = $v3-ActCode#NOPAT
* meta.security[3] = SecurityLabel#carer-confidential "Carer-provided, withhold from the service user"

// The business identifier of the synthetic trust's record ({kind} = patient, careplan, ...).
// SUSHI places named identifier slices first: insert this after them, at the next index.
RuleSet: TrustIdentifier(index, kind, value)
* identifier[{index}].system = "https://fhir.fhircare.nhs.uk/Id/synthetic-valley-trust/{kind}"
* identifier[{index}].value = "{value}"

Instance: example-patient
InstanceOf: FhircarePatient
Usage: #example
Title: "Alex Sample, a service user with a verified NHS number"
* insert ExampleNarrative(Alex Sample\, born 12 April 1985. NHS number 999 000 0018 (verified\).)
* insert IdentityLabel
* identifier[nhsNumber].value = "9990000018"
* insert TrustIdentifier(1, patient, SVT-P-0001)
* identifier[nhsNumber].extension[nhsNumberVerificationStatus].valueCodeableConcept = $ukcore-nhs-number-verification-england#01 "Number present and verified"
* active = true
* name[0].use = #official
* name[0].family = "Sample"
* name[0].given[0] = "Alex"
* gender = #other
* birthDate = "1985-04-12"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 101"
* telecom[0].use = #mobile
* address[0].line[0] = "1 Synthetic Street"
* address[0].city = "Synthetic Valley"
* address[0].postalCode = "ZZ1 1ZZ"
* communication[0].language = urn:ietf:bcp:47#en-GB "English (United Kingdom)"
* communication[0].preferred = true
* generalPractitioner[0] = Reference(example-gp-practice)
* managingOrganization = Reference(example-trust)

Instance: example-patient-awaiting
InstanceOf: FhircarePatient
Usage: #example
Title: "Jamie Test, accepted by the community team and awaiting a key worker"
* insert ExampleNarrative(Jamie Test\, born 3 September 1999. NHS number 999 000 0026 (present but not traced\).)
* insert IdentityLabel
* identifier[nhsNumber].value = "9990000026"
* insert TrustIdentifier(1, patient, SVT-P-0002)
* identifier[nhsNumber].extension[nhsNumberVerificationStatus].valueCodeableConcept = $ukcore-nhs-number-verification-england#02 "Number present but not traced"
* active = true
* name[0].family = "Test"
* name[0].given[0] = "Jamie"
* birthDate = "1999-09-03"
* managingOrganization = Reference(example-trust)

Instance: example-trust
InstanceOf: FhircareOrganization
Usage: #example
Title: "Synthetic Valley NHS Foundation Trust"
* insert ExampleNarrative(Synthetic Valley NHS Foundation Trust (ODS ZZT1\)\, an NHS mental health trust.)
* identifier[odsOrganisationCode].value = "ZZT1"
* active = true
* type[0].coding[0] = $organization-type#prov "Healthcare Provider"
* type[0].coding[1] = PartnerOrganisationType#nhs-mental-health-trust "NHS mental health trust"
* name = "Synthetic Valley NHS Foundation Trust"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 000"

Instance: example-community-team
InstanceOf: FhircareOrganization
Usage: #example
Title: "Synthetic Valley North community mental health team"
* insert ExampleNarrative(Synthetic Valley North community mental health team\, part of Synthetic Valley NHS Foundation Trust. Duty worker on 01632 960 010 in office hours.)
* insert TrustIdentifier(0, team, SVT-T-NORTH)
* active = true
* type[0].coding[0] = $organization-type#team "Organizational team"
* type[0].coding[1] = PartnerOrganisationType#nhs-mental-health-trust "NHS mental health trust"
* name = "Synthetic Valley North community mental health team"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 010"
* partOf = Reference(example-trust)

Instance: example-gp-practice
InstanceOf: FhircareOrganization
Usage: #example
Title: "Synthetic Lane Surgery"
* insert ExampleNarrative(Synthetic Lane Surgery (ODS ZZ9001\)\, a GP practice.)
* identifier[odsOrganisationCode].value = "ZZ9001"
* active = true
* type[0].coding[0] = $organization-type#prov "Healthcare Provider"
* type[0].coding[1] = PartnerOrganisationType#gp-practice "GP practice / primary care"
* name = "Synthetic Lane Surgery"

Instance: example-local-authority
InstanceOf: FhircareOrganization
Usage: #example
Title: "Synthetic Valley Council"
* insert ExampleNarrative(Synthetic Valley Council (ODS ZZLA1\)\, the local authority: adult social care\, housing and carers' services.)
* identifier[odsOrganisationCode].value = "ZZLA1"
* active = true
* type[0].coding[0] = $organization-type#govt "Government"
* type[0].coding[1] = PartnerOrganisationType#local-authority "Local authority"
* name = "Synthetic Valley Council"

Instance: example-icb
InstanceOf: FhircareOrganization
Usage: #example
Title: "Synthetic Valley Integrated Care Board"
* insert ExampleNarrative(Synthetic Valley Integrated Care Board (ODS ZZIC1\).)
* identifier[odsOrganisationCode].value = "ZZIC1"
* active = true
* type[0].coding[0] = $organization-type#govt "Government"
* type[0].coding[1] = PartnerOrganisationType#integrated-care-board "Integrated care board / commissioner"
* name = "Synthetic Valley Integrated Care Board"

Instance: example-vcse
InstanceOf: FhircareOrganization
Usage: #example
Title: "Synthetic Valley Wellbeing Network (VCSE partner)"
* insert ExampleNarrative(Synthetic Valley Wellbeing Network\, a voluntary sector partner running peer support groups.)
* insert TrustIdentifier(0, partner, SVT-VCSE-01)
* active = true
* type[0].coding[0] = $organization-type#cg "Community Group"
* type[0].coding[1] = PartnerOrganisationType#vcse "Voluntary, community and social enterprise (VCSE) organisation"
* name = "Synthetic Valley Wellbeing Network"

Instance: example-practitioner-key-worker
InstanceOf: FhircarePractitioner
Usage: #example
Title: "Jordan Sample, community mental health nurse"
* insert ExampleNarrative(Jordan Sample\, community mental health nurse.)
* identifier[sdsUserId].value = "999999000101"
* identifier[nmcNumber].value = "99X9999Z"
* insert TrustIdentifier(2, staff, SVT-S-0101)
* name[0].family = "Sample"
* name[0].given[0] = "Jordan"

Instance: example-practitioner-previous-key-worker
InstanceOf: FhircarePractitioner
Usage: #example
Title: "Morgan Placeholder, occupational therapist"
* insert ExampleNarrative(Morgan Placeholder\, occupational therapist.)
* identifier[sdsUserId].value = "999999000102"
* insert TrustIdentifier(1, staff, SVT-S-0102)
* name[0].family = "Placeholder"
* name[0].given[0] = "Morgan"

Instance: example-practitioner-psychiatrist
InstanceOf: FhircarePractitioner
Usage: #example
Title: "Dr Casey Specimen, consultant psychiatrist"
* insert ExampleNarrative(Dr Casey Specimen\, consultant psychiatrist.)
* identifier[sdsUserId].value = "999999000103"
* identifier[gmcNumber].value = "9999903"
* insert TrustIdentifier(2, staff, SVT-S-0103)
* name[0].prefix[0] = "Dr"
* name[0].family = "Specimen"
* name[0].given[0] = "Casey"

Instance: example-practitioner-team-manager
InstanceOf: FhircarePractitioner
Usage: #example
Title: "Robin Example, team manager"
* insert ExampleNarrative(Robin Example\, manager of the North community mental health team.)
* identifier[sdsUserId].value = "999999000104"
* insert TrustIdentifier(1, staff, SVT-S-0104)
* name[0].family = "Example"
* name[0].given[0] = "Robin"

Instance: example-practitioner-link-worker
InstanceOf: FhircarePractitioner
Usage: #example
Title: "Taylor Dummy, VCSE link worker"
* insert ExampleNarrative(Taylor Dummy\, link worker at Synthetic Valley Wellbeing Network.)
* insert TrustIdentifier(0, staff, SVT-S-0105)
* name[0].family = "Dummy"
* name[0].given[0] = "Taylor"

Instance: example-role-key-worker
InstanceOf: FhircarePractitionerRole
Usage: #example
Title: "Jordan Sample as community mental health nurse in the North team"
* insert ExampleNarrative(Jordan Sample\, community mental health nurse\, North community mental health team. Weekdays 9am to 5pm on 01632 960 011.)
* identifier[sdsRoleProfileId].value = "999999100101"
* insert TrustIdentifier(1, role, SVT-R-0101)
* active = true
* period.start = "2022-05-01"
* practitioner = Reference(example-practitioner-key-worker)
* organization = Reference(example-community-team)
* code[0].coding[0] = $ukcore-sds-job-role#R1975 "Community Mental Health Nurse"
* code[0].coding[1] = $sct#224564000 "Community mental health nurse"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 011"
* telecom[0].use = #work

Instance: example-role-previous-key-worker
InstanceOf: FhircarePractitionerRole
Usage: #example
Title: "Morgan Placeholder as occupational therapist in the North team"
* insert ExampleNarrative(Morgan Placeholder\, occupational therapist\, North community mental health team.)
* insert TrustIdentifier(0, role, SVT-R-0102)
* active = true
* practitioner = Reference(example-practitioner-previous-key-worker)
* organization = Reference(example-community-team)
* code[0].coding[0] = $ukcore-sds-job-role#R0950 "Occupational Therapist"
* code[0].coding[1] = CareTeamRole#occupational-therapy "Occupational therapy"

Instance: example-role-psychiatrist
InstanceOf: FhircarePractitionerRole
Usage: #example
Title: "Dr Casey Specimen as consultant psychiatrist in the North team"
* insert ExampleNarrative(Dr Casey Specimen\, consultant psychiatrist\, North community mental health team.)
* insert TrustIdentifier(0, role, SVT-R-0103)
* active = true
* practitioner = Reference(example-practitioner-psychiatrist)
* organization = Reference(example-community-team)
* code[0].coding[0] = $ukcore-sds-job-role#R1981 "Psychiatrist"
* code[0].coding[1] = $sct#80584001 "Psychiatrist"

Instance: example-role-team-manager
InstanceOf: FhircarePractitionerRole
Usage: #example
Title: "Robin Example as manager of the North team"
* insert ExampleNarrative(Robin Example\, team manager\, North community mental health team\, on 01632 960 012.)
* insert TrustIdentifier(0, role, SVT-R-0104)
* active = true
* practitioner = Reference(example-practitioner-team-manager)
* organization = Reference(example-community-team)
* code[0].coding[0] = $ukcore-sds-job-role#R9585 "Social Work Team Manager (Mental Health)"
* telecom[0].system = #phone
* telecom[0].value = "01632 960 012"
* telecom[0].use = #work

Instance: example-role-link-worker
InstanceOf: FhircarePractitionerRole
Usage: #example
Title: "Taylor Dummy as VCSE link worker"
* insert ExampleNarrative(Taylor Dummy\, link worker at Synthetic Valley Wellbeing Network\, working with the North community mental health team.)
* insert TrustIdentifier(0, role, SVT-R-0105)
* active = true
* practitioner = Reference(example-practitioner-link-worker)
* organization = Reference(example-vcse)
* code[0].coding[0] = CareTeamRole#vcse-link-worker "VCSE link worker"
