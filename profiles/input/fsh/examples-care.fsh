// Examples: care teams, care plans (main plan and crisis plan) and goals for the synthetic
// service user Alex Sample; a care team awaiting a key worker for Jamie Test, the duty worker
// covering.

// A care team participant: role coding, member, start (and optionally end) of involvement.
RuleSet: Participant(index, roleSystem, roleCode, member, start)
* participant[{index}].role[0].coding[0].system = "{roleSystem}"
* participant[{index}].role[0].coding[0].code = #{roleCode}
* participant[{index}].member = Reference({member})
* participant[{index}].period.start = "{start}"

Instance: example-care-team
InstanceOf: FhircareCareTeam
Usage: #example
Title: "Alex Sample's care team, with a named key worker"
* insert ExampleNarrative(Alex's care team. Key worker: Jordan Sample\, community mental health nurse\, since 1 September 2024 - before that Morgan Placeholder. Also: Dr Casey Specimen\, psychiatrist; Robin Example\, team manager; Taylor Dummy\, VCSE link worker; Synthetic Valley Council housing; Pat Sample\, carer; and Alex.)
* insert RestrictedLabels
* insert TrustIdentifier(0, careteam, SVT-CT-0001)
* status = #active
* name = "Alex Sample's care team"
* subject = Reference(example-patient)
* period.start = "2021-01-04"
* insert Participant(0, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, key-worker, example-role-key-worker, 2024-09-01)
* participant[0].role[1] = $sct#224564000 "Community mental health nurse"
* participant[0].onBehalfOf = Reference(example-community-team)
* insert Participant(1, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, key-worker, example-role-previous-key-worker, 2023-03-01)
* participant[1].role[1] = CareTeamRole#occupational-therapy "Occupational therapy"
* participant[1].period.end = "2024-08-31"
* insert Participant(2, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, care-coordinator, example-role-previous-key-worker, 2021-01-04)
* participant[2].period.end = "2023-02-28"
* insert Participant(3, http://snomed.info/sct, 80584001, example-role-psychiatrist, 2021-01-04)
* insert Participant(4, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, team-manager, example-role-team-manager, 2022-01-10)
* insert Participant(5, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, vcse-link-worker, example-role-link-worker, 2024-10-01)
* participant[5].onBehalfOf = Reference(example-vcse)
* insert Participant(6, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, housing, example-local-authority, 2025-02-01)
* insert Participant(7, http://snomed.info/sct, 133932002, example-carer-parent, 2021-01-04)
* insert Participant(8, http://snomed.info/sct, 116154003, example-patient, 2021-01-04)
* managingOrganization = Reference(example-community-team)
* telecom[0].system = #phone
* telecom[0].value = "01632 960 010"

Instance: example-care-team-awaiting-allocation
InstanceOf: FhircareCareTeam
Usage: #example
Title: "Jamie Test's care team, awaiting a key worker"
* insert ExampleNarrative(Jamie has been accepted by the North community mental health team and is waiting for a key worker since 12 May 2025. Until then contact the team's duty worker on 01632 960 010.)
* insert RestrictedLabels
* insert TrustIdentifier(0, careteam, SVT-CT-0002)
* extension[leadAwaitingAllocation].valueDateTime = "2025-05-12"
* status = #active
* name = "Jamie Test's care team"
* subject = Reference(example-patient-awaiting)
* insert Participant(0, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, team-manager, example-role-team-manager, 2025-05-12)
* insert Participant(1, https://fhir.fhircare.nhs.uk/CodeSystem/care-team-role, duty-worker, example-community-team, 2025-05-12)
* managingOrganization = Reference(example-community-team)
* telecom[0].system = #phone
* telecom[0].value = "01632 960 010"

Instance: example-goal-housing
InstanceOf: FhircareGoal
Usage: #example
Title: "Goal: a flat of my own"
* insert ExampleNarrative(Alex's goal: I want to move into a flat of my own by next summer.)
* insert RestrictedLabels
* insert TrustIdentifier(0, goal, SVT-G-0001)
* lifecycleStatus = #active
* category[0] = LifeArea#accommodation "Accommodation"
* category[1] = LifeArea#dialog-accommodation "Accommodation"
* description.text = "I want to move into a flat of my own by next summer."
* subject = Reference(example-patient)
* startDate = "2025-02-01"
* target[0].dueDate = "2026-07-31"
* expressedBy = Reference(example-patient)

Instance: example-goal-work
InstanceOf: FhircareGoal
Usage: #example
Title: "Goal: back to volunteering"
* insert ExampleNarrative(Alex's goal: get back to volunteering two days a week.)
* insert RestrictedLabels
* insert TrustIdentifier(0, goal, SVT-G-0002)
* lifecycleStatus = #active
* achievementStatus = $goal-achievement#in-progress "In Progress"
* category[0] = LifeArea#work-and-occupation "Work and occupation"
* category[1] = LifeArea#dialog-job-situation "Job situation"
* description.text = "Get back to volunteering two days a week."
* subject = Reference(example-patient)
* startDate = "2025-02-01"
* expressedBy = Reference(example-patient)
* addresses[0] = Reference(example-dialog-item-job)

// A plan activity: what, who performs it (and what kind of performer), status.
RuleSet: Activity(index, performer, performerType, status, description)
* activity[{index}].detail.status = #{status}
* activity[{index}].detail.description = "{description}"
* activity[{index}].detail.performer[0] = Reference({performer})
* activity[{index}].detail.performer[0].type = "{performerType}"

Instance: example-care-plan
InstanceOf: FhircareCarePlan
Usage: #example
Title: "Alex Sample's personalised care and support plan"
* insert ExampleNarrative(Alex's care and support plan\, agreed on 1 February 2025 with Alex\, Pat and the team. Next review by 1 August 2025. Section 117 after-care since 15 January 2023.)
* insert RestrictedLabels
* insert TrustIdentifier(0, careplan, SVT-CP-0001)
* extension[careCoordinationArrangement][0].extension[arrangement].valueCodeableConcept = CareCoordinationArrangement#key-worker-care-coordination "Care coordination with a named key worker"
* extension[careCoordinationArrangement][0].extension[period].valuePeriod.start = "2024-09-01"
* extension[careCoordinationArrangement][1].extension[arrangement].valueCodeableConcept = CareCoordinationArrangement#cpa "Care Programme Approach (CPA)"
* extension[careCoordinationArrangement][1].extension[period].valuePeriod.start = "2021-01-04"
* extension[careCoordinationArrangement][1].extension[period].valuePeriod.end = "2024-08-31"
* extension[nextReview].valueDate = "2025-08-01"
* extension[section117Aftercare].extension[period].valuePeriod.start = "2023-01-15"
* extension[section117Aftercare].extension[detentionSection].valueCodeableConcept = MentalHealthActSection#s3 "Section 3"
* extension[section117Aftercare].extension[responsibleOrganisation][0].valueReference = Reference(example-icb)
* extension[section117Aftercare].extension[responsibleOrganisation][1].valueReference = Reference(example-local-authority)
* extension[consentToShare][0].valueReference = Reference(example-consent-carer)
* extension[consentToShare][1].valueReference = Reference(example-consent-partner-types)
* extension[planShared][0].extension[recipient].valueReference = Reference(example-patient)
* extension[planShared][0].extension[date].valueDateTime = "2025-02-03"
* extension[planShared][1].extension[recipient].valueReference = Reference(example-carer-parent)
* extension[planShared][1].extension[date].valueDateTime = "2025-02-03"
* extension[planShared][1].extension[consent].valueReference = Reference(example-consent-carer)
* extension[namedLead].valueReference = Reference(example-role-key-worker)
* status = #active
* intent = #plan
* category[0] = $sct#2181441000000107 "Personalised Care and Support Plan"
* category[1] = $sct#718347000 "Mental health care plan"
* category[2] = CarePlanTypeLocal#section-117-aftercare "Care plan including Section 117 after-care"
* title = "My care and support plan"
* description = "What Alex wants to work on, who will do what and when we will look at it again."
* subject = Reference(example-patient)
* period.start = "2025-02-01"
* created = "2025-02-01"
* author = Reference(example-role-key-worker)
* contributor[0] = Reference(example-patient)
* contributor[1] = Reference(example-carer-parent)
* contributor[2] = Reference(example-role-psychiatrist)
* contributor[3] = Reference(example-vcse)
* careTeam = Reference(example-care-team)
* addresses[0] = Reference(example-need-housing)
* addresses[1] = Reference(example-need-unmet)
* supportingInfo[0] = Reference(example-about-me-strength)
* supportingInfo[0].type = "Observation"
* supportingInfo[1] = Reference(example-about-me-what-matters)
* supportingInfo[1].type = "Observation"
* supportingInfo[2] = Reference(example-advance-statement)
* supportingInfo[2].type = "Observation"
* supportingInfo[3] = Reference(example-risk-assessment)
* supportingInfo[3].type = "RiskAssessment"
* supportingInfo[4] = Reference(example-medication-depot)
* supportingInfo[4].type = "MedicationStatement"
* goal[0] = Reference(example-goal-housing)
* goal[1] = Reference(example-goal-work)
* insert Activity(0, example-patient, Patient, in-progress, Keep a short mood diary and bring it to appointments.)
* activity[0].detail.goal = Reference(example-goal-work)
* insert Activity(1, example-carer-parent, RelatedPerson, in-progress, Pat will go with Alex to the first volunteering session.)
* activity[1].detail.goal = Reference(example-goal-work)
* insert Activity(2, example-role-key-worker, PractitionerRole, in-progress, Jordan will visit every two weeks and review medication side effects with Alex.)
* insert Activity(3, example-vcse, Organization, scheduled, Weekly peer support group run by Synthetic Valley Wellbeing Network.)
* insert Activity(4, example-local-authority, Organization, in-progress, Supported housing application as Section 117 after-care.)
* activity[4].extension[section117].valueBoolean = true
* activity[4].detail.goal = Reference(example-goal-housing)

Instance: example-crisis-plan
InstanceOf: FhircareCarePlan
Usage: #example
Title: "Alex Sample's crisis plan"
* insert ExampleNarrative(Alex's crisis plan: what sets things off\, the early signs\, what helps\, who to call and how Pat can raise concerns.)
* insert RestrictedLabels
* insert TrustIdentifier(0, careplan, SVT-CP-0002)
* extension[nextReview].valueDate = "2025-08-01"
* status = #active
* intent = #plan
* category[0] = $sct#736253002 "Mental health crisis plan"
* title = "My crisis plan"
* subject = Reference(example-patient)
* period.start = "2025-02-01"
* created = "2025-02-01"
* author = Reference(example-role-key-worker)
* contributor[0] = Reference(example-patient)
* contributor[1] = Reference(example-carer-parent)
* partOf = Reference(example-care-plan)
* careTeam = Reference(example-care-team)
* supportingInfo[0] = Reference(example-trigger)
* supportingInfo[0].type = "Observation"
* supportingInfo[1] = Reference(example-early-warning-sign)
* supportingInfo[1].type = "Observation"
* supportingInfo[2] = Reference(example-what-helps)
* supportingInfo[2].type = "Observation"
* supportingInfo[3] = Reference(example-advance-statement)
* supportingInfo[3].type = "Observation"
* supportingInfo[4] = Reference(example-risk-assessment)
* supportingInfo[4].type = "RiskAssessment"
* insert Activity(0, example-role-key-worker, PractitionerRole, in-progress, Weekdays 9am to 5pm: call Jordan on 01632 960 011.)
* activity[0].detail.code = CrisisContingencyContent#crisis-contact "Who to contact and how"
* activity[0].extension[contactWhen].valueCodeableConcept = ContactWhen#office-hours "In office hours"
* insert Activity(1, example-crisis-line, HealthcareService, in-progress, Evenings\, nights\, weekends and bank holidays: the 24-hour crisis line on 01632 960 999.)
* activity[1].detail.code = CrisisContingencyContent#crisis-contact "Who to contact and how"
* activity[1].extension[contactWhen].valueCodeableConcept = ContactWhen#out-of-hours "Out of hours"
* insert Activity(2, example-crisis-cafe, HealthcareService, in-progress, Somewhere to go in the evening: the crisis cafe\, 6pm to 11:30pm.)
* activity[2].detail.code = CrisisContingencyContent#crisis-contact "Who to contact and how"
* activity[2].extension[contactWhen].valueCodeableConcept = ContactWhen#out-of-hours "Out of hours"
* insert Activity(3, example-carer-parent, RelatedPerson, in-progress, If Pat is worried she calls the duty worker on 01632 960 010 and can ask for an early review.)
* activity[3].detail.code = CrisisContingencyContent#carer-concern-route "How carers raise concerns"
* insert Activity(4, example-patient, Patient, completed, Alex made an advance statement on 2 November 2024: no home visits without a phone call first.)
* activity[4].detail.code = CrisisContingencyContent#advance-statement "Advance statement"
