"""Results bundles from the database: a game's or a competition's, signed by the server.

The format, the signature and verification live in :mod:`simshop.engine.verify` (the
``verify`` command uses the same module). The server's Ed25519 key pair is generated on first
use into the instance folder (``bundle_signing_key.pem``, mode 0600, never in the
repository); its public key is published at ``/.well-known/simshop-bundle-key`` and printed by
``flask --app simshop bundle-key``.

Team names in a bundle are the ones its reader sees everywhere else: when a game hides
rivals' names (``Game.show_rival_names`` False), a player's bundle names their own team and
every rival "Rival A", "Rival B"… by :func:`simshop.services.analysis.team_labels` (in the
team list and so in the competition ranking, the only places a name appears); staff get the
real names. The signature covers the document as served, so an anonymised bundle verifies.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.config import create_once
from simshop.engine.headless import json_safe
from simshop.engine.verify import (
    COMBINED_RULE,
    FORMAT,
    SEED_RULE,
    VERSION,
    key_id,
    public_key_pem,
    sign_bundle,
)
from simshop.models import (
    Competition,
    Game,
    GameStatus,
    Round,
    RoundResult,
    RoundStatus,
    Team,
    User,
)
from simshop.models.game import as_utc
from simshop.models.user import utcnow
from simshop.services import competitions as competitions_service
from simshop.services.analysis import team_labels
from simshop.services.round_compute import engine_seed

SIGNING_KEY_FILENAME = "bundle_signing_key.pem"


# --------------------------------------------------------------------------- key


def server_key(instance_path: str) -> Ed25519PrivateKey:
    """The server's bundle-signing key, generated on first use (PKCS#8 PEM, mode 0600; if
    several workers start at once, exactly one key wins and every worker reads it)."""
    path = os.path.join(instance_path, SIGNING_KEY_FILENAME)
    fresh = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = serialization.load_pem_private_key(create_once(path, fresh), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} does not hold an Ed25519 private key")
    return key


def server_public_key(instance_path: str) -> tuple[bytes, str]:
    """(PEM of the server's public key, its fingerprint)."""
    public = server_key(instance_path).public_key()
    return public_key_pem(public), key_id(public)


# --------------------------------------------------------------------------- export


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value is not None else None


def game_section(
    session: Session, game: Game, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """One game's part of a bundle: snapshot, seeds, teams and every published round.
    ``labels`` (team id -> name, from :func:`team_labels`) renames the teams; None: real
    names."""
    teams = list(session.scalars(select(Team).where(Team.game_id == game.id).order_by(Team.id)))
    rounds = list(
        session.scalars(
            select(Round)
            .where(Round.game_id == game.id, Round.status == RoundStatus.PUBLISHED.value)
            .order_by(Round.number)
        )
    )
    results = _results_by_round(session, rounds)
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
            {
                "id": t.id,
                "name": labels.get(str(t.id), t.name) if labels is not None else t.name,
                "is_bot": t.is_bot,
                "bot_strategy": t.bot_strategy,
            }
            for t in teams
        ],
        "rounds": [_round_entry(game, r, results[r.id]) for r in rounds],
    }


def _results_by_round(session: Session, rounds: list[Round]) -> dict[int, list[dict[str, Any]]]:
    """Round id -> every team's stored result in it, by team id."""
    results: dict[int, list[dict[str, Any]]] = {r.id: [] for r in rounds}
    if not rounds:
        return results
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
    return results


def _round_entry(game: Game, r: Round, results: list[dict[str, Any]]) -> dict[str, Any]:
    """One published round of a bundle: its seed, what was published and the results."""
    return {
        "number": r.number,
        "scenario_round": r.scenario_round,
        "is_practice": r.is_practice,
        "seed": int(r.seed) if r.seed is not None else engine_seed(game, r),
        "published_at": _iso(r.published_at),
        "standings": r.standings,
        "market_stats": r.market_stats,
        "events": r.events,
        "results": results,
    }


def _signed(bundle: dict[str, Any], key: Ed25519PrivateKey | None) -> dict[str, Any]:
    return sign_bundle(bundle, key) if key is not None else bundle


def game_bundle(
    session: Session,
    game: Game,
    *,
    key: Ed25519PrivateKey | None = None,
    staff: bool = True,
    viewer_team_id: int | None = None,
) -> dict[str, Any]:
    """A game's bundle, signed with ``key`` when given (:func:`server_key`), naming teams as
    the reader sees them: staff (the default) see every name; a player (``staff=False``,
    their ``viewer_team_id``) sees rivals as "Rival A"… when the game hides their names."""
    labels = None
    if not staff and not game.show_rival_names:
        labels = team_labels(session, game, viewer_team_id, staff=False)
    return _signed(
        {
            "format": FORMAT,
            "version": VERSION,
            "kind": "game",
            "generated_at": _iso(utcnow()),
            "games": [game_section(session, game, labels)],
        },
        key,
    )


def competition_bundle(
    session: Session,
    competition: Competition,
    *,
    key: Ed25519PrivateKey | None = None,
    as_seen: bool = False,
    user: User | None = None,
) -> dict[str, Any]:
    """A competition's bundle, signed with ``key`` when given (:func:`server_key`). With
    ``as_seen``, teams are named as ``user`` (None: an anonymous visitor) sees them on the
    competition page (:func:`~simshop.services.competitions.labels_as_seen_by`, per game);
    otherwise every real name."""
    ranking = competitions_service.combined_ranking(session, competition)
    games = competitions_service.games_of(session, competition)
    labels: dict[int, dict[str, str] | None] = {
        g.id: competitions_service.labels_as_seen_by(session, g.id, user) if as_seen else None
        for g in games
    }
    rows = ranking.rows
    if as_seen:
        rows = competitions_service.rows_as_seen_by(session, rows, user)
    bundle = {
        "format": FORMAT,
        "version": VERSION,
        "kind": "competition",
        "generated_at": _iso(utcnow()),
        "games": [game_section(session, g, labels[g.id]) for g in games],
        "competition": {
            "id": competition.id,
            "title": competition.title,
            "rule": COMBINED_RULE,
            "scenario_sha256": competition.scenario_sha256,
            "scenario_round": ranking.scenario_round,
            "weights": ranking.weights,
            "ranking": json_safe(rows),
        },
    }
    return _signed(bundle, key)


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
