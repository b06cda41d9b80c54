"""The partner FHIR API: the search index (backfilled from the resources already stored),
registered partners, used client assertions, and AuditEvents with the patients they name.

The backfill indexes with the registry of the fhircare running the migration
(``store/search_index.py``); a later fhircare whose registry differs rebuilds the index
when ``fhircare serve`` opens the store.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_index",
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("param", sa.String(length=64), nullable=False),
        sa.Column("system", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("low", sa.String(length=32), nullable=True),
        sa.Column("high", sa.String(length=32), nullable=True),
    )
    with op.batch_alter_table("search_index", schema=None) as batch_op:
        batch_op.create_index("ix_search_index_value", ["resource_type", "param", "value"], unique=False)
        batch_op.create_index("ix_search_index_dates", ["resource_type", "param", "low"], unique=False)
        batch_op.create_index("ix_search_index_resource", ["resource_type", "resource_id"], unique=False)
    op.create_table(
        "partners",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("ods_code", sa.String(length=32), nullable=False),
        sa.Column("organization_identifier", sa.Text(), nullable=True),
        sa.Column("organisation_type", sa.String(length=32), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=True),
        sa.Column("jwks_url", sa.Text(), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_partners")),
    )
    op.create_table(
        "client_assertions",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=256), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name=op.f("pk_client_assertions")),
    )
    with op.batch_alter_table("client_assertions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_assertions_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("interaction", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=4), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_recorded_at"), ["recorded_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_client_id"), ["client_id"], unique=False)
    op.create_table(
        "audit_event_patients",
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.Column("patient", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit_events.id"], name=op.f("fk_audit_event_patients_audit_id_audit_events")
        ),
        sa.PrimaryKeyConstraint("audit_id", "patient", name=op.f("pk_audit_event_patients")),
    )
    with op.batch_alter_table("audit_event_patients", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_patients_patient", ["patient"], unique=False)

    from fhircare.store.search_index import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("audit_event_patients")
    op.drop_table("audit_events")
    op.drop_table("client_assertions")
    op.drop_table("partners")
    op.drop_table("search_index")
    op.execute("DELETE FROM store_meta WHERE key = 'search_index_version'")
