"""Scenario authoring: the shipped library, instructors' own scenarios, edits and previews.

Shipped scenarios are the files in ``scenarios/`` (read-only). An instructor's own scenarios
are :class:`~simshop.models.ScenarioDraft` rows holding TOML text. Every save goes through
the same pipeline as the command line (:func:`load_scenario_text`), so a stored scenario is
always valid and a refused edit raises :class:`ScenarioInvalid` with located problems —
nothing is written.

Edits work on the plain data :mod:`tomllib` returns: a caller changes a section of the dict
(:func:`put_item`, :func:`remove_item`, ``data["meta"] = ...``) and :func:`edit_draft`
writes it back with :func:`simshop.services.scenario_toml.dumps` and re-validates it.

Functions take the SQLAlchemy session explicitly; each save is one transaction.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from simshop.engine.bots import Strategy
from simshop.engine.headless import play_game
from simshop.engine.scenario import Scenario, parse_scenario_text
from simshop.engine.scenario_errors import (
    LoadedScenario,
    ScenarioInvalid,
    ScenarioProblem,
    TomlLocator,
    load_scenario_bytes,
    load_scenario_file,
    load_scenario_text,
)
from simshop.models import ScenarioDraft, User
from simshop.models.user import utcnow
from simshop.services.scenario_toml import dumps
from simshop.services.uow import unit_of_work

ID_MAX_LENGTH = 48
TITLE_MAX_LENGTH = 120
PREVIEW_SEED = 20260101
PREVIEW_BOTS = 4
MAX_PREVIEW_WORK = 20_000
"""The largest scenario the server previews, in market-product-days (rounds x days per round
x markets x products): about 0.25 ms each with the preview's bots on the reference machine,
so at most ~5 s, far inside a worker's 30 s. The library's largest is 3,600."""
"""Preview seats: four bots cycling the scenario's strategies (all built-ins if it names none)."""


class NotAllowed(Exception):
    """The user may not author scenarios (students)."""


# --------------------------------------------------------------------------- shipped


@dataclass(frozen=True)
class ShippedScenario:
    """A scenario file of the library; ``name`` is the file name without ``.toml``."""

    name: str
    path: Path
    text: str
    sha256: str
    scenario: Scenario


@functools.lru_cache(maxsize=64)
def _load_shipped(path: str, _mtime_ns: int) -> LoadedScenario | None:
    try:
        return load_scenario_file(path)
    except ScenarioInvalid:
        return None


def shipped_scenarios(scenarios_dir: str | Path) -> list[ShippedScenario]:
    """The valid ``*.toml`` files of the library, by file name (broken ones are left out;
    ``flask scenario check`` reports them)."""
    out = []
    for path in sorted(Path(scenarios_dir).glob("*.toml"), key=lambda p: p.stem):
        loaded = _load_shipped(str(path), path.stat().st_mtime_ns)
        if loaded is not None:
            out.append(
                ShippedScenario(path.stem, path, loaded.text, loaded.sha256, loaded.scenario)
            )
    return out


def shipped_scenario(scenarios_dir: str | Path, name: str) -> ShippedScenario | None:
    """The library scenario called ``name`` (a listed file stem only: no paths)."""
    return next((s for s in shipped_scenarios(scenarios_dir) if s.name == name), None)


# --------------------------------------------------------------------------- own scenarios


def drafts_for(session: Session, user: User) -> list[ScenarioDraft]:
    """The scenarios ``user`` may open: their own; an administrator sees everyone's."""
    stmt = select(ScenarioDraft).order_by(ScenarioDraft.updated_at.desc(), ScenarioDraft.id.desc())
    if not user.is_admin:
        stmt = stmt.where(ScenarioDraft.owner_id == user.id)
    return list(session.scalars(stmt))


def draft_for(session: Session, draft_id: int, user: User) -> ScenarioDraft | None:
    """The draft if ``user`` owns it (or is an administrator), else None."""
    if not user.is_instructor:
        return None
    draft = session.get(ScenarioDraft, draft_id)
    if draft is None or (draft.owner_id != user.id and not user.is_admin):
        return None
    return draft


@functools.lru_cache(maxsize=64)
def _parse(sha256: str, text: str) -> Scenario:
    return parse_scenario_text(text)


def scenario_of(draft: ScenarioDraft) -> Scenario:
    """The draft's validated scenario (parsed once per SHA-256)."""
    return _parse(draft.sha256, draft.toml_text)


def data_of(draft: ScenarioDraft) -> dict[str, Any]:
    """A fresh, freely editable copy of the draft's data as :mod:`tomllib` reads it."""
    return tomllib.loads(draft.toml_text)


def has_unwritten_formatting(draft: ScenarioDraft) -> bool:
    """True when the stored text is not what the form writer would produce: it came from an
    uploaded file whose comments and layout a form save would drop."""
    return draft.toml_text != dumps(tomllib.loads(draft.toml_text))


def sha256_of(text: str) -> str:
    """The SHA-256 a game records for this text (of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _slug_taken(session: Session, owner_id: int, slug: str, *, except_id: int | None) -> bool:
    stmt = select(ScenarioDraft.id).where(
        ScenarioDraft.owner_id == owner_id, ScenarioDraft.slug == slug
    )
    if except_id is not None:
        stmt = stmt.where(ScenarioDraft.id != except_id)
    return session.scalar(stmt) is not None


def _id_taken_problem(source: str, text: str, slug: str) -> ScenarioProblem:
    return ScenarioProblem(
        source,
        "meta.id",
        TomlLocator(text).line_of(("meta", "id")),
        "id_taken",
        f"you already have a scenario with id '{slug}'; choose another id",
        {"id": slug},
    )


def _unique_slug(session: Session, owner_id: int, wanted: str) -> str:
    base = wanted[:ID_MAX_LENGTH]
    slug, n = base, 2
    while _slug_taken(session, owner_id, slug, except_id=None):
        suffix = f"-{n}"
        slug = base[: ID_MAX_LENGTH - len(suffix)] + suffix
        n += 1
    return slug


def _require_instructor(user: User) -> None:
    if not user.is_instructor:
        raise NotAllowed(user.id)


def _store_new(session: Session, owner: User, loaded: LoadedScenario) -> ScenarioDraft:
    meta = loaded.scenario.meta
    draft = ScenarioDraft(
        owner_id=owner.id,
        slug=meta.id,
        title=meta.title,
        toml_text=loaded.text,
        sha256=sha256_of(loaded.text),
    )
    session.add(draft)
    return draft


@unit_of_work
def copy_scenario(
    session: Session,
    owner: User,
    text: str,
    *,
    title_prefix: str = "Copy of ",
    title_zh_prefix: str = "副本：",
) -> ScenarioDraft:
    """Save a copy of scenario ``text`` (shipped or own) as a new draft of ``owner``.

    The copy gets the id ``copy-of-<id>`` (``-2``, ``-3`` … if taken) and the title
    ``title_prefix + title`` (cut to 120 characters); the Chinese title, if any, gets
    ``title_zh_prefix``. The copy is written by the form writer, so comments are dropped.
    """
    _require_instructor(owner)
    data = tomllib.loads(text)
    meta = data.setdefault("meta", {})
    meta["id"] = _unique_slug(session, owner.id, f"copy-of-{meta.get('id', 'scenario')}")
    meta["title"] = f"{title_prefix}{meta.get('title', '')}"[:TITLE_MAX_LENGTH]
    if meta.get("title_zh"):
        meta["title_zh"] = f"{title_zh_prefix}{meta['title_zh']}"[:TITLE_MAX_LENGTH]
    written = dumps(data)
    return _store_new(session, owner, load_scenario_text(written, f"{meta['id']}.toml"))


@unit_of_work
def upload_scenario(session: Session, owner: User, data: bytes, source_name: str) -> ScenarioDraft:
    """Save an uploaded file as a new draft, its text kept as it is (comments too).

    Raises :class:`ScenarioInvalid` (nothing saved) for a broken file or an id the owner
    already uses.
    """
    _require_instructor(owner)
    loaded = load_scenario_bytes(data, source_name)
    text = loaded.text.removeprefix("\ufeff")
    slug = loaded.scenario.meta.id
    if _slug_taken(session, owner.id, slug, except_id=None):
        raise ScenarioInvalid([_id_taken_problem(source_name, text, slug)])
    return _store_new(session, owner, LoadedScenario(loaded.scenario, text, sha256_of(text)))


@unit_of_work
def save_data(session: Session, draft: ScenarioDraft, data: dict[str, Any]) -> ScenarioDraft:
    """Write ``data`` as the draft's new text if it is a valid scenario.

    Raises :class:`ScenarioInvalid` with every problem located by key path (the draft is
    left untouched). ``meta.id`` must stay unique among the owner's scenarios.
    """
    text = dumps(data)
    source = f"{draft.slug}.toml"
    loaded = load_scenario_text(text, source)
    slug = loaded.scenario.meta.id
    if _slug_taken(session, draft.owner_id, slug, except_id=draft.id):
        raise ScenarioInvalid([_id_taken_problem(source, text, slug)])
    draft.slug = slug
    draft.title = loaded.scenario.meta.title
    draft.toml_text = text
    draft.sha256 = sha256_of(text)
    draft.updated_at = utcnow()
    return draft


@unit_of_work
def edit_draft(
    session: Session, draft: ScenarioDraft, change: Callable[[dict[str, Any]], None]
) -> ScenarioDraft:
    """Apply ``change`` to a copy of the draft's data and save it (see :func:`save_data`)."""
    data = data_of(draft)
    change(data)
    return save_data(session, draft, data)


@unit_of_work
def delete_draft(session: Session, draft: ScenarioDraft) -> None:
    """Delete the draft. Games made from it keep their own snapshot and are not touched."""
    session.delete(draft)


# --------------------------------------------------------------------------- section edits


def put_item(data: dict[str, Any], section: str, index: int | None, item: dict[str, Any]) -> None:
    """Replace item ``index`` of ``data[section]`` (append when ``index`` is None), keeping
    the old item's sub-tables that ``item`` leaves out (its form does not edit them).

    A product in a category the scenario's ``[categories]`` table does not name yet adds
    the category there, named after its id (the author can rename it in the file), so the
    scenario stays valid."""
    categories = data.get("categories")
    category = item.get("category")
    if section == "products" and isinstance(categories, dict) and isinstance(category, str):
        name = category.replace("-", " ").replace("_", " ").strip().capitalize() or category
        categories.setdefault(category, {"name": name})
    items = data.setdefault(section, [])
    if index is None:
        items.append(item)
    else:
        # Sub-tables the item's form does not edit (a product's ``ip_risk``) are kept.
        old = items[index] if isinstance(items[index], dict) else {}
        kept = {k: v for k, v in old.items() if k not in item and isinstance(v, dict)}
        items[index] = {**item, **kept}


def remove_item(data: dict[str, Any], section: str, index: int) -> None:
    del data.setdefault(section, [])[index]


def set_tables(data: dict[str, Any], tables: dict[str, dict[str, Any] | None]) -> None:
    """Replace whole top-level tables (``meta``, ``calendar``, …), keeping the others; a
    table given as None is left out of the scenario (an optional one, like ``research``)."""
    for key, value in tables.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = copy.deepcopy(value)


def events_by_round(scenario: Scenario) -> list[tuple[int, list[tuple[int, Any]]]]:
    """``[(round, [(index in the file, event), ...]), ...]`` by round, then announce round,
    then id: the scenario's timeline."""
    indexed = sorted(
        enumerate(scenario.events), key=lambda p: (p[1].round, p[1].announced_in, p[1].id)
    )
    out: list[tuple[int, list[tuple[int, Any]]]] = []
    for index, event in indexed:
        if not out or out[-1][0] != event.round:
            out.append((event.round, []))
        out[-1][1].append((index, event))
    return out


# --------------------------------------------------------------------------- preview


@dataclass
class Preview:
    """A headless run of a scenario by bots: what an instructor checks before class.

    Money is CNY; ``avg_price_local`` is the mean listed price in the market's currency.
    Series are indexed by round (``rounds``); ``None`` where nothing was listed.
    """

    seed: int
    rounds: list[int]
    teams: list[dict[str, Any]]
    standings: list[dict[str, Any]]
    revenue_cny: dict[str, list[float]] = field(default_factory=dict)
    units_sold: dict[str, list[int]] = field(default_factory=dict)
    avg_price_local: dict[tuple[str, str], list[float | None]] = field(default_factory=dict)
    currency: dict[str, str] = field(default_factory=dict)
    profit_cny: dict[str, list[float]] = field(default_factory=dict)
    """Each team's cumulative profit after each round."""


def preview_work(scenario: Scenario) -> int:
    """What a preview of ``scenario`` costs, in market-product-days: the products the
    preview's bots list per market (at most ``Strategy.catalogue_picks`` of a catalogue)."""
    cal = scenario.calendar
    listed = len(scenario.products)
    if any(p.demand_range for p in scenario.products):
        listed = min(listed, Strategy.catalogue_picks)
    return cal.rounds * cal.days_per_round * len(scenario.markets) * listed


def preview_allowed(scenario: Scenario) -> bool:
    return preview_work(scenario) <= MAX_PREVIEW_WORK


def preview(text: str) -> Preview:
    """Play ``text`` with :data:`PREVIEW_BOTS` bots, a fixed seed, all its rounds (cached by
    SHA-256, so a repeated preview costs nothing). Callers check :func:`preview_allowed`
    first: a larger scenario would hold the worker too long."""
    return _preview(sha256_of(text), text)


@functools.lru_cache(maxsize=16)
def _preview(_sha256: str, text: str) -> Preview:
    scenario = parse_scenario_text(text)
    record = play_game(scenario, seed=PREVIEW_SEED, bots=PREVIEW_BOTS)
    markets = [m.code for m in scenario.markets]
    result = Preview(
        seed=PREVIEW_SEED,
        rounds=[r["round_no"] for r in record["rounds"]],
        teams=record["teams"],
        standings=record["standings"],
        revenue_cny={code: [] for code in markets},
        units_sold={code: [] for code in markets},
        currency={m.code: m.currency for m in scenario.markets},
        profit_cny={t["team_id"]: [] for t in record["teams"]},
    )
    for code in markets:
        for product in scenario.products:
            result.avg_price_local[(code, product.id)] = []
    for rnd in record["rounds"]:
        by_market = rnd["result"]["markets"]
        for code in markets:
            products = by_market.get(code, {})
            result.revenue_cny[code].append(
                round(sum(p.get("revenue_cny", 0.0) for p in products.values()), 2)
            )
            result.units_sold[code].append(sum(p.get("units_sold", 0) for p in products.values()))
            for product in scenario.products:
                stats = products.get(product.id, {}).get("price_local") or {}
                result.avg_price_local[(code, product.id)].append(stats.get("mean"))
        for row in rnd["standings"]:
            result.profit_cny[row["team_id"]].append(row["metrics"]["profit"])
    return result
