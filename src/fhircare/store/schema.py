"""The record store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Migrations in ``store/migrations`` create and change them; this module is what the code
reads and writes through, and a test checks that the migrated schema equals it.

- ``store_meta``: facts about the store itself (``store_id``, a UUID made when the store
  was created, that names its extract runs in the Provenance the sync writes).
- ``extract_runs``: one row per ``fhircare load`` (when, which files with their hashes,
  the counts), so every stored version says which extract it came from.
- ``service_users``: each service user the store has seen, whether the last extract held
  them, and the fingerprints of what they were read and mapped from (to skip unchanged ones).
- ``resources``: the current version of every mapped resource: canonical JSON, its
  sha256, the business identifier, the service user it belongs to (NULL for resources
  many service users share: organisations, staff, their roles, services).
- ``resource_versions``: every version ever stored, with what changed and in which run.
- ``targets``: the FHIR servers synced to; ``target_resources``: per target, what the
  server holds (its id, versionId, ETag, the content hash it last accepted).
- ``outbox``: pending work per target, one row per service user or shared resource;
  ``dead_letters``: what a server refused, with its OperationOutcome and the rows the
  refused resources came from.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: resource types and ids are short; identifiers and URLs can be long
_TYPE = String(64)
_ID = String(64)

store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

extract_runs = Table(
    "extract_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    #: running | completed | failed | interrupted
    Column("status", String(16), nullable=False),
    Column("extract_dir", Text, nullable=False),
    Column("mapping_file", Text, nullable=False),
    Column("mapping_sha256", String(64), nullable=False),
    Column("as_of", Date, nullable=False),
    #: [{"name", "bytes", "sha256"}] of every file of the extract folder
    Column("files", JSON, nullable=False),
    #: the summary the run printed (service users and resources by change)
    Column("counts", JSON),
    #: the trust the extract comes from: {"name", "ods_code", "resource_type", "resource_id"}
    Column("trust", JSON, nullable=False),
    Column("fhircare_version", String(32), nullable=False),
)

service_users = Table(
    "service_users",
    metadata,
    Column("service_user_id", String(128), primary_key=True),
    #: present | missing | ended
    Column("status", String(16), nullable=False),
    #: what the records were mapped from (source record, mapping file, code, as-of day)
    Column("fingerprint", String(64)),
    #: what the records were read from: the extract rows (and the trust directory's), the
    #: mapping file, code, as-of day; equal rows are not even read into records again
    Column("rows_fingerprint", String(64)),
    Column("first_seen_run", Integer, ForeignKey("extract_runs.id"), nullable=False),
    Column("last_seen_run", Integer, ForeignKey("extract_runs.id")),
    #: extracts in a row that did not hold this service user
    Column("missing_runs", Integer, nullable=False, server_default=text("0")),
    #: the last run that rejected this service user (their stored records are kept)
    Column("rejected_run", Integer, ForeignKey("extract_runs.id")),
    Column("ended_run", Integer, ForeignKey("extract_runs.id")),
)

resources = Table(
    "resources",
    metadata,
    Column("resource_type", _TYPE, primary_key=True),
    Column("resource_id", _ID, primary_key=True),
    #: NULL for resources many service users share (organisations, staff, roles, services)
    Column("service_user_id", String(128)),
    Column("identifier_system", Text),
    Column("identifier_value", Text),
    Column("version", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("content_hash", String(64), nullable=False),
    #: current | ended
    Column("state", String(16), nullable=False),
    Column("last_changed_run", Integer, ForeignKey("extract_runs.id"), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    #: the extract row this version was made from: {"file", "line"} (for reports)
    Column("origin", JSON),
)

# What a sync asks of every stored resource (is it up to date on the target, who holds its
# identifier system) without reading its content: a covering index (migration 0003).
Index(
    "ix_resources_sync",
    resources.c.resource_type,
    resources.c.identifier_system,
    resources.c.resource_id,
    resources.c.content_hash,
    resources.c.service_user_id,
)

# Which versions a service user's record is read from, asked by every partner API request,
# answered from the index alone; it serves every other look-up by service user (0005).
Index(
    "ix_resources_of_service_user",
    resources.c.service_user_id,
    resources.c.resource_type,
    resources.c.resource_id,
    resources.c.content_hash,
)

resource_versions = Table(
    "resource_versions",
    metadata,
    Column("resource_type", _TYPE, primary_key=True),
    Column("resource_id", _ID, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("content", LargeBinary, nullable=False),
    Column("content_hash", String(64), nullable=False),
    #: created | updated | ended
    Column("change", String(16), nullable=False),
    Column("run_id", Integer, ForeignKey("extract_runs.id"), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("base_url", Text, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_sync_at", DateTime(timezone=True)),
)

target_resources = Table(
    "target_resources",
    metadata,
    Column("target_id", Integer, ForeignKey("targets.id"), primary_key=True),
    Column("resource_type", _TYPE, primary_key=True),
    Column("resource_id", _ID, primary_key=True),
    Column("server_id", String(128), nullable=False),
    Column("server_version", String(128)),
    Column("etag", String(160)),
    Column("last_modified", String(40)),
    #: the stored content hash the server last accepted
    Column("synced_hash", String(64), nullable=False),
    Column("synced_at", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("target_id", Integer, ForeignKey("targets.id"), nullable=False),
    #: "service-user" (one transaction of a service user's records) or "shared"
    Column("kind", String(16), nullable=False),
    #: the service user id, or "<ResourceType>/<id>" of a shared resource
    Column("group_key", String(256), nullable=False),
    #: pending | done | dead
    Column("status", String(16), nullable=False),
    Column("run_id", Integer, ForeignKey("extract_runs.id")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    #: why the last attempt failed, without personal data (a status code, an error class)
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
)
# At most one pending row per target and group: enqueueing twice is a no-op.
Index(
    "uq_outbox_pending",
    outbox.c.target_id,
    outbox.c.group_key,
    unique=True,
    sqlite_where=outbox.c.status == "pending",
    postgresql_where=outbox.c.status == "pending",
)
Index("ix_outbox_claim", outbox.c.target_id, outbox.c.status, outbox.c.kind, outbox.c.id)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("outbox.id"), nullable=False),
    Column("target_id", Integer, ForeignKey("targets.id"), nullable=False),
    Column("group_key", String(256), nullable=False),
    Column("http_status", Integer),
    #: the server's OperationOutcome (or one fhircare wrote when the server gave none)
    Column("outcome", JSON, nullable=False),
    #: [{"resourceType", "id", "file", "line"}]: the extract rows the refused resources came from
    Column("sources", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    #: when it stopped being outstanding: retried (`fhircare outbox retry`), or its group sent
    #: again (accepted, or refused anew with a newer dead letter); NULL while it is still open
    Column("retried_at", DateTime(timezone=True)),
    UniqueConstraint("outbox_id"),
)

# --- the partner FHIR API (fhircare serve): search index, partners, audit ----------------
# Written by store/search_index.py (in the same transaction as every resource write),
# store/partners.py and store/audit.py; created by migration 0002.

#: one row per value a search parameter takes in a current resource (store/search_index.py):
#: tokens (``system``, ``value``), references (``value`` = ``Type/id``) and dates (``low`` to
#: ``high``, UTC, as sortable text with open ends written as the earliest or latest instant)
search_index = Table(
    "search_index",
    metadata,
    Column("resource_type", _TYPE, nullable=False),
    Column("resource_id", _ID, nullable=False),
    Column("param", String(64), nullable=False),
    Column("system", Text),
    Column("value", Text),
    Column("low", String(32)),
    Column("high", String(32)),
)
Index("ix_search_index_value", search_index.c.resource_type, search_index.c.param, search_index.c.value)
Index("ix_search_index_dates", search_index.c.resource_type, search_index.c.param, search_index.c.low)
Index("ix_search_index_resource", search_index.c.resource_type, search_index.c.resource_id)

#: partner organisations registered to read over the API (fhircare partners add)
partners = Table(
    "partners",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    #: its ODS code; none for a partner known only by ``organization_identifier`` (0004)
    Column("ods_code", String(32), nullable=True),
    #: ``system|value`` of the Organization the trust's extract knows the partner by, when
    #: that is not its ODS code (a VCSE partner without one)
    Column("organization_identifier", Text),
    #: gp | vcse | local-authority | nhs-trust | urgent-care | service-user-app | admin
    Column("organisation_type", String(32), nullable=False),
    #: the registered public keys (a JWKS), or where to fetch them
    Column("jwks", JSON),
    Column("jwks_url", Text),
    #: the SMART system scopes the partner may be granted, space-separated
    Column("scopes", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True)),
)

#: client assertions already used (SMART Backend Services: a ``jti`` is never accepted
#: twice); kept until they expire
client_assertions = Table(
    "client_assertions",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("jti", String(256), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

#: an AuditEvent for every API request (and every token request): what the request was and
#: what it returned, compact (api/audit.py renders the FHIR AuditEvent when it is read)
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
    #: NULL when the caller could not be identified (a forged or unreadable token)
    Column("client_id", String(64), index=True),
    #: restful-interaction code (read, search-type, ...) or "token"
    Column("interaction", String(32), nullable=False),
    #: AuditEvent.outcome: 0 success, 4 minor failure (refused, not found), 8 serious, 12 major
    Column("outcome", String(4), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

#: the patients an AuditEvent names (``Patient/<id>``), for AuditEvent?patient=
audit_event_patients = Table(
    "audit_event_patients",
    metadata,
    Column("audit_id", String(64), ForeignKey("audit_events.id"), primary_key=True),
    Column("patient", String(80), primary_key=True),
    Index("ix_audit_event_patients_patient", "patient"),
)

#: what authorised an AuditEvent's disclosures (its ``agent.policy``: a Consent by reference,
#: or a ground of the access policy), for AuditEvent?policy=
audit_event_policies = Table(
    "audit_event_policies",
    metadata,
    Column("audit_id", String(64), ForeignKey("audit_events.id"), primary_key=True),
    Column("policy", String(200), primary_key=True),
    Index("ix_audit_event_policies_policy", "policy"),
)
