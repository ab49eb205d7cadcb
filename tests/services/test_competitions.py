"""Competitions: same-scenario games only, organiser's own games only, the combined rule."""

from __future__ import annotations

import json

import pytest

from simshop.db import db
from simshop.engine import verify
from simshop.engine.scoring import team_metrics
from simshop.models import Competition, Game, User
from simshop.services import bundles
from simshop.services import competitions as cs
from simshop.services import decisions as decisions_service
from simshop.services import games as games_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from simshop.services.competitions import CompetitionError
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


def play(session, game, count, first_round=()):
    """Publish ``count`` rounds; ``first_round``: (user, team name, sheet) saved in round 1."""
    for number in range(1, count + 1):
        rnd = round_no(session, game, number)
        schedule_service.open_round(session, game, rnd)
        for user, name, raw in first_round if number == 1 else ():
            team = team_named(session, game, name)
            decisions_service.submit_decision(session, user, team, rnd, raw)
        schedule_service.close_round(session, rnd)
        assert rounds_service.process_round(session, rnd.id, explain=False).published


def build_world(app):
    with app.app_context():
        session = db.session
        organiser = make_user(session, "org@example.edu", "instructor")
        other = make_user(session, "other@example.edu", "instructor")
        class_a = make_game(session, organiser, title="Class A", bot_count=1, seed=11)
        class_b = make_game(session, organiser, title="Class B", bot_count=3, seed=22)
        students = {}
        for i, name in enumerate(["A1", "A2"]):
            students[name] = make_user(session, f"a{i}").id
            enrol(session, class_a, session.get(User, students[name]), name)
        for i, name in enumerate(["B1", "B2", "B3"]):
            enrol(session, class_b, make_user(session, f"b{i}"), name)
        competition = cs.create_competition(session, organiser, "Spring cup")
        return {
            "organiser": organiser.id,
            "other": other.id,
            "a": class_a.id,
            "b": class_b.id,
            "students": students,
            "competition": competition.id,
        }


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one world (tests/conftest.py, seeded_app)."""
    return seeded_app("competitions", build_world)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def world(session, seeded):
    ids = seeded[1]

    class World:
        pass

    w = World()
    w.organiser, w.other = session.get(User, ids["organiser"]), session.get(User, ids["other"])
    w.a, w.b = session.get(Game, ids["a"]), session.get(Game, ids["b"])
    w.students = {name: session.get(User, uid) for name, uid in ids["students"].items()}
    w.competition = session.get(Competition, ids["competition"])
    return w


def test_games_of_the_same_scenario_are_added(session, world):
    cs.add_game(session, world.competition, world.organiser, world.a.id)
    cs.add_game(session, world.competition, world.organiser, world.b.id)
    assert [g.title for g in cs.games_of(session, world.competition)] == ["Class A", "Class B"]
    assert world.competition.scenario_sha256 == world.a.scenario_sha256


def test_a_game_of_another_scenario_is_refused_with_both_checksums(session, world):
    cs.add_game(session, world.competition, world.organiser, world.a.id)
    red_sea = make_game(session, world.organiser, title="Red Sea", scenario_file="red-sea.toml")

    with pytest.raises(CompetitionError) as info:
        cs.add_game(session, world.competition, world.organiser, red_sea.id)

    assert info.value.code == "scenario_mismatch"
    assert info.value.params["sha"] == red_sea.scenario_sha256[:12]
    assert info.value.params["expected"] == world.a.scenario_sha256[:12]
    assert [g.id for g in cs.games_of(session, world.competition)] == [world.a.id]
    assert red_sea not in cs.addable_games(session, world.competition, world.organiser)


def test_only_games_the_organiser_is_staff_of_can_be_added(session, world):
    theirs = make_game(session, world.other, title="Not yours")
    with pytest.raises(CompetitionError) as info:
        cs.add_game(session, world.competition, world.organiser, theirs.id)
    assert info.value.code == "game_unknown"
    with pytest.raises(CompetitionError) as info:
        cs.add_game(session, world.competition, world.other, theirs.id)
    assert info.value.code == "not_organiser"


def test_adding_twice_is_refused_and_removing_the_last_game_frees_the_scenario(session, world):
    cs.add_game(session, world.competition, world.organiser, world.a.id)
    with pytest.raises(CompetitionError) as info:
        cs.add_game(session, world.competition, world.organiser, world.a.id)
    assert info.value.code == "game_already"
    cs.remove_game(session, world.competition, world.organiser, world.a.id)
    assert world.competition.scenario_sha256 is None
    red_sea = make_game(session, world.organiser, title="Red Sea", scenario_file="red-sea.toml")
    cs.add_game(session, world.competition, world.organiser, red_sea.id)


def test_combined_ranking_compares_games_at_the_common_round(session, world):
    cs.add_game(session, world.competition, world.organiser, world.a.id)
    cs.add_game(session, world.competition, world.organiser, world.b.id)
    assert cs.combined_ranking(session, world.competition).rows == []  # nothing published
    play(session, world.a, 2, [(world.students["A1"], "A1", tutorial_decisions())])
    play(session, world.b, 1)

    ranking = cs.combined_ranking(session, world.competition)

    assert ranking.scenario_round == 1
    assert sorted(r["team_name"] for r in ranking.rows) == ["A1", "A2", "B1", "B2", "B3"]
    assert [r["rank"] for r in ranking.rows] == [1, 2, 3, 4, 5]
    assert ranking.weights == games_service.game_scenario(world.a).scoring.as_dict()
    # Market share is relative to an equal split of the team's own game (bots count there).
    at_round = cs.game_at_round(session, world.a, 1)
    raw = {m["team_id"]: m for m in team_metrics(at_round.scenario, at_round.state)}
    a1 = team_named(session, world.a, "A1")
    row = next(r for r in ranking.rows if r["team_name"] == "A1")
    assert row["metrics"]["market_share"] == pytest.approx(raw[str(a1.id)]["market_share"] * 3)
    assert row["metrics"]["profit"] == pytest.approx(raw[str(a1.id)]["profit"])
    # Normalised across all ranked teams of both games: someone has 0 and someone 1.
    for metric in ("profit", "revenue"):
        values = [r["normalised"][metric] for r in ranking.rows]
        assert min(values) == 0.0 and max(values) == 1.0


def test_private_competitions_are_seen_by_organiser_staff_and_players(session, world):
    cs.add_game(session, world.competition, world.organiser, world.a.id)
    player = make_user(session, "a-late")
    enrol(session, world.a, player, "A1")
    stranger = make_user(session, "zz")
    assert cs.can_view(session, world.competition, world.organiser)
    assert cs.can_view(session, world.competition, player)
    assert not cs.can_view(session, world.competition, stranger)
    assert not cs.can_view(session, world.competition, world.other)
    assert not cs.can_view(session, world.competition, None)
    cs.set_public(session, world.competition, world.organiser, True)
    assert cs.can_view(session, world.competition, None)


def test_bundles_are_for_the_organiser_until_every_game_has_ended(session, world):
    cs.add_game(session, world.competition, world.organiser, world.a.id)
    cs.set_public(session, world.competition, world.organiser, True)
    assert cs.can_download_bundle(session, world.competition, world.organiser)
    assert not cs.can_download_bundle(session, world.competition, None)
    games_service.end_game(session, world.a)
    assert cs.can_download_bundle(session, world.competition, None)


def test_competition_bundle_verifies_and_a_tampered_ranking_is_caught(session, world):
    cs.add_game(session, world.competition, world.organiser, world.a.id)
    cs.add_game(session, world.competition, world.organiser, world.b.id)
    play(session, world.a, 2)
    play(session, world.b, 2)
    data = json.loads(bundles.dumps(bundles.competition_bundle(session, world.competition)))

    assert verify.verify_bundle(data).mismatches == []

    top = data["competition"]["ranking"][0]
    top["score"] += 0.5
    report = verify.verify_bundle(data)
    assert [(m.team, m.field) for m in report.mismatches] == [(top["team_id"], "ranking.score")]
