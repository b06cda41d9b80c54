"""What authorised each AuditEvent's disclosures (its ``agent.policy``: the Consents and the
access policy's grounds they relied on), for AuditEvent?policy=: an administrator reviewing
an override for risk, or a consent found invalid, finds every disclosure it allowed.
Events stored before it name no policy.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event_policies",
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit_events.id"], name=op.f("fk_audit_event_policies_audit_id_audit_events")
        ),
        sa.PrimaryKeyConstraint("audit_id", "policy", name=op.f("pk_audit_event_policies")),
    )
    with op.batch_alter_table("audit_event_policies", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_policies_policy", ["policy"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_event_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_policies_policy")
    op.drop_table("audit_event_policies")
