"""Exact query counts: every list of the API, every list page of the portal and a billing run's
``bill_contracts`` cost as many queries for 2N rows as for N (N+1 regressions fail here).

Each entry of ``LISTS`` names a URL pattern, who reads it and what adds rows it shows; the test
adds N rows, reads the list once to warm what a first request loads (the session, the key), counts
the queries of a second read, adds N more and counts again: the two must be equal, and the rows
must show (a list that shows none of them would count nothing). ``test_every_list_is_counted``
walks the URL resolver: an API list, or a portal page without arguments, that is neither in
``LISTS`` nor in ``NOT_LISTS`` fails.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.choices import LateKind, LateStatus
from billing.models import BillingRun, Invoice, LateAdjustment, PeriodClose
from billing.services.credit_notes import issue_credit_note
from billing.services.debit_notes import bill_late_adjustment
from billing.services.drafts import add_manual_line
from billing.services.payments import record_payment
from billing.services.runs import bill_contracts
from leasing.choices import CommercialForm, GridType, ProductKind, SiteKind
from leasing.models import FiberPair, LitCarrier, Price, Product, Site
from leasing.models import Path as Route
from leasing.services.capacity import light_carrier
from leasing.services.inventory import set_path_segments
from leasing.services.maintenance import schedule_maintenance
from leasing.services.outages import record_outage
from organisations.choices import Role
from organisations.services import create_api_key

from .billing.conftest import _sale
from .conftest import key_client
from .factories import CustomerFactory, UserFactory, finance_of
from .leasing.conftest import OWNED_FROM
from .worlds import built_once, tenant_world

pytestmark = pytest.mark.django_db
N = 3
OCTOBER_1 = datetime.date(2026, 10, 1)
OF_SEPTEMBER, OF_2026 = "period=2026-09", "year=2026"
CSV = "format=csv"  # i15-b


# --- the world, built once for the module -----------------------------------------------------


@pytest.fixture(scope="module")
def module_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("query-count-media")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, module_media: Path) -> SimpleNamespace:
    """tests/worlds.py's, with room on the route for many more sales (a second fiber pair of
    100 channels on each segment) and a platform admin."""
    with built_once(django_db_blocker, module_media):
        w = tenant_world()
        for segment in (w.land, w.sea):
            FiberPair.objects.create(
                segment=segment,
                name="FP2",
                grid=GridType.FIXED_50,
                band_start_slot=-2,
                band_end_slot=398,
            )
        w.admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True)
        yield w


@pytest.fixture(autouse=True)
def _media_root(settings: Any, module_media: Path) -> None:
    settings.MEDIA_ROOT = module_media


_serial = itertools.count(1)


# --- what adds rows -------------------------------------------------------------------------------


def more_sales(w: SimpleNamespace, n: int) -> None:
    """``n`` completed 100G leases of customer A, since 1 October: a quote, an order, a service
    and a contract each."""
    for _ in range(n):
        _sale(w, w.a, w.wl100, OCTOBER_1, OCTOBER_1, term_months=12, path=w.path)


def more_invoices(w: SimpleNamespace, n: int, *, customer: Any = None) -> None:
    """``n`` issued invoices of customer A, each for a month of its own from 2027 (or each of
    September 2026 to ``customer``), billed by AZT, with a line split between AZT and KTC, a
    payment and a credit note. Issued without a PDF (rendering one takes a second; what is
    counted here never reads it)."""
    for _ in range(n):
        k = next(_serial)
        year, month = (2027 + k // 12, k % 12 + 1) if customer is None else (2026, 9)
        invoice = Invoice.objects.create(
            billing_party=w.azt,
            customer=customer or w.a,
            period=f"{year}-{month:02d}",
            currency="USD",
        )
        add_manual_line(
            invoice=invoice,
            description="cross-connect",
            quantity=Decimal(1),
            unit_price=Decimal("100.00"),
            service_date=datetime.date(year, month, 1),
            path=w.path,
            actor=w.finance,
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            status="issued",
            number=f"QC-{k:06d}",
            issued_at=timezone.now(),
            due_date=timezone.localdate() + datetime.timedelta(days=30),
        )
        invoice.refresh_from_db()
        paid = {"amount": Decimal("10.00"), "received_on": w.today, "reference": f"wire {k}"}
        record_payment(invoice=invoice, actor=w.finance, **paid)
        issue_credit_note(
            invoice=invoice,
            amounts={invoice.lines.get().pk: Decimal("1.00")},
            reason="goodwill",
            actor=w.finance,
        )


def more_invoices_of_others(w: SimpleNamespace, n: int) -> None:
    """``n`` invoices of September 2026, each to a customer of its own (one period's rows)."""
    for _ in range(n):
        more_invoices(w, 1, customer=CustomerFactory())


# helper E, a complete API: rows of the finance reports
_REVENUE_MONTHS = iter(range(1, 13))
_SETTLEMENT_CURRENCIES = iter(["EUR", "GBP", "CHF", "CNY", "TRY", "SEK", "NOK", "PLN"])


def _issued_invoice(w: SimpleNamespace, period: str, currency: str) -> None:
    """An issued invoice of customer A billed by AZT, one line split between AZT and KTC."""
    invoice = Invoice.objects.create(
        billing_party=w.azt, customer=w.a, period=period, currency=currency
    )
    add_manual_line(
        invoice=invoice,
        description="cross-connect",
        quantity=Decimal(1),
        unit_price=Decimal("100.00"),
        service_date=datetime.date(int(period[:4]), int(period[5:]), 1),
        path=w.path,
        actor=w.finance,
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        status="issued",
        number=f"QE-{next(_serial):06d}",
        issued_at=timezone.now(),
        due_date=timezone.localdate() + datetime.timedelta(days=30),
    )


def more_deleted_drafts(w: SimpleNamespace, n: int) -> None:
    """``n`` drafts of customer A deleted by AZT's finance staff."""
    from billing.services.invoices import delete_draft

    for _ in range(n):
        draft = Invoice.objects.create(
            billing_party=w.azt, customer=w.a, period="2025-06", currency="USD"
        )
        delete_draft(invoice=draft, actor=w.finance, reason="test")


def more_revenue_months(w: SimpleNamespace, n: int) -> None:
    """``n`` invoices, each in a month of 2025 of its own: a row of revenue each."""
    for _ in range(n):
        _issued_invoice(w, f"2025-{next(_REVENUE_MONTHS):02d}", "USD")


def more_settlement_currencies(w: SimpleNamespace, n: int) -> None:
    """``n`` invoices of December 2025, each in a currency of its own: a statement each."""
    for _ in range(n):
        _issued_invoice(w, "2025-12", next(_SETTLEMENT_CURRENCIES))


def _late_adjustment(contract: Any, kind: str, **decided: Any) -> LateAdjustment:
    """A late adjustment of +5.00 USD on ``contract`` in the closed October."""
    values = {"billed_value": Decimal(1), "current_value": Decimal(2), "amount": Decimal("5.00")}
    return LateAdjustment.objects.create(
        contract=contract, period="2026-10", kind=kind, currency="USD", **values, **decided
    )


def more_debit_notes(w: SimpleNamespace, n: int) -> None:
    """``n`` debit notes of customer A: late usage of its transit in the closed October."""
    for _ in range(n):
        adjustment = _late_adjustment(w.transit.contract, LateKind.USAGE)
        bill_late_adjustment(adjustment=adjustment, reason="late", actor=finance_of(w.azt))


def more_late_adjustments(w: SimpleNamespace, n: int) -> None:
    """``n`` decided late adjustments of contracts AZT bills."""
    decided = {"status": LateStatus.DISMISSED, "reason": "test", "resolved_by": "test"}
    for _ in range(n):
        _late_adjustment(
            w.iru_service.contract, LateKind.OUTAGE, resolved_at=timezone.now(), **decided
        )


def more_closes(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        PeriodClose.objects.create(
            billing_party=w.azt, period=f"2024-{next(_serial) % 12 + 1:02d}", closed_by="test"
        )


def more_runs(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        BillingRun.objects.create(period=f"2023-{next(_serial) % 12 + 1:02d}")


def more_keys(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        create_api_key(organisation=w.a, name=f"key {next(_serial)}", created_by=w.a_user)


def more_products(w: SimpleNamespace, n: int) -> None:
    """``n`` products, each with a price on the path and at a site."""
    for _ in range(n):
        k = next(_serial)
        product = Product.objects.create(
            code=f"WL10-{k}",
            name=f"10G wavelength {k}",
            kind=ProductKind.WAVELENGTH,
            commercial_form=CommercialForm.LEASE,
            bandwidth_mbps=10_000,
            spectrum_ghz=Decimal(50),
        )
        for place in ({"path": w.path}, {"site": w.bak}):
            Price.objects.create(
                product=product,
                term_months=12,
                valid_from=datetime.date(2026, 1, 1),
                currency="USD",
                mrc=Decimal("100.00"),
                **place,
            )


def more_sites(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        k = next(_serial)
        Site.objects.create(
            code=f"S{k}", name=f"Site {k}", kind=SiteKind.POP, country="AZ", operator=w.azt
        )


def more_paths(w: SimpleNamespace, n: int) -> None:
    """``n`` more paths over both segments (so more segments' owners to show)."""
    for _ in range(n):
        k = next(_serial)
        path = Route.objects.create(code=f"P-{k}", name=f"Path {k}", a_site=w.bak, z_site=w.akt)
        set_path_segments(path=path, segments=[w.land, w.sea])


def more_segments(w: SimpleNamespace, n: int) -> None:
    """``n`` segments Baku - Aktau, each shared 60/40 by AZT and KTC."""
    from leasing.models import Segment
    from leasing.services.inventory import set_segment_ownership

    ends = {"a_site": w.bak, "z_site": w.akt}
    size = {"length_km": Decimal(1), "design_capacity_gbps": 1, "medium": "terrestrial"}
    shares = {w.azt: Decimal(60), w.ktc: Decimal(40)}
    for _ in range(n):
        segment = Segment.objects.create(code=f"SEG-{next(_serial)}", name="s", **ends, **size)
        set_segment_ownership(segment=segment, valid_from=OWNED_FROM, shares=shares)


def more_fiber_pairs(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        FiberPair.objects.create(segment=w.land, name=f"X{next(_serial)}")


def more_carriers(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        carrier = LitCarrier.objects.create(
            path=w.path,
            name=f"LC{next(_serial)}",
            operator=w.azt,
            capacity_gbps=100,
            spectrum_ghz=50,
        )
        light_carrier(carrier=carrier, start_date=datetime.date(2026, 1, 1))


def more_outages(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        start = timezone.now() - datetime.timedelta(days=next(_serial) + 1)
        record_outage(
            segment=w.sea,
            started_at=start,
            ended_at=start + datetime.timedelta(hours=1),
            description="cut",
            actor=w.azt_network,
        )


def more_maintenance(w: SimpleNamespace, n: int) -> None:
    """Planned maintenance (area: maintenance) on the sea segment, affecting A's and B's."""
    for _ in range(n):
        start = timezone.now() + datetime.timedelta(days=next(_serial) + 2)
        schedule_maintenance(
            segments=[w.sea],
            window_start=start,
            window_end=start + datetime.timedelta(hours=2),
            impact="degraded",
            reason="splice",
            actor=w.azt_network,
        )


def more_recent_outages(w: SimpleNamespace, n: int) -> None:
    """Outages (area: maintenance) within the last days, while A's services run."""
    for _ in range(n):
        start = timezone.now() - datetime.timedelta(hours=next(_serial) + 1)
        record_outage(
            segment=w.sea,
            started_at=start,
            ended_at=start + datetime.timedelta(minutes=30),
            description="flap",
            actor=w.azt_network,
        )


def more_tickets(w: SimpleNamespace, n: int) -> None:
    """``n`` trouble tickets of customer A on its transit, each worked a step with a note."""
    from leasing.services.tickets import add_note, open_ticket, take_step

    for _ in range(n):
        ticket = open_ticket(
            service=w.transit,
            actor=w.a_user,
            severity="moderate",
            observed_impact="degraded",
            description=f"fault {next(_serial)}",
            contact_name="NOC",
            contact_email="noc@a.test",
        )
        take_step(ticket=ticket, step="acknowledge", actor=w.azt_network, note="on it")
        add_note(ticket=ticket, actor=w.a_user, note="thanks")


def more_lockouts(w: SimpleNamespace, n: int) -> None:
    for _ in range(n):
        k = next(_serial)
        AccessAttempt.objects.create(
            username=f"locked{k}",
            ip_address=f"192.0.2.{k % 250 + 1}",
            user_agent="test",
            get_data="",
            post_data="",
            http_accept="*/*",
            path_info="/accounts/login/",
            failures_since_start=10,
        )


# --- webhooks (helper A) ----------------------------------------------------------------------


def more_webhooks(w: SimpleNamespace, n: int) -> None:
    from events.models import WebhookSubscription

    for _ in range(n):
        WebhookSubscription.objects.create(
            organisation=w.a,
            url=f"https://hooks.example.com/{next(_serial)}",
            secret="whsec_x",
            created_by="test",
        )


def more_deliveries(w: SimpleNamespace, n: int) -> None:
    """``n`` events of A, each delivered to A's webhook with an attempt in its log."""
    from events.models import Event, WebhookAttempt, WebhookDelivery

    for _ in range(n):
        event = Event.objects.create(
            type="order.state_changed",
            organisation=w.a,
            subject_type="order",
            subject_id=str(next(_serial)),
            data={},
        )
        delivery = WebhookDelivery.objects.create(subscription=w.a_webhook, event=event)
        WebhookAttempt.objects.create(delivery=delivery, response_status=500, error="x")


def _a_webhook(w: SimpleNamespace) -> dict[str, Any]:
    return {"pk": w.a_webhook.pk}


# --- events list (issue 14, helper B) ---


def more_events(w: SimpleNamespace, n: int) -> None:
    """``n`` published events of customer A, each of another type and subject."""
    from events.choices import EventType
    from events.services.outbox import publish_pending, record_event

    types = list(EventType)
    for _ in range(n):
        k = next(_serial)
        record_event(
            type=types[k % len(types)],
            organisation=w.a,
            subject_type="order",
            subject_id=k,
            data={"n": k},
        )
    publish_pending()


# --- end events list ---


# --- i15-c begin: dashboards and usage decisions ---


def more_conflicts(w: SimpleNamespace, n: int) -> None:
    """``n`` usage conflicts on A's transit, each on a bucket of its own."""
    from billing.models import UsageEvent

    port = w.transit.usage_ports.get()
    for _ in range(n):
        UsageEvent.objects.create(
            port=port,
            kind="conflict",
            ts=1_790_000_000 + 300 * next(_serial),
            detail={"stored": [7, 1], "received": [9, 1]},
        )


def more_to_act_on(w: SimpleNamespace, n: int) -> None:
    """What every role's dashboard counts, ``n`` more of each: A's submitted orders, tickets,
    issued invoices (with payments and credit notes) and usage conflicts; AZT's drafts to
    customers of their own; locked logins."""
    from leasing.services.orders import create_quote, place_order

    for _ in range(n):
        quote = create_quote(
            customer=w.a,
            product=w.wl100,
            term_months=12,
            start_date=timezone.localdate() + datetime.timedelta(days=60),
            path=w.path,
            by="t",
        )
        place_order(quote=quote, by="t")
        Invoice.objects.create(
            billing_party=w.azt, customer=CustomerFactory(), period="2025-03", currency="USD"
        )
    more_tickets(w, n)
    more_invoices(w, n)
    more_conflicts(w, n)
    more_lockouts(w, n)


# --- i15-c end ---


# --- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """A list read by ``viewer`` (a user of the world), whose rows ``grow`` adds."""

    name: str
    viewer: str
    grow: Callable[[SimpleNamespace, int], None]
    query: str = ""
    # URL arguments, or a function of the world giving them
    kwargs: dict[str, Any] | Callable[[SimpleNamespace], dict[str, Any]] | None = None

    @property
    def is_api(self) -> bool:
        return self.name.startswith("v1:")


def counted(grow: Callable, viewer: str, *names: str, query: str = "") -> list[Counted]:
    return [Counted(name, viewer, grow, query) for name in names]


LISTS = [
    # sales: quotes, orders, services, contracts
    *counted(more_sales, "a", "v1:quote-list", "v1:order-list", "v1:service-list"),
    *counted(more_sales, "a", "v1:contract-list", "services", "contracts"),
    *counted(more_sales, "a", "orders", query="state=all"),
    *counted(more_sales, "azt_network", "v1:order-list"),
    *counted(more_sales, "azt_network", "orders", query="state=all"),
    # money: invoices with their payments and credit notes, debit notes, late data, runs
    *counted(more_invoices, "a", "v1:invoice-list", "v1:payment-list", "v1:credit-note-list"),
    *counted(more_invoices, "a", "invoices", "invoices-csv"),
    *counted(more_invoices, "azt_finance", "v1:invoice-list", "v1:payment-list", "invoices"),
    *counted(more_invoices, "azt_finance", "v1:credit-note-list", "billing", "aging"),
    *counted(more_invoices_of_others, "azt_finance", "settlement", query=OF_SEPTEMBER),
    *counted(more_invoices_of_others, "azt_finance", "revenue", "revenue-csv", query=OF_2026),
    *counted(more_debit_notes, "a", "v1:debit-note-list"),
    *counted(more_debit_notes, "azt_finance", "v1:debit-note-list"),
    *counted(more_late_adjustments, "azt_finance", "v1:late-adjustment-list", "late-adjustments"),
    *counted(more_closes, "azt_finance", "v1:period-close-list", "late-adjustments"),
    *counted(more_runs, "azt_finance", "v1:billing-run-list", "billing"),
    # helper E, a complete API: finance's reports, the audit log
    *counted(more_revenue_months, "azt_finance", "v1:revenue", query="year=2025"),
    *counted(
        more_settlement_currencies,
        "azt_finance",
        "v1:settlement-statement-list",
        query="period=2025-12",
    ),
    *counted(more_invoices, "azt_finance", "v1:aging"),
    *counted(more_sites, "admin_session", "v1:audit-entry-list", query="record=Site"),
    *counted(more_fiber_pairs, "azt_network", "v1:utilisation-fiber-pairs"),
    *counted(more_deleted_drafts, "azt_finance", "v1:deleted-draft-list"),
    *counted(more_paths, "azt_network", "v1:utilisation-paths"),
    # the organisation's keys
    *counted(more_keys, "a_session", "v1:api-key-list"),
    *counted(more_keys, "a", "api-keys"),
    # the network and the catalog
    *counted(more_products, "a", "v1:product-list", "catalog"),
    *counted(more_products, "azt_finance", "v1:price-list"),
    *counted(more_paths, "a", "v1:path-list", "network"),
    *counted(more_sites, "a", "v1:site-list", "network"),
    *counted(more_segments, "a", "v1:segment-list"),
    *counted(more_fiber_pairs, "azt_network", "v1:fiber-pair-list", "utilisation"),
    *counted(more_paths, "azt_network", "utilisation"),
    *counted(more_carriers, "azt_network", "v1:lit-carrier-list"),
    *counted(more_outages, "azt_network", "v1:outage-list", "outages"),
    # planned maintenance (area: maintenance)
    *counted(more_maintenance, "a", "v1:maintenance-list", "planned-work"),
    *counted(more_maintenance, "azt_network", "v1:maintenance-list", "maintenance-list"),
    *counted(more_maintenance, "azt_network", "planned-work"),
    *counted(more_recent_outages, "a", "planned-work"),
    # trouble tickets (issue 14, deliverable 4)
    *counted(more_tickets, "a", "v1:trouble-ticket-list", "tickets"),
    *counted(more_tickets, "azt_network", "v1:trouble-ticket-list", "tickets"),
    # platform admins: a page of 50 entries, filtered to the new sites' so it grows with them
    *counted(more_sites, "admin", "audit-log", query="record=Site"),
    *counted(more_lockouts, "admin", "lockouts"),
    # webhooks (helper A)
    *counted(more_webhooks, "a", "v1:webhook-list"),
    Counted("v1:webhook-deliveries", "a", more_deliveries, kwargs=_a_webhook),
    *counted(more_webhooks, "a", "webhooks"),
    Counted("webhook", "a", more_deliveries, kwargs=_a_webhook),
    # events list (issue 14, helper B)
    *counted(more_events, "a", "v1:event-list"),
    *counted(more_events, "a_session", "v1:event-list", query="subject_type=order"),
    *counted(more_events, "a", "events"),
    *counted(more_events, "admin", "events", query="subject_type=order"),
    # --- i15-c begin: dashboards and usage decisions ---
    *counted(more_to_act_on, "a", "dashboard"),
    *counted(more_to_act_on, "azt_network", "dashboard"),
    *counted(more_to_act_on, "azt_finance", "dashboard"),
    *counted(more_to_act_on, "admin", "dashboard"),
    *counted(more_conflicts, "azt_network", "usage-decisions", "v1:usage-decision-list"),
    *counted(more_conflicts, "a", "usage-decisions", "v1:usage-decision-list"),
    # --- i15-c end ---
    # --- i15-b begin ---
    # the lists' new pages, sorts and filters, and the CSV of every filtered row
    *counted(more_sales, "a", "quotes"),
    *counted(more_sales, "a", "quotes", query="ordering=-start_date&ordered=true"),
    *counted(more_sales, "azt_network", "orders", query="state=completed&ordering=-updated_at"),
    *counted(more_sales, "a", "services", query="status=active&ordering=-activated_on&q=TCFO"),
    *counted(more_invoices, "azt_finance", "invoices", query="status=issued&ordering=customer"),
    *counted(more_sales, "a", "quotes", "orders", "services", "contracts", query=CSV),
    *counted(more_invoices, "a", "invoices", query=CSV),
    *counted(more_invoices, "azt_finance", "invoices", query=CSV),
    *counted(more_tickets, "azt_network", "tickets", query=CSV),
    *counted(more_outages, "azt_network", "outages", query=CSV),
    *counted(more_events, "a", "events", query=CSV),
    *counted(more_keys, "a", "api-keys", query=CSV),
    *counted(more_webhooks, "a", "webhooks", query=CSV),
    *counted(more_sites, "admin", "audit-log", query=f"record=Site&{CSV}"),
    # --- i15-b end ---
    # --- i15-i begin: late adjustments, aging, maintenance, outages, locked logins ---
    *counted(more_late_adjustments, "azt_finance", "late-adjustments", query=CSV),
    *counted(
        more_late_adjustments,
        "azt_finance",
        "late-adjustments",
        query="status=dismissed&ordering=-amount&q=test",
    ),
    *counted(more_invoices, "azt_finance", "aging", query=CSV),
    *counted(more_invoices, "azt_finance", "aging", query="currency=USD&ordering=-owed&q=QC"),
    *counted(more_maintenance, "azt_network", "maintenance-list", query=CSV),
    *counted(
        more_maintenance,
        "azt_network",
        "maintenance-list",
        query="status=scheduled&ordering=impact",
    ),
    *counted(more_maintenance, "a", "planned-work", query=CSV),
    *counted(
        more_maintenance, "a", "planned-work", query="status=scheduled&ordering=-window_start"
    ),
    *counted(more_maintenance, "azt_network", "planned-work", query=CSV),
    *counted(more_recent_outages, "a", "planned-outages"),
    *counted(more_recent_outages, "a", "planned-outages", query=CSV),
    *counted(
        more_recent_outages, "azt_network", "planned-outages", query="open=false&ordering=ended_at"
    ),
    *counted(more_lockouts, "admin", "lockouts", query=CSV),
    *counted(more_lockouts, "admin", "lockouts", query="kind=account&ordering=-failures&q=locked"),
    # --- i15-i end ---
]

# Portal pages without arguments that list nothing that grows, with why.
NOT_LISTS: dict[str, str] = {
    # "dashboard": counted in LISTS (i15-c)
    # --- i15-d2 begin ---
    "favicon": "an icon",
    # --- i15-d2 end ---
    "login": "a form",
    "login-code": "a form",
    "logout": "a redirect",
    "password_reset": "a form",
    "password_reset_done": "a message",
    "password_reset_complete": "a message",
    "two-factor": "the viewer's own authenticator",
    "two-factor-setup": "the viewer's own authenticator",
    "two-factor-recovery-codes": "a POST",
    "two-factor-remove": "a POST",
    # --- i15-a begin ---
    "settings": "the viewer's own settings, a form",
    # --- i15-a end ---
    "availability": "one product's answer",
    "maintenance-new": "a form (area: maintenance)",
    "calendar-feed-new": "a POST (area: maintenance)",
    "quote-new": "a form",
    "ticket-new": "a form (the viewer's services, one query for the choices)",
    "usage-upload": "a form",
    "invoices-issue": "a POST",
    "render-missing-pdfs": "a POST",
    "close-period": "a POST",
    "api-schema": "the schema",
    "api-docs": "the documentation page",
    "webhook-guide": "the partner guide to webhooks, a document (events and webhooks pages)",
    "admin/login/": "a redirect to the login",
}


def _routes() -> list[tuple[str, str, Any]]:
    """(key, route, callback) of every URL pattern but the Django admin's."""
    found = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n)
                if inner.split(":")[0] != "admin":
                    walk(pattern, route, inner)
            elif isinstance(pattern, URLPattern):
                name = ":".join(n for n in (namespace, pattern.name) if n) if pattern.name else ""
                found.append((name or route, route, pattern.callback))

    walk(get_resolver(), "", "")
    return found


def test_every_list_is_counted():
    """An API list (a viewset's ``list``) or a portal page without arguments that is not in
    ``LISTS`` fails: count its queries here, or say in ``NOT_LISTS`` why it lists nothing."""
    counted = {entry.name for entry in LISTS}
    api_lists = {
        key
        for key, _, callback in _routes()
        if "list" in (getattr(callback, "actions", None) or {}).values()
    }
    pages = {
        key
        for key, route, _ in _routes()
        if not key.startswith("v1:") and "<" not in route and "(?P" not in route
    }
    assert not api_lists - counted, f"API lists without a query count: {api_lists - counted}"
    uncounted = pages - counted - set(NOT_LISTS)
    assert not uncounted, f"portal pages neither counted nor in NOT_LISTS: {sorted(uncounted)}"
    stale = (counted | set(NOT_LISTS)) - {key for key, _, _ in _routes()}
    assert not stale, f"entries for URLs that no longer exist: {stale}"


def _client(w: SimpleNamespace, viewer: str, is_api: bool) -> Any:
    users = {
        "a": w.a_user,
        "a_session": w.a_user,
        "azt_finance": w.finance,
        "azt_network": w.azt_network,
        "admin": w.admin,
        "admin_session": w.admin,
    }
    user = users[viewer]
    if is_api and viewer not in ("a_session", "admin_session"):
        return key_client(user.organisation, user.role)[0]
    client = APIClient() if is_api else Client()
    client.force_login(user)
    return client


def _counted_queries(client: Any, url: str) -> tuple[list[str], bytes]:
    """The queries of reading ``url``, and what it answered."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        if getattr(response, "streaming", False):
            content = b"".join(response.streaming_content)
        else:
            content = response.content
    assert response.status_code == 200, (url, response.status_code)
    # An API key's ``last_used_at`` is written at most once a minute: not the list's cost.
    queries = [q["sql"] for q in context.captured_queries if "organisations_apikey" not in q["sql"]]
    # A form's CSRF token differs on every page: not what the page shows.
    return queries, re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def _rows(client: Any, url: str, entry: Counted) -> int | None:
    if not entry.is_api:
        return None
    return client.get(url).json()["count"]


def _differ(few: list[str], many: list[str]) -> str:
    return "\n".join(
        [f"{len(few)} queries for N rows:", *few, "", f"{len(many)} queries for 2N rows:", *many]
    )


@pytest.mark.parametrize(
    "entry", LISTS, ids=[f"{e.name}-{e.viewer}-{e.grow.__name__}" for e in LISTS]
)
def test_a_list_costs_the_same_queries_for_n_and_2n_rows(world, entry):
    client = _client(world, entry.viewer, entry.is_api)
    kwargs = entry.kwargs(world) if callable(entry.kwargs) else entry.kwargs
    url = reverse(entry.name, kwargs=kwargs)
    if entry.query:
        url += f"?{entry.query}"
    entry.grow(world, N)
    rows_n = _rows(client, url, entry)
    _counted_queries(client, url)  # warm: the session, the key, the content types
    few, shown_n = _counted_queries(client, url)
    entry.grow(world, N)
    rows_2n = _rows(client, url, entry)
    many, shown_2n = _counted_queries(client, url)
    # The rows added show: more of them in the API's count, another page in the portal (longer,
    # or for the reports that sum them, other figures).
    if entry.is_api:
        assert rows_2n > rows_n, (rows_n, rows_2n)
    else:
        assert shown_2n != shown_n, "the page shows none of the rows added"
    assert len(few) == len(many), _differ(few, many)


def test_bill_contracts_costs_the_same_queries_for_n_and_2n_contracts(world):
    """A billing run rates contracts in chunks; a chunk of 2N contracts costs what one of N
    does (each measured on its own, then rolled back)."""

    def billed(contract_ids: list[int]) -> list[str]:
        with transaction.atomic():
            run = BillingRun.objects.create(period="2026-11")
            with CaptureQueriesContext(connection) as context:
                lines = bill_contracts(run=run, contract_ids=contract_ids)
            assert lines > 0
            transaction.set_rollback(True)
        return [q["sql"] for q in context.captured_queries]

    def contracts() -> list[int]:
        from leasing.models import Contract

        return list(Contract.objects.filter(customer=world.a).values_list("pk", flat=True))

    more_sales(world, N)
    base = contracts()
    few = billed(base)
    more_sales(world, N)
    many = billed(contracts())
    assert len(contracts()) == len(base) + N
    assert len(few) == len(many), _differ(few, many)
