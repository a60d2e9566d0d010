"""Worlds built once per test module: many tests read the same objects, so the module builds
them once in a transaction that is rolled back when the module is done. Each test still runs in
a savepoint of its own (pytest-django's ``db``), so what a test changes is undone after it.

``tenant_world`` is the world of the tenant-isolation and query-count harnesses: customer A
owns one of every tenant resource (quote, orders, services with usage, contracts, invoices with
payments and credit notes, a debit note, late adjustments, API keys), customer B owns its own,
and a third operator, party to none of A's sales, has finance and network staff.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.db import transaction
from django.test import TestCase, override_settings

from tcfo_portal.celery import app as celery_app

SHARED_SETTINGS = {"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}


@contextmanager
def built_once(django_db_blocker: object, media_root: Path) -> Iterator[None]:
    """Open the database for a module's world, with what the function-scoped fixtures of
    tests/conftest.py give a test (tasks in-process, a media folder, fast password hashing);
    roll everything back at the end."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(MEDIA_ROOT=media_root, **SHARED_SETTINGS),
            transaction.atomic(),
        ):
            yield
            transaction.set_rollback(True)
    finally:
        celery_app.conf.task_always_eager = eager


def _capture(**kwargs: object) -> object:
    return TestCase.captureOnCommitCallbacks(**kwargs)


def tenant_world() -> SimpleNamespace:
    """The golden October (tests/billing/conftest.py) issued, then more of customer A's.

    - ``a`` (``net.customer``): transit since January with October usage, an IRU; its October
      invoice issued with its PDF, a payment, a credit note and a debit note (late usage of
      the transit, billed after October was closed); an open late adjustment; a quote not yet
      ordered, a submitted order; an API key; a trouble ticket on the transit;
    - ``b`` (``net.domestic``): a lease, its own invoice, users and keys;
    - ``third``: an operator party to none of A's sales, with finance and network staff.
    """
    from billing.choices import LateKind
    from billing.models import LateAdjustment
    from billing.services.closing import close_period
    from billing.services.credit_notes import issue_credit_note
    from billing.services.debit_notes import bill_late_adjustment
    from billing.services.payments import record_payment
    from leasing.services.contracts import store_order_form
    from leasing.services.orders import create_quote, place_order
    from leasing.services.tickets import open_ticket
    from organisations.choices import Role
    from organisations.services import create_api_key

    from .billing.conftest import add_october, add_transit, issue_october
    from .factories import OperatorFactory, UserFactory, finance_of
    from .leasing.conftest import START, add_sales, build_net

    net = issue_october(add_october(add_transit(add_sales(build_net()))), _capture)
    net.a, net.b = net.customer, net.domestic
    net.a_invoice, net.b_invoice = net.foreign_invoice, net.invoice
    net.a_user, net.b_user = net.buyer, UserFactory(organisation=net.b, role=Role.CUSTOMER_ADMIN)
    net.third = OperatorFactory(name="Third")
    net.third_finance = UserFactory(organisation=net.third, role=Role.OPERATOR_FINANCE)
    net.third_network = UserFactory(organisation=net.third, role=Role.OPERATOR_NETWORK)
    net.azt_network = net.noc

    with _capture(execute=True):
        line = net.a_invoice.lines.order_by("pk").first()
        net.a_payment = record_payment(
            invoice=net.a_invoice,
            amount=Decimal("100.00"),
            received_on=net.today,
            reference="wire 1",
            actor=net.finance,
        )
        net.a_credit_note = issue_credit_note(
            invoice=net.a_invoice,
            amounts={line.pk: Decimal("10.00")},
            reason="goodwill",
            actor=net.finance,
        )
        net.closing = close_period(
            period="2026-10", billing_party=net.azt, actor=finance_of(net.azt)
        )
        late = {"period": "2026-10", "kind": LateKind.USAGE, "currency": "USD"}
        billed = LateAdjustment.objects.create(
            contract=net.transit.contract,
            billed_value=Decimal(2_000_000_000),
            current_value=Decimal(2_100_000_000),
            amount=Decimal("60.00"),
            **late,
        )
        net.a_debit_note = bill_late_adjustment(
            adjustment=billed, reason="Collector was down", actor=finance_of(net.azt)
        )
        net.a_late = LateAdjustment.objects.create(
            contract=net.iru_service.contract,
            billed_value=Decimal("99.5"),
            current_value=Decimal("100"),
            amount=Decimal("25.00"),
            **{**late, "kind": LateKind.OUTAGE},
        )
        sale = {"customer": net.a, "product": net.wl100, "term_months": 12, "path": net.path}
        net.a_quote = create_quote(start_date=START + datetime.timedelta(days=30), **sale, by="t")
        net.a_order = place_order(quote=create_quote(start_date=START, **sale, by="t"), by="t")
    store_order_form(contract=net.transit.contract)
    # trouble tickets (issue 14): one of A's, on its transit at AZT's Baku PoP
    net.a_ticket = open_ticket(
        service=net.transit,
        actor=net.a_user,
        severity="significant",
        observed_impact="down",
        description="No traffic on the transit port.",
        contact_name="A's NOC",
        contact_email="noc@a.test",
    )
    net.a_key, _ = create_api_key(organisation=net.a, name="A's key", created_by=net.a_user)
    net.b_key, _ = create_api_key(organisation=net.b, name="B's key", created_by=net.b_user)
    # --- webhooks (helper A): A's subscription and the delivery of one event to it ---
    from events.models import WebhookDelivery, WebhookSubscription
    from events.services.outbox import publish_pending, record_event

    net.a_webhook = WebhookSubscription.objects.create(
        organisation=net.a,
        url="http://127.0.0.1:9/a-hook",  # nothing listens: a redelivery fails at once
        secret="whsec_world",
        created_by="world",
    )
    event = record_event(
        type="order.state_changed",
        organisation=net.a,
        subject_type="order",
        subject_id=net.a_order.pk,
        data={"id": net.a_order.pk, "state": "submitted"},
    )
    publish_pending()
    net.a_delivery = WebhookDelivery.objects.get(subscription=net.a_webhook, event=event)
    # Planned maintenance (area: maintenance): past work on the sea segment between A's IRU
    # going live (5 Oct) and B's lease (16 Oct), so it affects A's services alone.
    from leasing.models import Maintenance

    window = datetime.datetime(2026, 10, 10, 2, 0, tzinfo=datetime.UTC)
    net.a_maintenance = Maintenance.objects.create(
        window_start=window,
        window_end=window + datetime.timedelta(hours=4),
        impact="loss_of_service",
        reason="Repeater swap",
        status="completed",
        announced_at=window - datetime.timedelta(days=14),
        started_at=window,
        completed_at=window + datetime.timedelta(hours=3),
        created_by=net.noc.username,
    )
    net.a_maintenance.segments.set([net.sea])
    # An outage on the sea segment inside that window: it hit A's services alone.
    from leasing.models import Outage

    net.a_outage = Outage.objects.create(
        segment=net.sea,
        started_at=window + datetime.timedelta(minutes=30),
        ended_at=window + datetime.timedelta(hours=1),
        description="Repeater swap",
        recorded_by=net.noc.username,
    )
    # --- i15-c begin ---
    # A usage conflict on A's transit (October: billed and closed, so nobody may resolve it).
    from billing.models import UsageEvent

    net.a_conflict = UsageEvent.objects.create(
        port=net.transit.usage_ports.get(),
        kind="conflict",
        ts=int(datetime.datetime(2026, 10, 3, tzinfo=datetime.UTC).timestamp()),
        detail={"stored": [7, 1], "received": [9, 1]},
    )
    # --- i15-c end ---
    return net
