"""Calibration of the nested-logit demand model (issue 13 §1 and §2; domain.md §4).

The targets are measured by ``bench/calibration.py`` on the engine's own demand functions
(expected units, no sampling noise) with the default model parameters, N identical sellers
at the reference price. The last tests check the simulated market against the same model
with fixed seeds.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import offer_row, play, stocked_state, with_model

from simshop.engine.decisions import DecisionSheet
from simshop.engine.demand import choice_probabilities, offer_utility
from simshop.engine.scenario import ModelParams

_SPEC = importlib.util.spec_from_file_location(
    "calibration", Path(__file__).resolve().parents[2] / "bench" / "calibration.py"
)
cal = importlib.util.module_from_spec(_SPEC)
sys.modules["calibration"] = cal
_SPEC.loader.exec_module(cal)

PARAMS = ModelParams()


@pytest.mark.parametrize(("few", "many"), [(2, 8), (4, 40)])
def test_more_identical_sellers_do_not_create_more_buyers(few, many):
    ratio = cal.total_units(PARAMS, many) / cal.total_units(PARAMS, few)
    assert ratio <= 1.5
    assert ratio == pytest.approx(1.0, abs=1e-9)  # the crowding correction makes it exact


@pytest.mark.parametrize("n", [4, 10, 40, 200])
def test_targets_hold_at_each_class_size(n):
    assert -8.0 <= cal.own_elasticity(PARAMS, n) <= -3.0
    assert -2.0 <= cal.category_elasticity(PARAMS, n) <= -0.8
    assert cal.diversion_to_rivals(PARAMS, n) >= 0.5


@pytest.mark.parametrize("n", [3, 4, 10])
def test_most_units_a_seller_loses_go_to_its_rivals(n):
    assert cal.diversion_to_rivals(PARAMS, n) >= 0.5


def test_the_own_elasticity_is_the_nested_logit_formula():
    """d ln s_j / d ln p_j = -alpha * (1/lam - (1/lam - 1) s_j|nest - s_j) at the limit."""
    n, lam, alpha = 10, PARAMS.nest_lambda, PARAMS.price_alpha
    s_j = cal.units(PARAMS, np.ones(n))[0] / cal.SHOPPERS
    expected = -alpha * (1 / lam - (1 / lam - 1) / n - s_j)
    assert cal.own_elasticity(PARAMS, n, step=1e-5) == pytest.approx(expected, rel=1e-4)


def test_a_nest_parameter_of_one_is_a_plain_logit_without_crowding():
    plain = PARAMS.model_copy(update={"nest_lambda": 1.0})
    # every seller then competes mostly with the outside option
    assert cal.diversion_to_rivals(plain, 4) < 0.5


@pytest.mark.parametrize("n", [4, 40])
@pytest.mark.parametrize("share", [0.05, 0.10])
def test_a_sensible_ad_budget_pays_within_the_amazon_range(n, share):
    acos, elasticity, from_rivals = cal.ad_response(PARAMS, n, share)
    assert 0.2 <= acos <= 0.8
    assert 0.05 <= elasticity <= 0.2
    assert from_rivals >= 0.5


def test_ads_have_diminishing_returns():
    rev = cal.marginal_revenue_per_cny(PARAMS, 4, [1_000.0, 20_000.0, 100_000.0, 400_000.0])
    assert rev[0] > rev[1] > rev[2] > rev[3] > 0


def test_the_same_budget_buys_less_in_a_larger_market():
    small = cal.lift_of_fixed_budget(PARAMS, 60_000.0)
    large = cal.lift_of_fixed_budget(PARAMS, 50 * 60_000.0)
    assert 0 < large < 0.5 * small


def test_adstock_carries_over_at_the_carryover_rate():
    """A lasting change's cumulative effect is 1 / (1 - lambda) x the first round's."""
    lam = PARAMS.ad_carryover
    steady = 20_000.0 / (1 - lam)

    def ln_units(adstock: float) -> float:
        ads = np.zeros(4)
        ads[0] = adstock
        return math.log(cal.units(PARAMS, np.ones(4), ads)[0])

    bump = 50.0
    first = ln_units(steady + bump) - ln_units(steady)
    total = sum(ln_units(steady + bump * lam**k) - ln_units(steady) for k in range(60))
    assert total / first == pytest.approx(1 / (1 - lam), rel=0.01)


def test_the_calibration_table_meets_every_target():
    rows = cal.table()
    assert len(rows) == 2 + 3 * 4 + 3 * 4 + 2
    assert [r.target for r in rows if not r.ok] == []


# --------------------------------------------------------------------------- simulated


def _sim_units(n_teams: int, prices: dict[str, float], seed: int) -> dict[str, int]:
    sc = with_model(shoppers_per_size_day=300.0)
    teams = [f"t{i:03d}" for i in range(n_teams)]
    state = stocked_state(sc, teams, warehouse=10**7)
    sheets = {
        t: DecisionSheet.model_validate(
            {"offers": {"US": {"gadget": {"price_local": prices.get(t, 10.0)}}}}
        )
        for t in teams
    }
    result = play(sc, state, sheets, seed=seed)
    return {t: offer_row(result, t)["units_sold"] for t in teams}


@pytest.mark.parametrize("seed", [3, 17])
def test_simulated_market_size_does_not_grow_with_the_class(seed):
    four = sum(_sim_units(4, {}, seed).values())
    forty = sum(_sim_units(40, {}, seed).values())
    assert forty / four <= 1.05
    assert forty / four >= 0.95


@pytest.mark.parametrize("seed", [5, 23])
def test_simulated_rivals_take_most_of_a_price_raisers_units(seed):
    base = _sim_units(4, {}, seed)
    raised = _sim_units(4, {"t000": 11.0}, seed)
    lost = base["t000"] - raised["t000"]
    gained = sum(raised[t] - base[t] for t in base if t != "t000")
    assert lost > 0
    assert gained / lost >= 0.5


def test_extreme_inputs_give_finite_probabilities():
    n = 6
    u = offer_utility(
        PARAMS,
        PARAMS.price_alpha * 5,
        np.array([1e-12, 1e-3, 1.0, 1e3, 1e12, 0.0]),
        np.array([0.0, 1.0, 0.5, 0.5, 0.5, 0.5]),
        np.array([1.0, 5.0, 4.0, 4.0, 4.0, 4.0]),
        np.array([0, 10**9, 5, 5, 5, 5]),
        np.array([0.0, 120.0, 2.0, 2.0, 2.0, 2.0]),
        np.array([0.0, 1e15, 0.0, 0.0, 0.0, -5.0]),
        np.array([1.0, 1e-300, 1e300, 1.0, 1.0, 0.0]),
    )
    for lam in (0.1, 0.25, 1.0):
        for outside in (-20.0, 0.0, 20.0):
            probs, rest = choice_probabilities(u, lam, outside)
            assert np.isfinite(probs).all() and math.isfinite(rest)
            assert probs.min() >= 0.0 and probs.sum() + rest == pytest.approx(1.0)
    assert len(u) == n


def test_docs_show_the_table_the_script_prints():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "engine.md").read_text(encoding="utf-8")
    assert cal.markdown(cal.table()) in docs
