"""Market research and dashboards: only published rounds, rivals anonymised when the game
says so, conditions of played rounds only, and only announced news."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest

from simshop.db import db
from simshop.models import Game, Team, User
from simshop.services import analysis, round_state
from simshop.services import decisions as decisions_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.games import game_scenario
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL

SCENARIO = "us-tariffs-2025.toml"


def play_rounds(session, game, student, team, count, *, price=34.99):
    """Open, decide, close and publish rounds 1..count (the team sets ``price`` in the US)."""
    for n in range(1, count + 1):
        rnd = round_no(session, game, n)
        schedule_service.open_round(session, game, rnd)
        sheet = tutorial_decisions(price_us=price)
        if "US" in round_state.team_state_before(session, game, rnd, team).entered_markets:
            sheet.pop("enter_markets")
        decisions_service.submit_decision(session, student, team, rnd, sheet)
        schedule_service.close_round(session, rnd)
        # Not explained (explain=False, as when tick explains later): the worlds built here
        # serve the analysis, what-if, export and lab tests, which never read explanations,
        # and explaining cost about a sixth of the whole suite's time. Explanations have
        # tests of their own (tests/services/test_explanation*.py, test_explained_views.py).
        assert rounds_service.process_round(session, rnd.id, explain=False).published
        session.refresh(rnd)


def build_world(session, *, show_rival_names=False, rounds=2, practice_rounds=0, bots=2):
    """A game of us-tariffs-2025 with two student teams (Alpha plays, Beta only joins)
    and ``bots`` bots; ``rounds`` rounds published."""
    teacher = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(
        session,
        teacher,
        scenario_file=SCENARIO,
        scored_rounds=4,
        practice_rounds=practice_rounds,
        bot_count=bots,
        show_rival_names=show_rival_names,
    )
    alice, bob = make_user(session, "s001"), make_user(session, "s002")
    enrol(session, game, alice, "Alpha")
    enrol(session, game, bob, "Beta")
    alpha, beta = team_named(session, game, "Alpha"), team_named(session, game, "Beta")
    play_rounds(session, game, alice, alpha, rounds)
    return SimpleNamespace(game=game, teacher=teacher, alice=alice, bob=bob, alpha=alpha, beta=beta)


def build_world_ids(app, **options):
    """``build_world(**options)`` in ``app``'s database; the ids of what it made."""
    with app.app_context():
        w = build_world(db.session, **options)
        return {name: obj.id for name, obj in vars(w).items()}


def world_key(**options) -> str:
    """The ``seeded_app`` key of ``build_world(**options)``'s world: the same for the same
    effective options, so modules on one worker share each world (tests/scheduling.py)."""
    given = {**inspect.signature(build_world).parameters, **options}
    effective = {
        name: value.default if isinstance(value, inspect.Parameter) else value
        for name, value in given.items()
        if name != "session"
    }
    return "analysis-world" + "".join(f"-{k}={v}" for k, v in sorted(effective.items()))


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world (tests/conftest.py, seeded_app)."""
    return seeded_app(world_key(), build_world_ids)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(session, seeded):
    ids = seeded[1]
    return SimpleNamespace(
        game=session.get(Game, ids["game"]),
        **{name: session.get(User, ids[name]) for name in ("teacher", "alice", "bob")},
        **{name: session.get(Team, ids[name]) for name in ("alpha", "beta")},
    )


def test_rivals_are_lettered_and_the_team_keeps_its_own_name(session, world):
    research = analysis.market_research(session, world.game, "US", viewer_team_id=world.alpha.id)
    labels = {label for p in research.products for s in p.shares for label, _, _ in s}
    assert "Alpha" in labels
    assert {"Rival A", "Rival B", "Rival C"} >= labels - {"Alpha"}
    assert not any("Bot" in label or label == "Beta" for label in labels)
    mine = [m for p in research.products for s in p.shares for _, _, m in s if m]
    assert mine  # the team's own bars are marked


def test_rival_letters_are_the_same_in_every_round(session, world):
    labels = analysis.team_labels(session, world.game, world.alpha.id)
    again = analysis.team_labels(session, world.game, world.alpha.id)
    assert labels == again
    assert labels[str(world.alpha.id)] == "Alpha"
    assert labels[str(world.beta.id)].startswith("Rival ")


def test_staff_and_games_with_names_on_see_real_names(session, world):
    staff = analysis.team_labels(session, world.game, None, staff=True)
    assert staff[str(world.beta.id)] == "Beta"
    world.game.show_rival_names = True
    session.commit()
    named = analysis.team_labels(session, world.game, world.alpha.id)
    assert named[str(world.beta.id)] == "Beta"


def test_research_covers_published_rounds_only_with_their_conditions(session, world):
    research = analysis.market_research(session, world.game, "US", viewer_team_id=world.alpha.id)
    assert [r.number for r in research.rounds] == [1, 2]
    assert [c.round.scenario_round for c in research.conditions] == [1, 2]
    earbuds = research.products[0]
    assert len(earbuds.demand) == 2 and all(d is not None for d in earbuds.demand)
    stats = earbuds.price_local[-1]
    assert stats["min"] <= stats["q1"] <= stats["median"] <= stats["q3"] <= stats["max"]
    # the 'fentanyl' tariff doubled in round 2: the history shows it, round 3's does not exist
    assert research.conditions[1].tariffs["toys"] > research.conditions[0].tariffs["toys"]


def test_only_announced_events_are_listed(session, world):
    research = analysis.market_research(session, world.game, "US", viewer_team_id=world.alpha.id)
    up_to = analysis.announced_round(session, world.game)
    assert up_to == 2  # rounds 1 and 2 opened; round 3 is still scheduled
    assert research.events
    assert all(e["announced_round"] <= 2 for e in research.events)
    every = analysis.announced_events(game_scenario(world.game), 99)
    scenario_ids = {e["id"] for e in every}
    assert scenario_ids - {e["id"] for e in research.events}  # later news stays hidden


def test_unknown_market_gives_none(session, world):
    assert analysis.market_research(session, world.game, "XX", viewer_team_id=None) is None


def test_dashboard_holds_the_team_rounds_and_cost_lines(session, world):
    board = analysis.team_dashboard(session, world.game, world.alpha)
    assert [r.round.number for r in board.rounds] == [1, 2]
    assert board.markets == ["US"]
    first = board.rounds[0]
    costs = sum(first.pnl[k] for k in board.cost_lines)
    assert costs == pytest.approx(first.pnl["total_costs_cny"], abs=0.05)
    assert board.by_market("units_sold")[0][1] == [r.units_sold for r in board.rounds]


def test_a_team_that_never_played_has_an_empty_dashboard(session, world):
    board = analysis.team_dashboard(session, world.game, world.beta)
    # Beta has a member, so it played (carried over an empty sheet): rows, but no markets
    assert board.markets == []


def test_rival_letters_go_past_z():
    assert [analysis.rival_letter(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]


def test_a_rating_counts_only_once_an_offer_has_reviews():
    from simshop.models import Round, Team
    from simshop.services.analysis import Dashboard, TeamRound

    def played(number, rating, reviews):
        offer = {"market": "US", "product": "earbuds", "rating": rating, "reviews": reviews}
        return TeamRound(Round(number=number), {"offers": [offer]}, {}, "submitted", 1, 0.5)

    board = Dashboard(
        Team(name="Alpha"),
        [played(1, 4.0, 0), played(2, 4.2, 12), played(3, 4.1, 30)],
        ["US"],
        ["earbuds"],
    )
    assert board.rating_history("US", "earbuds") == [None, 4.2, 4.1]
