"""The SimShop simulation engine: pure Python (SimPy, NumPy, pydantic, stdlib).

Plain data in, plain data out; it never imports Flask, SQLAlchemy or the web models.

- :mod:`.scenario` — the scenario schema (TOML) and :func:`parse_scenario_text`
- :mod:`.conditions` — :func:`conditions_for_round`, a pure function of (scenario, round)
- :mod:`.decisions` — :class:`DecisionSheet`, :func:`validate_decisions`, :func:`carry_over`
- :mod:`.state` — :class:`GameState`, :class:`TeamState`, :func:`initial_state`
- :mod:`.market` — :func:`simulate_round` and the round's results
- :mod:`.bots`, :mod:`.scoring`, :mod:`.headless` — strategies, standings, whole games
"""
