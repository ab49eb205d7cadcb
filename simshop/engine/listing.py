"""Listing quality: how well a team's product page matches the product's search terms.

:func:`score_listing` is pure and deterministic; the round uses its relevance per term (who
is shown for a term, the organic and the ad rank) and its completeness (click appeal and a
small utility lift for shoppers who search), and the web shows its score and reasons live.

**Relevance per term** (0..1). A term's words are looked for in the title, the bullets and
the description; each word counts by the best field it appears in (title ``1.0``, bullets
``0.6``, description ``0.35``), and the term's relevance is the mean over its words.
Latin and Cyrillic words match whole words (a trailing plural ``s`` is ignored); Chinese and
Japanese words match as substrings. In a market whose listing language is not English
(``SearchSettings.listing_language``), the term's ``local`` text for the market is matched,
and its English text too at ``1 - english_penalty``.

**Completeness** (0..1): bullets used of 5 (0.35), images against the 7 shoppers expect
(0.35), a description (0.15) and enhanced content (0.15).

**Keyword stuffing** lowers relevance (each problem x 0.8) and the score: a title over
:data:`TITLE_SOFT_MAX` characters, a word repeated :data:`REPEAT_LIMIT` times or more in the
title, words of *other* products' terms and names that are not this product's.

**Score** (0..100) = 55 x the share-weighted relevance + 45 x completeness - 10 per
stuffing problem, clipped to 0..100 and rounded to 0.1.

Reasons are codes with parameters (the web translates them; see :data:`REASON_CODES`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from simshop.engine.scenario import Product, Scenario, SearchTerm
from simshop.engine.sheet import BULLETS_MAX, Listing

EXPECTED_IMAGES = 7
"""Images a shopper expects on a product page (Amazon shows 7 thumbnails; Est.)."""
TITLE_SOFT_MAX = 150
"""Titles longer than this read as stuffed (Amazon asks for concise titles; most
categories cap titles at 200 characters and recommend 80 on mobile)."""
REPEAT_LIMIT = 3
"""A title word used this many times or more is stuffing."""
FIELD_WEIGHTS = {"title": 1.0, "bullets": 0.6, "description": 0.35}
STUFFING_FACTOR = 0.8
"""Relevance multiplier per stuffing problem."""
STUFFING_POINTS = 10.0
RELEVANCE_POINTS = 55.0
COMPLETENESS_POINTS = 45.0

REASON_CODES = (
    "default_listing",  # {} the team wrote no listing: the platform shows the product's name
    "title_missing_term",  # {"term": text}
    "term_in_bullets_only",  # {"term": text}
    "term_in_description_only",  # {"term": text}
    "term_in_english_only",  # {"term": text, "penalty": 0..1}
    "bullets_used",  # {"used": n, "of": 5}
    "images",  # {"have": n, "expected": 7}
    "no_description",  # {}
    "enhanced_content",  # {"on": bool}
    "title_too_long",  # {"length": n, "max": TITLE_SOFT_MAX}
    "repeated_words",  # {"words": [..]}
    "unrelated_words",  # {"words": [..]}
)
"""Every reason code :func:`score_listing` gives, with its parameters."""

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "for",
        "of",
        "the",
        "to",
        "with",
        "in",
        "on",
        "by",
        "or",
        "from",
        "set",
        "pack",
        "pcs",
        "new",
    ]
)


@dataclass(frozen=True)
class ListingScore:
    """``score`` 0..100; ``relevance`` per term id 0..1; ``completeness`` 0..1; ``reasons``
    as ``{"code": str, "params": {...}}``."""

    score: float
    relevance: dict[str, float]
    completeness: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


def default_listing(product: Product) -> Listing:
    """The page the platform shows for an offer without a listing: its name as title."""
    return Listing(title=product.name)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


# Scoring reads the same few texts over and over (a listing in every market, the terms of
# every product): words, stems and fields are pure functions of their text, kept in small
# caches.


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not _CJK.search(word) else word


@lru_cache(maxsize=2048)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_norm(text)))


class _Field:
    """A listing field's normalised text and word stems (read only; see :func:`_field`)."""

    def __init__(self, text: str) -> None:
        self.text = _norm(text)
        self.stems = frozenset(_stem(w) for w in _words(text))

    def has(self, word: str) -> bool:
        if _CJK.search(word):
            return word in self.text
        return _stem(word) in self.stems


@lru_cache(maxsize=1024)
def _field(text: str) -> _Field:
    return _Field(text)


def _term_relevance(words: tuple[str, ...], fields: dict[str, _Field]) -> tuple[float, str]:
    """(relevance 0..1, the best field all the words were found in or "")."""
    if not words:
        return 0.0, ""
    total = 0.0
    worst = "title"
    order = list(FIELD_WEIGHTS)
    for w in words:
        best = next((name for name in order if fields[name].has(w)), "")
        total += FIELD_WEIGHTS[best] if best else 0.0
        if not best:
            worst = ""
        elif worst and order.index(best) > order.index(worst):
            worst = best
    return total / len(words), worst


_VOCABULARY: dict[int, tuple[Product, frozenset[str]]] = {}


def _vocabulary(product: Product) -> frozenset[str]:
    """The stems of a product's name and terms (cached per product object)."""
    hit = _VOCABULARY.get(id(product))
    if hit is not None and hit[0] is product:
        return hit[1]
    if len(_VOCABULARY) > 512:
        _VOCABULARY.clear()
    vocab = {_stem(w) for w in _words(product.name)}
    for t in product.terms():
        for text in (t.text, *t.local.values()):
            vocab |= {_stem(w) for w in _words(text)}
    frozen = frozenset(vocab)
    _VOCABULARY[id(product)] = (product, frozen)
    return frozen


def score_listing(
    scenario: Scenario, market_code: str, product_id: str, listing: Listing | None
) -> ListingScore:
    """Score ``listing`` for ``product_id`` in ``market_code`` (``None``: the default
    listing). Pure and deterministic."""
    product = scenario.product(product_id)
    settings = scenario.market(market_code).search
    reasons: list[dict[str, Any]] = []
    if listing is None:
        listing = default_listing(product)
        reasons.append({"code": "default_listing", "params": {}})
    fields = {
        "title": _field(listing.title),
        "bullets": _field("\n".join(listing.bullets)),
        "description": _field(listing.description),
    }
    stuffing = _stuffing(scenario, product, listing, reasons)
    factor = STUFFING_FACTOR**stuffing
    foreign = settings.listing_language != "en"
    relevance: dict[str, float] = {}
    for term in product.terms():
        rel, where = _relevance_of(term, market_code, foreign, settings.english_penalty, fields)
        relevance[term.id] = round(rel * factor, 4)
        _term_reasons(term, where, reasons, settings.english_penalty)
    used = min(sum(1 for b in listing.bullets if b.strip()), BULLETS_MAX)
    completeness = (
        0.35 * used / BULLETS_MAX
        + 0.35 * min(listing.images, EXPECTED_IMAGES) / EXPECTED_IMAGES
        + (0.15 if listing.description.strip() else 0.0)
        + (0.15 if listing.enhanced else 0.0)
    )
    if used < BULLETS_MAX:
        reasons.append({"code": "bullets_used", "params": {"used": used, "of": BULLETS_MAX}})
    if listing.images < EXPECTED_IMAGES:
        reasons.append(
            {"code": "images", "params": {"have": listing.images, "expected": EXPECTED_IMAGES}}
        )
    if not listing.description.strip():
        reasons.append({"code": "no_description", "params": {}})
    if not listing.enhanced:
        reasons.append({"code": "enhanced_content", "params": {"on": False}})
    terms = product.terms()
    weights = [t.share for t in terms]
    total_w = sum(weights) or 1.0
    mean_rel = sum(relevance[t.id] * w for t, w in zip(terms, weights, strict=True)) / total_w
    score = RELEVANCE_POINTS * mean_rel + COMPLETENESS_POINTS * completeness
    score -= STUFFING_POINTS * stuffing
    return ListingScore(
        score=round(min(max(score, 0.0), 100.0), 1),
        relevance=relevance,
        completeness=round(completeness, 4),
        reasons=reasons,
    )


def _relevance_of(
    term: SearchTerm,
    market_code: str,
    foreign: bool,
    english_penalty: float,
    fields: dict[str, _Field],
) -> tuple[float, str]:
    """Relevance of one term and the field it sits in ("english" when it matched in English
    only in a foreign-language market)."""
    if not foreign:
        return _term_relevance(_words(term.text), fields)
    local = next((text for code, text in term.local.items() if code == market_code), None)
    rel_local, where = _term_relevance(_words(local), fields) if local else (0.0, "")
    rel_en, _ = _term_relevance(_words(term.text), fields)
    rel_en *= 1.0 - english_penalty
    if rel_en > rel_local:
        return rel_en, "english"
    return rel_local, where


def _term_reasons(
    term: SearchTerm, where: str, reasons: list[dict[str, Any]], penalty: float
) -> None:
    if where == "title":
        return
    if where == "english":
        reasons.append(
            {"code": "term_in_english_only", "params": {"term": term.text, "penalty": penalty}}
        )
    elif where == "bullets":
        reasons.append({"code": "term_in_bullets_only", "params": {"term": term.text}})
    elif where == "description":
        reasons.append({"code": "term_in_description_only", "params": {"term": term.text}})
    else:
        reasons.append({"code": "title_missing_term", "params": {"term": term.text}})


def _stuffing(
    scenario: Scenario, product: Product, listing: Listing, reasons: list[dict[str, Any]]
) -> int:
    """Count the stuffing problems of the listing's title and add their reasons."""
    problems = 0
    if len(listing.title) > TITLE_SOFT_MAX:
        problems += 1
        reasons.append(
            {
                "code": "title_too_long",
                "params": {"length": len(listing.title), "max": TITLE_SOFT_MAX},
            }
        )
    words = [w for w in _words(listing.title) if w not in _STOPWORDS]
    counts: dict[str, int] = {}
    for w in words:
        counts[_stem(w)] = counts.get(_stem(w), 0) + 1
    repeated = sorted(w for w, n in counts.items() if n >= REPEAT_LIMIT)
    if repeated:
        problems += 1
        reasons.append({"code": "repeated_words", "params": {"words": repeated}})
    own = _vocabulary(product)
    others: set[str] = set()
    for other in scenario.products:
        if other.id != product.id:
            others |= _vocabulary(other)
    unrelated = sorted({_stem(w) for w in words} & (others - own - _STOPWORDS))
    if unrelated:
        problems += 1
        reasons.append({"code": "unrelated_words", "params": {"words": unrelated}})
    return problems
