"""Faster daily loads and syncs. The fingerprint of a service user's extract rows (the
trust directory's with them), kept beside the fingerprint of their records: a load whose
rows for a service user hash as they did last time skips reading their records, not only
mapping them (store/fingerprint.py). A covering index of what a sync asks of every stored
resource (type, identifier system, id, content hash, service user), so that it is answered
without reading the resources' content.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rows_fingerprint", sa.String(length=64), nullable=True))
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resources_sync",
            ["resource_type", "identifier_system", "resource_id", "content_hash", "service_user_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_sync")
    with op.batch_alter_table("service_users", schema=None) as batch_op:
        batch_op.drop_column("rows_fingerprint")
