"""A covering index of a service user's resources: (service user, type, id, content hash).
Every partner API request asks which versions a service user's record is read from
(``api.reads.RecordCache``: is the record it remembers still the one stored?); the index on
the service user alone answered it by reading each resource's row, about 40 page reads a
request. This index answers it alone (85 -> 17 us on the bench store) and serves every
other look-up by service user, so it replaces that index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resources_of_service_user",
            ["service_user_id", "resource_type", "resource_id", "content_hash"],
            unique=False,
        )
        batch_op.drop_index("ix_resources_service_user_id")


def downgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index("ix_resources_service_user_id", ["service_user_id"], unique=False)
        batch_op.drop_index("ix_resources_of_service_user")
