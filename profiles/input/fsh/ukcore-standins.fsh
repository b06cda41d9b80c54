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

Extension: UKCoreEthnicCategoryStandIn
Id: Extension-UKCore-EthnicCategory
Title: "Ethnic category (stand-in for the UK Core extension)"
Description: "Stand-in for https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory (UK Core 2.1.0): the person's ethnic category, as the NHS Data Dictionary codes it."
Context: Patient
* insert ConformanceMetadata
* ^url = $UKCoreEthnicCategory
* ^version = "2.1.0"
* ^publisher = "fhircare project (stand-in for an HL7 UK definition)"
* value[x] 1..1
* value[x] only CodeableConcept
* valueCodeableConcept from EthnicCategoryVS (extensible)

ValueSet: EthnicCategoryVS
Id: ethnic-category
Title: "Ethnic category"
Description: "The codes of UK Core's ethnic category code system for England (NHS Data Dictionary), listed so that they can be checked offline without UK Core."
* insert ConformanceMetadata
* $ukcore-ethnic-category-england#A "White - British"
* $ukcore-ethnic-category-england#B "White - Irish"
* $ukcore-ethnic-category-england#C "White - Any other White background"
* $ukcore-ethnic-category-england#D "Mixed - White and Black Caribbean"
* $ukcore-ethnic-category-england#E "Mixed - White and Black African"
* $ukcore-ethnic-category-england#F "Mixed - White and Asian"
* $ukcore-ethnic-category-england#G "Mixed - Any other mixed background"
* $ukcore-ethnic-category-england#H "Asian or Asian British - Indian"
* $ukcore-ethnic-category-england#J "Asian or Asian British - Pakistani"
* $ukcore-ethnic-category-england#K "Asian or Asian British - Bangladeshi"
* $ukcore-ethnic-category-england#L "Asian or Asian British - Any other Asian background"
* $ukcore-ethnic-category-england#M "Black or Black British - Caribbean"
* $ukcore-ethnic-category-england#N "Black or Black British - African"
* $ukcore-ethnic-category-england#P "Black or Black British - Any other Black background"
* $ukcore-ethnic-category-england#R "Other Ethnic Groups - Chinese"
* $ukcore-ethnic-category-england#S "Other Ethnic Groups - Any other ethnic group"
* $ukcore-ethnic-category-england#Z "Not stated"
* $ukcore-ethnic-category-england#99 "Not known"
