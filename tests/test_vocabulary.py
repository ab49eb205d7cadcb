"""Each vocabulary has one table of words, keyed exactly by the engine registry it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from simshop import vocabulary
from simshop.engine.accounting import PNL_LINES
from simshop.engine.bots import STRATEGIES
from simshop.engine.scenario import EVENT_KINDS, Event, Scoring
from simshop.engine.scoring import METRICS
from simshop.forms.game import CreateGameForm
from simshop.forms.scenario import EVENT_KIND_FIELDS, ScoringForm
from simshop.services.scenarios import shipped_scenario


@pytest.mark.parametrize(
    ("table", "ids"),
    [
        (vocabulary.PNL_LINE_LABELS, PNL_LINES),
        (vocabulary.METRIC_NAMES, METRICS),
        (vocabulary.METRIC_LABELS, METRICS),
        (vocabulary.METRIC_SHORT_LABELS, METRICS),
        (vocabulary.METRIC_RULES, METRICS),
        (vocabulary.BOT_STRATEGY_LABELS, tuple(STRATEGIES)),
        (vocabulary.EVENT_KIND_LABELS, tuple(EVENT_KINDS)),
    ],
    ids=["pnl", "metric names", "metric labels", "metric short", "metric rules", "bots", "events"],
)
def test_every_engine_id_has_exactly_one_label(table, ids):
    assert sorted(table) == sorted(ids)


def test_the_metrics_are_the_scenarios_scoring_weights_in_order():
    assert tuple(Scoring().as_dict()) == METRICS


def test_the_event_registry_is_the_event_union():
    classes = Event.__origin__.__args__  # Annotated[Union[...], discriminator]
    assert tuple(EVENT_KINDS.values()) == classes


def test_weight_fields_follow_the_metrics():
    assert CreateGameForm.weight_fields == tuple(f"weight_{m}" for m in METRICS)
    assert ScoringForm.names == METRICS
    assert all(hasattr(ScoringForm, m) for m in METRICS)


def test_event_forms_show_each_kinds_own_fields():
    assert list(EVENT_KIND_FIELDS) == list(EVENT_KINDS)
    assert EVENT_KIND_FIELDS["fx_move"] == ("currency", "change", "over_rounds")
    assert EVENT_KIND_FIELDS["news"] == ()


def test_every_shipped_scenario_names_the_categories_it_uses_in_both_languages():
    for path in sorted(Path("scenarios").glob("*.toml")):
        scenario = shipped_scenario(Path("scenarios"), path.stem).scenario
        used = {p.category for p in scenario.products}
        used |= {t.category for t in scenario.tariffs if t.category != "*"}
        assert used and used <= set(scenario.categories), path.name
        assert all(c.name and c.name_zh for c in scenario.categories.values()), path.name


def test_a_category_is_named_by_the_scenario_then_the_app_then_not_at_all(app):
    from simshop.i18n import category_name

    tutorial = shipped_scenario(Path("scenarios"), "tutorial").scenario
    bare = tutorial.model_copy(update={"categories": {}})
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert category_name(tutorial, "toys") == "玩具"
        assert category_name(bare, "pet") == "宠物用品"  # the app's label, translated
        assert category_name(bare, "furniture") is None  # the page shows the id
    with app.test_request_context(headers={"Accept-Language": "en"}):
        renamed = tutorial.model_copy(
            update={
                "categories": {
                    "toys": tutorial.categories["toys"].model_copy(
                        update={"name": "Games & toys", "name_zh": ""}
                    )
                }
            }
        )
        assert category_name(renamed, "toys") == "Games & toys"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert category_name(renamed, "toys") == "Games & toys"  # no Chinese name given
