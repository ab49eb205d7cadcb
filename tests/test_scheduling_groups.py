"""Which tests ``make test`` keeps together on one xdist worker (tests/scheduling.py)."""

from __future__ import annotations

import pytest

from tests.scheduling import group_of


@pytest.mark.parametrize(
    ("nodeid", "group"),
    [
        ("tests/browser/test_sweep.py::test_every_reachable_page_is_sound[a-en-phone]", "sweep"),
        ("tests/browser/test_game_flow.py::test_a_class_plays_two_rounds", "browser"),
        (
            "tests/reliability/test_two_hosts.py::test_a_session[postgresql]",
            "processes",
        ),
        (
            "tests/reliability/test_tick_fleet.py::test_workers_share[sqlite]",
            "processes",
        ),
        (
            "tests/engine/test_bots_events.py::test_the_event_moves_a_bot[festivals:ru-11-11]",
            "tests/engine/test_bots_events.py::festivals",
        ),
        (
            "tests/engine/test_scenario_library.py::test_shock_moves_its_market[red-sea:cape]",
            "tests/engine/test_scenario_library.py::red-sea",
        ),
        (
            "tests/engine/test_scenario_library.py::test_no_nan_or_infinity_anywhere[red-sea]",
            "tests/engine/test_scenario_library.py::red-sea",
        ),
        ("tests/engine/test_bots_events.py::test_the_list_covers_the_library", None),
        ("tests/views/test_lab.py::test_x[/dashboard]", "tests/views/test_lab.py::sqlite"),
        (
            "tests/services/test_analysis.py::test_x[postgresql]",
            "played-worlds::postgresql",
        ),
        ("tests/services/test_analysis.py::test_x[sqlite]", "played-worlds::sqlite"),
        (
            "tests/services/test_whatif.py::test_unchanged_decisions[postgresql-1]",
            "played-worlds::postgresql",
        ),
        ("tests/services/test_whatif.py::test_x[sqlite-0]", "played-worlds::sqlite"),
        ("tests/services/test_debrief.py::test_x[sqlite]", "played-worlds::sqlite"),
        ("tests/services/test_debrief.py::test_x[postgresql]", "played-worlds::postgresql"),
        (
            "tests/views/test_search_lab.py::test_x[postgresql-zh-CN-\u641c\u7d22]",
            "tests/views/test_search_lab.py::postgresql",
        ),
        (
            "tests/services/test_bundles.py::test_x[sqlite]",
            "tests/services/test_bundles.py::sqlite",
        ),
        ("tests/views/test_access_sweep.py::test_x[sqlite]", None),
    ],
)
def test_tests_sharing_a_cached_world_or_servers_share_a_worker(nodeid, group):
    assert group_of(nodeid) == group
