"""Where a round's randomness comes from, from plain values.

One rule, here and nowhere else:

1. :func:`phase_seed`: the seed a round runs with (stored with the round and in results
   bundles). Scored rounds use the game seed; practice rounds use the first 4 bytes of
   SHA-256(``"<game seed>:practice"``) shifted right by one bit, so practice round 1 does not
   replay scored round 1.
2. :func:`round_seed`: the round's seed sequence, ``SeedSequence([phase seed, scenario
   round])``.
3. :func:`stream_seed`: the round's entropy extended by :func:`stream_key` of (market code,
   product id, component), ``SeedSequence([phase seed, scenario round, key])``. The market
   draws every random number of the round from these independent streams (PCG64), one per
   market x product x component (:class:`RoundStreams`): a change confined to one market
   leaves every other market's draws, and so its results, untouched. Components: ``demand``
   (shoppers and their choices), ``returns``, and in scenarios with compliance
   ``compliance`` (listings found lacking a requirement) and ``ip_claims``
   (:mod:`simshop.engine.compliance`).
"""

from __future__ import annotations

import hashlib

import numpy as np


def phase_seed(game_seed: int, *, practice: bool) -> int:
    """The seed the rounds of a phase (practice or scored) run with; see the module text."""
    if not practice:
        return int(game_seed)
    digest = hashlib.sha256(f"{game_seed}:practice".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def _round_entropy(game_seed: int, round_no: int, practice: bool) -> list[int]:
    return [phase_seed(game_seed, practice=practice), int(round_no)]


def round_seed(game_seed: int, round_no: int, *, practice: bool = False) -> np.random.SeedSequence:
    """The seed sequence of scenario round ``round_no`` of a game seeded ``game_seed``.

    ``practice=False`` uses ``game_seed`` as it is, so
    ``round_seed(phase_seed(s, practice=True), n) == round_seed(s, n, practice=True)``."""
    return np.random.SeedSequence(_round_entropy(game_seed, round_no, practice))


def stream_key(*names: str) -> int:
    """A stable 64-bit key for names (market code, product id, component): the same in every
    process and independent of the scenario's order of markets and products."""
    digest = hashlib.sha256("\x1f".join(names).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def stream_seed(
    seed: int,
    round_no: int,
    market: str,
    product: str,
    component: str,
    *,
    practice: bool = False,
) -> np.random.SeedSequence:
    """The seed sequence of one (market, product, component) stream of a round: the round's
    entropy (:func:`round_seed`) followed by the stream's :func:`stream_key`."""
    key = stream_key(market, product, component)
    return np.random.SeedSequence([*_round_entropy(seed, round_no, practice), key])


def stream_rng(
    seed: int, round_no: int, market: str, product: str, component: str
) -> np.random.Generator:
    """The independent random stream of one (market, product, component) in one round
    (``seed`` is the phase seed)."""
    return np.random.Generator(
        np.random.PCG64(stream_seed(seed, round_no, market, product, component))
    )


class RoundStreams:
    """The random streams of one round, by (market code, product id, component); each call
    returns a fresh generator at the start of its stream."""

    def __init__(self, seed: int, round_no: int) -> None:
        self.seed, self.round_no = int(seed), int(round_no)

    def __call__(self, market: str, product: str, component: str) -> np.random.Generator:
        return stream_rng(self.seed, self.round_no, market, product, component)


def game_stream_rng(seed: int, *names: str) -> np.random.Generator:
    """An independent stream of the whole game (not of one round), for draws made once per
    game such as a catalogue's hidden demand (:mod:`simshop.engine.catalogue`):
    ``SeedSequence([seed, stream_key(*names)])`` (a round's streams carry the round number
    too, so the two never coincide)."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([int(seed), stream_key(*names)]))
    )
