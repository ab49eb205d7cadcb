"""Rounds: a claim on computing a published round's explanation (who, until when), so
several tick workers never explain the same round at once.

Revision ID: d8e3f1a7c5b2
Revises: b5d81f2c9a47
Create Date: 2026-12-01 17:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d8e3f1a7c5b2"
down_revision = "b5d81f2c9a47"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("explain_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("explain_until", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("explain_until")
        batch_op.drop_column("explain_owner")
