"""Fixtures for engine tests: the tutorial scenario and a tiny hand-checkable world."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import tiny

from simshop.engine.scenario import Scenario, parse_scenario_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tutorial_text() -> str:
    return (ROOT / "scenarios" / "tutorial.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def tutorial(tutorial_text: str) -> Scenario:
    return parse_scenario_text(tutorial_text)


@pytest.fixture
def tiny_scenario() -> Scenario:
    return tiny()
