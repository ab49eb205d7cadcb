"""Team names unique by Unicode case folding and whitespace: teams.name_key.

Existing rows get their key from the same function the model uses; should two existing
teams of a game already collide, the later one keeps its name and gets a key suffixed with
its id (so the upgrade never fails on old data; an instructor can rename it).

Revision ID: c3a9e5d2f1b7
Revises: 183cd5b4aee6
Create Date: 2026-12-01 08:50:00

"""

import sqlalchemy as sa
from alembic import op

from simshop.models.game import team_name_key

revision = "c3a9e5d2f1b7"
down_revision = "c4e1f0a9b7d2"
branch_labels = None
depends_on = None


def upgrade():
    # No batch (table copy) on SQLite: rebuilding "teams" would fire the ON DELETE actions
    # of players and results. ADD COLUMN needs a default there; every row gets its key next.
    op.add_column(
        "teams",
        sa.Column("name_key", sa.String(length=240), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    teams = sa.table(
        "teams",
        sa.column("id", sa.Integer),
        sa.column("game_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
    )
    seen: set[tuple[int, str]] = set()
    rows = bind.execute(sa.select(teams.c.id, teams.c.game_id, teams.c.name).order_by(teams.c.id))
    for team_id, game_id, name in rows.all():
        key = team_name_key(name)
        if (game_id, key) in seen:
            key = f"{key}#{team_id}"
        seen.add((game_id, key))
        bind.execute(teams.update().where(teams.c.id == team_id).values(name_key=key))
    op.create_index("uq_teams_game_name_key", "teams", ["game_id", "name_key"], unique=True)


def downgrade():
    op.drop_index("uq_teams_game_name_key", table_name="teams")
    op.drop_column("teams", "name_key")
