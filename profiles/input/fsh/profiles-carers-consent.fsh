// RelatedPerson (carers and significant others), Consent (sharing decisions) and Provenance
// (who provided or decided what, and why).

Profile: FhircareRelatedPerson
Parent: RelatedPerson
Id: fhircare-related-person
Title: "fhircare RelatedPerson (carer or significant other)"
Description: "A carer, family member or other significant person. The relationship uses UK Core's codes (Carer plus family relationships; a person can be, say, MTH and Carer at once) and the Mental Health Act roles UK Core lacks. Records whether the carer is a young carer, where their carer's assessment has got to, and whether the service user does not want them involved: such a person is never an active contact and carries no telecom (004 §3.14; the standard-readable marker is a do-not-involve Flag on the Patient). A carer who asked that what they share is withheld from the service user carries the carer-confidential security labels."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* extension contains
    YoungCarerExtension named youngCarer 0..1 MS and
    CarersAssessmentExtension named carersAssessment 0..* MS and
    DoNotInvolveExtension named doNotInvolve 0..1 MS
* active MS
* patient MS
* patient only Reference(FhircarePatient)
* relationship 1..* MS
* relationship from RelatedPersonRelationshipVS (required)
* name MS
* telecom MS
* gender MS
* birthDate MS
* address MS
* period MS
* obeys fhircare-related-person-1 and fhircare-related-person-2

Invariant: fhircare-related-person-1
Description: "Carer's assessments and the young carer marker are recorded for carers only (relationship UK Core Carer)."
Severity: #error
Expression: "(extension('https://fhir.fhircare.nhs.uk/StructureDefinition/carers-assessment').exists() or extension('https://fhir.fhircare.nhs.uk/StructureDefinition/young-carer').exists()) implies relationship.coding.where(system = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole' and code = 'Carer').exists()"

Invariant: fhircare-related-person-2
Description: "A person the service user does not want involved is not an active contact and no telephone number or other contact detail of theirs is published (004 §3.14, requirements.md EC-44)."
Severity: #error
Expression: "extension('https://fhir.fhircare.nhs.uk/StructureDefinition/do-not-involve').exists() implies (telecom.empty() and active.exists() and active = false)"

Profile: FhircareConsent
Parent: Consent
Id: fhircare-consent
Title: "fhircare Consent (sharing decision)"
Description: "One sharing decision that says exactly what it permits (DD-16): what (provision.class: resource types, or fhircare profiles for DIALOG; narrowed by provision.code, CarePlan categories such as the crisis plan, and provision.data, named resources; all must match), to whom (provision.actor with role IRCP, or every partner organisation of a type), why (provision.purpose), for how long (provision.period) and on what basis (policyRule: the person's own decision, best interests after the linked capacity assessment, a legal duty, or confidence broken for risk with its rationale in Provenance). A refusal with no class, code or data covers everything. Or a carer's consent to have their own details recorded (004 §3.14). The organisation's information-sharing policy is named, because organisations differ (opt-in vs opt-out, requirements.md EC-49). The narrative says what the coded provision says."
* insert FhircareProfile
* insert BusinessIdentifier
* insert ServiceUserRecord
* extension contains CapacityAssessmentExtension named capacityAssessment 0..1 MS
* status MS
* scope MS
* scope = $consentscope#patient-privacy
* category 1..* MS
* category from ConsentCategoryVS (required)
* patient 1..1 MS
* patient only Reference(FhircarePatient)
* dateTime 1..1 MS
* performer 1..* MS
* performer only Reference(FhircarePatient or FhircareRelatedPerson or FhircarePractitionerRole)
* organization 1..* MS
* organization only Reference(FhircareOrganization)
* source[x] MS
* policy 1..* MS
* policy.uri 1..1 MS
* policyRule 1..1 MS
* policyRule from ConsentBasisVS (required)
* provision 1..1 MS
* provision.extension contains PartnerOrganisationTypeExtension named partnerOrganisationType 0..* MS
* provision.type 1..1 MS
* provision.period MS
* provision.actor MS
* provision.actor.role = $v3-ParticipationType#IRCP
* provision.actor.reference only Reference(FhircareRelatedPerson or FhircareOrganization or FhircarePractitionerRole or FhircareCareTeam or FhircarePatient)
* provision.action MS
* provision.purpose MS
* provision.class MS
* provision.code MS
* provision.data MS
* obeys fhircare-consent-1 and fhircare-consent-2 and fhircare-consent-3 and fhircare-consent-4

Invariant: fhircare-consent-1
Description: "A sharing decision says whom it is about: a named recipient (provision.actor) or a partner organisation type."
Severity: #error
Expression: "provision.actor.exists() or provision.extension('https://fhir.fhircare.nhs.uk/StructureDefinition/partner-organisation-type').exists()"

Invariant: fhircare-consent-2
Description: "A permit names what it permits: its class of information (provision.class) or the resources themselves (provision.data). In FHIR a permit that names neither permits everything."
Severity: #error
Expression: "provision.type = 'permit' implies (provision.class.exists() or provision.data.exists())"

Invariant: fhircare-consent-3
Description: "A permit says what for (provision.purpose) and from when (provision.period.start)."
Severity: #error
Expression: "provision.type = 'permit' implies (provision.purpose.exists() and provision.period.start.exists())"

Invariant: fhircare-consent-4
Description: "A best-interests decision, and only one, links the capacity assessment it rests on (004 §5.7, requirements.md EC-40)."
Severity: #error
Expression: "policyRule.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/consent-basis' and code = 'best-interests').exists() = extension('https://fhir.fhircare.nhs.uk/StructureDefinition/capacity-assessment').exists()"

Profile: FhircareProvenance
Parent: Provenance
Id: fhircare-provenance
Title: "fhircare Provenance"
Description: "Who provided or decided what, when and why, for the record-keeping the policies require evidence of: information provided by a carer (whoever's permission; the information itself is a Communication), a confidence broken or a refusal of consent (with its rationale), a plan agreed and signed (004 §3.14, 001 ¶90)."
* insert FhircareProfile
* insert ServiceUserRecord
* target MS
* recorded MS
* occurred[x] MS
* activity 1..1 MS
* reason MS
* agent MS
* agent.type 1..1 MS
* agent.who only Reference(FhircarePractitionerRole or FhircarePatient or FhircareRelatedPerson or FhircareOrganization)
* agent.onBehalfOf only Reference(FhircareOrganization)
* entity MS
* signature MS
* obeys fhircare-provenance-1 and fhircare-provenance-2 and fhircare-provenance-3

Invariant: fhircare-provenance-1
Description: "The activity includes a fhircare record activity code."
Severity: #error
Expression: "activity.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/record-activity').exists()"

Invariant: fhircare-provenance-2
Description: "A broken confidence or a refused consent has its rationale recorded as reason text (004 §3.14)."
Severity: #error
Expression: "activity.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/record-activity' and (code = 'confidentiality-override' or code = 'consent-refusal')).exists() implies reason.text.exists()"

Invariant: fhircare-provenance-3
Description: "Carer-provided information names the carer as informant."
Severity: #error
Expression: "activity.coding.where(system = 'https://fhir.fhircare.nhs.uk/CodeSystem/record-activity' and code = 'carer-provided-information').exists() implies agent.where(type.coding.where(system = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type' and code = 'informant').exists()).exists()"
