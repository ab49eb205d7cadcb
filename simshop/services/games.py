"""Games: create one from a shipped scenario, find it, staff it, end it.

Every function takes the SQLAlchemy session explicitly and runs one transaction. Refusals
are :class:`GameError` with a machine ``code`` (and the form ``field`` at fault, if any);
the web and CLI layers turn codes into messages in the user's language.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simshop.engine.scenario import BOT_STRATEGIES, Scenario, parse_scenario_text
from simshop.engine.scenario_errors import ScenarioInvalid, load_scenario_file, load_scenario_text
from simshop.models import (
    Game,
    GameStaff,
    GameStatus,
    Player,
    Round,
    RoundStatus,
    ScenarioDraft,
    ScheduleMode,
    StaffRole,
    Team,
    User,
)
from simshop.models.user import utcnow

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read off a projector is typed right the first time.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
JOIN_CODE_LENGTH = 7
TITLE_MAX_LENGTH = 120
MAX_TEAM_SIZE = 12
MAX_BOTS = 50
SCORING_KEYS = ("profit", "revenue", "market_share", "rating", "roi")


class GameError(Exception):
    """A refused game operation: ``code`` says why, ``field`` names the form field."""

    def __init__(self, code: str, field: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params


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
    out: ``flask scenario check`` reports them)."""
    choices = []
    for path in sorted(Path(scenarios_dir).glob("*.toml")):
        try:
            loaded = load_scenario_file(path)
        except ScenarioInvalid:
            continue
        s = loaded.scenario
        choices.append(
            ScenarioChoice(
                file=path.name,
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


@functools.lru_cache(maxsize=32)
def _parse_snapshot(sha256: str, text: str) -> Scenario:
    return parse_scenario_text(text)


def game_scenario(game: Game) -> Scenario:
    """The game's scenario, parsed from its snapshot (cached by SHA-256)."""
    return _parse_snapshot(game.scenario_sha256, game.scenario_text)


# --------------------------------------------------------------------------- creating


@dataclass
class GameSpec:
    """What an instructor chooses when creating a game.

    ``first_deadline`` is aware (any zone); round ``k`` (counting practice rounds) closes at
    ``first_deadline + (k - 1) * round_interval``. Ignored when ``schedule`` is manual.
    """

    title: str
    scenario_file: str
    scored_rounds: int | None = None
    practice_rounds: int | None = None
    schedule: str = ScheduleMode.MANUAL.value
    first_deadline: datetime | None = None
    round_interval: timedelta = timedelta(days=7)
    timezone: str = "UTC"
    team_min_size: int = 1
    team_max_size: int = 4
    bot_count: int | None = None
    bot_strategies: list[str] | None = None
    scoring_weights: dict[str, float] | None = None
    show_rival_names: bool = True
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(raw: str) -> str:
    """Upper-case, without spaces or dashes."""
    return "".join(raw.split()).replace("-", "").upper()[:20]


def _refuse(code: str, field: str, **params: Any) -> PydanticCustomError:
    """A broken rule as pydantic reports it: the type is the :class:`GameError` code, the
    context holds the form field at fault and the message parameters."""
    return PydanticCustomError(code, code, {"field": field, **params})


class SpecRules(BaseModel):
    """The rules a :class:`GameSpec` must meet for its scenario (validated with
    ``context={"scenario": scenario}``). Fields are checked in this order and the first broken
    rule is reported; validated values are normalised (title spaces collapsed) and filled in
    from the scenario where the spec left them out."""

    title: str
    scored_rounds: int | None
    practice_rounds: int | None
    schedule: str
    first_deadline: datetime | None
    round_interval: timedelta
    timezone: str
    team_min_size: int
    team_max_size: int
    bot_count: int | None
    bot_strategies: list[str] | None
    scoring_weights: dict[str, float] | None

    @staticmethod
    def _scenario(info: ValidationInfo) -> Scenario:
        assert isinstance(info.context, dict)
        return info.context["scenario"]

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        title = " ".join(value.split())
        if not title or len(title) > TITLE_MAX_LENGTH:
            raise _refuse("title_length", "title", max=TITLE_MAX_LENGTH)
        return title

    @field_validator("scored_rounds")
    @classmethod
    def _scored_rounds(cls, value: int | None, info: ValidationInfo) -> int:
        max_rounds = cls._scenario(info).calendar.rounds
        value = max_rounds if value is None else value
        if not 1 <= value <= max_rounds:
            raise _refuse("rounds_range", "scored_rounds", max=max_rounds)
        return value

    @field_validator("practice_rounds")
    @classmethod
    def _practice_rounds(cls, value: int | None, info: ValidationInfo) -> int:
        calendar = cls._scenario(info).calendar
        value = calendar.practice_rounds if value is None else value
        if not 0 <= value <= min(5, calendar.rounds):
            raise _refuse("practice_range", "practice_rounds", max=min(5, calendar.rounds))
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if value not in {m.value for m in ScheduleMode}:
            raise _refuse("schedule_unknown", "schedule")
        return value

    @field_validator("first_deadline")
    @classmethod
    def _first_deadline(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if info.data.get("schedule") == ScheduleMode.DEADLINES:
            if value is None or value.tzinfo is None:
                raise _refuse("deadline_required", "first_deadline")
            if value <= utcnow():
                raise _refuse("deadline_past", "first_deadline")
        return value

    @field_validator("round_interval")
    @classmethod
    def _round_interval(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        if info.data.get("schedule") == ScheduleMode.DEADLINES and value < timedelta(minutes=5):
            raise _refuse("interval_too_short", "round_interval_hours")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _refuse("timezone_unknown", "timezone") from None
        return value

    @field_validator("team_max_size")
    @classmethod
    def _team_sizes(cls, value: int, info: ValidationInfo) -> int:
        if not 1 <= info.data.get("team_min_size", 0) <= value <= MAX_TEAM_SIZE:
            raise _refuse("team_size_range", "team_max_size", max=MAX_TEAM_SIZE)
        return value

    @field_validator("bot_count")
    @classmethod
    def _bot_count(cls, value: int | None, info: ValidationInfo) -> int:
        value = cls._scenario(info).bots.count if value is None else value
        if not 0 <= value <= MAX_BOTS:
            raise _refuse("bot_count_range", "bot_count", max=MAX_BOTS)
        return value

    @field_validator("bot_strategies")
    @classmethod
    def _bot_strategies(cls, value: list[str] | None, info: ValidationInfo) -> list[str]:
        if not value:
            value = list(cls._scenario(info).bots.strategies) or list(BOT_STRATEGIES)
        unknown = [s for s in value if s not in BOT_STRATEGIES]
        if unknown:
            raise _refuse("bot_strategy_unknown", "bot_strategies", strategy=", ".join(unknown))
        return value

    @field_validator("scoring_weights")
    @classmethod
    def _scoring_weights(
        cls, value: dict[str, float] | None, info: ValidationInfo
    ) -> dict[str, float]:
        weights = dict(cls._scenario(info).scoring.as_dict())
        for key, weight in (value or {}).items():
            if key not in SCORING_KEYS:
                raise _refuse("weight_unknown", "scoring", key=key)
            if weight < 0:
                raise _refuse("weight_negative", f"weight_{key}", key=key)
            weights[key] = float(weight)
        if sum(weights.values()) <= 0:
            raise _refuse("weights_zero", "weight_profit")
        return weights


def _check_spec(spec: GameSpec, scenario: Scenario) -> None:
    """Validate ``spec`` with :class:`SpecRules` and write the normalised values back;
    the first broken rule is raised as a :class:`GameError` (code, field, parameters)."""
    names = list(SpecRules.model_fields)
    try:
        checked = SpecRules.model_validate(
            {name: getattr(spec, name) for name in names}, context={"scenario": scenario}
        )
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        params = dict(first.get("ctx") or {})
        field = params.pop("field", str(first["loc"][0]) if first["loc"] else None)
        raise GameError(first["type"], field, **params) from None
    for name in names:
        setattr(spec, name, getattr(checked, name))


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
        draft = session.get(ScenarioDraft, int(draft_id)) if draft_id.isdigit() else None
        if draft is None or not (draft.owner_id == owner.id or owner.is_admin):
            raise GameError("scenario_unknown", "scenario_file")
        try:
            loaded = load_scenario_text(draft.toml_text, f"{draft.slug}.toml")
        except ScenarioInvalid:
            raise GameError("scenario_unknown", "scenario_file") from None
        return ChosenScenario(loaded.scenario, loaded.text, f"{draft.slug}.toml")
    names = {c.file for c in list_scenarios(scenarios_dir)}
    if choice not in names:
        raise GameError("scenario_unknown", "scenario_file")
    loaded = load_scenario_file(Path(scenarios_dir) / choice)
    return ChosenScenario(loaded.scenario, loaded.text, choice)


def create_game(
    session: Session, owner: User, spec: GameSpec, *, scenarios_dir: str | Path
) -> Game:
    """Create a game from ``scenarios_dir/spec.scenario_file``: snapshot the scenario, make
    its rounds (practice first), its bot teams and a join code. The owner becomes staff."""
    if not owner.is_instructor:
        raise GameError("not_instructor")
    loaded = _chosen_scenario(session, owner, spec.scenario_file, scenarios_dir)
    _check_spec(spec, loaded.scenario)
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
    session.add(game)
    session.flush()
    session.add(GameStaff(game_id=game.id, user_id=owner.id, role=StaffRole.OWNER.value))
    for _attempt in range(5):
        try:
            session.commit()
            return game
        except IntegrityError:  # pragma: no cover - a join-code collision (1 in 10^9)
            session.rollback()
            game.join_code = new_join_code()
    raise GameError("join_code_exhausted")  # pragma: no cover


# --------------------------------------------------------------------------- finding


def staff_game(session: Session, game_id: int, user: User) -> Game | None:
    """The game if ``user`` is one of its instructors, else None."""
    if not user.is_instructor:
        return None
    stmt = (
        select(Game)
        .join(GameStaff, GameStaff.game_id == Game.id)
        .where(Game.id == game_id, GameStaff.user_id == user.id)
    )
    return session.scalar(stmt)


def games_for_staff(session: Session, user: User) -> list[Game]:
    stmt = (
        select(Game)
        .join(GameStaff, GameStaff.game_id == Game.id)
        .where(GameStaff.user_id == user.id)
        .order_by(Game.created_at.desc(), Game.id.desc())
    )
    return list(session.scalars(stmt))


def game_by_code(session: Session, code: str) -> Game | None:
    return session.scalar(select(Game).where(Game.join_code == normalize_join_code(code)))


def staff_of(session: Session, game: Game) -> list[GameStaff]:
    stmt = select(GameStaff).where(GameStaff.game_id == game.id).order_by(GameStaff.id)
    return list(session.scalars(stmt))


def add_assistant(session: Session, game: Game, login: str) -> User:
    """Make the instructor with ``login`` an assistant of ``game``."""
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None or not user.is_instructor or not user.is_active:
        session.rollback()
        raise GameError("assistant_unknown", "login")
    exists = session.scalar(
        select(GameStaff.id).where(GameStaff.game_id == game.id, GameStaff.user_id == user.id)
    )
    if exists:
        session.rollback()
        raise GameError("assistant_already", "login")
    session.add(GameStaff(game_id=game.id, user_id=user.id, role=StaffRole.ASSISTANT.value))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise GameError("assistant_already", "login") from None
    return user


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
        session.rollback()
        raise GameError("game_ended")
    session.execute(
        update(Round)
        .where(
            Round.game_id == game.id,
            Round.status.in_(
                [RoundStatus.SCHEDULED, RoundStatus.OPEN, RoundStatus.CLOSED, RoundStatus.HELD]
            ),
        )
        .values(status=RoundStatus.CANCELLED.value, held_from=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(game)
    return game


def players_of(session: Session, game: Game) -> list[Player]:
    stmt = (
        select(Player)
        .join(User, User.id == Player.user_id)
        .where(Player.game_id == game.id)
        .order_by(User.display_name, User.id)
    )
    return list(session.scalars(stmt))


def local_time(game: Game, value: datetime | None) -> datetime | None:
    """``value`` (UTC) in the game's time zone."""
    from simshop.models.game import as_utc

    value = as_utc(value)
    return value.astimezone(ZoneInfo(game.timezone)) if value is not None else None
