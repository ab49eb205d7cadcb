"""Time results explained (:func:`simshop.engine.explain.explain_round`) for a 10-team and a
200-team round.

Bots of every built-in strategy play the shipped tutorial scenario (one market, three
products, 30 days); the benchmark explains round 3 against round 2 (a mid-game round: every
group of causes changes but tariffs and exchange rates) and round 1 against doing nothing
(the first round's baseline: more teams change their own inputs). It prints the wall time,
the number of replayed worlds and the time per replay. Targets (issue 14): 10 teams <= 2 s,
200 teams <= 60 s, in the processing step.

    .venv/bin/python bench/bench_explain.py [TEAMS...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (10, 200)


def main(sizes: tuple[int, ...]) -> None:
    from simshop.engine.bots import STRATEGIES
    from simshop.engine.explain import explain_round, no_action_side, play_for_explanation
    from simshop.engine.scenario import parse_scenario_text

    scenario = parse_scenario_text((ROOT / "scenarios" / "tutorial.toml").read_text("utf-8"))
    names = sorted(STRATEGIES)
    print("teams | round explained | time | replays | per replay")
    for n in sizes:
        bots = {f"{i + 1}": names[i % len(names)] for i in range(n)}
        played = play_for_explanation(scenario, 2026, bots, 3)
        cases = (
            ("3 vs 2", played[1][0], played[2][0]),
            ("1 vs nothing", no_action_side(played[0][0]), played[0][0]),
        )
        for label, prev, cur in cases:
            started = time.perf_counter()
            result = explain_round(scenario, 2026, prev, cur)
            elapsed = time.perf_counter() - started
            print(
                f"{n} | {label} | {elapsed:.2f} s | {result.replays} | "
                f"{elapsed / result.replays * 1000:.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
