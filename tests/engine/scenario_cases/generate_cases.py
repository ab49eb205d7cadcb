"""Regenerate the malformed fixtures: .venv/bin/python tests/engine/scenario_cases/generate_cases.py

Each case is the small valid base with one thing broken; line numbers in
tests/engine/test_scenario_validation.py depend on the base, so change it with care.
"""

from pathlib import Path

OUT = Path(__file__).parent
BASE = """[meta]
id = "case"
title = "A small valid scenario"

[calendar]
rounds = 4
days_per_round = 30

[economy]
starting_cash_cny = 500000.0

[[markets]]
code = "US"
name = "United States"
currency = "USD"
fx_cny_per_local = 7.107
size = 100.0
platform_fee = 0.15

[[markets.lanes]]
mode = "sea"
lead_days = 25
cost_cny_per_kg = 3.6

[[markets.lanes]]
mode = "parcel"
lead_days = 10
cost_cny_per_kg = 60.0

[[markets]]
code = "EU"
name = "European Union"
currency = "EUR"
fx_cny_per_local = 8.313
size = 64.0
platform_fee = 0.15

[[markets.lanes]]
mode = "sea"
lead_days = 35
cost_cny_per_kg = 4.3

[[products]]
id = "earbuds"
name = "Wireless earbuds"
category = "electronics"
unit_cost_cny = 45.0
weight_kg = 0.15
reference_price_usd = 29.99

[[products]]
id = "toy-blocks"
name = "Building blocks"
category = "toys"
unit_cost_cny = 30.0
weight_kg = 0.5
reference_price_usd = 24.99

[[tariffs]]
market = "US"
category = "electronics"
rate = 0.375

[[events]]
kind = "tariff_change"
id = "hike"
round = 2
headline = "Tariffs up"
market = "US"
add_points = 0.10
"""


def rep(old, new, count=1):
    assert BASE.count(old) >= 1, old
    return BASE.replace(old, new, count)


EVENT = """
[[events]]
kind = "{kind}"
id = "{id}"
round = {round}
headline = "Something happens"
{extra}"""


def ev(kind="news", id="extra", round=3, extra=""):
    return BASE + EVENT.format(kind=kind, id=id, round=round, extra=extra)


TERMS = """reference_price_usd = 24.99

[[products.search_terms]]
id = "blocks"
text = "building blocks"
share = {share0}
intent = "{intent}"
min_cpc_usd = {cpc}

[[products.search_terms]]
id = "{id1}"
text = "blocks for kids"
share = 0.5
"""


def terms(share0=0.4, intent="generic", cpc=0.3, id1="blocks-kids"):
    text = TERMS.format(share0=share0, intent=intent, cpc=cpc, id1=id1)
    return rep("reference_price_usd = 24.99\n", text)


SEARCH = """cost_cny_per_kg = 4.3

[markets.search]
sponsored_slots = 2
organic_slots = 3
attention = [1.0, 0.5]
"""


CASES = {
    "syntax_error.toml": rep("size = 64.0", "size = 64.0.0"),
    "syntax_unclosed_table.toml": rep("[calendar]", "[calendar"),
    "missing_meta_title.toml": rep('title = "A small valid scenario"\n', ""),
    "missing_lane_lead_days.toml": rep("lead_days = 35\n", ""),
    "string_for_number.toml": rep("unit_cost_cny = 45.0", 'unit_cost_cny = "45"'),
    "negative_price.toml": rep("reference_price_usd = 24.99", "reference_price_usd = -24.99"),
    "negative_lead_days.toml": rep("lead_days = 10", "lead_days = -3"),
    "unknown_market_in_event.toml": ev("demand_shock", extra='market = "JP"\nmultiplier = 2.0\n'),
    "unknown_market_in_tariff.toml": rep(
        'market = "US"\ncategory = "electronics"', 'market = "UK"\ncategory = "electronics"'
    ),
    "unknown_category_in_event.toml": ev(
        "tariff_change", extra='market = "US"\ncategories = ["furniture"]\nrate = 0.2\n'
    ),
    "unknown_currency_in_event.toml": ev("fx_move", extra='currency = "GBP"\nchange = 0.1\n'),
    "event_after_last_round.toml": ev("news", round=7),
    "duplicate_market.toml": rep('code = "EU"', 'code = "US"'),
    "duplicate_product_id.toml": rep('id = "toy-blocks"', 'id = "earbuds"'),
    "duplicate_event_id.toml": ev("news", id="hike"),
    "duplicate_tariff.toml": BASE
    + '\n[[tariffs]]\nmarket = "US"\ncategory = "electronics"\nrate = 0.1\n',
    "deeply_nested.toml": BASE + "\n[meta.a.b.c.d.e.f.g.h.i.j]\nx = 1\n",
    "deeply_nested_arrays.toml": BASE.replace(
        "[meta]\n", "[meta]\njunk = " + "[" * 60 + "]" * 60 + "\n"
    ),
    "unknown_key_typo.toml": rep(
        'platform_fee = 0.15\n\n[[markets.lanes]]\nmode = "sea"\nlead_days = 35',
        'platfrom_fee = 0.15\n\n[[markets.lanes]]\nmode = "sea"\nlead_days = 35',
    ),
    "unknown_top_level_table.toml": BASE + '\n[marketz]\ncode = "US"\n',
    "unknown_event_kind.toml": ev("tarif_change", extra='market = "US"\nrate = 0.2\n'),
    "missing_event_kind.toml": BASE + '\n[[events]]\nid = "nokind"\nround = 2\nheadline = "x"\n',
    "rate_and_add_points.toml": rep("add_points = 0.10", "add_points = 0.10\nrate = 0.5"),
    "neither_rate_nor_points.toml": rep("add_points = 0.10\n", ""),
    "bad_market_code.toml": rep('code = "EU"', 'code = "DE"'),
    "bad_currency.toml": rep('currency = "EUR"', 'currency = "euro"'),
    "lane_repeated.toml": rep('mode = "parcel"', 'mode = "sea"'),
    "seasonality_11_values.toml": rep(
        'platform_fee = 0.15\n\n[[markets.lanes]]\nmode = "sea"\nlead_days = 35',
        "platform_fee = 0.15\nseasonality = ["
        + ", ".join(["1.0"] * 11)
        + ']\n\n[[markets.lanes]]\nmode = "sea"\nlead_days = 35',
    ),
    "announce_after_effect.toml": rep(
        'round = 2\nheadline = "Tariffs up"',
        'round = 2\nannounce_round = 3\nheadline = "Tariffs up"',
    ),
    "last_day_before_first_day.toml": ev(
        "demand_shock", extra='market = "US"\nmultiplier = 2.0\nfirst_day = 20\nlast_day = 10\n'
    ),
    "day_past_round.toml": ev(
        "demand_shock", extra='market = "US"\nmultiplier = 2.0\nfirst_day = 25\nlast_day = 31\n'
    ),
    "empty.toml": "",
    "comments_only.toml": "# just a comment\n\n# nothing else\n",
    "bad_identifier.toml": rep('id = "toy-blocks"', 'id = "Toy Blocks"'),
    "boolean_for_number.toml": rep("rounds = 4", "rounds = true"),
    "float_for_integer.toml": rep("rounds = 4", "rounds = 4.5"),
    "unknown_bot_strategy.toml": BASE
    + '\n[bots]\nstrategies = ["cost_plus", "random_walk"]\ncount = 2\n',
    "zero_scoring_weights.toml": BASE
    + "\n[scoring]\nprofit = 0.0\nrevenue = 0.0\nmarket_share = 0.0\nrating = 0.0\nroi = 0.0\n",
    "disruption_on_missing_lane.toml": ev(
        "shipping_disruption", extra='markets = ["EU"]\nmode = "air"\nextra_days = 5\n'
    ),
    "market_rule_empty.toml": ev("market_rule", extra='market = "US"\n'),
    "events_not_an_array.toml": "events = 5\n" + BASE[: BASE.index("[[events]]")],
    "practice_rounds_too_many.toml": rep(
        "days_per_round = 30", "days_per_round = 30\npractice_rounds = 4"
    ),
    "fee_out_of_range.toml": rep("platform_fee = 0.15", "platform_fee = 15.0"),
    "huge_market_size.toml": rep("size = 64.0", "size = 1e300"),
    "infinite_cash.toml": rep("starting_cash_cny = 500000.0", "starting_cash_cny = inf"),
    "nan_lane_cost.toml": rep("cost_cny_per_kg = 3.6", "cost_cny_per_kg = nan"),
    "tiny_fx_rate.toml": rep("fx_cny_per_local = 8.313", "fx_cny_per_local = 1e-200"),
    "nul_in_title.toml": rep('title = "A small valid scenario"', 'title = "A \\u0000 scenario"'),
    "huge_scoring_weight.toml": BASE + "\n[scoring]\nprofit = 1e400\n",
    "warehouse_fee_change_empty.toml": ev(
        "warehouse_fee_change", extra='market = "US"\nduration_rounds = 2\n'
    ),
    "refund_of_duty_not_yet_paid.toml": ev(
        "duty_refund", extra='market = "US"\npaid_from_round = 1\npaid_to_round = 3\nshare = 1.0\n'
    ),
    "refund_rounds_out_of_order.toml": ev(
        "duty_refund", extra='market = "US"\npaid_from_round = 2\npaid_to_round = 1\nshare = 1.0\n'
    ),
    "refund_share_and_rate.toml": ev(
        "duty_refund", extra='market = "US"\npaid_to_round = 2\nshare = 1.0\nrate = 0.2\n'
    ),
    "refund_unknown_category.toml": ev(
        "duty_refund",
        extra='market = "US"\ncategories = ["furniture"]\npaid_to_round = 2\nshare = 1.0\n',
    ),
    "parcel_duty_more_categories_than_items.toml": ev(
        "parcel_category_duty",
        extra='market = "EU"\nduty_per_category_local = 3.0\nmax_value_local = 150.0\n'
        "categories_per_parcel = 3.0\nitems_per_parcel = 2.0\n",
    ),
    "parcel_duty_negative.toml": ev(
        "parcel_category_duty",
        extra='market = "EU"\nduty_per_category_local = -3.0\nmax_value_local = 150.0\n',
    ),
    "search_shares_over_one.toml": terms(share0=0.7),
    "duplicate_search_term.toml": terms(id1="blocks"),
    "bad_search_intent.toml": terms(intent="promo"),
    "negative_min_cpc.toml": terms(cpc=-0.1),
    "attention_length.toml": rep("cost_cny_per_kg = 4.3\n", SEARCH),
}

for name, text in CASES.items():
    (OUT / name).write_text(text, encoding="utf-8")
(OUT / "non_utf8.toml").write_bytes(
    BASE.replace('"Building blocks"', '"Building blocks \xe9"').encode("latin-1")
)
(OUT / "valid_base.toml").write_text(BASE, encoding="utf-8")
print(len(CASES) + 1, "malformed")
