"""Roster jobs: large roster imports run by the tick, with a progress page.

Revision ID: c3f1a9e2d7b4
Revises: 183cd5b4aee6
Create Date: 2026-12-01 09:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3f1a9e2d7b4"
down_revision = "c3a9e5d2f1b7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("csv_text", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("download_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_roster_jobs_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["game_id"], ["games.id"], name=op.f("fk_roster_jobs_game_id_games"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_jobs")),
    )
    with op.batch_alter_table("roster_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_jobs_game_id"), ["game_id"], unique=False)


def downgrade():
    with op.batch_alter_table("roster_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_jobs_game_id"))
    op.drop_table("roster_jobs")
