"""Assessment: quizzes and submissions, forecasts, gradebook settings and published grades.

Revision ID: e7b2c4a91f06
Revises: c3f1a9e2d7b4
Create Date: 2026-12-01 11:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7b2c4a91f06"
down_revision = "c3f1a9e2d7b4"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "quizzes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        _when("opens_at"),
        _when("closes_at"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _when("created_at"),
        _fk("quizzes", "game_id", "games", "CASCADE"),
        _fk("quizzes", "round_id", "rounds", "CASCADE"),
        _fk("quizzes", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quizzes")),
    )
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quizzes_game_id"), ["game_id"], unique=False)
    op.create_table(
        "quiz_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("earned", sa.Float(), nullable=False),
        sa.Column("possible", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        _when("submitted_at"),
        _fk("quiz_submissions", "quiz_id", "quizzes", "CASCADE"),
        _fk("quiz_submissions", "user_id", "users", "CASCADE"),
        _fk("quiz_submissions", "team_id", "teams", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_submissions")),
        sa.UniqueConstraint("quiz_id", "user_id", name=op.f("uq_quiz_submissions_quiz_id")),
    )
    with op.batch_alter_table("quiz_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_submissions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "forecasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("profit_cny", sa.Float(), nullable=True),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        _when("saved_at"),
        _fk("forecasts", "round_id", "rounds", "CASCADE"),
        _fk("forecasts", "team_id", "teams", "CASCADE"),
        _fk("forecasts", "saved_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecasts")),
        sa.UniqueConstraint("round_id", "team_id", name=op.f("uq_forecasts_round_id")),
    )
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecasts_team_id"), ["team_id"], unique=False)
    op.create_table(
        "grade_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("curve_target", sa.Float(), nullable=True),
        _when("published_at", nullable=True),
        _fk("grade_settings", "game_id", "games", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_settings")),
        sa.UniqueConstraint("game_id", name=op.f("uq_grade_settings_game_id")),
    )
    op.create_table(
        "published_grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.Float(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        _when("published_at"),
        _fk("published_grades", "game_id", "games", "CASCADE"),
        _fk("published_grades", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_grades")),
        sa.UniqueConstraint("game_id", "user_id", name=op.f("uq_published_grades_game_id")),
    )
    with op.batch_alter_table("published_grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_published_grades_user_id"), ["user_id"], unique=False)


def downgrade():
    for table, column in (
        ("published_grades", "user_id"),
        ("forecasts", "team_id"),
        ("quiz_submissions", "user_id"),
        ("quizzes", "game_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
    for table in ("published_grades", "grade_settings", "forecasts", "quiz_submissions", "quizzes"):
        op.drop_table(table)
