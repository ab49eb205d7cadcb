"""The round lifecycle table on plain objects: no app, no database (an in-memory SQLite
table for the SQL form of the current-round rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    insert,
    select,
)

from simshop.models.game import RoundStatus
from simshop.services import lifecycle

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def game_with(*statuses: str, game_status: str = "running") -> SimpleNamespace:
    game = SimpleNamespace(status=game_status, rounds=[])
    for number, status in enumerate(statuses, start=1):
        game.rounds.append(
            SimpleNamespace(number=number, status=status, lease_until=None, game=game)
        )
    return game


@pytest.mark.parametrize(
    ("statuses", "index", "expected"),
    [
        (("scheduled", "scheduled"), 0, ["open", "deadline"]),
        (("scheduled", "scheduled"), 1, ["deadline"]),  # the previous round is not published
        (("published", "scheduled"), 1, ["open", "deadline"]),
        (("open",), 0, ["close", "process", "hold", "deadline"]),
        (("closed",), 0, ["process", "hold", "reopen"]),
        (("held",), 0, ["release", "deadline"]),
        (("failed",), 0, ["reopen", "retry"]),
        (("published", "scheduled"), 0, ["reprocess"]),
        (("published", "published"), 0, []),  # only the latest published round
        (("published", "published"), 1, ["reprocess"]),
        (("cancelled",), 0, []),
    ],
)
def test_allowed_actions_follow_the_table(statuses, index, expected):
    rnd = game_with(*statuses).rounds[index]
    assert lifecycle.allowed_actions(rnd, now=NOW) == expected


@pytest.mark.parametrize("status", ["scheduled", "open", "closed", "held", "failed", "published"])
def test_an_ended_game_allows_no_instructor_action(status):
    rnd = game_with(status, game_status="ended").rounds[0]
    assert lifecycle.allowed_actions(rnd, now=NOW) == []


def test_a_processing_round_is_offered_again_only_after_its_lease_expires():
    rnd = game_with("processing").rounds[0]
    rnd.lease_until = NOW + timedelta(seconds=1)
    assert lifecycle.allowed_actions(rnd, now=NOW) == []
    rnd.lease_until = NOW - timedelta(seconds=1)
    assert lifecycle.allowed_actions(rnd, now=NOW) == ["process"]


def test_the_current_round_prefers_open_then_held_failed_closed_processing():
    game = game_with("published", "closed", "held", "scheduled")
    assert lifecycle.current_of(game.rounds).number == 3
    assert lifecycle.current_of(game_with("published", "scheduled").rounds).number == 2
    assert lifecycle.current_of(game_with("published", "published").rounds).number == 2
    assert lifecycle.current_of([]) is None


def test_every_state_has_a_label_and_every_instructor_action_a_button_text():
    from simshop.models.game import RoundStatus

    assert set(lifecycle.STATUS_LABELS) >= {s.value for s in RoundStatus}
    assert set(lifecycle.STATUS_EXPLAINED) == {s.value for s in RoundStatus}
    assert set(lifecycle.INSTRUCTOR_ACTIONS) - {"deadline"} <= set(lifecycle.ACTION_LABELS)


STATUSES = sorted(s.value for s in RoundStatus)
_ENGINE = create_engine("sqlite://")
_ROUNDS = Table("rounds", MetaData(), Column("number", Integer), Column("status", String(20)))
_ROUNDS.metadata.create_all(_ENGINE)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(STATUSES), max_size=8))
def test_the_sql_order_picks_the_round_current_of_picks(statuses):
    """``current_first`` (the rule as an SQL ORDER BY, used where the current round is read
    with the user in one query) agrees with ``current_of`` on every mix of states."""
    rows = [{"number": n, "status": s} for n, s in enumerate(statuses, start=1)]
    with _ENGINE.begin() as conn:
        conn.execute(delete(_ROUNDS))
        if rows:
            conn.execute(insert(_ROUNDS), rows)
        picked = conn.scalar(
            select(_ROUNDS.c.number)
            .order_by(*lifecycle.current_first(_ROUNDS.c.status, _ROUNDS.c.number))
            .limit(1)
        )
    expected = lifecycle.current_of(game_with(*statuses).rounds)
    assert picked == (expected.number if expected is not None else None)
