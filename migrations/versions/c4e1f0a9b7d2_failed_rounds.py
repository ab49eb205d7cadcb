"""Failed rounds: a round whose processing raised is marked 'failed' and keeps the error.

Revision ID: c4e1f0a9b7d2
Revises: 183cd5b4aee6
Create Date: 2026-12-01 09:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c4e1f0a9b7d2"
down_revision = "183cd5b4aee6"
branch_labels = None
depends_on = None

OLD = "'scheduled', 'open', 'closed', 'processing', 'published', 'held', 'cancelled'"
NEW = "'scheduled', 'open', 'closed', 'processing', 'published', 'held', 'failed', 'cancelled'"


def upgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure", sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f("ck_rounds_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_rounds_status_known"), f"status IN ({NEW})")


def downgrade():
    op.execute("UPDATE rounds SET status = 'closed' WHERE status = 'failed'")
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_rounds_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_rounds_status_known"), f"status IN ({OLD})")
        batch_op.drop_column("failure")
