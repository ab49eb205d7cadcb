"""Time one market round at 10, 100, 500 and 2,000 teams.

The scenario is built in code: 8 markets x 5 products x 30 days, every team entered and
listed everywhere with stock in every overseas warehouse and one shipment landing mid-round.
``--search`` rows (issue 15): the same round with 4 search terms per product, every team
writing a listing (one of four variants) and bidding on two terms (a third of them also with
an automatic campaign), so every product in every market is searched. The table prints the
round without terms and with them, each size in its own process, and the ratio of the two
(``x no terms``, of the CPU times: on the shared machine wall time is mostly waiting for a
core). The 10-team rows are the small class (issue 10: the test suite plays hundreds of them).

Each size runs in a fresh subprocess (so peak RSS is that size's alone); the child prints
JSON with the wall and CPU time of ``simulate_round`` (each the best of 3, of 7 up to 100
teams) and its peak RSS from ``resource.getrusage`` (the whole process: Python, NumPy,
SimPy, the state and the result).

    .venv/bin/python bench/bench_round.py [SIZES...]
"""

from __future__ import annotations

import functools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = (10, 100, 500, 2000)
MARKETS = ("US", "EU", "UK", "JP", "RU", "SEA", "ME", "LATAM")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "RUB", "THB", "AED", "MXN")


TERMS = 4


def bench_terms(j: int) -> list[dict[str, object]]:
    """4 search terms of product ``j`` (shares 0.4, 0.25, 0.15, 0.1)."""
    words = [f"product {j}", f"best product {j}", f"product {j} gift", f"cheap product {j} set"]
    shares = (0.4, 0.25, 0.15, 0.1)
    return [
        {
            "id": f"t{i}",
            "text": words[i],
            "share": shares[i],
            "intent": "generic" if i < 2 else "long_tail",
            "min_cpc_usd": 0.2,
        }
        for i in range(TERMS)
    ]


def bench_scenario(search: bool = False):
    from simshop.engine.scenario import parse_scenario_dict

    markets = [
        {
            "code": code,
            "name": code,
            "currency": CURRENCIES[i],
            "fx_cny_per_local": 1.0 + i,
            "size": 100.0 / (i + 1),
            "platform_fee": 0.15,
            "fulfilment_cny_per_unit": 20.0,
            "storage_cny_per_unit_day": 0.03,
            "lanes": [
                {"mode": "sea", "lead_days": 20 + i, "cost_cny_per_kg": 4.0},
                {"mode": "air", "lead_days": 8, "cost_cny_per_kg": 40.0},
            ],
        }
        for i, code in enumerate(MARKETS)
    ]
    products = [
        {
            "id": f"p{j}",
            "name": f"Product {j}",
            "category": f"cat{j}",
            "unit_cost_cny": 20.0 + j,
            "weight_kg": 0.3,
            "reference_price_usd": 15.0 + 5 * j,
            **({"search_terms": bench_terms(j)} if search else {}),
        }
        for j in range(5)
    ]
    return parse_scenario_dict(
        {
            "meta": {"id": "bench", "title": "Bench"},
            "calendar": {"rounds": 4, "days_per_round": 30},
            "economy": {"starting_cash_cny": 1e7, "credit_line_cny": 1e6},
            "markets": markets,
            "products": products,
            "tariffs": [{"market": code, "rate": 0.1} for code in MARKETS],
        }
    )


@functools.cache
def bench_listing(k: int, j: int):
    """One of 24 listing variants of product ``j`` (immutable, so shared by the teams that
    write the same one, as a service parsing identical sheets could)."""
    from simshop.engine.sheet import Listing

    titles = [
        f"Product {j} best gift set",
        f"Best product {j}",
        f"Cheap product {j} set gift",
        f"Product {j}",
    ]
    return Listing(
        title=titles[k % 4], bullets=["Good"] * (k % 6), images=k % 8, description="Fine"
    )


@functools.cache
def bench_campaigns(k: int, fx: float):
    from simshop.engine.sheet import Campaign

    bid = round((0.3 + 0.02 * (k % 40)) * 7.1 / fx, 2)
    budget = round(20 * 7.1 / fx, 2)
    campaigns = {
        f"t{(k + i) % TERMS}": Campaign(bid_local=bid, daily_budget_local=budget) for i in range(2)
    }
    auto = Campaign(bid_local=bid, daily_budget_local=budget) if k % 3 == 0 else None
    return campaigns, auto


def bench_inputs(n_teams: int, search: bool = False):
    from simshop.engine.decisions import DecisionSheet, Offer, Shipment
    from simshop.engine.state import initial_state

    sc = bench_scenario(search)
    state = initial_state(sc, [f"team{i:04d}" for i in range(n_teams)])
    decisions = {}
    for k, (tid, team) in enumerate(state.teams.items()):
        team.entered_markets = list(MARKETS)
        team.china_stock = {p.id: 500 for p in sc.products}
        for code in MARKETS:
            team.warehouse_stock[code] = {p.id: 150 + (k % 50) for p in sc.products}
        offers = {
            m.code: {
                p.id: Offer(
                    price_local=round(
                        p.reference_price_usd * 7.1 / m.fx_cny_per_local * (0.9 + 0.004 * (k % 50)),
                        2,
                    ),
                    ad_budget_cny=1000.0 * (k % 3),
                    **_search_offer(search, k, j, m.fx_cny_per_local),
                )
                for j, p in enumerate(sc.products)
            }
            for m in sc.markets
        }
        decisions[tid] = DecisionSheet(
            offers=offers,
            shipments=[Shipment(product="p0", market=MARKETS[k % 8], mode="air", quantity=100)],
        )
    return sc, state, decisions


def _search_offer(search: bool, k: int, j: int, fx: float) -> dict[str, object]:
    if not search:
        return {}
    campaigns, auto = bench_campaigns(k % 120, fx)
    return {"listing": bench_listing(k % 24, j), "campaigns": campaigns, "auto_campaign": auto}


def child(n_teams: int, search: bool = False) -> None:
    from simshop.engine.market import simulate_round

    sc, state, decisions = bench_inputs(n_teams, search)
    best = cpu = float("inf")
    result = None
    for _ in range(7 if n_teams <= 100 else 3):
        result = None  # one round's results alive at a time: the peak is one round's
        t0, c0 = time.perf_counter(), time.process_time()
        result = simulate_round(sc, state, decisions, game_seed=1)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    sold = sum(int(s["units_sold"]) for ps in result.markets.values() for s in ps.values())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "teams": n_teams,
                "seconds": best,
                "cpu_seconds": cpu,
                "peak_rss_mb": peak_kb / 1024,
                "units_sold": sold,
            }
        )
    )


def main(sizes: tuple[int, ...]) -> None:
    print(
        f"{'teams':>6} {'terms':>6} {'round s':>9} {'cpu s':>7} {'x no terms':>10} "
        f"{'ms/team':>9} {'peak RSS MB':>12} {'units sold':>11}"
    )
    for n in sizes:
        plain_cpu = None
        for search in (False, True):
            args = [sys.executable, __file__, "--child", str(n)] + (["--search"] if search else [])
            proc = subprocess.run(args, capture_output=True, text=True)
            if proc.returncode:
                raise SystemExit(proc.stderr)
            out = proc.stdout
            r = json.loads(out.strip().splitlines()[-1])
            plain_cpu = plain_cpu or r["cpu_seconds"]
            ratio = f"{r['cpu_seconds'] / plain_cpu:>10.2f}" if search else f"{'':>10}"
            print(
                f"{n:>6} {TERMS if search else 0:>6} {r['seconds']:>9.3f} "
                f"{r['cpu_seconds']:>7.3f} {ratio} "
                f"{1000 * r['seconds'] / n:>9.3f} {r['peak_rss_mb']:>12.1f} {r['units_sold']:>11}"
            )


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), "--search" in sys.argv[3:])
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
