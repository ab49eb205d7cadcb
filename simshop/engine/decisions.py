"""A team's decisions for one round, and their validation.

The sheet (JSON shape, every key optional)::

    {
      "enter_markets": ["EU"],                # pay the market's entry_fee_cny once
      "leave_markets": [],
      "offers": {"US": {"earbuds": {"listed": true, "price_local": 34.99,
                                    "ad_budget_cny": 8000.0, "channel": "warehouse"}}},
      "factory_orders": {"earbuds": 3000},    # units, arrive in China at the round's start
      "shipments": [{"product": "earbuds", "market": "US", "mode": "sea", "quantity": 2500}],
      "quality_investment_cny": {"earbuds": 10000.0},
      "borrow_cny": 50000.0                   # negative = repay
    }

:func:`validate_decisions` first checks the shape (pydantic, strict: ``"3"`` is not a number,
unknown keys are errors) and then the meaning against the scenario and the team's state.
Every problem becomes a :class:`DecisionIssue` with a location (a key path into the sheet),
a stable machine ``code`` the web layer can translate, ``params`` and an English message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from simshop.engine.catalogue import demand_weight, public
from simshop.engine.conditions import RoundConditions, conditions_for_round
from simshop.engine.demand import reference_price_local
from simshop.engine.logistics import upfront_spend_cny
from simshop.engine.research import settings as research_settings
from simshop.engine.scenario import Scenario, has_sourcing
from simshop.engine.sheet import (
    BULLET_MAX,
    BULLETS_MAX,
    CHANNELS,
    DESCRIPTION_MAX,
    IMAGES_MAX,
    STOCK_MODES,
    TITLE_MAX,
    Campaign,
    DecisionSheet,
    Listing,
    Offer,
    SampleOrder,
    Shipment,
    StudyOrder,
    carry_over,
    empty_decisions,
    sort_keys,
)
from simshop.engine.state import TeamState

__all__ = [
    "CHANNELS",
    "STOCK_MODES",
    "DecisionErrors",
    "DecisionIssue",
    "DecisionSheet",
    "Campaign",
    "Listing",
    "Offer",
    "SampleOrder",
    "Shipment",
    "StudyOrder",
    "carry_over",
    "empty_decisions",
    "validate_decisions",
]

_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f]")
"""A character below U+0020 other than tab (U+0009) and line feed (U+000A): not in a text."""


PRICE_BAND = 100.0
"""A listed price must lie within [reference / PRICE_BAND, reference * PRICE_BAND], the
reference being the product's reference price in the market's currency (the demand model's
``price_ratio`` of 1: :func:`simshop.engine.demand.reference_price_local`, with the market's
price index and VAT). Wide enough for any real strategy, narrow enough that the model's
``ln(price_ratio)`` stays within +-4.6."""
UNIT_HEADROOM = 100
"""A factory order or shipment may carry at most this many times the shoppers the product
can meet in one round at peak season (every market together), and never fewer than
:data:`MIN_UNIT_LIMIT` units."""
MIN_UNIT_LIMIT = 10_000
MAX_UNIT_LIMIT = 1_000_000_000
MONEY_HEADROOM = 100.0
"""Advertising, quality investment and borrowing amounts are at most this many times the
team's starting means (starting cash plus credit line), and never less than 1 million CNY."""
MIN_MONEY_LIMIT = 1_000_000.0


@dataclass(frozen=True)
class DecisionLimits:
    """The ranges every entry point (form, JSON, CLI, what-if) accepts, derived from the
    scenario. Prices by ``(market, product)`` in the market's currency."""

    prices: dict[tuple[str, str], tuple[float, float]]
    max_units: dict[str, int]
    max_money_cny: float


def decision_limits(scenario: Scenario) -> DecisionLimits:
    prices: dict[tuple[str, str], tuple[float, float]] = {}
    for m in scenario.markets:
        for p in scenario.products:
            ref = reference_price_local(scenario.model, m, p)
            prices[(m.code, p.id)] = (ref / PRICE_BAND, ref * PRICE_BAND)
    peak = (
        sum(
            m.size * max(m.seasonality) * scenario.model.shoppers_per_size_day
            for m in scenario.markets
        )
        * scenario.calendar.days_per_round
    )
    # public weights only: a limit must never reveal a catalogue's hidden demand draw
    scenario = public(scenario)
    units = {
        p.id: int(
            min(
                max(
                    UNIT_HEADROOM
                    * peak
                    * max(
                        [p.demand_weight, *(demand_weight(scenario, c, p) for c in p.demand_range)]
                    ),
                    MIN_UNIT_LIMIT,
                ),
                MAX_UNIT_LIMIT,
            )
        )
        for p in scenario.products
    }
    means = scenario.economy.starting_cash_cny + scenario.economy.credit_line_cny
    return DecisionLimits(prices, units, max(MONEY_HEADROOM * means, MIN_MONEY_LIMIT))


@dataclass(frozen=True)
class DecisionIssue:
    loc: tuple[str | int, ...]
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "loc": list(self.loc),
            "message": self.message,
            "params": sort_keys(self.params),
        }


class DecisionErrors(ValueError):
    """Raised by :func:`validate_decisions`; ``issues`` holds every problem found."""

    def __init__(self, issues: list[DecisionIssue]):
        self.issues = issues
        lines = [f"{'.'.join(map(str, i.loc)) or '(sheet)'}: {i.message}" for i in issues]
        super().__init__("invalid decisions:\n" + "\n".join(lines))


_PYDANTIC_CODES = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "literal_error": "invalid_choice",
    "finite_number": "not_a_number",
}


def _shape_issues(error: ValidationError) -> list[DecisionIssue]:
    issues = []
    for err in error.errors(include_url=False):
        code = _PYDANTIC_CODES.get(err["type"], "invalid_type")
        loc = tuple(err["loc"])
        params = {"expected": err["type"]}
        if code == "invalid_choice":
            params = {"expected": err.get("ctx", {}).get("expected", "")}
        issues.append(DecisionIssue(loc, code, params, err["msg"]))
    return issues


def validate_decisions(
    scenario: Scenario, team_state: TeamState, raw: dict[str, Any] | DecisionSheet
) -> DecisionSheet:
    """Check a raw sheet against the scenario and the team's state before the next round
    (``team_state.round_no + 1``). Returns the sheet or raises :class:`DecisionErrors`."""
    if isinstance(raw, DecisionSheet):
        sheet = raw
    else:
        if not isinstance(raw, dict):
            raise DecisionErrors(
                [
                    DecisionIssue(
                        (),
                        "invalid_type",
                        {"expected": "object"},
                        "decisions must be a JSON object",
                    )
                ]
            )
        try:
            sheet = DecisionSheet.model_validate(raw)
        except ValidationError as exc:
            raise DecisionErrors(_shape_issues(exc)) from None
    cond = conditions_for_round(scenario, min(team_state.round_no + 1, scenario.calendar.rounds))
    issues = _Checker(scenario, team_state, cond, sheet).run()
    if issues:
        raise DecisionErrors(issues)
    return sheet


class _Checker:
    """Semantic checks, one method per part of the sheet; collects every issue."""

    def __init__(
        self, scenario: Scenario, team: TeamState, cond: RoundConditions, sheet: DecisionSheet
    ):
        self.scenario, self.team, self.cond, self.sheet = scenario, team, cond, sheet
        self.limits = decision_limits(scenario)
        self.issues: list[DecisionIssue] = []
        self.markets = [m.code for m in scenario.markets]
        self.products = [p.id for p in scenario.products]
        self.entered = (set(team.entered_markets) | set(sheet.enter_markets)) - set(
            sheet.leave_markets
        )

    def add(self, loc: tuple[str | int, ...], code: str, message: str, **params: Any) -> None:
        self.issues.append(DecisionIssue(tuple(loc), code, params, message))

    def run(self) -> list[DecisionIssue]:
        self.check_markets()
        self.check_offers()
        self.check_stock()
        self.check_quality()
        self.check_certificates()
        self.check_sourcing()
        if not self.issues:
            self.check_money()
        return self.issues

    def known_market(self, loc: tuple[str | int, ...], code: str) -> bool:
        if code in self.markets:
            return True
        self.add(
            loc,
            "unknown_market",
            f"'{code}' is not a market in this scenario",
            market=code,
            choices=self.markets,
        )
        return False

    def known_product(self, loc: tuple[str | int, ...], pid: str) -> bool:
        if pid in self.products:
            return True
        self.add(
            loc,
            "unknown_product",
            f"'{pid}' is not a product in this scenario",
            product=pid,
            choices=self.products,
        )
        return False

    def check_markets(self) -> None:
        for i, code in enumerate(self.sheet.enter_markets):
            if self.known_market(("enter_markets", i), code) and (
                code in self.team.entered_markets
            ):
                self.add(
                    ("enter_markets", i),
                    "already_entered",
                    f"the team is already in market {code}",
                    market=code,
                )
        for i, code in enumerate(self.sheet.leave_markets):
            if self.known_market(("leave_markets", i), code) and (
                code not in self.team.entered_markets
            ):
                self.add(
                    ("leave_markets", i),
                    "not_entered",
                    f"the team cannot leave market {code}: it has not entered it",
                    market=code,
                )

    def check_offers(self) -> None:
        for code, offers in self.sheet.offers.items():
            if not self.known_market(("offers", code), code):
                continue
            active = any(
                o.listed or o.ad_budget_cny > 0 or o.campaigns or o.auto_campaign is not None
                for o in offers.values()
            )
            if active and code not in self.entered:
                self.add(
                    ("offers", code),
                    "not_entered",
                    f"enter market {code} before listing or advertising there",
                    market=code,
                )
            for pid, offer in offers.items():
                loc = ("offers", code, pid)
                if self.known_product(loc, pid):
                    self.check_offer(loc, code, offer)

    def check_offer(self, loc: tuple[str | int, ...], code: str, offer: Offer) -> None:
        low, high = self.limits.prices[(code, str(loc[-1]))]
        if offer.listed and not offer.price_local > 0:
            self.add(
                (*loc, "price_local"),
                "price_not_positive",
                "a listed product needs a price above 0",
                price=offer.price_local,
            )
        elif offer.price_local != 0 and not low <= offer.price_local <= high:
            self.add(
                (*loc, "price_local"),
                "price_out_of_range",
                f"the price must be between {low:.2f} and {high:.2f} "
                f"{self.scenario.market(code).currency}",
                price=offer.price_local,
                min=round(low, 2),
                max=round(high, 2),
                currency=self.scenario.market(code).currency,
            )
        if not offer.ad_budget_cny >= 0:
            self.add(
                (*loc, "ad_budget_cny"),
                "negative_amount",
                "the advertising budget cannot be negative",
                amount=offer.ad_budget_cny,
            )
        else:
            self.check_money_limit((*loc, "ad_budget_cny"), offer.ad_budget_cny)
        if offer.listing is not None:
            self.check_listing((*loc, "listing"), offer.listing)
        self.check_campaigns(loc, code, str(loc[-1]), offer)
        if offer.channel == "parcel" and self.cond.markets[code].lane("parcel") is None:
            self.add(
                (*loc, "channel"),
                "no_parcel_lane",
                f"market {code} has no parcel lane for direct shipping",
                market=code,
            )

    def check_text(self, loc: tuple[str | int, ...], text: str, limit: int) -> None:
        if len(text) > limit:
            self.add(
                loc,
                "text_too_long",
                f"at most {limit} characters ({len(text)} given)",
                length=len(text),
                max=limit,
            )
        if _CONTROL_CHARACTER.search(text):
            self.add(loc, "invalid_text", "the text contains a control character")

    def check_listing(self, loc: tuple[str | int, ...], listing: Listing) -> None:
        """Lengths of the listing's texts, the number of bullets and images."""
        self.check_text((*loc, "title"), listing.title, TITLE_MAX)
        if len(listing.bullets) > BULLETS_MAX:
            self.add(
                (*loc, "bullets"),
                "too_many_bullets",
                f"at most {BULLETS_MAX} bullet points ({len(listing.bullets)} given)",
                count=len(listing.bullets),
                max=BULLETS_MAX,
            )
        for i, bullet in enumerate(listing.bullets[:BULLETS_MAX]):
            self.check_text((*loc, "bullets", i), bullet, BULLET_MAX)
        self.check_text((*loc, "description"), listing.description, DESCRIPTION_MAX)
        if not 0 <= listing.images <= IMAGES_MAX:
            self.add(
                (*loc, "images"),
                "images_out_of_range",
                f"between 0 and {IMAGES_MAX} images",
                images=listing.images,
                max=IMAGES_MAX,
            )

    def check_campaigns(
        self, loc: tuple[str | int, ...], code: str, pid: str, offer: Offer
    ) -> None:
        """Campaigns name the product's search terms; bids and budgets are amounts of
        money (not negative, bounded like every amount: a bid, and a daily budget over the
        round's days, at most the money limit in CNY)."""
        terms = [t.id for t in self.scenario.product(pid).terms()]
        fx = float(max(self.cond.markets[code].fx_cny_per_local))
        campaigns: list[tuple[tuple[str | int, ...], Campaign]] = []
        for term, campaign in offer.campaigns.items():
            if term not in terms:
                self.add(
                    (*loc, "campaigns", term),
                    "unknown_search_term",
                    f"'{term}' is not a search term of {pid}",
                    term=term,
                    choices=terms,
                )
                continue
            campaigns.append(((*loc, "campaigns", term), campaign))
        if offer.auto_campaign is not None:
            campaigns.append(((*loc, "auto_campaign"), offer.auto_campaign))
        for cloc, campaign in campaigns:
            for name, amount, scale in (
                ("bid_local", campaign.bid_local, fx),
                ("daily_budget_local", campaign.daily_budget_local, fx * self.cond.days),
            ):
                if not amount >= 0:
                    self.add(
                        (*cloc, name),
                        "negative_amount",
                        "a bid or budget cannot be negative",
                        amount=amount,
                    )
                elif amount * scale > self.limits.max_money_cny:
                    currency = self.scenario.market(code).currency
                    self.add(
                        (*cloc, name),
                        "amount_too_large_local",
                        f"at most {self.limits.max_money_cny / scale:.2f} {currency}",
                        amount=amount,
                        max=round(self.limits.max_money_cny / scale, 2),
                        currency=currency,
                    )

    def check_money_limit(self, loc: tuple[str | int, ...], amount: float) -> None:
        if abs(amount) > self.limits.max_money_cny:
            self.add(
                loc,
                "amount_too_large",
                f"at most {self.limits.max_money_cny:.0f} CNY",
                amount=amount,
                max=self.limits.max_money_cny,
            )

    def check_unit_limit(self, loc: tuple[str | int, ...], pid: str, qty: int) -> bool:
        limit = self.limits.max_units.get(pid, MIN_UNIT_LIMIT)
        if qty > limit:
            self.add(loc, "quantity_too_large", f"at most {limit} units", quantity=qty, max=limit)
            return False
        return True

    def check_stock(self) -> None:
        for pid, qty in self.sheet.factory_orders.items():
            if not self.known_product(("factory_orders", pid), pid):
                continue
            if qty < 0:
                self.add(
                    ("factory_orders", pid),
                    "negative_quantity",
                    "a factory order cannot be negative",
                    quantity=qty,
                )
            else:
                self.check_unit_limit(("factory_orders", pid), pid, qty)
        wanted: dict[str, int] = {}
        for i, ship in enumerate(self.sheet.shipments):
            if self.check_shipment(("shipments", i), ship):
                wanted[ship.product] = wanted.get(ship.product, 0) + max(ship.quantity, 0)
                self.check_china_stock(("shipments", i), ship.product, wanted[ship.product])

    def check_shipment(self, loc: tuple[str | int, ...], ship: Shipment) -> bool:
        """One shipment's product, market, quantity and lane; False when its product,
        market or quantity is unusable (its stock is not counted then)."""
        ok = self.known_product((*loc, "product"), ship.product)
        ok = self.known_market((*loc, "market"), ship.market) and ok
        if ship.quantity <= 0:
            self.add(
                (*loc, "quantity"),
                "quantity_not_positive",
                "a shipment needs at least 1 unit",
                quantity=ship.quantity,
            )
        if not ok or not self.check_unit_limit((*loc, "quantity"), ship.product, ship.quantity):
            return False
        if ship.market not in self.entered:
            self.add(
                (*loc, "market"),
                "not_entered",
                f"enter market {ship.market} before shipping stock there",
                market=ship.market,
            )
        mc = self.cond.markets[ship.market]
        if mc.lane(ship.mode) is None:
            self.add(
                (*loc, "mode"),
                "no_lane",
                f"market {ship.market} has no {ship.mode} lane",
                market=ship.market,
                mode=ship.mode,
            )
        elif ship.mode in mc.closed_channels:
            self.add(
                (*loc, "mode"),
                "channel_closed",
                f"the {ship.mode} lane to {ship.market} is closed",
                market=ship.market,
                mode=ship.mode,
            )
        return True

    def check_china_stock(self, loc: tuple[str | int, ...], product: str, wanted: int) -> None:
        """The shipments so far of ``product`` (``wanted`` units) fit in its China stock
        plus this round's factory order (if it arrives at once: no supplier lead time)."""
        available = self.team.china_stock.get(product, 0) + (
            max(self.sheet.factory_orders.get(product, 0), 0)
            if self.order_is_instant(product)
            else 0
        )
        if wanted > available:
            self.add(
                (*loc, "quantity"),
                "exceeds_stock",
                f"only {available} units of {product} are in China "
                f"(stock plus this round's order); shipments ask for {wanted}",
                product=product,
                available=available,
                requested=wanted,
            )

    def order_is_instant(self, pid: str) -> bool:
        """True when a factory order of ``pid`` reaches China at the start of the round."""
        product = self.scenario.product(pid)
        if not product.suppliers:
            return True
        chosen = product.supplier(self.sheet.suppliers.get(pid, product.suppliers[0].id))
        return (chosen or product.suppliers[0]).lead_days <= 0

    def known_supplier(self, loc: tuple[str | int, ...], pid: str, sid: str) -> bool:
        product = self.scenario.product(pid)
        choices = [s.id for s in product.suppliers]
        if not choices:
            self.add(
                loc,
                "no_suppliers",
                f"{pid} has no suppliers to choose from",
                product=pid,
            )
            return False
        if sid not in choices:
            self.add(
                loc,
                "unknown_supplier",
                f"'{sid}' is not a supplier of {pid}",
                product=pid,
                supplier=sid,
                choices=choices,
            )
            return False
        return True

    def check_sourcing(self) -> None:
        """Suppliers chosen, minimum order quantities, samples and studies."""
        for pid, sid in self.sheet.suppliers.items():
            if self.known_product(("suppliers", pid), pid):
                self.known_supplier(("suppliers", pid), pid, sid)
        for pid, qty in self.sheet.factory_orders.items():
            if pid not in self.products or qty <= 0:
                continue
            product = self.scenario.product(pid)
            if not product.suppliers:
                continue
            chosen = product.supplier(self.sheet.suppliers.get(pid, product.suppliers[0].id))
            supplier = chosen or product.suppliers[0]
            if qty < supplier.moq:
                self.add(
                    ("factory_orders", pid),
                    "below_moq",
                    f"{supplier.id} makes {pid} in orders of at least {supplier.moq} units",
                    product=pid,
                    supplier=supplier.id,
                    min_units=supplier.moq,
                    quantity=qty,
                )
        for i, sample in enumerate(self.sheet.samples):
            self.check_sample(("samples", i), sample)
        seen: set[tuple[str, str]] = set()
        for i, study in enumerate(self.sheet.research):
            self.check_study(("research", i), study, seen)

    def check_sample(self, loc: tuple[str | int, ...], sample: SampleOrder) -> None:
        if self.known_product((*loc, "product"), sample.product):
            self.known_supplier((*loc, "supplier"), sample.product, sample.supplier)

    def check_study(
        self, loc: tuple[str | int, ...], study: StudyOrder, seen: set[tuple[str, str]]
    ) -> None:
        if not has_sourcing(self.scenario):
            self.add(loc, "research_unavailable", "this scenario sells no market studies")
            return
        self.known_market((*loc, "market"), study.market)
        categories = sorted({p.category for p in self.scenario.products})
        if study.category not in categories:
            self.add(
                (*loc, "category"),
                "unknown_category",
                f"no product has category '{study.category}'",
                category=study.category,
                choices=categories,
            )
        minimum = max(research_settings(self.scenario).min_budget_cny, 0.01)
        if not study.budget_cny >= minimum:
            self.add(
                (*loc, "budget_cny"),
                "budget_too_small",
                f"a study costs at least {minimum:.2f} CNY",
                amount=study.budget_cny,
                min=minimum,
            )
        else:
            self.check_money_limit((*loc, "budget_cny"), study.budget_cny)
        key = (study.market, study.category)
        if key in seen:
            self.add(
                loc,
                "duplicate_study",
                f"a study of {study.category} in {study.market} is already ordered",
                market=study.market,
                category=study.category,
            )
        seen.add(key)

    def check_quality(self) -> None:
        for pid, amount in self.sheet.quality_investment_cny.items():
            loc = ("quality_investment_cny", pid)
            if not self.known_product(loc, pid):
                continue
            if amount < 0:
                self.add(
                    loc, "negative_amount", "quality investment cannot be negative", amount=amount
                )
            else:
                self.check_money_limit(loc, amount)

    def check_certificates(self) -> None:
        """Certificates name requirements of the scenario, once each, not already held or
        being obtained."""
        known = [r.id for r in self.scenario.requirements()]
        seen: set[str] = set()
        for i, rid in enumerate(self.sheet.certificates):
            loc = ("certificates", i)
            if rid not in known:
                self.add(
                    loc,
                    "unknown_requirement",
                    f"'{rid}' is not a compliance requirement in this scenario",
                    requirement=rid,
                    choices=known,
                )
            elif rid in seen:
                self.add(
                    loc, "duplicate_certificate", f"'{rid}' is asked for twice", requirement=rid
                )
            elif rid in self.team.certificates:
                self.add(
                    loc,
                    "already_certified",
                    f"the team already holds or is obtaining '{rid}'",
                    requirement=rid,
                )
            seen.add(rid)

    def check_money(self) -> None:
        borrow = self.sheet.borrow_cny
        available_credit = max(0.0, self.scenario.economy.credit_line_cny - self.team.debt_cny)
        if borrow > available_credit + 1e-9:
            self.add(
                ("borrow_cny",),
                "credit_exceeded",
                f"only {available_credit:.2f} CNY of credit is left",
                requested=borrow,
                available=round(available_credit, 2),
            )
            return
        if -borrow > self.team.debt_cny + 1e-9:
            self.add(
                ("borrow_cny",),
                "repay_exceeds_debt",
                f"the team owes only {self.team.debt_cny:.2f} CNY",
                requested=-borrow,
                debt=round(self.team.debt_cny, 2),
            )
            return
        spend = upfront_spend_cny(self.scenario, self.cond, self.team, self.sheet)
        funds = self.team.cash_cny + max(borrow, 0.0)
        if spend > funds + 0.005:
            self.add(
                (),
                "insufficient_cash",
                f"this sheet spends {spend:.2f} CNY up front (repayment included) but "
                f"the team has {funds:.2f} CNY (cash plus new borrowing)",
                spend=round(spend, 2),
                available=round(funds, 2),
            )
