"""What a sale commits a customer to, and what a service still bills: the amounts a
confirmation step names (``tcfo_portal.confirm``) before an order is placed or a service ends.
Reads only; every amount is rounded once, in its currency (``tcfo_portal.money``)."""

from __future__ import annotations

import copy
import datetime
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from tcfo_portal.formatting import format_date, format_money, format_number
from tcfo_portal.money import round_money

from .models import Contract, Quote, Service


@dataclass(frozen=True)
class Commitment:
    """``headline``: the amount in one line ("12,500.00 USD a month"); ``facts``: (label,
    value) rows, the monthly and one-off charges, the term and the total committed to."""

    headline: str
    facts: list[tuple[str, str]]


def _money(amount: Decimal | Fraction, currency: str) -> str:
    return format_money(round_money(amount, currency), currency)


def commitment_of(quote: Quote) -> Commitment:
    """What ordering ``quote`` commits its customer to over the term, from its own prices."""
    currency, term = quote.currency, quote.term_months
    facts: list[tuple[str, str]] = [
        ("Product", f"{quote.product.name} ({quote.product.code})"),
        (quote.product.place_label, f"{quote.place.name} ({quote.place.code})"),
        ("Term", f"{term} months from {format_date(quote.start_date)}"),
    ]
    if quote.iru_price is not None:
        # Each year's O&M is a line of its own, rounded once (as billing rounds it).
        om_yearly = round_money(quote.iru_price * (quote.om_percent or 0) / 100, currency)
        om_years = math.ceil(term / 12)  # at activation and on every anniversary in the term
        facts += [
            ("IRU price", _money(quote.iru_price, currency)),
            ("O&M", f"{_money(om_yearly, currency)} a year ({format_number(quote.om_percent)}%)"),
            ("Total commitment", _money(quote.iru_price + om_yearly * om_years, currency)),
        ]
        headline = f"{_money(quote.iru_price, currency)} + {_money(om_yearly, currency)} a year"
        return Commitment(headline, facts)
    if quote.commit_mbps:
        monthly = quote.commit_mbps * (quote.commit_price_per_mbps or 0)
        facts += [
            (
                "Monthly commit",
                f"{_money(monthly, currency)} ({format_number(quote.commit_mbps)} Mbit/s at "
                f"{format_money(quote.commit_price_per_mbps, currency)} per Mbit/s)",
            ),
            (
                "Burst",
                f"{format_money(quote.burst_price_per_mbps, currency)} per Mbit/s above the "
                "commit (95th percentile)",
            ),
            ("Total commitment", f"{_money(monthly * term, currency)} plus any burst"),
        ]
        return Commitment(f"{_money(monthly, currency)} a month", facts)
    monthly, once = quote.mrc or Decimal(0), quote.nrc or Decimal(0)
    facts += [
        ("Monthly charge", _money(monthly, currency)),
        ("One-off charge", _money(once, currency)),
        ("Total commitment", _money(monthly * term + once, currency)),
    ]
    return Commitment(f"{_money(monthly, currency)} a month", facts)


def still_billable(service: Service, *, ends_on: datetime.date | None) -> Commitment:
    """What ``service`` bills from the start of the current month (the billing party's) until
    the day before ``ends_on`` (None: to the end of its contract's term), by its contract's
    monthly charge prorated as billing does (``billing.services.rating.months_run``)."""
    from django.utils import timezone

    from billing.periods import add_months, current_period, period_of
    from billing.services.rating import months_run

    contract: Contract | None = getattr(service, "contract", None)
    last_day = (ends_on - datetime.timedelta(days=1)) if ends_on else None
    facts: list[tuple[str, str]] = []
    if last_day is not None:
        facts.append(("Last day of service", format_date(last_day)))
        facts.append(("First day without service", format_date(ends_on)))
    if contract is None:
        return Commitment("", facts)
    zone = service.order.billing_party.time_zone
    monthly = contract.mrc
    if monthly is None and contract.commit_mbps:
        monthly = contract.commit_mbps * (contract.commit_price_per_mbps or 0)
    if monthly is None:  # an IRU: its installments and O&M fall due on their own days
        facts.append(("Contract", f"IRU to {format_date(contract.end_date)}"))
        return Commitment("", facts)
    # The contract as it would be with the new end, read but never saved.
    changed = copy.copy(contract)
    changed.service = copy.copy(service)
    changed.service.terminated_on = ends_on
    last_period = period_of(last_day or contract.end_date)
    before = add_months(current_period(zone, timezone.now()), -1)
    months = months_run(changed, last_period) - months_run(changed, before)
    amount = max(Fraction(0), Fraction(monthly) * months)
    billable = _money(amount, contract.currency)
    facts += [
        ("Monthly charge", format_money(monthly, contract.currency)),
        ("Still billable from this month", billable),
    ]
    return Commitment(billable, facts)
