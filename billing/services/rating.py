"""Rating: what a contract owes for a billing period, as invoice lines before tax and split.

- Lease (and transit commit): the monthly charge prorated by the days the service runs in the
  period (a calendar month in the billing party's time zone).
- One-off charge: once, in the period of activation.
- IRU: each installment in the period it falls due; the annual O&M fee (a % of the IRU price)
  in the anniversary month of activation, the first at activation.
- SLA credit: a % of the period's MRC line when the service's availability (from the outages
  on its path's segments) falls below the contract's tiers; a negative line.
- Transit burst: max(0, 95th - commit) in Mbit/s (10^6 bit/s) x the burst price, from the
  period's stored 95th percentile.

Amounts are rounded half-up to the currency's minor unit once per line. Each line carries a
``source_key`` naming what it bills, so a period billed again bills nothing twice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from leasing.choices import CommercialForm
from leasing.models import Contract
from tcfo_portal.money import minor_unit

from ..choices import LineKind
from ..models import UsagePercentile
from ..periods import period_days
from .availability import sla_credit_percent

MBPS = Decimal(1_000_000)


@dataclass(frozen=True)
class LineDraft:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    service_date: datetime.date
    source_key: str
    service_until: datetime.date | None = None  # the last day billed; None: service_date only


def _money(value: Decimal, currency: str) -> Decimal:
    return value.quantize(minor_unit(currency), ROUND_HALF_UP)


def days_running(contract: Contract, period: str) -> int:
    """The days of the period the service runs: from activation, until the day before it ends."""
    first, last = period_days(period)
    service = contract.service
    start = max(first, service.activated_on)
    end = last
    if service.terminated_on is not None:
        end = min(end, service.terminated_on - datetime.timedelta(days=1))
    return max(0, (end - start).days + 1)


def rate_contract(
    contract: Contract,
    period: str,
    percentile: UsagePercentile | None = None,
    availability: Decimal | None = None,
) -> list[LineDraft]:
    """The lines ``contract`` owes for ``period`` (nothing if its service does not run then);
    ``availability`` (% of the period) below the contract's SLA earns a credit on the MRC."""
    first, last = period_days(period)
    service = contract.service
    circuit = service.circuit_id
    currency = contract.currency
    running = days_running(contract, period)
    month_days = (last - first).days + 1
    key = f"contract:{contract.pk}:{period}"
    lines: list[LineDraft] = []
    if running == 0 and not (first <= service.activated_on <= last):
        return lines
    fraction = Decimal(running) / Decimal(month_days)
    day = max(first, service.activated_on)
    until = day + datetime.timedelta(days=max(running, 1) - 1)

    if contract.kind == CommercialForm.LEASE and contract.mrc is not None and running:
        lines.append(
            LineDraft(
                LineKind.MRC,
                f"{circuit} {service.product.name}, {period}"
                + (f" ({running} of {month_days} days)" if running < month_days else ""),
                fraction.quantize(Decimal("0.0001")),
                contract.mrc,
                _money(contract.mrc * fraction, currency),
                day,
                f"{key}:mrc",
                until,
            )
        )
        credit = sla_credit_percent(contract, availability)
        if credit:
            mrc_amount = lines[-1].amount
            lines.append(
                LineDraft(
                    LineKind.SLA_CREDIT,
                    f"{circuit} SLA credit: availability {availability.normalize():f}% in {period},"
                    f" {credit.normalize():f}% of the monthly charge",
                    Decimal(1),
                    -_money(mrc_amount * credit / 100, currency),
                    -_money(mrc_amount * credit / 100, currency),
                    day,
                    f"{key}:sla",
                    until,
                )
            )
    if contract.nrc and first <= service.activated_on <= last:
        lines.append(
            LineDraft(
                LineKind.NRC,
                f"{circuit} installation",
                Decimal(1),
                contract.nrc,
                _money(contract.nrc, currency),
                service.activated_on,
                f"contract:{contract.pk}:nrc",
            )
        )
    if contract.kind == CommercialForm.USAGE and running:
        commit = Decimal(contract.commit_mbps or 0)
        price = contract.commit_price_per_mbps or Decimal(0)
        lines.append(
            LineDraft(
                LineKind.TRANSIT_COMMIT,
                f"{circuit} committed {commit.normalize():f} Mbit/s, {period}"
                + (f" ({running} of {month_days} days)" if running < month_days else ""),
                (commit * fraction).quantize(Decimal("0.0001")),
                price,
                _money(commit * price * fraction, currency),
                day,
                f"{key}:commit",
                until,
            )
        )
        billable = percentile.billable_bps if percentile is not None else None
        if billable is not None:
            burst = max(Decimal(0), Decimal(billable) / MBPS - commit)
            if burst > 0:
                burst_price = contract.burst_price_per_mbps or Decimal(0)
                lines.append(
                    LineDraft(
                        LineKind.TRANSIT_BURST,
                        f"{circuit} burst above the commit: 95th {Decimal(billable) / MBPS:.3f}"
                        f" Mbit/s, {period}",
                        burst.quantize(Decimal("0.0001")),
                        burst_price,
                        _money(burst * burst_price, currency),
                        day,
                        f"{key}:burst",
                        until,
                    )
                )
    if contract.kind == CommercialForm.IRU:
        for installment in contract.installments.all():
            if first <= installment.due_on <= last:
                lines.append(
                    LineDraft(
                        LineKind.IRU_INSTALLMENT,
                        f"{circuit} IRU {installment.get_due_display().lower()}"
                        f" ({installment.percent.normalize():f}%)",
                        Decimal(1),
                        installment.amount,
                        _money(installment.amount, currency),
                        installment.due_on,
                        f"installment:{installment.pk}",
                    )
                )
        activated = service.activated_on
        if running and first.month == activated.month and first.year >= activated.year:
            fee = contract.iru_price * contract.om_percent / 100
            lines.append(
                LineDraft(
                    LineKind.OM_FEE,
                    f"{circuit} annual O&M {contract.om_percent.normalize():f}% of the IRU price,"
                    f" year from {first}",
                    Decimal(1),
                    fee,
                    _money(fee, currency),
                    day,
                    f"contract:{contract.pk}:om:{first.year}",
                )
            )
    return lines
