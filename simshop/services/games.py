"""Games: create one from a shipped scenario, find it, end it (its staff and players:
:mod:`simshop.services.membership`).

Every function takes the SQLAlchemy session explicitly and runs one transaction. Refusals
are :class:`GameError` with a machine ``code`` (and the form ``field`` at fault, if any);
the web and CLI layers turn codes into messages in the user's language.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.engine.bots import BOT_STRATEGIES
from simshop.engine.scenario import (
    Scenario,
    parse_scenario_text,
)
from simshop.engine.scenario_errors import ScenarioInvalid, load_scenario_text
from simshop.ids import parse_id
from simshop.models import (
    Game,
    GameStaff,
    GameStatus,
    Round,
    RoundStatus,
    ScenarioDraft,
    ScheduleMode,
    StaffRole,
    Team,
    User,
)
from simshop.models.user import utcnow
from simshop.services import lifecycle
from simshop.services import scenarios as scenarios_service
from simshop.services.game_spec import GameError, GameSpec, GameSpecErrors, spec_problems
from simshop.services.live import bump_results_version
from simshop.services.uow import transaction, unit_of_work

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read off a projector is typed right the first time.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 7


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class ScenarioChoice:
    """A shipped scenario file a game can be created from."""

    file: str
    title: str
    title_zh: str
    rounds: int
    practice_rounds: int
    bot_count: int
    bot_strategies: tuple[str, ...]
    scoring: dict[str, float]


def list_scenarios(scenarios_dir: str | Path) -> list[ScenarioChoice]:
    """The valid ``*.toml`` files in ``scenarios_dir``, by file name (invalid ones are left
    out: ``flask scenario check`` reports them). Each file is parsed once per version
    (``scenarios.shipped_scenarios`` caches by path and modification time)."""
    choices = []
    for shipped in sorted(scenarios_service.shipped_scenarios(scenarios_dir), key=_file_name):
        s = shipped.scenario
        choices.append(
            ScenarioChoice(
                file=shipped.path.name,
                title=s.meta.title,
                title_zh=s.meta.title_zh,
                rounds=s.calendar.rounds,
                practice_rounds=s.calendar.practice_rounds,
                bot_count=s.bots.count,
                bot_strategies=tuple(s.bots.strategies),
                scoring=s.scoring.as_dict(),
            )
        )
    return choices


def _file_name(shipped: scenarios_service.ShippedScenario) -> str:
    return shipped.path.name


@functools.lru_cache(maxsize=32)
def _parse_snapshot(sha256: str, text: str) -> Scenario:
    return parse_scenario_text(text)


def game_scenario(game: Game) -> Scenario:
    """The game's scenario, parsed from its snapshot (cached by SHA-256)."""
    return _parse_snapshot(game.scenario_sha256, game.scenario_text)


# --------------------------------------------------------------------------- creating


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(raw: str) -> str:
    """Upper-case, without spaces or dashes."""
    return "".join(raw.split()).replace("-", "").upper()[:20]


def _check_spec(spec: GameSpec, scenario: Scenario) -> None:
    """Check ``spec`` against ``scenario`` and fill in its defaults; every problem is found
    in one pass and raised together as :class:`GameSpecErrors`."""
    problems = spec_problems(spec, scenario)
    if problems:
        raise GameSpecErrors(problems)


def check_game_spec(
    session: Session, owner: User, spec: GameSpec, *, scenarios_dir: str | Path
) -> list[GameError]:
    """Every problem :func:`create_game` would refuse ``spec`` for, without creating
    anything (a form shows them all on one submit)."""
    try:
        loaded = _chosen_scenario(session, owner, spec.scenario_file, scenarios_dir)
    except GameError as exc:
        return [exc]
    try:
        _check_spec(replace(spec), loaded.scenario)
    except GameSpecErrors as exc:
        return exc.problems
    return []


class ChosenScenario(NamedTuple):
    scenario: Scenario
    text: str
    source: str


DRAFT_PREFIX = "draft:"
"""``GameSpec.scenario_file`` of the form ``draft:<id>`` names an instructor's own scenario
(a :class:`~simshop.models.ScenarioDraft`) instead of a shipped file."""


def _chosen_scenario(
    session: Session, owner: User, choice: str, scenarios_dir: str | Path
) -> ChosenScenario:
    """The scenario a new game snapshots: a shipped file, or one of the owner's drafts
    (an admin may use anyone's). ``source`` is the name the game records."""
    if choice.startswith(DRAFT_PREFIX):
        draft_id = choice.removeprefix(DRAFT_PREFIX)
        number = parse_id(draft_id)
        draft = session.get(ScenarioDraft, number) if number is not None else None
        if draft is None or not (draft.owner_id == owner.id or owner.is_admin):
            raise GameError("scenario_unknown", "scenario_file")
        try:
            loaded = load_scenario_text(draft.toml_text, f"{draft.slug}.toml")
        except ScenarioInvalid:
            raise GameError("scenario_unknown", "scenario_file") from None
        return ChosenScenario(loaded.scenario, loaded.text, f"{draft.slug}.toml")
    shipped = {s.path.name: s for s in scenarios_service.shipped_scenarios(scenarios_dir)}
    if choice not in shipped:
        raise GameError("scenario_unknown", "scenario_file")
    return ChosenScenario(shipped[choice].scenario, shipped[choice].text, choice)


def create_game(
    session: Session, owner: User, spec: GameSpec, *, scenarios_dir: str | Path
) -> Game:
    """Create a game from ``scenarios_dir/spec.scenario_file``: snapshot the scenario, make
    its rounds (practice first), its bot teams and a join code. The owner becomes staff."""
    if not owner.is_instructor:
        raise GameError("not_instructor")
    loaded = _chosen_scenario(session, owner, spec.scenario_file, scenarios_dir)
    _check_spec(spec, loaded.scenario)
    for _attempt in range(5):
        try:
            with transaction(session):
                game = _new_game(owner, spec, loaded)
                session.add(game)
                session.flush()
                session.add(
                    GameStaff(game_id=game.id, user_id=owner.id, role=StaffRole.OWNER.value)
                )
            return game
        except IntegrityError:  # pragma: no cover - a join-code collision (1 in 10^9)
            continue
    raise GameError("join_code_exhausted")  # pragma: no cover


def _new_game(owner: User, spec: GameSpec, loaded: ChosenScenario) -> Game:
    """The game row with its rounds and bot teams (not added to a session yet)."""
    assert spec.scored_rounds is not None and spec.practice_rounds is not None
    game = Game(
        title=spec.title,
        owner_id=owner.id,
        status=GameStatus.SETUP.value,
        join_code=new_join_code(),
        seed=spec.seed if spec.seed is not None else secrets.randbelow(2**31),
        scenario_file=loaded.source,
        scenario_id=loaded.scenario.meta.id,
        scenario_text=loaded.text,
        scenario_sha256=hashlib.sha256(loaded.text.encode("utf-8")).hexdigest(),
        practice_rounds=spec.practice_rounds,
        scored_rounds=spec.scored_rounds,
        schedule=spec.schedule,
        timezone=spec.timezone,
        team_min_size=spec.team_min_size,
        team_max_size=spec.team_max_size,
        bot_count=spec.bot_count,
        bot_strategies=list(spec.bot_strategies or []),
        scoring_weights=dict(spec.scoring_weights or {}),
        show_rival_names=spec.show_rival_names,
        briefing_exact_sizes=spec.briefing_exact_sizes,
    )
    total = spec.practice_rounds + spec.scored_rounds
    for number in range(1, total + 1):
        practice = number <= spec.practice_rounds
        deadline = None
        if spec.schedule == ScheduleMode.DEADLINES and spec.first_deadline is not None:
            deadline = (spec.first_deadline + (number - 1) * spec.round_interval).astimezone(
                utcnow().tzinfo
            )
        game.rounds.append(
            Round(
                number=number,
                scenario_round=number if practice else number - spec.practice_rounds,
                is_practice=practice,
                status=RoundStatus.SCHEDULED.value,
                deadline=deadline,
            )
        )
    strategies = game.bot_strategies or list(BOT_STRATEGIES)
    for i in range(game.bot_count):
        strategy = strategies[i % len(strategies)]
        game.teams.append(
            Team(name=f"Bot {i + 1} · {strategy}", is_bot=True, bot_strategy=strategy)
        )
    return game


# --------------------------------------------------------------------------- finding


def game_by_code(session: Session, code: str) -> Game | None:
    return session.scalar(select(Game).where(Game.join_code == normalize_join_code(code)))


@unit_of_work
def end_game(session: Session, game: Game) -> Game:
    """End the game: rounds not yet processed are cancelled, so no decision is accepted any
    more. A round being processed finishes and is published."""
    now = utcnow()
    result = session.execute(
        update(Game)
        .where(Game.id == game.id, Game.status != GameStatus.ENDED.value)
        .values(status=GameStatus.ENDED.value, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise GameError("game_ended")
    bump_results_version(session, game.id)  # projectors show the final podium
    session.execute(
        update(Round)
        .where(
            Round.game_id == game.id,
            Round.status.in_(lifecycle.sources("cancel")),
        )
        .values(status=RoundStatus.CANCELLED.value, held_from=None)
        .execution_options(synchronize_session=False)
    )
    session.refresh(game)
    return game


def game_news(game: Game, up_to_round: int) -> list[Any]:
    """The scenario's events announced by scenario round ``up_to_round`` (newest first) that
    take effect within the game: a game shorter than its scenario never announces "takes
    effect in round 5" in a 4-round game."""
    return [
        e
        for e in game_scenario(game).announced_events(up_to_round)
        if e.round <= game.scored_rounds
    ]


@unit_of_work
def reopen_game(session: Session, game: Game) -> Game:
    """Reopen an ended game (the instructor's deliberate, confirmed action): it runs again,
    and rounds cancelled when it ended are scheduled again. Raises ``game_not_ended``."""
    result = session.execute(
        update(Game)
        .where(Game.id == game.id, Game.status == GameStatus.ENDED.value)
        .values(status=GameStatus.RUNNING.value, ended_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise GameError("game_not_ended")
    bump_results_version(session, game.id)  # projectors leave the podium
    session.execute(
        update(Round)
        .where(Round.game_id == game.id, Round.status == RoundStatus.CANCELLED.value)
        .values(status=RoundStatus.SCHEDULED.value)
        .execution_options(synchronize_session=False)
    )
    session.refresh(game)
    return game


def local_time(game: Game, value: datetime | None) -> datetime | None:
    """``value`` (UTC) in the game's time zone."""
    from simshop.models.game import as_utc

    value = as_utc(value)
    return value.astimezone(ZoneInfo(game.timezone)) if value is not None else None
