"""The students' briefing of a game and the instructor's choice of what it shows.

The numbers come from :func:`simshop.engine.briefing.briefing` for the game's scenario
snapshot at the round students are working on (round 1 before the game starts).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from simshop.engine.briefing import Briefing, briefing
from simshop.models import Game
from simshop.services import round_state
from simshop.services.games import game_news, game_scenario
from simshop.services.uow import unit_of_work


def game_briefing(session: Session, game: Game) -> Briefing:
    """The briefing at the start of the game's current round (its scenario round), with
    exact market sizes or an index as the game says."""
    current = round_state.current_round(session, game)
    round_no = current.scenario_round if current is not None else 1
    brief = briefing(game_scenario(game), round_no, exact_sizes=game.briefing_exact_sizes)
    # The news as the game tells it: nothing that takes effect after its last round.
    return replace(brief, announced=game_news(game, brief.round_no))


@unit_of_work
def set_briefing_sizes(session: Session, game: Game, *, exact: bool) -> Game:
    """Choose whether the game's briefing shows exact market sizes (True) or an index."""
    game.briefing_exact_sizes = exact
    return game
