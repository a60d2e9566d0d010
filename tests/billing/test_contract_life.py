"""The whole life of a contract bills its value to the cent (README "Rating rules", domain.md 6a).

Properties over start dates, terms and activation days: a lease billed every month of its term
adds up to MRC x term (proration at both ends) plus its NRC once; an IRU adds up to its price
(every installment once, also one due on signing before the service runs) plus one O&M fee a
year of the term; a missed run's installments and fees are billed by the first run after it.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from billing.choices import LineKind
from billing.periods import add_months as add_period_months
from billing.periods import add_months_to_date as add_months
from billing.periods import period_of
from billing.services.rating import LineDraft, months_run, prorated, rate_contract
from leasing.choices import CommercialForm
from leasing.models import Contract, IruInstallment, Product, Service

CENT = Decimal("0.01")
days = st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2030, 12, 31))
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


def _contract(kind: str, activated: datetime.date, term_months: int, **terms: object) -> Contract:
    """A contract and its service as billing reads them (not saved: rating is pure)."""
    service = Service(
        pk=1,
        circuit_id="TCFO-WL100-000001",
        product=Product(name="100G wavelength"),
        activated_on=activated,
        terminated_on=add_months(activated, term_months),
    )
    contract = Contract(
        pk=1,
        service=service,
        kind=kind,
        term_months=term_months,
        start_date=activated,
        end_date=add_months(activated, term_months) - datetime.timedelta(days=1),
        currency="USD",
        **terms,
    )
    contract._prefetched_objects_cache = {"installments": [], "sla_tiers": []}
    return contract


def _bill_life(contract: Contract, skip: frozenset[int] = frozenset()) -> dict[str, LineDraft]:
    """Run every month from a year before activation to a year after the end, as the billing
    runs do (a key billed once is never billed again); months in ``skip`` have no run."""
    billed: dict[str, LineDraft] = {}
    period = add_period_months(period_of(contract.service.activated_on), -12)
    last = add_period_months(period_of(contract.end_date), 12)
    index = 0
    while period <= last:
        if index not in skip:
            for draft in rate_contract(contract, period):
                billed.setdefault(draft.source_key, draft)
        period, index = add_period_months(period, 1), index + 1
    return billed


@settings(max_examples=300, deadline=None)
@given(activated=days, term=st.sampled_from([12, 36, 60]), mrc=money, nrc=money)
def test_a_lease_bills_mrc_times_term_and_its_nrc_once(activated, term, mrc, nrc):
    contract = _contract(CommercialForm.LEASE, activated, term, mrc=mrc, nrc=nrc)
    billed = _bill_life(contract).values()
    monthly = [d.amount for d in billed if d.kind == LineKind.MRC]
    assert sum(monthly) == mrc * term
    assert [d.amount for d in billed if d.kind == LineKind.NRC] == [nrc]
    # every line is rounded to the cent; the months between the first and the last bill the MRC
    assert all(d.amount == d.amount.quantize(CENT) for d in billed)
    assert monthly[1:-1] == [mrc] * (len(monthly) - 2)


@settings(max_examples=200, deadline=None)
@given(
    activated=days,
    years=st.integers(min_value=10, max_value=25),
    price=st.decimals(min_value=Decimal("1000.00"), max_value=Decimal("9999999.99"), places=2),
    om=st.decimals(min_value=Decimal("0.50"), max_value=Decimal("10.00"), places=2),
    signed_days_before=st.integers(min_value=0, max_value=120),
    skip=st.frozensets(st.integers(min_value=0, max_value=400), max_size=40),
)
# A fee of exactly half a cent (5.005) rounds up, as every money line does (domain.md).
@example(
    activated=datetime.date(2026, 10, 5),
    years=10,
    price=Decimal("1001.00"),
    om=Decimal("0.50"),
    signed_days_before=0,
    skip=frozenset(),
)
def test_an_iru_bills_its_price_and_yearly_om_once(
    activated, years, price, om, signed_days_before, skip
):
    contract = _contract(CommercialForm.IRU, activated, 12 * years, iru_price=price, om_percent=om)
    signing = (price * Decimal("0.5")).quantize(CENT, ROUND_HALF_UP)
    contract._prefetched_objects_cache["installments"] = [
        IruInstallment(
            pk=11,
            due=IruInstallment.Due.SIGNING,
            due_on=activated - datetime.timedelta(days=signed_days_before),
            percent=Decimal(50),
            amount=signing,
        ),
        IruInstallment(
            pk=12,
            due=IruInstallment.Due.READY_FOR_SERVICE,
            due_on=activated,
            percent=Decimal(50),
            amount=price - signing,
        ),
    ]
    # The first year's run is never skipped whole: something must run after each due date.
    billed = _bill_life(contract, skip=skip - {12 + 12 * years + 11}).values()
    installments = [d.amount for d in billed if d.kind == LineKind.IRU_INSTALLMENT]
    fees = [d for d in billed if d.kind == LineKind.OM_FEE]
    fee = (price * om / 100).quantize(CENT, ROUND_HALF_UP)  # domain.md: half-up per line
    assert sum(installments) == price
    assert len(fees) == years
    assert sum(d.amount for d in fees) == fee * years
    assert sum(installments) + sum(d.amount for d in fees) == price + fee * years


def test_a_missed_run_is_caught_up_by_the_next_one():
    activated = datetime.date(2026, 10, 5)
    contract = _contract(
        CommercialForm.IRU,
        activated,
        180,
        iru_price=Decimal("1200000.00"),
        om_percent=Decimal(4),
    )
    contract._prefetched_objects_cache["installments"] = [
        IruInstallment(
            pk=11,
            due="signing",
            due_on=datetime.date(2026, 9, 28),
            percent=Decimal(50),
            amount=Decimal(600_000),
        )
    ]
    # No run for September: October's run bills the signing installment due on 28 September.
    october = {d.source_key: d for d in rate_contract(contract, "2026-10")}
    assert october["installment:11"].service_date == datetime.date(2026, 9, 28)
    assert october["contract:1:om:2026"].amount == Decimal("48000.00")
    # November rates nothing new for the IRU: what October billed is not due again.
    assert {d.source_key for d in rate_contract(contract, "2026-11")} <= set(october)


def test_proration_of_a_first_and_last_month():
    """16 of 31 days, then whole months, then 15 of 31: together exactly 12 months."""
    contract = _contract(CommercialForm.LEASE, datetime.date(2026, 10, 16), 12, mrc=Decimal(12500))
    assert prorated(Decimal(12500), contract, "2026-10", "USD") == Decimal("6451.61")
    assert prorated(Decimal(12500), contract, "2026-11", "USD") == Decimal("12500.00")
    assert prorated(Decimal(12500), contract, "2027-10", "USD") == Decimal("6048.39")
    assert months_run(contract, "2027-10") == 12
    assert prorated(Decimal(12500), contract, "2027-11", "USD") == 0


def test_a_term_from_february_ends_in_a_longer_february():
    """20 of 28 days in February 2027; February 2028 has 29 days, of which the service runs 8:
    the last month bills what the first left of a month (8/28), so the term adds up."""
    contract = _contract(CommercialForm.LEASE, datetime.date(2027, 2, 9), 12, mrc=Decimal(2800))
    assert prorated(Decimal(2800), contract, "2027-02", "USD") == Decimal("2000.00")
    assert prorated(Decimal(2800), contract, "2028-02", "USD") == Decimal("800.00")


def test_half_cent_days_still_add_up():
    """0.15 over 30 days: one day is half a cent; the two ends still add up to the MRC."""
    contract = _contract(CommercialForm.LEASE, datetime.date(2026, 11, 30), 12, mrc=Decimal("0.15"))
    first = prorated(Decimal("0.15"), contract, "2026-11", "USD")
    last = prorated(Decimal("0.15"), contract, "2027-11", "USD")
    assert (first, last) == (Decimal("0.01"), Decimal("0.14"))
