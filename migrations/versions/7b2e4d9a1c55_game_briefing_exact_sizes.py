"""Games: the instructor's choice of exact market sizes or an index in the students' briefing.

Revision ID: 7b2e4d9a1c55
Revises: e7b2c4a91f06
Create Date: 2026-12-01 11:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b2e4d9a1c55"
down_revision = "e7b2c4a91f06"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("games") as batch:
        batch.add_column(
            sa.Column(
                "briefing_exact_sizes", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table("games") as batch:
        batch.drop_column("briefing_exact_sizes")
