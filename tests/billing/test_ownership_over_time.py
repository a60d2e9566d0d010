"""Ownership over time: a partner replaced mid-month.

The sea segment (weight 760 of the path's 800) is owned AZT 50 / KTC 50 until 14 September 2026;
from 15 September NEW takes KTC's half. The land segment (weight 40) is AZT's alone. So AZT holds
(40 + 380) / 800 = 52.5% of the path throughout, and the partner 47.5%: KTC for the 14 days
1-14 September, NEW for the 16 days 15-30. The lease's MRC of 12,500.00 for September:
AZT 6,562.50; KTC 12,500 x 0.475 x 14/30 = 2,770.8333; NEW x 16/30 = 3,166.6667; floors
6,562.50 + 2,770.83 + 3,166.66 leave one cent, to NEW (the larger remainder).
"""

import datetime
from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.models import Invoice, LineAllocation
from billing.services.allocations import load_route, shares_between
from billing.services.invoices import issue_invoice
from billing.services.runs import start_run
from billing.services.settlement import settlement_statements
from billing.services.tax_and_split import TaxAndSplit
from billing.split import blend_by_days, largest_remainder
from leasing.selectors import chain_of, path_operator_shares, paths_with_segments
from leasing.services.inventory import set_segment_ownership, set_segment_weight, set_site_owner
from organisations.choices import Role

from ..conftest import key_client
from ..factories import CustomerFactory, OperatorFactory, finance_of
from .conftest import _sale

pytestmark = pytest.mark.django_db

CHANGE = datetime.date(2026, 9, 15)


@pytest.fixture
def replaced(sales_net, django_capture_on_commit_callbacks):
    net = sales_net
    net.new = OperatorFactory(name="NEW")
    net.buyer = CustomerFactory(name="Lease Buyer")
    net.lease = _sale(
        net,
        net.buyer,
        net.wl100,
        datetime.date(2026, 8, 1),
        datetime.date(2026, 8, 1),
        term_months=12,
        path=net.path,
    )
    set_segment_ownership(
        segment=net.sea, valid_from=CHANGE, shares={net.azt: Decimal(50), net.new: Decimal(50)}
    )
    for period in ("2026-08", "2026-09", "2026-10"):
        with django_capture_on_commit_callbacks(execute=True):
            start_run(period=period, by="finance")
    return net


def _parts(net, period, kind="mrc"):
    rows = LineAllocation.objects.filter(
        line__invoice__period=period, line__invoice__customer=net.buyer, line__kind=kind
    ).select_related("operator")
    return {row.operator.name: row.amount for row in rows}


def _per_day_split(net, first, last, amount):
    """The expected parts computed the slow way: exact shares day by day, then the cent."""
    path = paths_with_segments().get(pk=net.path.pk)
    exact: dict = {}
    day, days = first, (last - first).days + 1
    while day <= last:
        for operator, share in path_operator_shares(chain_of(path), day).items():
            exact[operator.name] = exact.get(operator.name, Decimal(0)) + share / days
        day += datetime.timedelta(days=1)
    return largest_remainder(amount, exact, "USD")


def test_a_partner_replaced_mid_month_is_paid_by_the_days_it_owned(replaced):
    net = replaced
    assert _parts(net, "2026-08") == {"AZT": Decimal("6562.50"), "KTC": Decimal("5937.50")}
    assert _parts(net, "2026-08", "nrc") == {"AZT": Decimal("2625.00"), "KTC": Decimal("2375.00")}
    september = _parts(net, "2026-09")
    assert september == {
        "AZT": Decimal("6562.50"),
        "KTC": Decimal("2770.83"),
        "NEW": Decimal("3166.67"),
    }
    assert september == _per_day_split(
        net, datetime.date(2026, 9, 1), datetime.date(2026, 9, 30), Decimal("12500.00")
    )
    assert _parts(net, "2026-10") == {"AZT": Decimal("6562.50"), "NEW": Decimal("5937.50")}
    line = Invoice.objects.get(period="2026-09", customer=net.buyer).lines.get(kind="mrc")
    assert (line.service_date, line.service_until) == (
        datetime.date(2026, 9, 1),
        datetime.date(2026, 9, 30),
    )


def test_the_former_owner_still_sees_and_settles_what_it_co_owned(replaced):
    net = replaced
    for invoice in Invoice.objects.filter(customer=net.buyer):
        issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))
    ktc_finance = key_client(net.ktc, Role.OPERATOR_FINANCE)[0]
    seen = ktc_finance.get("/api/v1/invoices/").json()["results"]
    assert sorted(i["period"] for i in seen) == ["2026-08", "2026-09"]  # not October's
    september = next(i for i in seen if i["period"] == "2026-09")
    (mrc,) = [line for line in september["lines"] if line["kind"] == "mrc"]
    assert {a["operator"]: a["amount"] for a in mrc["allocations"]} == {
        "AZT": "6562.50",
        "KTC": "2770.83",
        "NEW": "3166.67",
    }
    ktc_network = key_client(net.ktc, Role.OPERATOR_NETWORK)[0]
    assert ktc_network.get("/api/v1/paths/BAK-AKT/").status_code == 200
    services = ktc_network.get("/api/v1/services/").json()["results"]
    assert net.lease.circuit_id in [s["circuit_id"] for s in services]
    new_network = key_client(net.new, Role.OPERATOR_NETWORK)[0]
    services = new_network.get("/api/v1/services/").json()["results"]
    assert net.lease.circuit_id in [s["circuit_id"] for s in services]

    statements = {(s.first.name, s.second.name): s for s in settlement_statements(period="2026-09")}
    assert set(statements) == {("AZT", "KTC"), ("AZT", "NEW")}
    # AZT collected the whole invoice: it owes KTC and NEW their days' parts (VAT aside).
    assert statements[("AZT", "KTC")].first_owes == Decimal("2770.83")
    assert statements[("AZT", "NEW")].first_owes == Decimal("3166.67")


def test_site_owners_and_weights_are_dated(sales_net):
    net = sales_net
    path, _ = load_route(path=net.path, site=None)
    september = {"first": datetime.date(2026, 9, 1), "last": datetime.date(2026, 9, 30)}
    before = shares_between(path=path, site=None, **september)
    assert before[net.azt] == Decimal("0.525")
    # From 16 September the sea segment weighs 360 (as the land segment's 40 + 360 = 400).
    set_segment_weight(segment=net.sea, weight=Decimal(360), valid_from=datetime.date(2026, 9, 16))
    path, _ = load_route(path=net.path, site=None)
    after = shares_between(path=path, site=None, **september)
    # 15 days at 52.5%, 15 at (40 + 180) / 400 = 55%.
    assert after[net.azt] == Decimal("0.5375")
    assert shares_between(
        path=path, site=None, first=datetime.date(2026, 9, 1), last=datetime.date(2026, 9, 1)
    )[net.azt] == Decimal("0.525")
    net.sea.refresh_from_db()
    assert net.sea.settlement_weight == Decimal(360)  # the weight in force today

    set_site_owner(site=net.bak, operator=net.ktc, valid_from=datetime.date(2026, 9, 21))
    parts = TaxAndSplit().split(
        amount=Decimal("100.00"), currency="USD", path=None, site=net.bak, **september
    )
    assert parts == {net.azt: Decimal("66.67"), net.ktc: Decimal("33.33")}
    net.bak.refresh_from_db()
    assert net.bak.operator == net.ktc
    one_day = TaxAndSplit().split(
        amount=Decimal("100.00"), currency="USD", path=None, site=net.bak, first=september["first"]
    )
    assert one_day == {net.azt: Decimal("100.00")}


def test_splitting_a_month_costs_the_same_queries_as_a_day(replaced, django_assert_num_queries):
    path, site = load_route(path=replaced.path, site=None)
    with django_assert_num_queries(0):
        shares_between(
            path=path, site=site, first=datetime.date(2026, 1, 1), last=datetime.date(2026, 12, 31)
        )


shares_strategy = st.dictionaries(
    st.sampled_from("ABCDE"),
    st.integers(min_value=1, max_value=1000),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=-(10**9), max_value=10**12),
    runs=st.lists(
        st.tuples(st.integers(min_value=0, max_value=31), shares_strategy), min_size=1, max_size=6
    ),
)
def test_a_split_over_days_always_adds_up_to_the_amount(amount, runs):
    if not any(days for days, _ in runs):
        runs = [(1, runs[0][1])]
    normalised = [
        (days, {k: Decimal(v) / sum(shares.values()) for k, v in shares.items()})
        for days, shares in runs
    ]
    value = Decimal(amount) / 100
    parts = largest_remainder(value, blend_by_days(normalised), "USD")
    assert sum(parts.values()) == value
    exact_total = sum(days for days, _ in runs)
    for key, part in parts.items():
        exact = (
            abs(value)
            * sum(Decimal(days) * shares.get(key, 0) for days, shares in normalised)
            / exact_total
        )
        assert abs(abs(part) - exact) < Decimal("0.01")
    assert all(part.quantize(Decimal("0.01"), ROUND_FLOOR) == part for part in parts.values())


def test_a_newcomer_does_not_see_what_ended_before_its_share_began(replaced):
    from leasing.models import Service

    net = replaced
    Service.objects.filter(pk=net.lease.pk).update(terminated_on=datetime.date(2026, 9, 10))
    circuit = net.lease.circuit_id
    new_network = key_client(net.new, Role.OPERATOR_NETWORK)[0]
    assert new_network.get(f"/api/v1/services/{circuit}/").status_code == 404
    ktc_network = key_client(net.ktc, Role.OPERATOR_NETWORK)[0]
    assert ktc_network.get(f"/api/v1/services/{circuit}/").status_code == 200
    Service.objects.filter(pk=net.lease.pk).update(terminated_on=datetime.date(2026, 9, 16))
    assert new_network.get(f"/api/v1/services/{circuit}/").status_code == 200
