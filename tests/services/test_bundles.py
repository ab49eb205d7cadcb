"""Results bundles: export a real game, verify it clean, and catch tampering exactly."""

from __future__ import annotations

import json
import zipfile

import pytest

from simshop.models import Player
from simshop.services import bundles
from simshop.services import decisions as decisions_service
from simshop.services import rounds as rounds_service
from simshop.services import schedule as schedule_service
from tests.reliability.gamekit import (
    enrol,
    make_game,
    make_user,
    round_no,
    team_named,
    tutorial_decisions,
)

pytestmark = pytest.mark.both_backends  # every test runs on SQLite and PostgreSQL


def later_decisions(price_us: float, qty: int) -> dict:
    """A sheet for a team already in the US: re-price, order and ship more."""
    raw = tutorial_decisions(price_us=price_us, qty=qty)
    del raw["enter_markets"]
    return raw


def play_rounds(session, game, count, decisions=None):
    """Open, close and process ``count`` rounds; ``decisions[number]`` = [(user, team, raw)]."""
    for number in range(1, count + 1):
        rnd = round_no(session, game, number)
        schedule_service.open_round(session, game, rnd)
        for user, team, raw in (decisions or {}).get(number, []):
            decisions_service.submit_decision(session, user, team, rnd, raw)
        schedule_service.close_round(session, rnd)
        assert rounds_service.process_round(session, rnd.id).published


@pytest.fixture
def played(session):
    """A game with a practice round, 3 scored rounds, 2 bots and 2 student teams, all
    published; Alpha submits in rounds 1-2 and carries over after, Beta never submits."""
    teacher = make_user(session, "teacher@example.edu", "instructor")
    game = make_game(session, teacher, bot_count=2, practice_rounds=1, scored_rounds=3)
    alice, bob = make_user(session, "s001"), make_user(session, "s002")
    enrol(session, game, alice, "Alpha")
    enrol(session, game, bob, "Beta")
    alpha = team_named(session, game, "Alpha")
    plan = {
        2: [(alice, alpha, tutorial_decisions(price_us=33.0))],
        3: [(alice, alpha, later_decisions(price_us=36.0, qty=300))],
    }
    play_rounds(session, game, 4, plan)
    return game


def roundtrip(bundle):
    return json.loads(bundles.dumps(bundle))


def test_a_real_games_bundle_verifies_clean(session, played):
    data = roundtrip(bundles.game_bundle(session, played))

    report = bundles.verify_bundle(data)

    assert report.mismatches == []
    assert (report.games, report.rounds, report.team_rounds) == (1, 4, 16)


def test_the_bundle_holds_snapshot_seeds_sheets_and_standings(session, played):
    data = roundtrip(bundles.game_bundle(session, played))
    section = data["games"][0]

    assert section["scenario"]["text"] == played.scenario_text
    assert section["scenario"]["sha256"] == played.scenario_sha256
    assert section["game"]["seed"] == played.seed
    assert [r["seed"] for r in section["rounds"]][1:] == [played.seed] * 3
    assert section["rounds"][0]["seed"] != played.seed  # the practice round has its own
    alpha = team_named(session, played, "Alpha")
    sources = [
        next(x for x in r["results"] if x["team_id"] == alpha.id)["decision_source"]
        for r in section["rounds"]
    ]
    assert sources == ["carried", "submitted", "submitted", "carried"]
    assert all(r["standings"] for r in section["rounds"])


def test_the_bundle_has_no_personal_data(session, played):
    text = bundles.dumps(bundles.game_bundle(session, played)).decode()
    logins = [p.user.login for p in session.query(Player).all()]
    names = [p.user.display_name for p in session.query(Player).all()]
    assert logins and not any(f'"{x}"' in text for x in logins + names)


def test_a_tampered_profit_is_caught_at_its_exact_location(session, played):
    data = roundtrip(bundles.game_bundle(session, played))
    alpha = team_named(session, played, "Alpha")
    round2 = data["games"][0]["rounds"][2]  # number 3 = scored round 2
    row = next(r for r in round2["results"] if r["team_id"] == alpha.id)
    original = row["result"]["pnl"]["profit_cny"]
    row["result"]["pnl"]["profit_cny"] = original + 1000.0

    report = bundles.verify_bundle(data)

    assert len(report.mismatches) == 1
    m = report.mismatches[0]
    assert (m.game_id, m.round, m.team, m.team_name) == (played.id, 3, str(alpha.id), "Alpha")
    assert m.field == "result.pnl.profit_cny"
    assert (m.bundle, m.recomputed) == (original + 1000.0, original)
    assert "round 3" in m.describe() and "Alpha" in m.describe()


def test_a_tampered_rank_in_the_standings_is_caught(session, played):
    data = roundtrip(bundles.game_bundle(session, played))
    last = data["games"][0]["rounds"][-1]
    first, second = last["standings"][0], last["standings"][1]
    first["rank"], second["rank"] = second["rank"], first["rank"]

    report = bundles.verify_bundle(data)

    assert sorted((m.team, m.field) for m in report.mismatches) == sorted(
        [(str(first["team_id"]), "standings.rank"), (str(second["team_id"]), "standings.rank")]
    )


def test_a_changed_decision_sheet_changes_the_recomputed_results(session, played):
    data = roundtrip(bundles.game_bundle(session, played))
    alpha = team_named(session, played, "Alpha")
    row = next(r for r in data["games"][0]["rounds"][1]["results"] if r["team_id"] == alpha.id)
    row["decisions_used"]["offers"]["US"]["earbuds"]["price_local"] = 99.0

    report = bundles.verify_bundle(data)

    assert any(
        m.round == 2 and m.team == str(alpha.id) and m.field.startswith("result.")
        for m in report.mismatches
    )


def test_tampering_the_scenario_text_is_caught_by_its_sha256(session, played):
    data = roundtrip(bundles.game_bundle(session, played))
    scenario = data["games"][0]["scenario"]
    scenario["text"] = scenario["text"].replace("starting_cash_cny", "starting_cash_cny ", 1)

    report = bundles.verify_bundle(data)

    assert [(m.field, m.bundle) for m in report.mismatches] == [
        ("scenario.sha256", played.scenario_sha256)
    ]


def test_verify_command_exit_codes(session, played, runner, tmp_path):
    data = roundtrip(bundles.game_bundle(session, played))
    clean = tmp_path / "clean.json"
    clean.write_bytes(bundles.dumps(data))
    zipped = tmp_path / "clean.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(clean, "results.json")
    alpha = team_named(session, played, "Alpha")
    row = next(r for r in data["games"][0]["rounds"][2]["results"] if r["team_id"] == alpha.id)
    row["result"]["pnl"]["profit_cny"] += 1.0
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(bundles.dumps(data))
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "simshop-results-bundle", "version": 1, "games": [{}]}')

    ok = runner.invoke(args=["verify", str(clean)])
    ok_zip = runner.invoke(args=["verify", str(zipped)])
    bad = runner.invoke(args=["verify", str(tampered)])
    malformed = runner.invoke(args=["verify", str(broken)])
    not_json = runner.invoke(args=["verify", str(tmp_path / "missing.json")])

    assert (ok.exit_code, ok_zip.exit_code) == (0, 0), ok.output
    assert "OK" in ok.output
    assert bad.exit_code == 1
    assert f"round 3, team {alpha.id} (Alpha): result.pnl.profit_cny" in bad.output
    assert (malformed.exit_code, not_json.exit_code) == (2, 2)
