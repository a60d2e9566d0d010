"""VAT of an invoice line: the billing party's country's rate for domestic customers, reverse
charge (0% with the legal note) for business customers in another country."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError
from tcfo_portal.money import round_money

from ..models import TaxRate


def tax_of(net: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
    """The VAT of one net amount (a line, or the part of a line a credit note gives back) at
    ``rate_percent``, rounded half-up to the minor unit once per line."""
    return round_money(net * rate_percent / 100, currency)


@dataclass(frozen=True)
class TaxTreatment:
    rate_percent: Decimal
    reverse_charge: bool
    note: str

    def tax_on(self, net: Decimal, currency: str) -> Decimal:
        """The tax of one line, rounded half-up to the minor unit (once per line)."""
        return tax_of(net, self.rate_percent, currency)


def tax_treatment(
    *, billing_party: Organisation, customer: Organisation, on: datetime.date
) -> TaxTreatment:
    """How a line sold by ``billing_party`` to ``customer`` on ``on`` is taxed."""
    if customer.country != billing_party.country:
        return TaxTreatment(Decimal(0), True, settings.TCFO_REVERSE_CHARGE_NOTE)
    rate = (
        TaxRate.objects.filter(country=billing_party.country, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .first()
    )
    if rate is None:
        raise DomainError(
            f"No VAT rate of {billing_party.country.name} is known for {on}: add it in the admin."
        )
    return TaxTreatment(rate.rate_percent, False, f"VAT {rate.rate_percent.normalize():f}%")
