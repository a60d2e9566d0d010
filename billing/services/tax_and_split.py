"""Every billed line is taxed, then split between the operators: one pipeline for the lines of
a billing run, a manual line on a draft and a debit note's line.

- Tax: the billing party's country's VAT for the customer on the day the line is taxed
  (``tax.tax_treatment``), rounded half-up once per line (``tax.tax_of``).
- Split: the line's net amount between the owners of its route (path, or site without a path)
  day by day over [first, last], to the cent (``allocations.shares_between`` and one largest
  remainder).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from leasing.models import Path, Site
from organisations.models import Organisation

from ..split import largest_remainder
from .allocations import load_route, shares_between
from .tax import TaxTreatment, tax_treatment


@dataclass(frozen=True)
class TaxedSplit:
    """A line's VAT (rate, amount, legal note) and its net amount's parts per operator."""

    tax_rate: Decimal
    tax_amount: Decimal
    tax_note: str
    parts: dict[Organisation, Decimal]


class TaxAndSplit:
    """Taxes and splits lines, asking the database once per (billing party, customer, day) for
    the VAT rate, once per route for its dated owners, and computing each route's shares over
    the same days once: a billing run's chunk keeps one for all its lines."""

    def __init__(self) -> None:
        self._treatments: dict[tuple, TaxTreatment] = {}
        self._routes: dict[tuple, tuple[Path | None, Site | None]] = {}
        self._shares: dict[tuple, dict[Organisation, Decimal]] = {}

    def line(
        self,
        *,
        amount: Decimal,
        currency: str,
        billing_party: Organisation,
        customer: Organisation,
        taxed_on: datetime.date,
        path: Path | None,
        site: Site | None,
        first: datetime.date,
        last: datetime.date | None = None,
    ) -> TaxedSplit:
        """``amount`` (net, rounded) taxed as sold by ``billing_party`` to ``customer`` on
        ``taxed_on`` and split by the owners of each day in [first, last] (``last`` ``None``:
        the first day only). ``DomainError`` when no VAT rate is known for the day or nobody
        owns the route."""
        taxed = (billing_party.pk, customer.pk, taxed_on)
        if taxed not in self._treatments:
            self._treatments[taxed] = tax_treatment(
                billing_party=billing_party, customer=customer, on=taxed_on
            )
        treatment = self._treatments[taxed]
        return TaxedSplit(
            tax_rate=treatment.rate_percent,
            tax_amount=treatment.tax_on(amount, currency),
            tax_note=treatment.note,
            parts=self.split(
                amount=amount, currency=currency, path=path, site=site, first=first, last=last
            ),
        )

    def split(
        self,
        *,
        amount: Decimal,
        currency: str,
        path: Path | None,
        site: Site | None,
        first: datetime.date,
        last: datetime.date | None = None,
    ) -> dict[Organisation, Decimal]:
        """The net ``amount`` in parts per operator that add up to it to the cent, by the
        owners of each day in [first, last] (``last`` ``None``: the first day only)."""
        route = (path.pk if path else None, site.pk if site else None)
        owners = (*route, first, last or first)
        if owners not in self._shares:
            if route not in self._routes:
                self._routes[route] = load_route(path=path, site=site)
            loaded_path, loaded_site = self._routes[route]
            self._shares[owners] = shares_between(
                path=loaded_path, site=loaded_site, first=first, last=last or first
            )
        return largest_remainder(amount, self._shares[owners], currency)
