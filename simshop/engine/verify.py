"""Results bundles: their format, their signature, and their verification.

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
                     "weights", "ranking": [...]},          # competition bundles only
     "signature": {"algorithm": "Ed25519", "public_key", "key_id", "value"}}

Two checks cover every field:

- **Recomputation** (needs nothing but the bundle and the engine): for each game the
  scenario text is checked against its SHA-256, then every round is replayed in order with
  :func:`~simshop.engine.round_step.play_round`: the state before a round is the
  *recomputed* end state of the round before (teams new in a round start fresh; practice
  rounds are followed by a fresh start), the sheets are the ones the bundle says were used
  (bots' included, so bots are not re-run), and the seed follows from the game seed
  (:func:`~simshop.engine.seeds.phase_seed`). Every result, end state, rank, score,
  standings row, market statistic, event and combined-ranking row is compared.
- **The signature** covers what cannot be recomputed (team names, titles, publication times,
  the export time): an Ed25519 signature by the server over :func:`canonical_bytes` (the
  bundle without ``signature``, as compact JSON with sorted keys). Swapping two teams' names
  breaks it. The public key is embedded; :func:`verify_bundle` with ``trusted_key`` also
  checks that it is the server's (published at ``/.well-known/simshop-bundle-key``).

Malformed input raises :class:`BundleFormatError` with a located message, never anything
else: :func:`parse_bundle` refuses oversized input (zip members by their declared size and
again while inflating), non-standard JSON constants (``NaN``, ``Infinity``), nesting deeper
than :data:`MAX_DEPTH`, and any field of the wrong type or range.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simshop.engine.decisions import DecisionSheet
from simshop.engine.headless import json_safe
from simshop.engine.round_step import play_round
from simshop.engine.scenario import Scenario, parse_scenario_text
from simshop.engine.scoring import GameAtRound, combined_standings
from simshop.engine.seeds import phase_seed
from simshop.engine.state import GameState, TeamState, initial_team_state

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
SIGNATURE_ALGORITHM = "Ed25519"
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
"""The largest bundle read (the file, and a zip's JSON member once inflated)."""
MAX_DEPTH = 64
"""The deepest JSON nesting a bundle may have (a real one stays under 12)."""
_READ_CHUNK = 1024 * 1024


class BundleFormatError(ValueError):
    """The input is not a results bundle this version can read (exit status 2)."""


# --------------------------------------------------------------------------- shape


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Game(_Part):
    id: int
    title: str
    seed: int = Field(ge=0)
    seed_rule: str
    scoring_weights: dict[str, float]
    practice_rounds: int = Field(ge=0)
    scored_rounds: int = Field(ge=0)
    status: str


class _Scenario(_Part):
    file: str | None
    id: str
    sha256: str
    text: str


class _Team(_Part):
    id: int
    name: str
    is_bot: bool
    bot_strategy: str | None


class _Result(_Part):
    team_id: int
    decision_source: str
    decisions_used: dict[str, Any]
    result: dict[str, Any]
    end_state: dict[str, Any]
    rank: int | None
    score: float | None


class _Round(_Part):
    number: int = Field(ge=1)
    scenario_round: int = Field(ge=1)
    is_practice: bool
    seed: int = Field(ge=0)
    published_at: str | None
    standings: list[dict[str, Any]] | None
    market_stats: dict[str, Any] | None
    events: list[dict[str, Any]] | None
    results: list[_Result]


class _GameSection(_Part):
    game: _Game
    scenario: _Scenario
    teams: list[_Team]
    rounds: list[_Round]


class _Competition(_Part):
    id: int
    title: str
    rule: str
    scenario_sha256: str | None
    scenario_round: int | None
    weights: dict[str, float]
    ranking: list[dict[str, Any]]


class _Signature(_Part):
    algorithm: Literal["Ed25519"]
    public_key: str
    key_id: str
    value: str


class _Bundle(_Part):
    format: Literal["simshop-results-bundle"]
    version: Literal[1]
    kind: Literal["game", "competition"]
    generated_at: str | None
    games: list[_GameSection]
    competition: _Competition | None = None
    signature: _Signature | None = None


def _located(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
    more = error.error_count() - 1
    extra = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
    return f"{where.lstrip('.') or '(bundle)'}: {first['msg']}{extra}"


def _reject_constant(name: str) -> Any:
    raise BundleFormatError(f"non-standard JSON constant {name} (numbers must be finite)")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping once ``limit`` is passed."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def parse_bundle(raw: bytes, source: str = "bundle") -> dict[str, Any]:
    """Bytes of a ``.json`` bundle (or of a ``.zip`` holding one ``*.json``) to the checked
    bundle. Raises :class:`BundleFormatError` naming ``source`` and the faulty part."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleFormatError(f"{source}: larger than {MAX_BUNDLE_BYTES} bytes")
    if raw[:2] == b"PK":
        raw = _unzip(raw, source)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except BundleFormatError as exc:
        raise BundleFormatError(f"{source}: {exc}") from None
    except RecursionError:
        raise BundleFormatError(f"{source}: JSON nested more than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleFormatError(f"{source}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BundleFormatError(f"{source}: not a SimShop results bundle (format != {FORMAT!r})")
    if data.get("version") != VERSION:
        raise BundleFormatError(f"{source}: bundle version {data.get('version')!r} unsupported")
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise BundleFormatError(f"{source}: JSON nested more than {MAX_DEPTH} levels")
    try:
        _Bundle.model_validate(data)
    except ValidationError as exc:
        raise BundleFormatError(f"{source}: {_located(exc)}") from None
    return data


def _unzip(raw: bytes, source: str) -> bytes:
    """The one ``*.json`` member of a zip, refused before inflating if its declared size is
    too large, and again while inflating if it inflates beyond what it declared."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith(".json")]
            if len(members) != 1:
                raise BundleFormatError(f"{source}: the zip must hold exactly one .json file")
            info = members[0]
            if info.file_size > MAX_BUNDLE_BYTES:
                raise BundleFormatError(
                    f"{source}: {info.filename} would inflate to {info.file_size} bytes "
                    f"(at most {MAX_BUNDLE_BYTES})"
                )
            out = bytearray()
            with archive.open(info) as member:
                while chunk := member.read(_READ_CHUNK):
                    out += chunk
                    if len(out) > min(info.file_size, MAX_BUNDLE_BYTES):
                        raise BundleFormatError(
                            f"{source}: {info.filename} inflates beyond its declared size"
                        )
            return bytes(out)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise BundleFormatError(f"{source}: not a readable zip file: {exc}") from None


def load_bundle(path: str | Path) -> dict[str, Any]:
    """Read and check a bundle from a ``.json`` file or a ``.zip`` holding one ``*.json``."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise BundleFormatError(f"{path}: larger than {MAX_BUNDLE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleFormatError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_bundle(raw, str(path))


# --------------------------------------------------------------------------- signature


def canonical_bytes(data: dict[str, Any]) -> bytes:
    """What the signature covers: the bundle without ``signature``, compact JSON, keys
    sorted, UTF-8."""
    body = {k: v for k, v in data.items() if k != "signature"}
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A key's fingerprint: ``sha256:`` and the hex SHA-256 of its 32 raw bytes."""
    return "sha256:" + hashlib.sha256(public_key_raw(key)).hexdigest()


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def read_public_key_pem(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text; raises :class:`BundleFormatError`."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise BundleFormatError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleFormatError("the key is not an Ed25519 public key")
    return key


def sign_bundle(data: dict[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """``data`` as JSON would read it back, with a ``signature`` over :func:`canonical_bytes`."""
    plain: dict[str, Any] = json.loads(json.dumps(data, allow_nan=False))
    plain.pop("signature", None)
    public = private_key.public_key()
    plain["signature"] = {
        "algorithm": SIGNATURE_ALGORITHM,
        "public_key": base64.b64encode(public_key_raw(public)).decode("ascii"),
        "key_id": key_id(public),
        "value": base64.b64encode(private_key.sign(canonical_bytes(plain))).decode("ascii"),
    }
    return plain


SignatureStatus = Literal["valid", "invalid", "absent", "other_key"]


def check_signature(
    data: dict[str, Any], trusted_key: Ed25519PublicKey | None = None
) -> tuple[SignatureStatus, str | None]:
    """(status, key id of the embedded key). ``other_key``: a valid signature, but not by
    ``trusted_key``; with a ``trusted_key`` an unsigned bundle is ``absent`` all the same."""
    sig = data.get("signature")
    if sig is None:
        return "absent", None
    try:
        public = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(sig["public_key"], validate=True)
        )
        value = base64.b64decode(sig["value"], validate=True)
    except (binascii.Error, ValueError):
        return "invalid", None
    try:
        public.verify(value, canonical_bytes(data))
    except InvalidSignature:
        return "invalid", key_id(public)
    if trusted_key is not None and public_key_raw(trusted_key) != public_key_raw(public):
        return "other_key", key_id(public)
    return "valid", key_id(public)


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
    signature: SignatureStatus = "absent"
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        """Every recomputed value matches and the signature (if any) is good."""
        return not self.mismatches

    @property
    def signed(self) -> bool:
        return self.signature == "valid"


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
        return bool(a == b)
    return bool(a == b)


class _GameVerifier:
    def __init__(self, section: dict[str, Any], report: VerifyReport) -> None:
        self.section = section
        self.report = report
        self.game_id = section["game"]["id"]
        self.names = {str(t["id"]): str(t["name"]) for t in section["teams"]}
        self.bots = frozenset(str(t["id"]) for t in section["teams"] if t.get("is_bot"))
        self.end_states: dict[int, GameState] = {}  # round number -> recomputed end state
        self.scenario: Scenario | None = None

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
        rounds = sorted(self.section["rounds"], key=lambda r: int(r["number"]))
        by_number = {int(r["number"]): r for r in rounds}
        for rnd in rounds:
            self.report.rounds += 1
            self.replay(scenario, weights, int(game["seed"]), rnd, by_number)

    def start_states(
        self, scenario: Scenario, rnd: dict[str, Any], by_number: dict[int, dict[str, Any]]
    ) -> dict[str, TeamState] | None:
        """The recomputed state each team starts round ``rnd`` from (None: cannot replay)."""
        number, scenario_round = int(rnd["number"]), int(rnd["scenario_round"])
        states: dict[str, TeamState] = {}
        if number > 1:
            prev = by_number.get(number - 1)
            if prev is None:
                self.mismatch(number, None, "previous round", None, f"round {number - 1}")
                return None
            if not (prev["is_practice"] and not rnd["is_practice"]):
                before = self.end_states.get(number - 1)
                if before is None:
                    return None  # the previous round could not be replayed; reported there
                states = {tid: TeamState.from_dict(t.to_dict()) for tid, t in before.teams.items()}
        results = {str(r["team_id"]) for r in rnd["results"]}
        for tid in sorted(set(states) - results):
            self.mismatch(number, tid, "result", None, "the team played the round before")
        for tid in sorted(results - set(states)):
            team = initial_team_state(scenario, tid)
            team.round_no = scenario_round - 1
            states[tid] = team
        # Teams missing from the bundle still play (as the server did) but with no sheet.
        return states

    def replay(
        self,
        scenario: Scenario,
        weights: dict[str, float],
        game_seed: int,
        rnd: dict[str, Any],
        by_number: dict[int, dict[str, Any]],
    ) -> None:
        number, scenario_round = int(rnd["number"]), int(rnd["scenario_round"])
        expected_seed = phase_seed(game_seed, practice=bool(rnd["is_practice"]))
        if int(rnd["seed"]) != expected_seed:
            self.mismatch(number, None, "seed", rnd["seed"], expected_seed)
        states = self.start_states(scenario, rnd, by_number)
        if states is None:
            return
        results = {str(r["team_id"]): r for r in rnd["results"]}
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
        try:
            played = play_round(
                scenario, state, seed=expected_seed, team_sheets=sheets, weights=weights
            )
        except (ValueError, LookupError, TypeError, ArithmeticError) as exc:
            # The sheets come from the file: one naming a market or product the scenario
            # does not have fails inside the engine.
            raise BundleFormatError(
                f"game {self.game_id}, round {number}: cannot be replayed: {exc!r}"
            ) from None
        self.check_round(number, scenario_round, results, played.outcome, played.standings, rnd)

    def check_round(
        self,
        number: int,
        scenario_round: int,
        results: dict[str, dict[str, Any]],
        outcome: Any,
        standings_table: list[dict[str, Any]],
        rnd: dict[str, Any],
    ) -> None:
        table = json_safe(standings_table)
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
        bundle_table = {str(r.get("team_id")): r for r in rnd.get("standings") or []}
        for tid in sorted(set(bundle_table) | set(by_team)):
            self.compare(number, tid, "standings", bundle_table.get(tid), by_team.get(tid))
        summary = json_safe(outcome.to_dict())
        self.compare(number, None, "market_stats", rnd.get("market_stats"), summary["markets"])
        self.compare(number, None, "events", rnd.get("events"), summary["events"])


def verify_bundle(
    data: dict[str, Any], *, trusted_key: Ed25519PublicKey | None = None
) -> VerifyReport:
    """Check the signature and recompute every round and ranking of a bundle (see the module
    docstring). A bad signature, or one by another key than ``trusted_key``, is a mismatch.

    Raises :class:`BundleFormatError` when a part is missing or of the wrong type."""
    try:
        _Bundle.model_validate(data)
    except ValidationError as exc:
        raise BundleFormatError(_located(exc)) from None
    report = VerifyReport()
    report.signature, report.key_id = check_signature(data, trusted_key)
    if report.signature == "invalid":
        report.mismatches.append(
            Mismatch(
                "(bundle)",
                None,
                None,
                None,
                "signature",
                "does not match the contents",
                "a signature over every field",
            )  # fmt: skip
        )
    elif report.signature == "other_key":
        report.mismatches.append(
            Mismatch(
                "(bundle)",
                None,
                None,
                None,
                "signature.key_id",
                report.key_id,
                key_id(trusted_key) if trusted_key else None,
            )  # fmt: skip
        )
    verifiers = []
    for section in data["games"]:
        report.games += 1
        verifier = _GameVerifier(section, report)
        verifier.run()
        verifiers.append(verifier)
    competition = data.get("competition")
    if competition is not None:
        _verify_competition(competition, verifiers, report)
    return report


def _common_round(competition: dict[str, Any], verifiers: list[_GameVerifier]) -> int | None:
    latest = []
    for verifier in verifiers:
        scored = [int(r["scenario_round"]) for r in verifier.section["rounds"]
                  if not r["is_practice"]]  # fmt: skip
        latest.append(max(scored) if scored else None)
    return None if not latest or None in latest else min(x for x in latest if x is not None)


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
    scenarios = [v.scenario for v in verifiers]
    if not scenarios or any(s is None for s in scenarios):
        return  # a game's scenario failed its checksum: reported above
    common = _common_round(competition, verifiers)
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
        if state is None or verifier.scenario is None:
            return  # could not be replayed; reported already
        entries.append(
            GameAtRound(
                game_id=int(verifier.game_id),
                game_title=str(verifier.section["game"]["title"]),
                scenario=verifier.scenario,
                state=state,
                team_names=verifier.names,
                bot_ids=verifier.bots,
            )
        )
    weights = entries[0].scenario.scoring.as_dict()
    if not all(_same_leaf(competition["weights"].get(k), v) for k, v in weights.items()):
        mismatch(None, "weights", competition["weights"], weights)
    computed = {r["team_id"]: r for r in json_safe(combined_standings(entries, weights))}
    given = {str(r.get("team_id")): r for r in competition["ranking"]}
    for key in sorted(set(computed) | set(given)):
        report.ranking_rows += 1
        row = given.get(key) or computed.get(key) or {}
        for path, a, b in _diff(given.get(key), computed.get(key), "ranking"):
            mismatch(key, path, a, b, row.get("team_name"))
