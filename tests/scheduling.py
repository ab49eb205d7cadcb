"""How ``make test`` (``pytest -n auto --dist loadgroup``) shares the tests between workers.

Most tests are independent and go to whichever worker is free. A few folders share costly
per-worker fixtures, so all their tests go to one worker, as one unit of work:

- ``tests/browser/test_sweep.py`` (``sweep``): one seeded demo game, three logins and three
  crawls, shared by its twelve role x locale x size checks (module fixtures);
- the other ``tests/browser`` modules (``browser``): a live server and Chromium;
- ``tests/reliability`` (``processes``): gunicorn fleets and ``flask`` subprocesses, one
  storm at a time;
- the tests of one shipped scenario in ``tests/engine/test_bots_events.py`` and
  ``tests/engine/test_scenario_library.py``: its baseline game is cached per worker;
- the tests of one backend in a module whose seeded world is costly to build (PER_BACKEND),
  or in the modules that share seeded worlds (SHARED_WORLDS).

Groups start first, largest first, and the one-test units fill the gaps.

pytest-xdist's own ``xdist_group`` marker cannot do this with pytest 9: xdist appends the
group to ``item._nodeid``, which pytest 9 no longer reads (node ids live in ``item._id``),
so the marker is silently ignored and every test is scheduled on its own. The group is
therefore taken from the test's path here, in the controller's scheduler, which only sees
node ids.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

# (node id prefix, group), first match wins.
GROUPS: tuple[tuple[str, str], ...] = (
    ("tests/browser/test_sweep.py::", "sweep"),
    ("tests/browser/", "browser"),
    # Real processes (gunicorn fleets, ``flask`` subprocesses), one at a time. A trial split
    # per module (two fleets at once, one per worker) ran each 5-14 times longer on a loaded
    # 2-core machine (the crash test 248 s instead of 18 s; other benchmarks ran meanwhile,
    # so not conclusive): they stay together until measured on a quiet machine.
    ("tests/reliability/", "processes"),
)

# Modules whose tests compare a shipped scenario's game with and without one event against
# a baseline game cached per worker (functools.cache, per scenario): the tests of one
# scenario form one unit, so its baseline is played once, not on both workers. The scenario
# is the test id's parameter up to the first ":" (``[festivals:ru-11-11]``, ``[festivals]``).
PER_SCENARIO = (
    "tests/engine/test_bots_events.py::",
    "tests/engine/test_scenario_library.py::",
)


# Modules whose tests start from a copy of an expensive seeded world (``seeded_app`` in
# tests/conftest.py: built once per worker and backend, 10-40 s each): the tests of one
# module and backend form one unit, so each world is built once per backend, not on both
# workers. Modules with cheap worlds stay spread out.
PER_BACKEND = (
    "tests/services/test_briefing_plan_services.py::",
    "tests/services/test_bundles.py::",
    "tests/services/test_exports.py::",
    "tests/services/test_search_report.py::",
    "tests/views/test_lab.py::",
    "tests/views/test_search_lab.py::",
)


# Modules that start from copies of the same seeded worlds (``played_world`` in
# tests/services/conftest.py: test_analysis's ``build_world`` played once per worker, backend
# and options, 2-6 s each): their tests of one backend form one unit, so each world is
# played once per backend for all of them.
SHARED_WORLDS = (
    (
        "played-worlds",
        (
            "tests/services/test_analysis.py::",
            "tests/services/test_debrief.py::",
            "tests/services/test_whatif.py::",
        ),
    ),
)


def backend_of(nodeid: str) -> str:
    """``postgresql`` when the test id's parameters name it, else ``sqlite``."""
    params = nodeid[nodeid.index("[") + 1 : -1] if nodeid.endswith("]") else ""
    return "postgresql" if "postgresql" in params.split("-") else "sqlite"


def group_of(nodeid: str) -> str | None:
    for prefix, group in GROUPS:
        if nodeid.startswith(prefix):
            return group
    for name, prefixes in SHARED_WORLDS:
        if nodeid.startswith(prefixes):
            return f"{name}::{backend_of(nodeid)}"
    for prefix in PER_BACKEND:
        if nodeid.startswith(prefix):
            return f"{prefix}{backend_of(nodeid)}"
    for prefix in PER_SCENARIO:
        if nodeid.startswith(prefix) and nodeid.endswith("]") and "[" in nodeid:
            scenario = nodeid[nodeid.index("[") + 1 : -1].split(":", 1)[0]
            return f"{prefix}{scenario}"
    return None


class PathGroupScheduling(LoadScopeScheduling):
    """``--dist loadscope`` with a scope per group above and per test elsewhere."""

    def _split_scope(self, nodeid: str) -> str:
        group = group_of(nodeid)
        return f"@{group}" if group else nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadScopeScheduling | None:
    if config.getvalue("dist") == "loadgroup":
        return PathGroupScheduling(config, log)
    return None
