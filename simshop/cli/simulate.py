"""``simulate``: play a whole game headless from the command line.

    flask --app simshop simulate scenarios/tutorial.toml --rounds 6 --bots 3 \\
        --decisions examples/decisions.json --seed 7 --json out.json

Bot teams play alongside the teams whose decisions come from the file; a standings table is
printed after each round and the complete record is written as JSON (sorted keys, floats
rounded, so two runs are byte-identical). A broken scenario or decisions file exits with
status 2 and a located message on stderr. Needs no Flask app context.

Decisions file::

    {"teams": {"team-a": {"1": {<decision sheet>}, "2": {...}}}}
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from simshop.engine.decisions import DecisionSheet
from simshop.engine.headless import HumanDecisionError, play_game
from simshop.engine.scenario_errors import ScenarioInvalid, load_scenario_file

TEAM_ID = re.compile(r"^[a-z][a-z0-9_\-]{0,47}$")


class InputError(Exception):
    """A located problem with an input file (message already says file and key path)."""


def _fail(messages: list[str]) -> None:
    for line in messages:
        click.echo(line, err=True)
    raise SystemExit(2)


def load_decisions_file(path: str, rounds: int) -> dict[str, dict[int, dict[str, Any]]]:
    """Read a decisions file: team id -> round number -> raw sheet. Shape errors raise
    :class:`InputError` naming the file and the key path."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or set(data) != {"teams"} or not isinstance(data["teams"], dict):
        raise InputError(f'{path}: expected an object {{"teams": {{team id: {{round: sheet}}}}}}')
    problems, plan = [], {}
    for tid, per_round in data["teams"].items():
        if not TEAM_ID.match(tid):
            problems.append(
                f"{path}: teams.{tid}: a team id is lowercase letters, digits, "
                "'-' or '_', starting with a letter"
            )
            continue
        if not isinstance(per_round, dict):
            problems.append(f"{path}: teams.{tid}: expected an object of round -> sheet")
            continue
        plan[tid] = {}
        for key, sheet in per_round.items():
            where = f"{path}: teams.{tid}.{key}"
            if not key.isdigit() or not 1 <= int(key) <= rounds:
                problems.append(f"{where}: expected a round number from 1 to {rounds}")
                continue
            try:
                DecisionSheet.model_validate(sheet)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    loc = ".".join(str(p) for p in err["loc"])
                    problems.append(f"{where}.{loc}: {err['msg']}")
                continue
            plan[tid][int(key)] = sheet
    if problems:
        raise InputError("\n".join(problems))
    return plan


def _print_standings(result, table) -> None:
    click.echo(f"Round {result.round_no}")
    click.echo(
        f"{'rank':>4}  {'team':<24} {'score':>7} {'profit CNY':>14} {'share':>6} {'rating':>6}"
    )
    for row in table:
        m = row["metrics"]
        click.echo(
            f"{row['rank']:>4}  {row['team_id']:<24} {row['score']:>7.3f} "
            f"{m.get('profit', 0.0):>14,.2f} {m.get('market_share', 0.0):>6.1%} "
            f"{m.get('rating', 0.0):>6.2f}"
        )


@click.command("simulate")
@click.argument("scenario_path", metavar="SCENARIO.toml", type=click.Path(dir_okay=False))
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    default=None,
    help="Rounds to play (default: all of the scenario's).",
)
@click.option(
    "--bots",
    type=click.IntRange(min=0),
    default=None,
    help="Number of bot teams (default: the scenario's [bots] count).",
)
@click.option(
    "--decisions",
    "decisions_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="JSON file of given teams' decisions per round.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Game seed.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the complete game record here.",
)
def simulate(scenario_path, rounds, bots, decisions_path, seed, json_path) -> None:
    """Play a whole game of SCENARIO.toml with bots (and given decisions)."""
    try:
        loaded = load_scenario_file(scenario_path)
    except ScenarioInvalid as exc:
        _fail([str(p) for p in exc.problems])
    total = loaded.scenario.calendar.rounds if rounds is None else rounds
    humans = {}
    if decisions_path is not None:
        try:
            humans = load_decisions_file(decisions_path, loaded.scenario.calendar.rounds)
        except InputError as exc:
            _fail(str(exc).splitlines())
    try:
        record = play_game(
            loaded.text,
            seed=seed,
            rounds=total,
            bots=bots,
            human_teams=humans,
            on_round=_print_standings,
        )
    except HumanDecisionError as exc:
        _fail([f"{decisions_path}: {line}" for line in str(exc).splitlines()])
    except ValueError as exc:
        _fail([f"simulate: {exc}"])
    if json_path is not None:
        Path(json_path).write_text(
            json.dumps(record, sort_keys=True, indent=2) + "\n", encoding="utf-8"
        )
        click.echo(f"wrote {json_path}")
