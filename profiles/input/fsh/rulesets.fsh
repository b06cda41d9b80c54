// Rule sets shared by the profiles, extensions and terminology of this package.

// Metadata every conformance resource of the package carries.
RuleSet: ConformanceMetadata
* ^publisher = "fhircare project"
* ^contact[0].name = "fhircare project"
* ^jurisdiction = urn:iso:std:iso:3166#GB "United Kingdom of Great Britain and Northern Ireland"
* ^experimental = false

// A code system written by this project: complete, case-sensitive, is-a hierarchy, with the
// notSelectable property for grouping concepts.
RuleSet: LocalCodeSystem
* insert ConformanceMetadata
* ^caseSensitive = true
* ^content = #complete
* ^hierarchyMeaning = #is-a
* ^property[0].code = #notSelectable
* ^property[0].uri = "http://hl7.org/fhir/concept-properties#notSelectable"
* ^property[0].description = "A grouping concept: not to be used in data"
* ^property[0].type = #boolean

// Marks a grouping concept of a LocalCodeSystem as not selectable; the parameter is the
// concept's code path, for example "#parent #child".
RuleSet: Grouping(path)
* {path} ^property[0].code = #notSelectable
* {path} ^property[0].valueBoolean = true

// Every resource the adapter emits carries the trust's business identifier (system + value),
// from which its id is derived (DESIGN.md "Identity").
RuleSet: BusinessIdentifier
* identifier 1..* MS
* identifier.system 1..1 MS
* identifier.value 1..1 MS

// Every resource carries plain-language narrative (DESIGN.md "Narrative"), and says truly
// where it comes from: generated (wholly from the resource's core elements), extensions (and
// from its extensions), additional (it also says what the resource's data does not hold, such
// as a named contact's telephone number): a reader may rely on the data alone only for the
// first two.
RuleSet: Narrative
* text 1..1 MS
* text.status from FhircareNarrativeStatusVS (required)

// Carer-provided information withheld from the service user is labelled with the local
// carer-confidential label, which always comes with confidentiality R (restricted) and the
// HL7 handling caveat NOPAT (no disclosure to the patient without the clinician's say).
RuleSet: CarerConfidentialityLabel
* meta.security MS
* obeys fhircare-sec-1

Invariant: fhircare-sec-1
Description: "Information labelled carer-confidential (withhold from the service user) is also labelled confidentiality R (restricted) and NOPAT (no disclosure to the patient, family or caregivers without the clinician's authorisation)."
Severity: #error
Expression: "meta.security.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/security-label' and code = 'carer-confidential').exists() implies (meta.security.where(system = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality' and code = 'R').exists() and meta.security.where(system = 'http://terminology.hl7.org/CodeSystem/v3-ActCode' and code = 'NOPAT').exists())"

// A resource of one service user's record says how confidential it is, so that a reader can
// decide what to show without fhircare (profiles/README.md "What a reader may show to whom").
RuleSet: ServiceUserRecord
* obeys fhircare-sec-2

Invariant: fhircare-sec-2
Description: "A resource of a service user's record carries exactly one confidentiality label (v3 Confidentiality): N for the service user's identity and the do-not-involve flag, R for their mental health information."
Severity: #error
Expression: "meta.security.where(system = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality').count() = 1"

// What every fhircare profile has in common.
RuleSet: FhircareProfile
* insert ConformanceMetadata
* insert Narrative
* insert CarerConfidentialityLabel
