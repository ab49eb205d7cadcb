"""Results bundles: export a real game, verify it clean, and catch tampering exactly."""

from __future__ import annotations

import json
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from simshop.db import db
from simshop.engine import verify
from simshop.models import Game, Player
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
        # Not explained: bundles hold results and standings, not explanations (and see
        # tests/services/test_analysis.play_rounds).
        assert rounds_service.process_round(session, rnd.id, explain=False).published


def build_played(app):
    """A game with a practice round, 3 scored rounds, 2 bots and 2 student teams, all
    published; Alpha submits in rounds 1-2 and carries over after, Beta never submits."""
    with app.app_context():
        return _play(db.session).id


def _play(session):
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


@pytest.fixture
def seeded(seeded_app):
    """Every test starts from a fresh copy of one played game (tests/conftest.py)."""
    return seeded_app("bundles-played", build_played)


@pytest.fixture
def app(seeded):
    return seeded[0]


@pytest.fixture
def played(session, seeded):
    return session.get(Game, seeded[1])


def roundtrip(bundle):
    return json.loads(bundles.dumps(bundle))


def test_a_real_games_bundle_verifies_clean(session, played):
    data = roundtrip(bundles.game_bundle(session, played))

    report = verify.verify_bundle(data)

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

    report = verify.verify_bundle(data)

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

    report = verify.verify_bundle(data)

    assert sorted((m.team, m.field) for m in report.mismatches) == sorted(
        [(str(first["team_id"]), "standings.rank"), (str(second["team_id"]), "standings.rank")]
    )


def test_a_changed_decision_sheet_changes_the_recomputed_results(session, played):
    data = roundtrip(bundles.game_bundle(session, played))
    alpha = team_named(session, played, "Alpha")
    row = next(r for r in data["games"][0]["rounds"][1]["results"] if r["team_id"] == alpha.id)
    row["decisions_used"]["offers"]["US"]["earbuds"]["price_local"] = 99.0

    report = verify.verify_bundle(data)

    assert any(
        m.round == 2 and m.team == str(alpha.id) and m.field.startswith("result.")
        for m in report.mismatches
    )


def test_tampering_the_scenario_text_is_caught_by_its_sha256(session, played):
    data = roundtrip(bundles.game_bundle(session, played))
    scenario = data["games"][0]["scenario"]
    scenario["text"] = scenario["text"].replace("starting_cash_cny", "starting_cash_cny ", 1)

    report = verify.verify_bundle(data)

    assert [(m.field, m.bundle) for m in report.mismatches] == [
        ("scenario.sha256", played.scenario_sha256)
    ]


def test_verify_command_exit_codes(session, played, runner, tmp_path):
    data = roundtrip(bundles.game_bundle(session, played, key=Ed25519PrivateKey.generate()))
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
    assert "signature: INVALID" in bad.output
    assert (malformed.exit_code, not_json.exit_code) == (2, 2)


@pytest.fixture
def signing_key():
    return Ed25519PrivateKey.generate()


def swap_names(data, first: str, second: str) -> None:
    teams = {t["name"]: t for t in data["games"][0]["teams"]}
    teams[first]["name"], teams[second]["name"] = second, first


def test_a_signed_bundle_verifies_with_its_signature_reported(session, played, signing_key):
    data = roundtrip(bundles.game_bundle(session, played, key=signing_key))

    report = verify.verify_bundle(data, trusted_key=signing_key.public_key())

    assert report.mismatches == []
    assert (report.signature, report.key_id) == ("valid", verify.key_id(signing_key.public_key()))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda data: swap_names(data, "Alpha", "Beta"),
        lambda data: data["games"][0]["game"].update(title="Another class"),
        lambda data: data["games"][0]["rounds"][1].update(published_at="2020-01-01T00:00:00"),
        lambda data: data.update(generated_at="2020-01-01T00:00:00"),
    ],
    ids=["team names swapped", "game title", "publication time", "export time"],
)
def test_fields_that_cannot_be_recomputed_are_covered_by_the_signature(
    session, played, signing_key, tamper
):
    data = roundtrip(bundles.game_bundle(session, played, key=signing_key))
    tamper(data)

    report = verify.verify_bundle(data)

    assert report.signature == "invalid"
    assert [m.field for m in report.mismatches] == ["signature"]


def test_a_bundle_signed_by_another_key_fails_against_the_servers_key(session, played, signing_key):
    data = roundtrip(bundles.game_bundle(session, played, key=Ed25519PrivateKey.generate()))

    report = verify.verify_bundle(data, trusted_key=signing_key.public_key())

    assert report.signature == "other_key"
    assert [m.field for m in report.mismatches] == ["signature.key_id"]


def test_the_server_key_is_made_once_and_private(tmp_path):
    first = bundles.server_key(str(tmp_path))
    second = bundles.server_key(str(tmp_path))

    path = tmp_path / bundles.SIGNING_KEY_FILENAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert verify.key_id(first.public_key()) == verify.key_id(second.public_key())


def test_verify_with_the_published_key_and_unsigned_bundles(
    app, session, played, runner, client, tmp_path
):
    published = client.get("/.well-known/simshop-bundle-key")
    printed = runner.invoke(args=["bundle-key"])
    key_file = tmp_path / "server.pem"
    key_file.write_bytes(published.data)
    server = bundles.server_key(app.instance_path)
    signed = tmp_path / "signed.json"
    signed.write_bytes(bundles.dumps(bundles.game_bundle(session, played, key=server)))
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_bytes(bundles.dumps(bundles.game_bundle(session, played)))
    swapped = roundtrip(bundles.game_bundle(session, played, key=server))
    swap_names(swapped, "Alpha", "Beta")
    tampered = tmp_path / "swapped.json"
    tampered.write_bytes(bundles.dumps(swapped))

    trusted = runner.invoke(args=["verify", str(signed), "--key", str(key_file)])
    foreign = runner.invoke(args=["verify", str(signed), "--key", str(write_other_key(tmp_path))])
    refused = runner.invoke(args=["verify", str(unsigned)])
    allowed = runner.invoke(args=["verify", str(unsigned), "--allow-unsigned"])
    names = runner.invoke(args=["verify", str(tampered), "--key", str(key_file)])

    assert published.status_code == 200
    assert published.data.startswith(b"-----BEGIN PUBLIC KEY-----")
    fingerprint = verify.key_id(server.public_key())
    assert published.headers["X-Key-Fingerprint"] == fingerprint
    assert printed.output == published.data.decode() + f"fingerprint: {fingerprint}\n"
    assert trusted.exit_code == 0, trusted.output
    assert f"signature: valid, key {fingerprint}" in trusted.output
    assert foreign.exit_code == 1
    assert "signature: valid but by another key" in foreign.output
    assert refused.exit_code == 1
    assert "FAILED: the bundle is not signed" in refused.output
    assert allowed.exit_code == 0
    assert "signature: none" in allowed.output
    assert names.exit_code == 1
    assert "signature: INVALID" in names.output


def write_other_key(folder):
    path = folder / "other.pem"
    path.write_bytes(verify.public_key_pem(Ed25519PrivateKey.generate().public_key()))
    return path


def test_a_sheet_naming_an_unknown_market_is_a_format_error(session, played, runner, tmp_path):
    data = roundtrip(bundles.game_bundle(session, played))
    row = data["games"][0]["rounds"][1]["results"][0]
    row["decisions_used"]["offers"] = {"XX": {"earbuds": {"price_local": 1.0}}}
    path = tmp_path / "odd.json"
    path.write_bytes(bundles.dumps(data))

    result = runner.invoke(args=["verify", str(path)])

    assert result.exit_code == 2
    assert result.output.startswith("error: game ")
    assert "round 2: cannot be replayed: KeyError('XX')" in result.output


def test_a_players_bundle_of_a_game_hiding_names_names_rivals_by_letter_and_verifies(
    session, played
):
    played.show_rival_names = False
    session.commit()
    beta = team_named(session, played, "Beta")

    data = roundtrip(
        bundles.game_bundle(
            session, played, key=Ed25519PrivateKey.generate(), staff=False, viewer_team_id=beta.id
        )
    )

    names = [t["name"] for t in data["games"][0]["teams"]]
    assert names == ["Rival A", "Rival B", "Rival C", "Beta"]  # bots, Alpha, then Beta
    report = verify.verify_bundle(data)
    assert report.ok and report.signed
    staff = roundtrip(bundles.game_bundle(session, played))
    assert "Alpha" in [t["name"] for t in staff["games"][0]["teams"]]
