"""The scenario TOML writer (tomli-w): what it writes, and that every shipped scenario
round-trips."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest

from simshop.engine.scenario import parse_scenario_dict, parse_scenario_text
from simshop.services.scenario_toml import TomlWriteError, dumps

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_round_trips(path):
    text = path.read_text("utf-8")
    data = tomllib.loads(text)

    written = dumps(data)

    assert tomllib.loads(written) == data
    assert parse_scenario_text(written) == parse_scenario_text(text)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_a_dumped_model_round_trips_too(path):
    scenario = parse_scenario_text(path.read_text("utf-8"))

    written = dumps(scenario.model_dump(mode="python", exclude_none=True))

    assert parse_scenario_text(written) == scenario


def test_the_output_is_deterministic():
    data = tomllib.loads(SCENARIOS[0].read_text("utf-8"))
    assert dumps(data) == dumps(tomllib.loads(dumps(data)))


def test_tables_arrays_of_tables_and_scalars_are_laid_out_in_order():
    data = {
        "meta": {"id": "x", "rounds": 3, "on": True},
        "markets": [
            {"code": "US", "lanes": [{"mode": "sea"}, {"mode": "air"}]},
            {"code": "EU", "lanes": [{"mode": "rail"}]},
        ],
        "tariffs": [],
    }
    assert dumps(data) == (
        "tariffs = []\n"
        "\n"
        "[meta]\n"
        'id = "x"\n'
        "rounds = 3\n"
        "on = true\n"
        "\n"
        "[[markets]]\n"
        'code = "US"\n'
        "lanes = [\n"
        '    { mode = "sea" },\n'
        '    { mode = "air" },\n'
        "]\n"
        "\n"
        "[[markets]]\n"
        'code = "EU"\n'
        "lanes = [\n"
        '    { mode = "rail" },\n'
        "]\n"
    )
    assert tomllib.loads(dumps(data)) == data


def test_none_values_are_left_out():
    assert dumps({"e": {"round": 2, "announce_round": None}}) == "[e]\nround = 2\n"


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "back\\slash",
        "tab\tnew\nline\r\n",
        "bell\x07 nul\x00 del\x7f",
        "中文 “引号” emoji 🚢",
        "'single' and '''triple'''",
        '"""',
        "",
    ],
)
def test_strings_are_escaped_so_they_read_back_unchanged(value):
    assert tomllib.loads(dumps({"s": value, "list": [value]})) == {"s": value, "list": [value]}


def test_control_characters_use_unicode_escapes():
    assert dumps({"s": "a\x01b"}) == 's = "a\\u0001b"\n'


@pytest.mark.parametrize("value", [0.1, 600000.0, 1e-05, 1e20, -0.0, 7.107, 1 / 3, 2.5e-300, -42.0])
def test_floats_read_back_as_the_same_float(value):
    back = tomllib.loads(dumps({"x": value}))["x"]
    assert isinstance(back, float)
    assert back == value and math.copysign(1, back) == math.copysign(1, value)


def test_special_floats_ints_bools_and_lists():
    data = {"inf": math.inf, "ninf": -math.inf, "n": -3, "b": False, "l": [1, 2.5, "x", [True]]}
    back = tomllib.loads(dumps(data))
    assert back["inf"] == math.inf and back["ninf"] == -math.inf
    assert (back["n"], back["b"], back["l"]) == (-3, False, [1, 2.5, "x", [True]])
    assert math.isnan(tomllib.loads(dumps({"x": math.nan}))["x"])


def test_keys_that_are_not_bare_are_quoted():
    data = {"a b": 1, "ключ": {"x.y": 2}}
    assert tomllib.loads(dumps(data)) == data


def test_values_without_a_toml_form_are_refused():
    with pytest.raises(TomlWriteError):
        dumps({"o": object()})
    with pytest.raises(TomlWriteError):
        dumps({1: "x"})


def test_an_edited_dict_validates_like_the_file():
    data = tomllib.loads(SCENARIOS[0].read_text("utf-8"))
    data["events"] = [
        {"kind": "news", "id": "hello", "round": 1, "headline": 'Line one\nline "two"'}
    ]
    scenario = parse_scenario_text(dumps(data))
    assert scenario == parse_scenario_dict(data)
    assert scenario.events[0].headline == 'Line one\nline "two"'
