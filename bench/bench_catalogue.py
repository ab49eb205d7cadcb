"""Time one market round of a 30-product catalogue at 2,000 teams, next to the baseline.

The catalogue scenario is ``bench_round``'s world (8 markets, 30 days) with 30 products in 6
categories, each with a demand range in every market (drawn per game) and three suppliers
(price tiers, lead days 0, 10 and 45, deposits). Every team is in every market and lists 5
products there (a different five per team), holds stock of them, orders two products from
suppliers (one arriving mid-round, one in a later round), buys one sample and one study.
The baseline is ``bench_round``'s own round (5 products, everyone listed everywhere). Each
runs in a fresh subprocess, best of 3 (wall and CPU time), in the same invocation:

    .venv/bin/python bench/bench_catalogue.py [TEAMS]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PRODUCTS = 30
LISTED = 5


def catalogue_scenario():
    from bench_round import MARKETS, bench_scenario

    from simshop.engine.scenario import parse_scenario_dict

    data = bench_scenario().model_dump(mode="python", exclude={"products", "tariffs"})
    products = []
    for j in range(PRODUCTS):
        cost = 10.0 + j
        products.append(
            {
                "id": f"p{j:02d}",
                "name": f"Product {j}",
                "category": f"cat{j % 6}",
                "unit_cost_cny": cost,
                "weight_kg": 0.3,
                "reference_price_usd": 10.0 + 2 * j,
                "demand_range": {code: [0.2, 2.0] for code in MARKETS},
                "suppliers": [
                    {
                        "id": f"s{k}",
                        "name": f"Supplier {k}",
                        "tiers": [
                            {"min_units": 100 * (k + 1), "unit_cost_cny": cost * (1.1 - 0.1 * k)},
                            {"min_units": 2000, "unit_cost_cny": cost * (1.0 - 0.1 * k)},
                        ],
                        "lead_days": (0, 10, 45)[k],
                        "quality_range": [0.3, 0.8],
                        "defect_rate_range": [0.0, 0.08],
                        "deposit_share": (1.0, 0.3, 0.5)[k],
                        "sample_cost_cny": 200.0,
                    }
                    for k in range(3)
                ],
            }
        )
    data["products"] = products
    data["tariffs"] = [{"market": code, "rate": 0.1} for code in MARKETS]
    data["research"] = {}
    return parse_scenario_dict(data)


def catalogue_inputs(n_teams: int):
    from bench_round import MARKETS

    from simshop.engine.decisions import DecisionSheet, Offer, SampleOrder, StudyOrder
    from simshop.engine.state import initial_state

    sc = catalogue_scenario()
    state = initial_state(sc, [f"team{i:04d}" for i in range(n_teams)])
    decisions = {}
    for k, (tid, team) in enumerate(state.teams.items()):
        team.entered_markets = list(MARKETS)
        picks = [sc.products[(k + 7 * i) % PRODUCTS] for i in range(LISTED)]
        for code in MARKETS:
            team.warehouse_stock[code] = {
                p.id: (150 + (k % 50) if p in picks else 0) for p in sc.products
            }
        offers = {
            m.code: {
                p.id: Offer(
                    price_local=round(
                        p.reference_price_usd * 7.1 / m.fx_cny_per_local * (0.9 + 0.004 * (k % 50)),
                        2,
                    ),
                    ad_budget_cny=1000.0 * (k % 3),
                )
                for p in picks
            }
            for m in sc.markets
        }
        decisions[tid] = DecisionSheet(
            offers=offers,
            suppliers={picks[0].id: "s1", picks[1].id: "s2"},
            factory_orders={picks[0].id: 500, picks[1].id: 600},
            samples=[SampleOrder(product=picks[2].id, supplier="s0")],
            research=[
                StudyOrder(market=MARKETS[k % 8], category=picks[0].category, budget_cny=5000.0)
            ],
        )
    return sc, state, decisions


def child(kind: str, n_teams: int) -> None:
    from bench_round import bench_inputs

    from simshop.engine.market import simulate_round

    sc, state, decisions = (catalogue_inputs if kind == "catalogue" else bench_inputs)(n_teams)
    best = cpu = float("inf")
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        result = simulate_round(sc, state, decisions, game_seed=1)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    sold = sum(int(s["units_sold"]) for ps in result.markets.values() for s in ps.values())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "kind": kind,
                "teams": n_teams,
                "products": len(sc.products),
                "seconds": best,
                "cpu_seconds": cpu,
                "peak_rss_mb": peak_kb / 1024,
                "units_sold": sold,
            }
        )
    )


def main(n_teams: int) -> None:
    print(
        f"{'round':>10} {'products':>9} {'teams':>6} {'round s':>9} {'cpu s':>7} {'ms/team':>9} "
        f"{'peak RSS MB':>12} {'units sold':>11}"
    )
    for kind in ("baseline", "catalogue"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(n_teams)],
            capture_output=True,
            text=True,
        )
        if proc.returncode:
            raise SystemExit(proc.stderr)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{kind:>10} {r['products']:>9} {n_teams:>6} {r['seconds']:>9.3f} "
            f"{r['cpu_seconds']:>7.3f} "
            f"{1000 * r['seconds'] / n_teams:>9.3f} {r['peak_rss_mb']:>12.1f} {r['units_sold']:>11}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
