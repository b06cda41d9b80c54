// Terminology for care teams and partner organisations: coordination roles and MDT disciplines
// that SNOMED CT lacks (standards.md §4.2, "not found"), and partner organisation types.

CodeSystem: CareTeamRole
Id: care-team-role
Title: "Care team role"
Description: "Care team roles with no SNOMED CT, SDS job role or UK Core code (standards.md §4.2 and §6 item 3): the coordination roles that fill 'the named person who coordinates care' slot, kept distinct because each carries its own meaning (002 ¶13: do not rebadge care co-ordinators as key workers), and MDT disciplines for which standards.md gives no SNOMED CT code."
* insert LocalCodeSystem
* #coordination-role "Coordination role" "Grouping: roles filling the named-lead slot and its cover. [002 ¶13] \"services should not respond to this Statement by simply rebadging care co-ordinators as key workers\""
  * #lead-role "Named lead role" "Grouping: the roles that fill the named-lead slot themselves. Whichever the service user's arrangement uses is the lead (key worker post-CPA; care co-ordinator under CPA and in Wales; lead clinician under Care Support), recorded as it is and never relabelled. [004 §3.5] \"All service users will have a named key worker.\" [001 ¶136] \"each service user must therefore have a care coordinator\" [000 §3.1.8] \"A named care co-ordinator (CPA) or lead clinician (Care Support) must be identified and recorded on RIO.\""
    * #key-worker "Key worker" "The named key worker (post-CPA, every service user). [004 §3.5] \"All service users will have a named key worker.\" [004 Definitions] \"The key worker is someone who can form a therapeutic alliance with the person, and whom the person trusts and connects with.\""
    * #care-coordinator "Care co-ordinator" "Legacy in England (CPA), statutory in Wales. [000 §3.1.8] \"A named care co-ordinator (CPA) or lead clinician (Care Support) must be identified and recorded on RIO.\" [001 ¶136] \"each service user must therefore have a care coordinator\""
    * #lead-clinician "Lead clinician" "Legacy (Care Support). [000 Glossary] \"A professional member of staff (who is registered as such with their appropriate governing body) who oversees and monitors the care of the service user whilst under Care Support.\""
    * #lead-professional "Lead professional" "Legacy (old CPA, straightforward needs). [004 Definitions] \"the lead professional has 'the responsibility for facilitating the delivery of care to the service user who has been identified as having straightforward needs and has contact with only one agency\""
    * #temporary-care-coordinator "Temporary care co-ordinator" "[000 §3.2.2] \"will act as a temporary care co-ordinator whilst this assessment takes place\""
    * #named-nurse "Named nurse" "Inpatient. [000 §3.3.6] \"the care co-ordinator/lead clinician/named nurse should ensure that the key components are incorporated into the care plan\""
    * #tcp-case-manager "TCP case manager" "Learning disability and autism, out of area. [004 §3.6] \"Learning Disability and Autism services now have an allocated TCP Case Manager for this role\""
  * #nominated-delegate "Nominated delegate" "[000 §3.8.1] \"It is expected that the care co-ordinator, or nominated delegate, will liaise with such services\""
  * #team-manager "Team manager" "The manager of the team; with the lead role and the default-lead marker, the lead by default at inpatient discharge. [004 §3.11] \"If at the point of discharge from inpatient settings, no key worker has been identified, this role defaults to the manager of the receiving team.\""
  * #duty-worker "Duty worker" "Team-level cover, and the default contact while a lead is awaited. [004 §3.4] \"The team would need to ensure access to a clinical duty worker (or similar system) within office hours to respond to queries from anyone who rings up for support.\""
  * #responsible-clinician "Responsible clinician" "Mental Health Act 1983. [001 Annex 1] \"the approved clinician with overall responsibility for the patient's case\""
* #mdt-discipline "MDT discipline" "Grouping: MDT disciplines with no SNOMED CT code in standards.md. [002 ¶13] \"(eg nursing, social care, occupational therapy, employment/vocational support, housing, substance use, VCSE)\""
  * #occupational-therapy "Occupational therapy" "[000 Glossary] \"Psychiatrists, Mental Health Nurses, Psychologists, Occupational Therapists, etc.\""
  * #social-work "Social work and social care" "[002 ¶13] \"(eg nursing, social care, occupational therapy, employment/vocational support, housing, substance use, VCSE)\""
  * #peer-support "Peer support (lived experience)" "[002 ¶9(ii)] \"drawing on new roles including lived experience roles\" [003 H&W] \"peer support workers and support workers\""
  * #support-work "Support work" "[003 H&W] \"peer support workers and support workers\""
  * #pharmacy "Pharmacy" "[003 H&W] \"consultants, pharmacists, mental health practitioners (nurses/occupational therapists/social workers), psychologists\""
  * #employment-support "Employment and vocational support" "[002 ¶13] \"employment/vocational support\""
  * #housing "Housing" "[002 ¶13] \"(eg nursing, social care, occupational therapy, employment/vocational support, housing, substance use, VCSE)\" [003 MPFT] \"a housing officer\""
  * #substance-use "Substance use" "[002 ¶13] \"(eg nursing, social care, occupational therapy, employment/vocational support, housing, substance use, VCSE)\" [003 MPFT] \"a substance misuse specialist\""
  * #financial-wellbeing "Financial wellbeing" "[003 MPFT] \"they have a financial wellbeing person\""
  * #vcse-link-worker "VCSE link worker" "[003 H&W] \"The link workers from the VCSE providers are fully integrated within the NMHTs\""
* insert Grouping(#coordination-role)
* insert Grouping(#coordination-role #lead-role)
* insert Grouping(#mdt-discipline)

ValueSet: CoordinationRoleVS
Id: coordination-role
Title: "Coordination role"
Description: "Roles filling, or covering, the named-lead slot of a care team."
* insert ConformanceMetadata
* include codes from system CareTeamRole where concept descendent-of #coordination-role
* exclude CareTeamRole#lead-role

ValueSet: LeadRoleVS
Id: lead-role
Title: "Named lead role"
Description: "The roles that fill the named-lead slot of a care team: exactly one current participant of an active care team holds one of them, or a lead is awaited (fhircare-care-team-1). Key worker, care co-ordinator, lead clinician, lead professional, temporary care co-ordinator, named nurse, TCP case manager."
* insert ConformanceMetadata
* include codes from system CareTeamRole where concept descendent-of #lead-role

ValueSet: MdtDisciplineVS
Id: mdt-discipline
Title: "MDT discipline"
Description: "Disciplines of multidisciplinary team members: SNOMED CT occupations where standards.md §4.2 gives a code, local codes for the rest."
* insert ConformanceMetadata
* $sct#224563006 "Mental health nurse"
* $sct#224564000 "Community mental health nurse"
* $sct#80584001 "Psychiatrist"
* $sct#59944000 "Psychologist"
* $sct#310191001 "Clinical psychologist"
* $sct#310190000 "Mental health counsellor"
* $sct#224588003 "Psychotherapist"
* $sct#768832004 "Case manager"
* $sct#445451001 "Nurse case manager"
* $sct#453881000000109 "Doctor approved by the Secretary of State under section 12 of the Mental Health Act 1983 (England and Wales)"
* $sct#62247001 "General practitioner"
* $sct#429577009 "Patient advocate"
* include codes from system CareTeamRole where concept descendent-of #mdt-discipline

ValueSet: CareTeamParticipantRoleVS
Id: care-team-participant-role
Title: "Care team participant role"
Description: "What a care team participant does: a coordination role, an MDT discipline, or the service user, a carer or an advocate (SNOMED CT, standards.md §4.2)."
* insert ConformanceMetadata
* include codes from valueset CoordinationRoleVS
* include codes from valueset MdtDisciplineVS
* $sct#116154003 "Patient"
* $sct#133932002 "Caregiver"
* $sct#429577009 "Patient advocate"

ValueSet: PractitionerRoleCodeVS
Id: practitioner-role-code
Title: "Practitioner role code"
Description: "The job role or discipline of a practitioner in a role: SDS job role names (PRSB binds professional contact Role to SDS job role; standards.md §4.2), SNOMED CT occupations and local MDT disciplines."
* insert ConformanceMetadata
* include codes from valueset MdtDisciplineVS
* $ukcore-sds-job-role#R1975 "Community Mental Health Nurse"
* $ukcore-sds-job-role#R1981 "Psychiatrist"
* $ukcore-sds-job-role#R1330 "Social Worker"
* $ukcore-sds-job-role#R1340 "Approved Social Worker"
* $ukcore-sds-job-role#R9590 "Senior Social Worker (Mental Health)"
* $ukcore-sds-job-role#R9595 "Social Services Care Manager (Mental Health)"
* $ukcore-sds-job-role#R9585 "Social Work Team Manager (Mental Health)"
* $ukcore-sds-job-role#R9600 "Social Work Assistant (Mental Health)"
* $ukcore-sds-job-role#R1710 "Support, Time, Recovery Worker"
* $ukcore-sds-job-role#R1450 "Health Care Support Worker"
* $ukcore-sds-job-role#R1460 "Social Care Support Worker"
* $ukcore-sds-job-role#R0950 "Occupational Therapist"
* $ukcore-sds-job-role#R1310 "Clinical Psychologist"
* $ukcore-sds-job-role#R6100 "Mental Health Act Administrator"

CodeSystem: PartnerOrganisationType
Id: partner-organisation-type
Title: "Partner organisation type"
Description: "The kinds of organisation that exchange the care coordination record (requirements.md §4). Sharing decisions (Consent) and partner access are made per type."
* insert LocalCodeSystem
* #nhs-mental-health-trust "NHS mental health trust" "Community, inpatient, crisis and specialist services. [003 CNWL] \"redesigning and reorganising the existing borough based community resource to form new Community Mental Health Hubs\""
* #other-provider "Other NHS trust or independent provider" "Out-of-area and independent providers. [001 ¶71] \"The service user's 'home' area should remain involved through appropriate attendance at care planning meetings\""
* #prison-mental-health "Prison mental health team" "[000 §3.11.2] \"Once the care co-ordinator/lead clinician is made aware that a service user has been detained in prison, they must contact the prison mental health team and make available the most recent assessment, risk assessment and care plan.\""
* #gp-practice "GP practice / primary care" "[001 ¶64] \"the care coordinator should seek the involvement of the individual's GP, and keep that GP informed as necessary\""
* #local-authority "Local authority" "Adult social care, housing, carers' services; Section 117 co-responsible. [004 §3.15] \"the duty to provide after-care services exists until both the CCG (now ICB) and the local authority are satisfied that the patient no longer requires them\""
* #vcse "Voluntary, community and social enterprise (VCSE) organisation" "[003 MPFT] \"They also have MDT meetings that the voluntary care sector attends.\""
* #integrated-care-board "Integrated care board / commissioner" "[004 §3.15] \"the duty to provide after-care services exists until both the CCG (now ICB) and the local authority are satisfied that the patient no longer requires them\""
* #local-health-board "Local health board (Wales)" "[001 ¶96 Explanatory Note] \"places a duty on mental health service providers (ie LHBs and Local Authorities) to take all reasonable steps to ensure that the different mental health services which they provide for the service user are coordinated with one another\""
* #criminal-justice "Criminal justice agency (including probation)" "[001 ¶57] \"criminal justice agencies can provide support to the risk assessment process and should be consulted as part of a holistic assessment\""
* #advocacy "Advocacy service" "[000 §2.13] \"Service users will be provided with information about advocacy services.\""
* #care-provider "Post-discharge care provider" "Care companies, supported housing, residential and nursing care. [004 App 1] \"Where a care company has been identified to continue with care after discharge\""
* #urgent-care "Urgent and emergency care" "An organisation that needs the crisis and contingency plan out of hours although it is not in the care team; every code under this one is urgent care to a reader. [001 ¶177] \"It may be appropriate for the crisis and contingency component of an individual's care and treatment plan to be held on an IT system in such a way as to enable practitioners from other teams (and other agencies) not directly providing day to day support to access this in a crisis.\""
  * #ambulance-service "Ambulance service" "[003 MPFT] \"The Crisis Response teams and Emergency services will deal with crisis calls.\""
  * #nhs-111-provider "NHS 111 provider" "[000 App 2] \"who to contact out of hours or in a crisis\""
  * #emergency-department "Emergency department (with liaison psychiatry)" "[003 CNWL] \"their inpatient wards and Home Treatment, Urgent Care and Psychiatric Liaison Teams achieved Stage 1 of the National Triangle of Care accreditation award\""
  * #police "Police" "[003 MPFT] \"The Crisis Response teams and Emergency services will deal with crisis calls.\""

ValueSet: PartnerOrganisationTypeVS
Id: partner-organisation-type
Title: "Partner organisation type"
Description: "All partner organisation types."
* insert ConformanceMetadata
* include codes from system PartnerOrganisationType

ValueSet: UrgentCareOrganisationTypeVS
Id: urgent-care-organisation-type
Title: "Urgent and emergency care organisation type"
Description: "The partner organisation types a reader treats as urgent care (is-a urgent-care): they may see the crisis plan and its contacts out of hours (IS-18)."
* insert ConformanceMetadata
* include codes from system PartnerOrganisationType where concept is-a #urgent-care
