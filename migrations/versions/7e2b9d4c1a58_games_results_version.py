"""Games: results_version, a counter bumped whenever a round is published (or its results are
taken back), so leaderboards and the projector answer "not modified" without loading standings.

Revision ID: 7e2b9d4c1a58
Revises: e7b2d4a9c16f
Create Date: 2026-12-01 11:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7e2b9d4c1a58"
down_revision = "e7b2d4a9c16f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("games", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("results_version", sa.Integer(), nullable=False, server_default="0")
        )
    # Start where the counter would be had it always existed: one bump per published round.
    op.execute(
        "UPDATE games SET results_version = (SELECT count(*) FROM rounds "
        "WHERE rounds.game_id = games.id AND rounds.status = 'published')"
    )


def downgrade():
    with op.batch_alter_table("games", schema=None) as batch_op:
        batch_op.drop_column("results_version")
