// People and organisations: Patient (the service user), Practitioner, PractitionerRole,
// Organization. They carry the UK Core constraints that matter (NHS number slice with its
// verification status, SDS and professional register identifiers, ODS codes), so that what
// conforms here also conforms to the matching UK Core profile.

Profile: FhircarePatient
Parent: Patient
Id: fhircare-patient
Title: "fhircare Patient (service user)"
Description: "The service user. UK Core Patient constraints carried: the NHS number identifier slice with its verification status extension. PRSB PCSP v2.0 'Person demographics' (mandatory): name and date of birth."
* insert FhircareProfile
* insert ServiceUserRecord
* insert BusinessIdentifier
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "Sliced by system, as UK Core Patient is"
* identifier contains nhsNumber 0..1 MS
* identifier[nhsNumber] ^short = "The NHS number, with its verification status"
* identifier[nhsNumber].system 1..1
* identifier[nhsNumber].system = $nhs-number (exactly)
* identifier[nhsNumber].value 1..1
* identifier[nhsNumber] obeys fhircare-nhs-number-1
* identifier[nhsNumber].extension contains $UKCoreNHSNumberVerificationStatus named nhsNumberVerificationStatus 1..1 MS
* extension contains
    $UKCoreEthnicCategory named ethnicCategory 0..1 MS and
    $interpreterRequired named interpreterRequired 0..1 MS
* extension[ethnicCategory] ^short = "Ethnic category (NHS Data Dictionary), as UK Core carries it"
* extension[interpreterRequired] ^short = "An interpreter is needed (R4's extension; the language is communication.language)"
* active MS
* name 1..* MS
* name.family 1..1 MS
* name.given MS
* telecom MS
* gender MS
* birthDate 1..1 MS
* address MS
* communication MS
* communication.language MS
* generalPractitioner MS
* generalPractitioner only Reference(FhircareOrganization or FhircarePractitionerRole)
* managingOrganization MS
* managingOrganization only Reference(FhircareOrganization)

Invariant: fhircare-nhs-number-1
Description: "An NHS number is ten digits, the last being the modulus 11 check digit of the first nine."
Severity: #error
Expression: "value.matches('^[0-9]{10}$') and ((11 - ((value.substring(0,1).toInteger() * 10 + value.substring(1,1).toInteger() * 9 + value.substring(2,1).toInteger() * 8 + value.substring(3,1).toInteger() * 7 + value.substring(4,1).toInteger() * 6 + value.substring(5,1).toInteger() * 5 + value.substring(6,1).toInteger() * 4 + value.substring(7,1).toInteger() * 3 + value.substring(8,1).toInteger() * 2) mod 11)) mod 11) = value.substring(9,1).toInteger()"

Profile: FhircarePractitioner
Parent: Practitioner
Id: fhircare-practitioner
Title: "fhircare Practitioner"
Description: "A member of staff. Identified by the SDS user id and, for registered professionals, by their professional register number (UK Core Practitioner identifier systems, standards.md §1.3)."
* insert FhircareProfile
* insert BusinessIdentifier
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains
    sdsUserId 0..1 MS and
    gmcNumber 0..1 MS and
    nmcNumber 0..1 MS and
    hcpcNumber 0..1 MS and
    gphcNumber 0..1 MS
* identifier[sdsUserId].system = $sds-user-id (exactly)
* identifier[sdsUserId].value 1..1
* identifier[sdsUserId] obeys fhircare-sds-user-id-1
* identifier[gmcNumber].system = $gmc-number (exactly)
* identifier[gmcNumber].value 1..1
* identifier[gmcNumber] obeys fhircare-gmc-number-1
* identifier[nmcNumber].system = $nmc-number (exactly)
* identifier[nmcNumber].value 1..1
* identifier[nmcNumber] obeys fhircare-nmc-number-1
* identifier[hcpcNumber].system = $hcpc-number (exactly)
* identifier[hcpcNumber].value 1..1
* identifier[gphcNumber].system = $gphc-number (exactly)
* identifier[gphcNumber].value 1..1
* name 1..* MS
* name.family 1..1 MS
* telecom MS
* qualification MS

Invariant: fhircare-sds-user-id-1
Description: "An SDS user id is twelve digits."
Severity: #error
Expression: "value.matches('^[0-9]{12}$')"

Invariant: fhircare-gmc-number-1
Description: "A GMC reference number is seven digits."
Severity: #error
Expression: "value.matches('^[0-9]{7}$')"

Invariant: fhircare-nmc-number-1
Description: "An NMC PIN is two digits, a letter, four digits and a letter."
Severity: #error
Expression: "value.matches('^[0-9]{2}[A-Z][0-9]{4}[A-Z]$')"

Profile: FhircarePractitionerRole
Parent: PractitionerRole
Id: fhircare-practitioner-role
Title: "fhircare PractitionerRole"
Description: "A practitioner in a role at an organisation or team: the unit care team members, key workers and plan authors are referenced by. Carries the SDS role profile id, the job role or discipline and the contact details service users and carers need (000 App 2 \"Ensuring that the service user knows how to contact them\")."
* insert FhircareProfile
* insert BusinessIdentifier
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains sdsRoleProfileId 0..1 MS
* identifier[sdsRoleProfileId].system = $sds-role-profile-id (exactly)
* identifier[sdsRoleProfileId].value 1..1
* active MS
* period MS
* practitioner 1..1 MS
* practitioner only Reference(FhircarePractitioner)
* organization 1..1 MS
* organization only Reference(FhircareOrganization)
* code 1..* MS
* code from PractitionerRoleCodeVS (extensible)
* specialty MS
* location MS
* telecom MS

Profile: FhircareOrganization
Parent: Organization
Id: fhircare-organization
Title: "fhircare Organization"
Description: "An organisation or team taking part in care coordination: the trust and its teams, GP practices, local authorities, VCSE partners, commissioners. Identified by its ODS code where it has one (UK Core Organization slices), and typed with its partner organisation type, which sharing decisions are made by."
* insert FhircareProfile
* insert BusinessIdentifier
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier contains
    odsOrganisationCode 0..1 MS and
    odsSiteCode 0..1 MS
* identifier[odsOrganisationCode].system = $ods-organization-code (exactly)
* identifier[odsOrganisationCode].value 1..1
* identifier[odsOrganisationCode] obeys fhircare-ods-code-1
* identifier[odsSiteCode].system = $ods-site-code (exactly)
* identifier[odsSiteCode].value 1..1
* identifier[odsSiteCode] obeys fhircare-ods-code-1
* active MS
* obeys fhircare-organization-1
* type 1..* MS
* name 1..1 MS
* telecom MS
* address MS
* partOf MS
* partOf only Reference(FhircareOrganization)

Invariant: fhircare-ods-code-1
Description: "An ODS code is 3 to 10 upper-case letters and digits."
Severity: #error
Expression: "value.matches('^[A-Z0-9]{3,10}$')"

Invariant: fhircare-organization-1
Description: "The organisation's types include its partner organisation type (sharing decisions are made per type)."
Severity: #error
Expression: "type.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/partner-organisation-type').exists()"
