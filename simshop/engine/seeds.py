"""Where a round's randomness comes from, from plain values.

Two steps, both here and nowhere else:

1. :func:`phase_seed`: the seed a round runs with (stored with the round and in results
   bundles). Scored rounds use the game seed; practice rounds use the first 4 bytes of
   SHA-256(``"<game seed>:practice"``) shifted right by one bit, so practice round 1 does not
   replay scored round 1.
2. :func:`round_seed`: the round's seed sequence, ``SeedSequence([phase seed, scenario
   round])``; the market draws every random number of the round from PCG64 seeded by it.
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


def round_seed(game_seed: int, round_no: int, *, practice: bool = False) -> np.random.SeedSequence:
    """The seed sequence of scenario round ``round_no`` of a game seeded ``game_seed``.

    ``practice=False`` uses ``game_seed`` as it is, so
    ``round_seed(phase_seed(s, practice=True), n) == round_seed(s, n, practice=True)``."""
    return np.random.SeedSequence([phase_seed(game_seed, practice=practice), round_no])


def round_rng(seed: int, round_no: int) -> np.random.Generator:
    """The round's only random generator (``seed`` is the phase seed)."""
    return np.random.Generator(np.random.PCG64(round_seed(seed, round_no)))
