// Stand-ins for UK Core extensions the profiles need.
//
// UK Core cannot be loaded as a package at run time (it is not obtainable offline), but the
// resources we emit must carry UK Core's own extensions so that they also conform to UK Core.
// A stand-in declares the UK Core canonical URL with the same context and value type as the
// UK Core definition, so that the extension can be validated without UK Core. Where UK Core is
// loaded after this package, its own definition replaces the stand-in (the last definition of a
// URL wins). The binding points at this package's value set, which lists UK Core's codes, so
// that codes are checked offline. Remove a stand-in once UK Core becomes a loadable dependency.

Extension: UKCoreNHSNumberVerificationStatusStandIn
Id: Extension-UKCore-NHSNumberVerificationStatus
Title: "NHS number verification status (stand-in for the UK Core extension)"
Description: "Stand-in for https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus (UK Core 2.1.0): the verification and tracing status of a patient's NHS number."
Context: Patient.identifier
* insert ConformanceMetadata
* ^url = $UKCoreNHSNumberVerificationStatus
* ^version = "2.1.0"
* ^publisher = "fhircare project (stand-in for an HL7 UK definition)"
* value[x] 1..1
* value[x] only CodeableConcept
* valueCodeableConcept from NHSNumberVerificationStatusVS (required)

Extension: UKCoreLegalStatusStandIn
Id: Extension-UKCore-LegalStatus
Title: "Legal status (stand-in for the UK Core extension)"
Description: "Stand-in for https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-LegalStatus (UK Core 2.1.0): the Mental Health Act legal status of a patient at admission or discharge of an encounter."
Context: Encounter
* insert ConformanceMetadata
* ^url = $UKCoreLegalStatus
* ^version = "2.1.0"
* ^publisher = "fhircare project (stand-in for an HL7 UK definition)"
* extension contains
    legalStatusContext 1..1 and
    legalStatusClassification 1..1
* extension[legalStatusContext].value[x] 1..1
* extension[legalStatusContext].value[x] only CodeableConcept
* extension[legalStatusContext].valueCodeableConcept from LegalStatusContextVS (extensible)
* extension[legalStatusClassification].value[x] 1..1
* extension[legalStatusClassification].value[x] only CodeableConcept
* extension[legalStatusClassification].valueCodeableConcept from LegalStatusClassificationVS (extensible)
* value[x] 0..0
