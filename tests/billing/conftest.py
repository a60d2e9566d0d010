from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace

import pytest

from billing.models import TaxRate
from billing.services.usage import ingest
from leasing.models import Service
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)
from organisations.choices import Role

from ..conftest import key_client
from ..factories import CustomerFactory
from ..leasing.conftest import net, sales_net

__all__ = ["net", "sales_net"]


def transit_service(
    net: SimpleNamespace,
    *,
    activated_on: datetime.date,
    customer: object = None,
    commit: int = 2000,
) -> Service:
    """A completed 10G IP transit service at Baku, billed by AZT (Asia/Baku)."""
    quote = create_quote(
        customer=customer or net.customer,
        product=net.ipt10,
        term_months=12,
        start_date=activated_on,
        site=net.bak,
        commit_mbps=commit,
        by="test",
        backdated=True,
    )
    order = place_order(quote=quote, by="test")
    acknowledge_order(order=order, by="test")
    start_provisioning(order=order, by="test")
    return complete_order(order=order, by="test", ready_for_service_date=activated_on)


@pytest.fixture
def usage(sales_net: SimpleNamespace) -> SimpleNamespace:
    return add_transit(sales_net)


def add_transit(net: SimpleNamespace) -> SimpleNamespace:
    """A transit service of ``net.customer`` since January, and AZT's collector key."""
    net.azt.time_zone = "Asia/Baku"
    net.azt.save()
    net.transit = transit_service(net, activated_on=datetime.date(2026, 1, 1))
    net.collector, _ = key_client(net.azt, Role.OPERATOR_NETWORK)
    return net


OCT_BAKU = datetime.datetime(2026, 9, 30, 20, 0, tzinfo=datetime.UTC)


def _sale(net, customer, product, start, rfs, **kwargs) -> Service:
    quote = create_quote(
        customer=customer, product=product, start_date=start, by="t", backdated=True, **kwargs
    )
    order = place_order(quote=quote, by="t")
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t")
    return complete_order(order=order, by="t", ready_for_service_date=rfs)


@pytest.fixture
def october(usage: SimpleNamespace) -> SimpleNamespace:
    """The golden month (``add_october``)."""
    return add_october(usage)


def add_october(net: SimpleNamespace) -> SimpleNamespace:
    """The golden month: a lease from 16 Oct to a domestic customer, an IRU to a foreign one,
    transit with a burst; AZ VAT 18%."""
    TaxRate.objects.create(
        country="AZ", rate_percent=Decimal(18), valid_from=datetime.date(2001, 1, 1)
    )
    net.domestic = CustomerFactory(name="Baku Carrier", country="AZ")
    net.lease = _sale(
        net,
        net.domestic,
        net.wl100,
        datetime.date(2026, 10, 16),
        datetime.date(2026, 10, 16),
        term_months=12,
        path=net.path,
    )
    net.iru_service = _sale(
        net,
        net.customer,
        net.iru,
        datetime.date(2026, 10, 1),
        datetime.date(2026, 10, 5),
        term_months=180,
        path=net.path,
    )
    samples = [
        {
            "circuit_id": net.transit.circuit_id,
            "ts": (OCT_BAKU + datetime.timedelta(minutes=5 * i)).isoformat(),
            "in_bps": v,
            "out_bps": v // 4,
        }
        for i, v in enumerate([1_000_000_000] * 30 + [2_500_000_000] * 10)
    ]
    ingest(samples=samples, actor=net.noc)
    return net


@pytest.fixture
def issued_october(october: SimpleNamespace, django_capture_on_commit_callbacks) -> SimpleNamespace:
    """The golden month billed and issued (``issue_october``)."""
    return issue_october(october, django_capture_on_commit_callbacks)


def issue_october(
    october: SimpleNamespace, django_capture_on_commit_callbacks: Callable
) -> SimpleNamespace:
    """The golden month billed and issued (PDFs rendered), with AZT's finance staff; ``invoice``
    is the domestic one (total 13,512.90 USD) and ``today`` the day it was issued in Baku.
    ``django_capture_on_commit_callbacks`` is the fixture, or ``TestCase.captureOnCommitCallbacks``
    where there is no test to take it from (a world built once per module)."""
    from billing.models import Invoice
    from billing.periods import local_date
    from billing.services.invoices import issue_invoice
    from billing.services.runs import start_run

    from ..factories import UserFactory, finance_of

    net = october
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    with django_capture_on_commit_callbacks(execute=True):
        for invoice in Invoice.objects.filter(period="2026-10"):
            issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))
    net.finance = UserFactory(organisation=net.azt, role=Role.OPERATOR_FINANCE)
    net.ktc_finance = UserFactory(organisation=net.ktc, role=Role.OPERATOR_FINANCE)
    net.invoice = Invoice.objects.get(customer=net.domestic)
    net.foreign_invoice = Invoice.objects.get(customer=net.customer)
    net.today = local_date(net.invoice.issued_at, net.azt.time_zone)
    return net
