// Aliases shared by every FSH file in this project.

// Terminologies published elsewhere
Alias: $sct = http://snomed.info/sct
Alias: $loinc = http://loinc.org
Alias: $v3-RoleCode = http://terminology.hl7.org/CodeSystem/v3-RoleCode
Alias: $v2-0131 = http://terminology.hl7.org/CodeSystem/v2-0131
Alias: $v3-Confidentiality = http://terminology.hl7.org/CodeSystem/v3-Confidentiality
Alias: $v3-ActCode = http://terminology.hl7.org/CodeSystem/v3-ActCode
Alias: $v3-ParticipationType = http://terminology.hl7.org/CodeSystem/v3-ParticipationType
Alias: $v3-NullFlavor = http://terminology.hl7.org/CodeSystem/v3-NullFlavor
Alias: $consentscope = http://terminology.hl7.org/CodeSystem/consentscope
Alias: $consentaction = http://terminology.hl7.org/CodeSystem/consentaction
Alias: $provenance-participant-type = http://terminology.hl7.org/CodeSystem/provenance-participant-type
Alias: $organization-type = http://terminology.hl7.org/CodeSystem/organization-type
Alias: $observation-category = http://terminology.hl7.org/CodeSystem/observation-category
Alias: $goal-achievement = http://terminology.hl7.org/CodeSystem/goal-achievement
Alias: $v3-DataOperation = http://terminology.hl7.org/CodeSystem/v3-DataOperation
Alias: $v3-ActPriority = http://terminology.hl7.org/CodeSystem/v3-ActPriority
Alias: $data-absent-reason-cs = http://terminology.hl7.org/CodeSystem/data-absent-reason
Alias: $ucum = http://unitsofmeasure.org
Alias: $v3-ActReason = http://terminology.hl7.org/CodeSystem/v3-ActReason
Alias: $resource-types = http://hl7.org/fhir/resource-types
Alias: $flag-category = http://terminology.hl7.org/CodeSystem/flag-category

// UK Core and NHS identifiers and code systems (referred to by URL only: UK Core is not a dependency)
Alias: $nhs-number = https://fhir.nhs.uk/Id/nhs-number
Alias: $ods-organization-code = https://fhir.nhs.uk/Id/ods-organization-code
Alias: $ods-site-code = https://fhir.nhs.uk/Id/ods-site-code
Alias: $sds-user-id = https://fhir.nhs.uk/Id/sds-user-id
Alias: $sds-role-profile-id = https://fhir.nhs.uk/Id/sds-role-profile-id
Alias: $gmc-number = https://fhir.hl7.org.uk/Id/gmc-number
Alias: $gmp-number = https://fhir.hl7.org.uk/Id/gmp-number
Alias: $nmc-number = https://fhir.hl7.org.uk/Id/nmc-number
Alias: $hcpc-number = https://fhir.hl7.org.uk/Id/hcpc-number
Alias: $gphc-number = https://fhir.hl7.org.uk/Id/gphc-number
Alias: $ukcore-additional-relationship = https://fhir.hl7.org.uk/CodeSystem/UKCore-AdditionalPersonRelationshipRole
Alias: $ukcore-nhs-number-verification-england = https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland
Alias: $ukcore-ethnic-category-england = https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland
Alias: $ukcore-nhs-number-verification-wales = https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusWales
Alias: $ukcore-legal-status-england = https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusClassificationEngland
Alias: $ukcore-legal-status-wales = https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusClassificationWales
Alias: $ukcore-legal-status-context = https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusContext
Alias: $UKCoreLegalStatus = https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-LegalStatus
Alias: $ukcore-sds-job-role = https://fhir.hl7.org.uk/CodeSystem/UKCore-SDSJobRoleName
Alias: $UKCoreNHSNumberVerificationStatus = https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus
Alias: $UKCoreEthnicCategory = https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory
Alias: $interpreterRequired = http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired
