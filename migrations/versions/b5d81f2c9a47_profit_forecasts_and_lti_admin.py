"""Forecasts of profit per market; LTI platforms that can be disabled and name the origins
allowed to frame SimShop; launch states that hand a blocked-cookie launch over to a new
window once.

Revision ID: b5d81f2c9a47
Revises: 7e2b9d4c1a58
Create Date: 2026-12-01 14:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b5d81f2c9a47"
down_revision = "7e2b9d4c1a58"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profit_by_market", sa.JSON(), nullable=True))
    with op.batch_alter_table("lti_platforms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("frame_origins", sa.JSON(), nullable=True))
    with op.batch_alter_table("lti_launch_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_off_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("lti_launch_states", schema=None) as batch_op:
        batch_op.drop_column("handed_off_at")
    with op.batch_alter_table("lti_platforms", schema=None) as batch_op:
        batch_op.drop_column("frame_origins")
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.drop_column("profit_by_market")
