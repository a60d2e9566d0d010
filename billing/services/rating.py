"""Rating: what a contract owes for a billing period, as invoice lines before tax and split.

- Lease (and transit commit): the monthly charge prorated by the days the service runs in the
  period (a calendar month in the billing party's time zone), rounded so that the months of a
  service's life add up to the monthly charge x the months it ran, to the cent (``prorated``).
- One-off charge: once, in the period of activation.
- IRU: each installment and each annual O&M fee (a % of the IRU price, due at activation and
  on every anniversary within the term) in the run of the month its due date falls in, or the
  first run after it; whatever the activation date (an installment due on signing is billed
  before the service runs).
- SLA credit: a % of the period's MRC line when the service's uptime (from the outages
  on its path's segments) falls below the contract's tiers; a negative line.
- Transit burst: max(0, 95th - commit) in Mbit/s (10^6 bit/s) x the burst price, from the
  period's stored 95th percentile.

Amounts are rounded half-up to the currency's minor unit once per line. Each line carries a
``source_key`` naming what it bills, so a period billed again bills nothing twice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from leasing.choices import CommercialForm
from leasing.models import Contract, Service
from tcfo_portal.formatting import format_date, format_number
from tcfo_portal.money import round_money

from ..choices import LineKind
from ..models import UsagePercentile
from ..periods import add_months, add_months_to_date, month_index, period_days, period_of
from .uptime import sla_credit_percent

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


def _running_fraction(service: Service, period: str) -> Fraction:
    first, last = period_days(period)
    start = max(first, service.activated_on)
    end = last
    if service.terminated_on is not None:
        end = min(end, service.terminated_on - datetime.timedelta(days=1))
    return Fraction(max(0, (end - start).days + 1), (last - first).days + 1)


def months_run(contract: Contract, period: str) -> Fraction:
    """Months the contract's service has run by the end of ``period``, counted exactly: the
    activation month's share of days, whole months after it, and the share of days of the
    last month; a service that ends with its term has run exactly the term by then (the last
    month bills what the first left of a month, also when the two months differ in length)."""
    service = contract.service
    activated = period_of(service.activated_on)
    if period < activated:
        return Fraction(0)
    end = period
    if service.terminated_on is not None:
        last_day = service.terminated_on - datetime.timedelta(days=1)
        if last_day == contract.end_date and period >= period_of(last_day):
            return Fraction(contract.term_months)
        end = min(end, period_of(last_day))
    total = _running_fraction(service, activated)
    if end > activated:
        between = month_index(end) - month_index(activated) - 1
        total += between + _running_fraction(service, end)
    return total


def prorated(monthly: Decimal, contract: Contract, period: str, currency: str) -> Decimal:
    """``monthly`` for the days of ``period`` the service runs, rounded half-up so that a
    service's months add up to ``monthly`` x the months it ran, to the cent: each period bills
    round(monthly x months run by its end) - round(monthly x months run by the month before).
    A whole month bills ``monthly``; the first and the last month their days' share."""
    before = months_run(contract, add_months(period, -1))
    return round_money(Fraction(monthly) * months_run(contract, period), currency) - (
        round_money(Fraction(monthly) * before, currency)
    )


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
    uptime: Decimal | None = None,
) -> list[LineDraft]:
    """The lines ``contract`` owes for ``period`` (nothing if its service does not run then);
    ``uptime`` (% of the period) below the contract's SLA earns a credit on the MRC."""
    first, last = period_days(period)
    service = contract.service
    circuit = service.circuit_id
    currency = contract.currency
    running = days_running(contract, period)
    month_days = (last - first).days + 1
    key = f"contract:{contract.pk}:{period}"
    lines: list[LineDraft] = []
    if contract.kind == CommercialForm.IRU:
        lines += iru_charges_due(contract, last)
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
                prorated(contract.mrc, contract, period, currency),
                day,
                f"{key}:mrc",
                until,
            )
        )
        credit = sla_credit_percent(contract, uptime)
        if credit:
            mrc_amount = lines[-1].amount
            lines.append(
                LineDraft(
                    LineKind.SLA_CREDIT,
                    # the line says "availability", the word of the contract's SLA table
                    f"{circuit} SLA credit: availability {uptime.normalize():f}% in {period},"
                    f" {credit.normalize():f}% of the monthly charge",
                    Decimal(1),
                    -round_money(mrc_amount * credit / 100, currency),
                    -round_money(mrc_amount * credit / 100, currency),
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
                round_money(contract.nrc, currency),
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
                f"{circuit} committed {format_number(commit)} Mbit/s, {period}"
                + (f" ({running} of {month_days} days)" if running < month_days else ""),
                (commit * fraction).quantize(Decimal("0.0001")),
                price,
                prorated(commit * price, contract, period, currency),
                day,
                f"{key}:commit",
                until,
            )
        )
        billable = percentile.billable_bps if percentile is not None else None
        if billable is not None:
            burst = burst_mbps(contract, billable)
            if burst > 0:
                lines.append(
                    LineDraft(
                        LineKind.TRANSIT_BURST,
                        f"{circuit} burst above the commit: 95th"
                        f" {format_number(Decimal(billable) / MBPS)} Mbit/s, {period}",
                        burst.quantize(Decimal("0.0001")),
                        contract.burst_price_per_mbps or Decimal(0),
                        burst_charge(contract, billable),
                        day,
                        f"{key}:burst",
                        until,
                    )
                )
    return lines


def burst_mbps(contract: Contract, billable_bps: int) -> Decimal:
    """Mbit/s (10^6 bit/s) of the billable 95th above the contract's commit, or 0."""
    return max(Decimal(0), Decimal(billable_bps) / MBPS - Decimal(contract.commit_mbps or 0))


def burst_charge(contract: Contract, billable_bps: int | None) -> Decimal:
    """The burst line's amount for a billable 95th: its Mbit/s above the commit x the burst
    price, rounded half-up once (0 without a 95th)."""
    if billable_bps is None:
        return Decimal(0)
    price = contract.burst_price_per_mbps or Decimal(0)
    return round_money(burst_mbps(contract, billable_bps) * price, contract.currency)


def om_due_dates(contract: Contract) -> list[datetime.date]:
    """The days the annual O&M fees of an IRU fall due: at activation, then every anniversary
    while the term (and the service) lasts."""
    service = contract.service
    end = contract.end_date
    if service.terminated_on is not None:
        end = min(end, service.terminated_on - datetime.timedelta(days=1))
    dates, year = [], 0
    while (due := add_months_to_date(service.activated_on, 12 * year)) <= end:
        dates.append(due)
        year += 1
    return dates


def iru_charges_due(contract: Contract, until: datetime.date) -> list[LineDraft]:
    """Every IRU installment and O&M fee of ``contract`` due on or before ``until``: each is
    billed once (its ``source_key``), in the run of the month its due date falls in or the
    first run after it if that one was missed, whatever the activation date (domain.md 6a)."""
    circuit = contract.service.circuit_id
    currency = contract.currency
    lines = [
        LineDraft(
            LineKind.IRU_INSTALLMENT,
            f"{circuit} IRU {installment.get_due_display().lower()}"
            f" ({format_number(installment.percent)}%), due {format_date(installment.due_on)}",
            Decimal(1),
            installment.amount,
            round_money(installment.amount, currency),
            installment.due_on,
            f"installment:{installment.pk}",
        )
        for installment in contract.installments.all()
        if installment.due_on <= until
    ]
    if contract.iru_price and contract.om_percent:
        fee = contract.iru_price * contract.om_percent / 100
        for due in om_due_dates(contract):
            if due > until:
                break
            lines.append(
                LineDraft(
                    LineKind.OM_FEE,
                    f"{circuit} annual O&M {format_number(contract.om_percent)}% of the IRU"
                    f" price, year from {format_date(due)}",
                    Decimal(1),
                    round_money(fee, currency),  # 1 x the fee as billed: the basis multiplies out
                    round_money(fee, currency),
                    due,
                    f"contract:{contract.pk}:om:{due.year}",
                )
            )
    return lines
