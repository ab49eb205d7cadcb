"""What an instructor chooses for a new game (:class:`GameSpec`) and its check.

:func:`spec_problems` validates a spec against its scenario with one pydantic model
(:class:`SpecCheck`): every field is checked in the same pass, and each problem becomes a
:class:`GameError` with a machine ``code``, the form ``field`` it belongs on, and ``params``
(the web and CLI layers word it: ``GAME_MESSAGES`` in :mod:`simshop.messages`). Fields left
unset take the scenario's value, which the check writes back into the spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from simshop.engine.bots import BOT_STRATEGIES
from simshop.engine.scenario import MAX_SCORING_WEIGHT, Scenario
from simshop.engine.scoring import METRICS
from simshop.errors import CodedError
from simshop.models import ScheduleMode
from simshop.models.user import utcnow

TITLE_MAX_LENGTH = 120
MAX_TEAM_SIZE = 12
MAX_BOTS = 50
MAX_PRACTICE_ROUNDS = 5
MIN_ROUND_INTERVAL = timedelta(minutes=5)


class GameError(CodedError):
    """A refused game operation: ``code`` says why, ``field`` names the form field."""

    area = "game"


class GameSpecErrors(GameError):
    """Every problem of a game spec at once (``problems``); ``code`` and ``field`` are the
    first one's, for callers that show a single message."""

    def __init__(self, problems: list[GameError]) -> None:
        first = problems[0]
        super().__init__(first.code, first.field, **first.params)
        self.problems = problems


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
    briefing_exact_sizes: bool = False
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- the model


def _refuse(code: str, form_field: str, **params: Any) -> PydanticCustomError:
    """A problem of ours: its code, and the form field it is shown on (in the context)."""
    return PydanticCustomError(code, code, {"form_field": form_field, **params})


def _scenario(info: ValidationInfo) -> Scenario:
    scenario = (info.context or {}).get("scenario")
    assert isinstance(scenario, Scenario), "validate with context={'scenario': ...}"
    return scenario


def _max_practice(scenario: Scenario) -> int:
    return min(MAX_PRACTICE_ROUNDS, scenario.calendar.rounds)


Whole = Annotated[int, Field(strict=True)]
Weight = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_SCORING_WEIGHT)]


class _SpecFields(BaseModel):
    """Every setting of a new game but the scoring weights, checked against the scenario
    given as ``context={"scenario": ...}``. Fields are checked in the order written; a rule
    over two fields sits on the later one and reads the earlier from ``info.data`` (present
    only when it passed)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    title: str
    scored_rounds: Whole | None = Field(default=None, validate_default=True)
    practice_rounds: Whole | None = Field(default=None, validate_default=True)
    schedule: str
    round_interval: timedelta
    first_deadline: datetime | None
    timezone: str
    team_min_size: Whole
    team_max_size: Whole
    bot_count: Whole | None = Field(default=None, validate_default=True)
    bot_strategies: list[str] | None = Field(default=None, validate_default=True)

    @field_validator("title")
    @classmethod
    def _title(cls, title: str) -> str:
        title = " ".join(title.split())
        if not title or len(title) > TITLE_MAX_LENGTH:
            raise _refuse("title_length", "title", max=TITLE_MAX_LENGTH)
        return title

    @field_validator("scored_rounds", "practice_rounds", "bot_count", mode="before")
    @classmethod
    def _scenario_default(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        scenario = _scenario(info)
        return {
            "scored_rounds": scenario.calendar.rounds,
            "practice_rounds": scenario.calendar.practice_rounds,
            "bot_count": scenario.bots.count,
        }[info.field_name or ""]

    @field_validator("scored_rounds")
    @classmethod
    def _scored_rounds(cls, rounds: int, info: ValidationInfo) -> int:
        most = _scenario(info).calendar.rounds
        if not 1 <= rounds <= most:
            raise _refuse("rounds_range", "scored_rounds", max=most)
        return rounds

    @field_validator("practice_rounds")
    @classmethod
    def _practice_rounds(cls, rounds: int, info: ValidationInfo) -> int:
        most = _max_practice(_scenario(info))
        if not 0 <= rounds <= most:
            raise _refuse("practice_range", "practice_rounds", max=most)
        return rounds

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, schedule: str) -> str:
        if schedule not in {m.value for m in ScheduleMode}:
            raise _refuse("schedule_unknown", "schedule")
        return schedule

    @field_validator("round_interval")
    @classmethod
    def _round_interval(cls, interval: timedelta, info: ValidationInfo) -> timedelta:
        if info.data.get("schedule") == ScheduleMode.DEADLINES and interval < MIN_ROUND_INTERVAL:
            raise _refuse("interval_too_short", "round_interval_hours")
        return interval

    @field_validator("first_deadline")
    @classmethod
    def _first_deadline(cls, first: datetime | None, info: ValidationInfo) -> datetime | None:
        if info.data.get("schedule") != ScheduleMode.DEADLINES:
            return first
        if first is None or first.tzinfo is None:
            raise _refuse("deadline_required", "first_deadline")
        rounds = info.data.get("practice_rounds", 0) + info.data.get("scored_rounds", 1) - 1
        interval = info.data.get("round_interval", timedelta(0))
        try:  # the last round's deadline, in UTC: year 9999 in New York overflows
            (first + rounds * interval).astimezone(ZoneInfo("UTC"))
        except OverflowError:
            raise _refuse("deadline_range", "first_deadline") from None
        if first <= utcnow():
            raise _refuse("deadline_past", "first_deadline")
        return first

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, timezone: str) -> str:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _refuse("timezone_unknown", "timezone") from None
        return timezone

    @field_validator("team_max_size")
    @classmethod
    def _team_sizes(cls, largest: int, info: ValidationInfo) -> int:
        smallest = info.data.get("team_min_size", 0)
        if not 1 <= smallest <= largest <= MAX_TEAM_SIZE:
            raise _refuse("team_size_range", "team_max_size", max=MAX_TEAM_SIZE)
        return largest

    @field_validator("bot_count")
    @classmethod
    def _bot_count(cls, count: int) -> int:
        if not 0 <= count <= MAX_BOTS:
            raise _refuse("bot_count_range", "bot_count", max=MAX_BOTS)
        return count

    @field_validator("bot_strategies", mode="before")
    @classmethod
    def _default_strategies(cls, strategies: Any, info: ValidationInfo) -> Any:
        return strategies or list(_scenario(info).bots.strategies) or list(BOT_STRATEGIES)

    @field_validator("bot_strategies")
    @classmethod
    def _known_strategies(cls, strategies: list[str]) -> list[str]:
        unknown = [s for s in strategies if s not in BOT_STRATEGIES]
        if unknown:
            raise _refuse("bot_strategy_unknown", "bot_strategies", strategy=", ".join(unknown))
        return strategies


WEIGHT_FIELDS = tuple(f"weight_{metric}" for metric in METRICS)
"""The scoring weights, one field per scorecard metric (the new-game form's names)."""


def _default_weight(value: Any, info: ValidationInfo) -> Any:
    """A weight left out keeps the scenario's."""
    if value is None:
        return _scenario(info).scoring.as_dict()[(info.field_name or "").removeprefix("weight_")]
    return value


def _some_weight_positive(value: float, info: ValidationInfo) -> float:
    """Runs on the last weight: with the valid ones before it, one must be above 0."""
    weights = [info.data[f] for f in WEIGHT_FIELDS[:-1] if f in info.data] + [value]
    if sum(weights) <= 0:
        raise _refuse("weights_zero", "weight_profit")
    return value


SpecCheck = create_model(
    "SpecCheck",
    __base__=_SpecFields,
    __validators__={
        "weight_default": field_validator(*WEIGHT_FIELDS, mode="before")(_default_weight),
        "weights_positive": field_validator(WEIGHT_FIELDS[-1])(_some_weight_positive),
    },
    **{name: (Weight, Field(default=None, validate_default=True)) for name in WEIGHT_FIELDS},
)
"""The whole new-game check: :class:`_SpecFields` plus a weight field per metric."""


# --------------------------------------------------------------------------- problems


_FORM_FIELDS = {"round_interval": "round_interval_hours"}


def _game_error(error: ErrorDetails) -> GameError:
    """One pydantic error as the coded problem the form shows on its field."""
    ctx = dict(error.get("ctx") or {})
    name = str(error["loc"][0]) if error["loc"] else ""
    if "form_field" in ctx:
        return GameError(error["type"], ctx.pop("form_field"), **ctx)
    if name.startswith("weight_"):
        key = name.removeprefix("weight_")
        if error["type"] == "extra_forbidden":
            return GameError("weight_unknown", "scoring", key=key)
        if error["type"] == "greater_than_equal":
            return GameError("weight_negative", name, key=key)
        return GameError("weight_range", name, key=key, max=MAX_SCORING_WEIGHT)
    return GameError("value_invalid", _FORM_FIELDS.get(name, name))


def spec_problems(spec: GameSpec, scenario: Scenario) -> list[GameError]:
    """Every problem of ``spec`` against ``scenario``, in field order; when there is none,
    the scenario's values are filled into ``spec`` (rounds, bots, weights) and its title is
    tidied."""
    data = {
        "title": spec.title or "",
        "scored_rounds": spec.scored_rounds,
        "practice_rounds": spec.practice_rounds,
        "schedule": spec.schedule,
        "round_interval": spec.round_interval,
        "first_deadline": spec.first_deadline,
        "timezone": spec.timezone,
        "team_min_size": spec.team_min_size,
        "team_max_size": spec.team_max_size,
        "bot_count": spec.bot_count,
        "bot_strategies": spec.bot_strategies,
        **{f"weight_{key}": value for key, value in (spec.scoring_weights or {}).items()},
    }
    try:
        checked = SpecCheck.model_validate(data, context={"scenario": scenario})
    except ValidationError as exc:
        return [_game_error(e) for e in exc.errors(include_url=False)]
    spec.title = checked.title
    spec.scored_rounds = checked.scored_rounds
    spec.practice_rounds = checked.practice_rounds
    spec.bot_count = checked.bot_count
    spec.bot_strategies = checked.bot_strategies
    spec.scoring_weights = {m: float(getattr(checked, f"weight_{m}")) for m in METRICS}
    return []
