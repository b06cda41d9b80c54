"""A partner registered without an ODS code: a VCSE partner the trust's extract knows only by
its own identifier (``fhircare partners add --identifier SYSTEM|VALUE``, no ``--ods``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.alter_column("ods_code", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.alter_column("ods_code", existing_type=sa.String(length=32), nullable=False)
