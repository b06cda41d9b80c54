"""Initial schema: extract runs, service users, resources and their versions, targets,
what each target holds, the outbox and dead letters; the store's own id.

Revision ID: 0001
Revises: -
Create Date: 2026-12-04
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extract_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("extract_dir", sa.Text(), nullable=False),
        sa.Column("mapping_file", sa.Text(), nullable=False),
        sa.Column("mapping_sha256", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("trust", sa.JSON(), nullable=False),
        sa.Column("fhircare_version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extract_runs")),
    )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )
    store_meta = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.bulk_insert(store_meta, [{"key": "store_id", "value": str(uuid.uuid4())}])
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
        sa.UniqueConstraint("base_url", name=op.f("uq_targets_base_url")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("group_key", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["extract_runs.id"], name=op.f("fk_outbox_run_id_extract_runs")),
        sa.ForeignKeyConstraint(["target_id"], ["targets.id"], name=op.f("fk_outbox_target_id_targets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_claim", ["target_id", "status", "kind", "id"], unique=False)
        batch_op.create_index(
            "uq_outbox_pending",
            ["target_id", "group_key"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "resource_versions",
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["extract_runs.id"], name=op.f("fk_resource_versions_run_id_extract_runs")),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", "version", name=op.f("pk_resource_versions")),
    )
    op.create_table(
        "resources",
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("service_user_id", sa.String(length=128), nullable=True),
        sa.Column("identifier_system", sa.Text(), nullable=True),
        sa.Column("identifier_value", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_changed_run", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_changed_run"], ["extract_runs.id"], name=op.f("fk_resources_last_changed_run_extract_runs")
        ),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", name=op.f("pk_resources")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resources_service_user_id"), ["service_user_id"], unique=False)

    op.create_table(
        "service_users",
        sa.Column("service_user_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("first_seen_run", sa.Integer(), nullable=False),
        sa.Column("last_seen_run", sa.Integer(), nullable=True),
        sa.Column("missing_runs", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rejected_run", sa.Integer(), nullable=True),
        sa.Column("ended_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ended_run"], ["extract_runs.id"], name=op.f("fk_service_users_ended_run_extract_runs")
        ),
        sa.ForeignKeyConstraint(
            ["first_seen_run"], ["extract_runs.id"], name=op.f("fk_service_users_first_seen_run_extract_runs")
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_run"], ["extract_runs.id"], name=op.f("fk_service_users_last_seen_run_extract_runs")
        ),
        sa.ForeignKeyConstraint(
            ["rejected_run"], ["extract_runs.id"], name=op.f("fk_service_users_rejected_run_extract_runs")
        ),
        sa.PrimaryKeyConstraint("service_user_id", name=op.f("pk_service_users")),
    )
    op.create_table(
        "target_resources",
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("resource_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("server_id", sa.String(length=128), nullable=False),
        sa.Column("server_version", sa.String(length=128), nullable=True),
        sa.Column("etag", sa.String(length=160), nullable=True),
        sa.Column("last_modified", sa.String(length=40), nullable=True),
        sa.Column("synced_hash", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["target_id"], ["targets.id"], name=op.f("fk_target_resources_target_id_targets")),
        sa.PrimaryKeyConstraint("target_id", "resource_type", "resource_id", name=op.f("pk_target_resources")),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=256), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_dead_letters_outbox_id_outbox")),
        sa.ForeignKeyConstraint(["target_id"], ["targets.id"], name=op.f("fk_dead_letters_target_id_targets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_dead_letters_outbox_id")),
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
    op.drop_table("target_resources")
    op.drop_table("service_users")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_service_user_id"))

    op.drop_table("resources")
    op.drop_table("resource_versions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_outbox_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_outbox_claim")

    op.drop_table("outbox")
    op.drop_table("targets")
    op.drop_table("store_meta")
    op.drop_table("extract_runs")
