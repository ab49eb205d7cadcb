"""Forms of the data lab. The "what if" sheet reuses the decision form
(:class:`simshop.forms.game.DecisionForm`); this module adds its CSRF guard. The words
for the lab's refusal codes are in :mod:`simshop.messages`."""

from __future__ import annotations

from simshop.forms.base import AppForm


class WhatIfForm(AppForm):
    """The CSRF token of the "what if" form. The POST replays a round and writes nothing."""
