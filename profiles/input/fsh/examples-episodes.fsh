// Examples: care coordination episodes (Alex's with the community team; Jamie's on the
// waiting list), Alex's inpatient stay under section 3 with section 17 leave, and the
// temporary acute bed out of area before it.

Instance: example-episode
InstanceOf: FhircareEpisodeOfCare
Usage: #example
Title: "Alex Sample's episode with the North community mental health team"
* insert ExampleNarrative(Alex's episode with the North community mental health team (community mental health\)\, active since 4 January 2021. Key worker: Jordan Sample. Care coordination with a named key worker since 1 September 2024; before that the Care Programme Approach.)
* insert RestrictedLabels
* insert TrustIdentifier(0, care-episode, SVT-EP-0001)
* extension[careCoordinationArrangement][0].extension[arrangement].valueCodeableConcept = CareCoordinationArrangement#key-worker-care-coordination "Care coordination with a named key worker"
* extension[careCoordinationArrangement][0].extension[period].valuePeriod.start = "2024-09-01"
* extension[careCoordinationArrangement][1].extension[arrangement].valueCodeableConcept = CareCoordinationArrangement#cpa "Care Programme Approach (CPA)"
* extension[careCoordinationArrangement][1].extension[period].valuePeriod.start = "2021-01-04"
* extension[careCoordinationArrangement][1].extension[period].valuePeriod.end = "2024-08-31"
* status = #active
* type[0] = ServiceLine#community-mental-health "Community mental health"
* patient = Reference(example-patient)
* managingOrganization = Reference(example-community-team)
* period.start = "2021-01-04"
* careManager = Reference(example-role-key-worker)
* team[0] = Reference(example-care-team)

Instance: example-episode-waitlist
InstanceOf: FhircareEpisodeOfCare
Usage: #example
Title: "Jamie Test, accepted by the community team and on its waiting list"
* insert ExampleNarrative(Jamie was accepted by the North community mental health team on 12 May 2025 and is waiting for a key worker. The team's duty worker covers until then.)
* insert RestrictedLabels
* insert TrustIdentifier(0, care-episode, SVT-EP-0002)
* status = #waitlist
* type[0] = ServiceLine#community-mental-health "Community mental health"
* patient = Reference(example-patient-awaiting)
* managingOrganization = Reference(example-community-team)
* period.start = "2025-05-12"
* team[0] = Reference(example-care-team-awaiting-allocation)

Instance: example-inpatient-stay
InstanceOf: FhircareEncounter
Usage: #example
Title: "Alex Sample's admission under section 3, with section 17 leave"
* insert ExampleNarrative(Alex was admitted to Oak ward on 1 December 2022 under section 3 of the Mental Health Act and discharged home on 15 January 2023\, as planned. Section 17 leave from 5 to 7 January 2023.)
* insert RestrictedLabels
* insert TrustIdentifier(0, inpatient-stay, SVT-IP-0001)
* extension[legalStatus][0].extension[legalStatusContext].valueCodeableConcept = $ukcore-legal-status-context#admission "Admission"
* extension[legalStatus][0].extension[legalStatusClassification].valueCodeableConcept = $ukcore-legal-status-england#03 "Formally detained under Mental Health Act Section 3"
* extension[estimatedDischargeDate].valueDate = "2023-01-20"
* status = #finished
* statusHistory[0].status = #onleave
* statusHistory[0].period.start = "2023-01-05T10:00:00Z"
* statusHistory[0].period.end = "2023-01-07T10:00:00Z"
* class = $v3-ActCode#IMP "inpatient encounter"
* priority = $v3-ActPriority#EM "emergency"
* subject = Reference(example-patient)
* episodeOfCare[0] = Reference(example-episode)
* period.start = "2022-12-01T14:30:00Z"
* period.end = "2023-01-15T11:00:00Z"
* hospitalization.dischargeDisposition = http://terminology.hl7.org/CodeSystem/discharge-disposition#home "Home"
* location[0].location.display = "Oak ward (adult acute inpatient)"
* serviceProvider = Reference(example-trust)

Instance: example-out-of-area-placement
InstanceOf: FhircareEncounter
Usage: #example
Title: "Alex Sample's temporary acute bed out of area"
* insert ExampleNarrative(Alex was in a temporary acute bed at Distant Hills Hospital\, out of area\, from 20 to 30 November 2022. Not exempt from data collection: the key worker kept weekly contact with the ward.)
* insert RestrictedLabels
* insert TrustIdentifier(0, out-of-area-placement, SVT-OA-0001)
* extension[outOfAreaPlacement].extension[placementType].valueCodeableConcept = PlacementType#acute-temporary "Temporary acute admission"
* extension[outOfAreaPlacement].extension[exemptFromDataCollection].valueBoolean = false
* status = #finished
* class = $v3-ActCode#ACUTE "inpatient acute"
* subject = Reference(example-patient)
* episodeOfCare[0] = Reference(example-episode)
* period.start = "2022-11-20"
* period.end = "2022-11-30"
* serviceProvider = Reference(example-out-of-area-provider)

Instance: example-out-of-area-provider
InstanceOf: FhircareOrganization
Usage: #example
Title: "Distant Hills Hospital (out-of-area provider)"
* insert ExampleNarrative(Distant Hills Hospital (ODS ZZP01\)\, an independent provider outside the trust's area.)
* identifier[odsOrganisationCode].value = "ZZP01"
* active = true
* type[0].coding[0] = $organization-type#prov "Healthcare Provider"
* type[0].coding[1] = PartnerOrganisationType#other-provider "Other NHS trust or independent provider"
* name = "Distant Hills Hospital"
