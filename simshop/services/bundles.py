"""Verifiable results: export a game's or competition's results bundle, and verify one.

A bundle is one JSON document (``format: simshop-results-bundle``, ``version: 1``)::

    {"format", "version", "kind": "game" | "competition", "generated_at",
     "games": [{
        "game": {"id", "title", "seed", "seed_rule", "scoring_weights",
                 "practice_rounds", "scored_rounds", "status"},
        "scenario": {"file", "id", "sha256", "text"},          # the snapshot, verbatim
        "teams": [{"id", "name", "is_bot", "bot_strategy"}],  # no personal data
        "rounds": [{"number", "scenario_round", "is_practice", "seed", "published_at",
                    "standings", "market_stats", "events",
                    "results": [{"team_id", "decision_source", "decisions_used",
                                 "result", "end_state", "rank", "score"}]}]}],
     "competition": {"id", "title", "rule", "scenario_sha256", "scenario_round",
                     "weights", "ranking": [...]}}          # competition bundles only

:func:`verify_bundle` needs nothing but the bundle and the engine. For each game it checks
the scenario text against its SHA-256, then replays every round in order: the state before
a round is the *recomputed* end state of the round before (teams new in a round start
fresh; practice rounds are followed by a fresh start), the decision sheets are the ones the
bundle says were used (bots' sheets included, so bots are not re-run), and the seed follows
from the game seed. Every result, end state, rank, score, standings row, market statistic
and event is compared with the bundle; each difference is reported with its location.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.decisions import DecisionSheet
from simshop.engine.headless import json_safe
from simshop.engine.market import simulate_round
from simshop.engine.scenario import parse_scenario_text
from simshop.engine.scoring import standings, team_metrics
from simshop.engine.state import GameState, TeamState, initial_team_state
from simshop.models import Competition, Game, GameStatus, Round, RoundResult, RoundStatus, Team
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services import competitions as competitions_service
from simshop.services.rounds import engine_seed

FORMAT = "simshop-results-bundle"
VERSION = 1
SEED_RULE = (
    "Scored rounds run with the game seed; practice rounds with the first 4 bytes of "
    "SHA-256('<game seed>:practice') shifted right by one bit. The engine draws every random "
    "number of a round from PCG64(SeedSequence([seed, scenario round]))."
)
COMBINED_RULE = (
    "Games are compared after the latest scored round every game has published. Weights: "
    "the scenario's scoring weights. Market share is multiplied by the number of teams in "
    "the game (1.0 = an equal split). Each metric is then min-max normalised across all "
    "ranked teams of all games (lowest 0, highest 1; all equal: 1); score = sum of weight x "
    "normalised value; ties by higher profit, then the earlier game and team. Bots are not "
    "ranked."
)


class BundleFormatError(ValueError):
    """The file is not a results bundle this version can read (exit status 2)."""


# --------------------------------------------------------------------------- export


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value is not None else None


def game_section(session: Session, game: Game) -> dict[str, Any]:
    """One game's part of a bundle: snapshot, seeds, teams and every published round."""
    teams = list(session.scalars(select(Team).where(Team.game_id == game.id).order_by(Team.id)))
    rounds = list(
        session.scalars(
            select(Round)
            .where(Round.game_id == game.id, Round.status == RoundStatus.PUBLISHED.value)
            .order_by(Round.number)
        )
    )
    results: dict[int, list[dict[str, Any]]] = {r.id: [] for r in rounds}
    if rounds:
        for row in session.scalars(
            select(RoundResult)
            .where(RoundResult.round_id.in_(list(results)))
            .order_by(RoundResult.round_id, RoundResult.team_id)
        ):
            results[row.round_id].append(
                {
                    "team_id": row.team_id,
                    "decision_source": row.decision_source,
                    "decisions_used": row.decisions_used,
                    "result": row.result,
                    "end_state": row.end_state,
                    "rank": row.rank,
                    "score": row.score,
                }
            )
    return {
        "game": {
            "id": game.id,
            "title": game.title,
            "seed": int(game.seed),
            "seed_rule": SEED_RULE,
            "scoring_weights": dict(game.scoring_weights or {}),
            "practice_rounds": game.practice_rounds,
            "scored_rounds": game.scored_rounds,
            "status": game.status,
        },
        "scenario": {
            "file": game.scenario_file,
            "id": game.scenario_id,
            "sha256": game.scenario_sha256,
            "text": game.scenario_text,
        },
        "teams": [
            {"id": t.id, "name": t.name, "is_bot": t.is_bot, "bot_strategy": t.bot_strategy}
            for t in teams
        ],
        "rounds": [
            {
                "number": r.number,
                "scenario_round": r.scenario_round,
                "is_practice": r.is_practice,
                "seed": int(r.seed) if r.seed is not None else engine_seed(game, r),
                "published_at": _iso(r.published_at),
                "standings": r.standings,
                "market_stats": r.market_stats,
                "events": r.events,
                "results": results[r.id],
            }
            for r in rounds
        ],
    }


def game_bundle(session: Session, game: Game) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": "game",
        "generated_at": _iso(utcnow()),
        "games": [game_section(session, game)],
    }


def competition_bundle(session: Session, competition: Competition) -> dict[str, Any]:
    ranking = competitions_service.combined_ranking(session, competition)
    games = competitions_service.games_of(session, competition)
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": "competition",
        "generated_at": _iso(utcnow()),
        "games": [game_section(session, g) for g in games],
        "competition": {
            "id": competition.id,
            "title": competition.title,
            "rule": COMBINED_RULE,
            "scenario_sha256": competition.scenario_sha256,
            "scenario_round": ranking.scenario_round,
            "weights": ranking.weights,
            "ranking": json_safe(ranking.rows),
        },
    }


def dumps(bundle: dict[str, Any]) -> bytes:
    """The bundle as UTF-8 JSON, keys sorted (two exports of the same data are identical
    except for ``generated_at``)."""
    return json.dumps(bundle, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8")


def can_download_game_bundle(game: Game, access: str | None) -> bool:
    """Staff at any time; players once the game has ended (before that, rivals' decision
    sheets and the seed would help them)."""
    if access == "staff":
        return True
    return access == "player" and game.status == GameStatus.ENDED.value


# --------------------------------------------------------------------------- load


def load_bundle(path: str | Path) -> dict[str, Any]:
    """Read a bundle from a ``.json`` file or a ``.zip`` holding one ``*.json``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleFormatError(f"{path}: cannot read: {exc.strerror}") from None
    if raw[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                names = [n for n in archive.namelist() if n.endswith(".json")]
                if len(names) != 1:
                    raise BundleFormatError(f"{path}: the zip must hold exactly one .json file")
                raw = archive.read(names[0])
        except zipfile.BadZipFile:
            raise BundleFormatError(f"{path}: not a valid zip file") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleFormatError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BundleFormatError(f"{path}: not a SimShop results bundle (format != {FORMAT!r})")
    if data.get("version") != VERSION:
        raise BundleFormatError(f"{path}: bundle version {data.get('version')!r} unsupported")
    return data


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Mismatch:
    game_id: Any
    round: int | None
    team: str | None
    team_name: str | None
    field: str
    bundle: Any
    recomputed: Any

    def describe(self) -> str:
        where = [f"game {self.game_id}"]
        if self.round is not None:
            where.append(f"round {self.round}")
        if self.team is not None:
            where.append(f"team {self.team}" + (f" ({self.team_name})" if self.team_name else ""))
        return (
            f"{', '.join(where)}: {self.field}: bundle {_short(self.bundle)} "
            f"!= recomputed {_short(self.recomputed)}"
        )


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class VerifyReport:
    games: int = 0
    rounds: int = 0
    team_rounds: int = 0
    ranking_rows: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    scenario_sha256: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _diff(bundle: Any, computed: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """Leaf differences between two JSON values, with dotted paths (``[i]`` for lists)."""
    if isinstance(bundle, dict) and isinstance(computed, dict):
        for key in sorted(set(bundle) | set(computed), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in bundle:
                yield sub, None, computed[key]
            elif key not in computed:
                yield sub, bundle[key], None
            else:
                yield from _diff(bundle[key], computed[key], sub)
        return
    if isinstance(bundle, list) and isinstance(computed, list):
        if len(bundle) != len(computed):
            yield f"{path}.length", len(bundle), len(computed)
            return
        for i, (a, b) in enumerate(zip(bundle, computed, strict=True)):
            yield from _diff(a, b, f"{path}[{i}]")
        return
    if _same_leaf(bundle, computed):
        return
    yield path, bundle, computed


def _same_leaf(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b
    return a == b


class _GameVerifier:
    def __init__(self, section: dict[str, Any], report: VerifyReport) -> None:
        self.section = section
        self.report = report
        self.game_id = section["game"]["id"]
        self.names = {str(t["id"]): str(t["name"]) for t in section["teams"]}
        self.bots = frozenset(str(t["id"]) for t in section["teams"] if t.get("is_bot"))
        self.end_states: dict[int, GameState] = {}  # round number -> recomputed end state
        self.scenario = None

    def mismatch(self, rnd: int | None, team: str | None, path: str, a: Any, b: Any) -> None:
        self.report.mismatches.append(
            Mismatch(self.game_id, rnd, team, self.names.get(team or ""), path, a, b)
        )

    def compare(self, rnd: int | None, team: str | None, prefix: str, a: Any, b: Any) -> None:
        for path, x, y in _diff(a, b, prefix):
            self.mismatch(rnd, team, path, x, y)

    def run(self) -> None:
        game, scen = self.section["game"], self.section["scenario"]
        text = scen["text"]
        if not isinstance(text, str):
            raise BundleFormatError(f"game {self.game_id}: scenario.text is not text")
        actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.report.scenario_sha256.append(actual)
        if actual != scen["sha256"]:
            self.mismatch(None, None, "scenario.sha256", scen["sha256"], actual)
            return  # a changed scenario: nothing computed from it can be trusted
        try:
            scenario = parse_scenario_text(text)
        except ValueError as exc:
            raise BundleFormatError(
                f"game {self.game_id}: the scenario does not parse: {exc}"
            ) from None
        self.scenario = scenario
        weights = dict(game["scoring_weights"] or scenario.scoring.as_dict())
        seed = int(game["seed"])
        rounds = sorted(self.section["rounds"], key=lambda r: int(r["number"]))
        by_number = {int(r["number"]): r for r in rounds}
        for rnd in rounds:
            self.report.rounds += 1
            self.replay(scenario, weights, seed, rnd, by_number)

    def replay(
        self,
        scenario: Any,
        weights: dict[str, float],
        game_seed: int,
        rnd: dict[str, Any],
        by_number: dict[int, dict[str, Any]],
    ) -> None:
        number, scenario_round = int(rnd["number"]), int(rnd["scenario_round"])
        practice = bool(rnd["is_practice"])
        expected_seed = _engine_seed(game_seed, practice)
        if int(rnd["seed"]) != expected_seed:
            self.mismatch(number, None, "seed", rnd["seed"], expected_seed)
        states: dict[str, TeamState] = {}
        if number > 1:
            prev = by_number.get(number - 1)
            if prev is None:
                self.mismatch(number, None, "previous round", None, f"round {number - 1}")
                return
            if not (prev["is_practice"] and not practice):
                before = self.end_states.get(number - 1)
                if before is None:
                    return  # the previous round could not be replayed; reported there
                states = {tid: TeamState.from_dict(t.to_dict()) for tid, t in before.teams.items()}
        results = {str(r["team_id"]): r for r in rnd["results"]}
        for tid in sorted(set(states) - set(results)):
            self.mismatch(number, tid, "result", None, "the team played the round before")
        for tid in results:
            if tid not in states:
                team = initial_team_state(scenario, tid)
                team.round_no = scenario_round - 1
                states[tid] = team
            # Teams missing from the bundle still play (as the server did) but with no sheet.
        sheets = {}
        for tid, row in results.items():
            try:
                sheets[tid] = DecisionSheet.from_dict(row["decisions_used"])
            except ValidationError as exc:
                raise BundleFormatError(
                    f"game {self.game_id}, round {number}, team {tid}: decisions_used is not "
                    f"a decision sheet ({exc.error_count()} problems)"
                ) from None
        state = GameState(round_no=scenario_round - 1, teams=dict(sorted(states.items())))
        outcome = simulate_round(scenario, state, sheets, expected_seed)
        table = json_safe(standings(team_metrics(scenario, outcome.state), weights))
        by_team = {row["team_id"]: row for row in table}
        # The server stores rounded end states and starts the next round from them.
        end = {tid: json_safe(outcome.state.teams[tid].to_dict()) for tid in sorted(outcome.teams)}
        self.end_states[number] = GameState(
            round_no=scenario_round,
            teams={tid: TeamState.from_dict(data) for tid, data in end.items()},
        )
        for tid, row in sorted(results.items()):
            self.report.team_rounds += 1
            computed = {
                "result": json_safe(outcome.teams[tid].to_dict()),
                "end_state": end[tid],
                "rank": by_team[tid]["rank"],
                "score": by_team[tid]["score"],
            }
            for key in ("result", "end_state", "rank", "score"):
                self.compare(number, tid, key, row.get(key), computed[key])
        bundle_table = {str(r["team_id"]): r for r in rnd.get("standings") or []}
        for tid in sorted(set(bundle_table) | set(by_team)):
            self.compare(number, tid, "standings", bundle_table.get(tid), by_team.get(tid))
        summary = json_safe(outcome.to_dict())
        self.compare(number, None, "market_stats", rnd.get("market_stats"), summary["markets"])
        self.compare(number, None, "events", rnd.get("events"), summary["events"])


def _engine_seed(game_seed: int, practice: bool) -> int:
    """services.rounds.engine_seed from plain values."""
    if not practice:
        return game_seed
    digest = hashlib.sha256(f"{game_seed}:practice".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def verify_bundle(data: dict[str, Any]) -> VerifyReport:
    """Recompute every round and ranking of a loaded bundle; see the module docstring.

    Raises :class:`BundleFormatError` when a required part is missing or of the wrong type.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BundleFormatError("not a SimShop results bundle")
    report = VerifyReport()
    try:
        verifiers = []
        for section in data["games"]:
            report.games += 1
            verifier = _GameVerifier(section, report)
            verifier.run()
            verifiers.append(verifier)
        competition = data.get("competition")
        if competition is not None:
            _verify_competition(competition, verifiers, report)
    except (KeyError, TypeError, AttributeError) as exc:
        raise BundleFormatError(f"a required part is missing or malformed: {exc!r}") from None
    return report


def _verify_competition(
    competition: dict[str, Any], verifiers: list[_GameVerifier], report: VerifyReport
) -> None:
    def mismatch(team: str | None, path: str, a: Any, b: Any, name: str | None = None) -> None:
        report.mismatches.append(
            Mismatch(f"competition {competition['id']}", None, team, name, path, a, b)
        )

    for verifier in verifiers:
        sha = verifier.section["scenario"]["sha256"]
        if sha != competition["scenario_sha256"]:
            mismatch(None, f"games[{verifier.game_id}].scenario.sha256", sha,
                     competition["scenario_sha256"])  # fmt: skip
    if any(v.scenario is None for v in verifiers):
        return  # a game's scenario failed its checksum: reported above
    latest = []
    for verifier in verifiers:
        scored = [int(r["scenario_round"]) for r in verifier.section["rounds"]
                  if not r["is_practice"]]  # fmt: skip
        latest.append(max(scored) if scored else None)
    common = None if not latest or None in latest else min(x for x in latest if x is not None)
    if common != competition["scenario_round"]:
        mismatch(None, "scenario_round", competition["scenario_round"], common)
        return
    if common is None:
        return
    entries = []
    for verifier in verifiers:
        number = next(
            int(r["number"])
            for r in verifier.section["rounds"]
            if not r["is_practice"] and int(r["scenario_round"]) == common
        )
        state = verifier.end_states.get(number)
        if state is None:
            return  # could not be replayed; reported already
        entries.append(
            competitions_service.GameAtRound(
                game_id=int(verifier.game_id),
                game_title=str(verifier.section["game"]["title"]),
                scenario=verifier.scenario,
                state=state,
                team_names=verifier.names,
                bot_ids=verifier.bots,
            )
        )
    weights = verifiers[0].scenario.scoring.as_dict()
    if not all(_same_leaf(competition["weights"].get(k), v) for k, v in weights.items()):
        mismatch(None, "weights", competition["weights"], weights)
    computed = {
        r["team_id"]: r
        for r in json_safe(competitions_service.combined_standings(entries, weights))
    }
    given = {str(r["team_id"]): r for r in competition["ranking"]}
    for key in sorted(set(computed) | set(given)):
        report.ranking_rows += 1
        row = given.get(key) or computed.get(key) or {}
        for path, a, b in _diff(given.get(key), computed.get(key), "ranking"):
            mismatch(key, path, a, b, row.get("team_name"))
