"""The listing editor and the campaign table of the decision form (issue 15).

Per offer (market x product) the decision form gets:

- ``offers.<m>.<p>.listing.title``, ``.listing.bullets.0`` … ``.4``, ``.listing.description``
  (text, stored exactly as typed: only line breaks are normalised to ``\\n``, because
  browsers send a textarea's line breaks as CRLF), ``.listing.images`` (a whole number) and
  ``.listing.enhanced`` (a checkbox);
- per search term of the product ``offers.<m>.<p>.campaigns.<term>.bid_local`` and
  ``.daily_budget_local``, and ``offers.<m>.<p>.auto_campaign.bid_local`` /
  ``.daily_budget_local`` (amounts in the market's currency).

:class:`simshop.forms.game.DecisionForm` calls the functions here from its hooks; the
engine checks lengths and amounts (``engine/decisions.py``), and its issues come back to the
field they name, bullets by their place in the form (empty bullet fields are not sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simshop.engine.listing import ListingScore, score_listing
from simshop.engine.sheet import (
    BULLET_MAX,
    BULLETS_MAX,
    DESCRIPTION_MAX,
    IMAGES_MAX,
    TITLE_MAX,
    Listing,
    Offer,
)
from simshop.messages import listing_reason

if TYPE_CHECKING:
    from simshop.forms.game import DecisionField, DecisionForm

SECTION_LISTINGS = "listings"
TEXT_KINDS = ("text", "textarea")
CAMPAIGN_KEYS = ("bid_local", "daily_budget_local")
OFFER_PARTS = ("listing", "campaigns", "auto_campaign")
LIMITS = {
    "title": TITLE_MAX,
    "bullet": BULLET_MAX,
    "bullets": BULLETS_MAX,
    "description": DESCRIPTION_MAX,
    "images": IMAGES_MAX,
}
"""The engine's limits, for the editor's hints (the engine checks them)."""


def read_text(raw: Any) -> str:
    """A posted text as stored: exactly what was typed, line breaks as ``\\n``."""
    text = raw if isinstance(raw, str) else ""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- building


def sheet_values(values: dict[str, Any], base: str, offer: Offer | None) -> None:
    """Put an offer's listing and campaigns into the form's ``values`` (by field name)."""
    listing = offer.listing if offer is not None else None
    if listing is not None:
        values[f"{base}.listing.title"] = listing.title
        for i, bullet in enumerate(listing.bullets[:BULLETS_MAX]):
            values[f"{base}.listing.bullets.{i}"] = bullet
        values[f"{base}.listing.description"] = listing.description
        values[f"{base}.listing.images"] = listing.images
        values[f"{base}.listing.enhanced"] = listing.enhanced
    if offer is None:
        return
    for term, campaign in offer.campaigns.items():
        for key in CAMPAIGN_KEYS:
            values[f"{base}.campaigns.{term}.{key}"] = getattr(campaign, key)
    if offer.auto_campaign is not None:
        for key in CAMPAIGN_KEYS:
            values[f"{base}.auto_campaign.{key}"] = getattr(offer.auto_campaign, key)


def add_fields(
    form: DecisionForm,
    field_class: type[DecisionField],
    v: Callable[..., Any],
    market: Any,
    product: Any,
) -> None:
    """Add one offer's listing and campaign fields to ``form``."""
    base = f"offers.{market.code}.{product.id}"
    common = {"section": SECTION_LISTINGS, "market": market.code, "product": product.id}

    def add(name: str, kind: str, key: str, default: Any = None, term: str | None = None):
        form.fields[name] = field_class(name, kind, v(name, default), key=key, term=term, **common)

    add(f"{base}.listing.title", "text", "title", "")
    for i in range(BULLETS_MAX):
        add(f"{base}.listing.bullets.{i}", "text", "bullet", "")
    add(f"{base}.listing.description", "textarea", "description", "")
    add(f"{base}.listing.images", "int", "images")
    add(f"{base}.listing.enhanced", "checkbox", "enhanced", False)
    for term in product.terms():
        for key in CAMPAIGN_KEYS:
            add(f"{base}.campaigns.{term.id}.{key}", "number", key, term=term.id)
    for key in CAMPAIGN_KEYS:
        add(f"{base}.auto_campaign.{key}", "number", f"auto_{key}")


# --------------------------------------------------------------------------- reading


def _listing_dict(fields: dict[str, Any], base: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The raw listing of one offer (None when every listing field is empty) and the field
    names of the bullets it holds, in order."""
    title = fields[f"{base}.listing.title"].value or ""
    bullet_names = [
        name
        for i in range(BULLETS_MAX)
        if (fields[(name := f"{base}.listing.bullets.{i}")].value or "").strip()
    ]
    description = fields[f"{base}.listing.description"].value or ""
    images = fields[f"{base}.listing.images"].value
    enhanced = bool(fields[f"{base}.listing.enhanced"].value)
    if not (title or bullet_names or description or images or enhanced):
        return None, []
    listing = {
        "title": title,
        "bullets": [fields[name].value for name in bullet_names],
        "description": description,
        "images": int(images or 0),
        "enhanced": enhanced,
    }
    return listing, bullet_names


def _campaign(fields: dict[str, Any], prefix: str) -> dict[str, float] | None:
    bid = fields[f"{prefix}.bid_local"].value
    budget = fields[f"{prefix}.daily_budget_local"].value
    if bid is None and budget is None:
        return None
    return {"bid_local": float(bid or 0.0), "daily_budget_local": float(budget or 0.0)}


def offer_extras(
    fields: dict[str, Any], base: str, product: Any
) -> tuple[dict[str, Any], list[str]]:
    """The listing, campaigns and automatic campaign of one offer for the engine's raw
    sheet (only the parts that were filled in), and the bullets' field names in order."""
    extras: dict[str, Any] = {}
    listing, bullet_names = _listing_dict(fields, base)
    if listing is not None:
        extras["listing"] = listing
    campaigns = {}
    for term in product.terms():
        found = _campaign(fields, f"{base}.campaigns.{term.id}")
        if found is not None:
            campaigns[term.id] = found
    if campaigns:
        extras["campaigns"] = campaigns
    auto = _campaign(fields, f"{base}.auto_campaign")
    if auto is not None:
        extras["auto_campaign"] = auto
    return extras, bullet_names


def field_for(form: DecisionForm, loc: tuple) -> DecisionField | None:
    """The field an engine issue inside a listing or campaign points at, or None."""
    if len(loc) < 5 or loc[0] != "offers" or loc[3] not in OFFER_PARTS:
        return None
    market, product, part = loc[1], loc[2], loc[3]
    base = f"offers.{market}.{product}"
    if part == "listing" and loc[4] == "bullets":
        names = form.bullet_fields.get((str(market), str(product)), [])
        index = loc[5] if len(loc) > 5 else 0
        if isinstance(index, int) and index < len(names):
            return form.fields.get(names[index])
        return form.fields.get(f"{base}.listing.bullets.0")
    return form.fields.get(".".join(str(part) for part in loc))


# --------------------------------------------------------------------------- score


def listing_of(form: DecisionForm, market: str, product: str) -> Listing | None:
    """The listing the form holds for an offer (None: no listing written). A number that
    could not be read counts as empty; texts count as typed, too long or not."""
    base = f"offers.{market}.{product}"
    fields: dict[str, Any] = {}
    for name, f in form.fields.items():
        if name.startswith(f"{base}.listing."):
            readable = f.kind != "int" or f.value is None or isinstance(f.value, int)
            fields[name] = f if readable else _Empty()
    if not fields:
        return None
    listing, _ = _listing_dict(fields, base)
    return Listing.model_validate(listing) if listing is not None else None


class _Empty:
    value = None


@dataclass(frozen=True)
class ShownScore:
    """A listing's score as the page shows it: the engine's score and its reasons in the
    page's language."""

    score: ListingScore
    reasons: list[str]


def score_of(form: DecisionForm, market: str, product: str) -> ShownScore | None:
    """The listing score of the offer as the form holds it: its listing's, or the
    platform's default page when the offer is listed without one (None: neither)."""
    listing = listing_of(form, market, product)
    listed = form.fields.get(f"offers.{market}.{product}.listed")
    if listing is None and not (listed is not None and listed.value):
        return None
    score = score_listing(form.scenario, market, product, listing)
    return ShownScore(score, [listing_reason(r) for r in score.reasons])
