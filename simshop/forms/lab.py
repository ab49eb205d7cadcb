"""Forms of the data lab. The "what if" sheet reuses the decision form
(:class:`simshop.forms.game.DecisionForm`); this module adds its CSRF guard and the words
for the lab's refusal codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm


class WhatIfForm(FlaskForm):
    """The CSRF token of the "what if" form. The POST replays a round and writes nothing."""


LAB_MESSAGES = {
    "round_not_published": _l("This round has no published results yet."),
    "team_not_in_round": _l("Your team did not play this round, so it cannot be replayed."),
}
