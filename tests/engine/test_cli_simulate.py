"""The ``simulate`` command, driven with click's CliRunner (no Flask app)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from simshop.cli.simulate import simulate

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = str(ROOT / "scenarios" / "tutorial.toml")
EXAMPLE = str(ROOT / "examples" / "decisions.json")


def run(*args: str):
    return CliRunner().invoke(simulate, list(args))


def test_plays_prints_standings_and_writes_identical_json_twice(tmp_path):
    outs = []
    for name in ("one.json", "two.json"):
        out = tmp_path / name
        result = run(
            TUTORIAL,
            "--rounds",
            "2",
            "--bots",
            "2",
            "--decisions",
            EXAMPLE,
            "--seed",
            "5",
            "--json",
            str(out),
        )
        assert result.exit_code == 0, result.output
        assert "Round 2" in result.output and "team-a" in result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    record = json.loads(outs[0])
    assert record["rounds_played"] == 2 and record["seed"] == 5
    assert len(record["scenario"]["sha256"]) == 64


def test_malformed_scenario_exits_2_with_a_located_message(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "scenarios" / "tutorial.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("rounds = 6", 'rounds = "six"'), encoding="utf-8")
    result = run(str(bad))
    assert result.exit_code == 2
    assert "bad.toml" in result.stderr and "calendar.rounds" in result.stderr


def test_malformed_decisions_exit_2_with_file_and_key_path(tmp_path):
    bad = tmp_path / "d.json"
    bad.write_text(
        json.dumps(
            {"teams": {"team-a": {"1": {"offers": {"US": {"earbuds": {"price_local": "cheap"}}}}}}}
        ),
        encoding="utf-8",
    )
    result = run(TUTORIAL, "--decisions", str(bad))
    assert result.exit_code == 2
    assert f"{bad}: teams.team-a.1.offers.US.earbuds.price_local:" in result.stderr


def test_invalid_json_and_semantic_errors_exit_2(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"teams": ', encoding="utf-8")
    result = run(TUTORIAL, "--decisions", str(broken))
    assert result.exit_code == 2 and "broken.json:1:" in result.stderr
    broke = tmp_path / "poor.json"
    broke.write_text(
        json.dumps({"teams": {"team-a": {"1": {"factory_orders": {"earbuds": 10**6}}}}}),
        encoding="utf-8",
    )
    result = run(TUTORIAL, "--decisions", str(broke))
    assert result.exit_code == 2
    assert "teams.team-a.1: " in result.stderr and "insufficient_cash" in result.stderr
