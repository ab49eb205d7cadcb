"""Results explained: per round and team, the change in profit and units split by cause.

Revision ID: e7b2d4a9c16f
Revises: b7d5e1c9a3f2
Create Date: 2026-12-01 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e7b2d4a9c16f"
down_revision = "b7d5e1c9a3f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "round_explanations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("compute_ms", sa.Integer(), nullable=False),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.String(length=20), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_explanations_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_explanations")),
        sa.UniqueConstraint("round_id", name=op.f("uq_round_explanations_round_id")),
    )
    op.create_table(
        "team_explanations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("profit_before_cents", sa.BigInteger(), nullable=False),
        sa.Column("profit_after_cents", sa.BigInteger(), nullable=False),
        sa.Column("units_before", sa.BigInteger(), nullable=False),
        sa.Column("units_after", sa.BigInteger(), nullable=False),
        sa.Column("profit_parts_cents", sa.JSON(), nullable=False),
        sa.Column("units_parts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_team_explanations_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_explanations_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_explanations")),
        sa.UniqueConstraint("round_id", "team_id", name=op.f("uq_team_explanations_round_id")),
    )
    with op.batch_alter_table("team_explanations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_explanations_team_id"), ["team_id"], unique=False)


def downgrade():
    with op.batch_alter_table("team_explanations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_explanations_team_id"))
    op.drop_table("team_explanations")
    op.drop_table("round_explanations")
