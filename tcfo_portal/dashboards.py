"""What each role has to act on, for its dashboard: counts and sums read through the selectors
that decide what the acting user sees (``organisations.access.visible_to``, ``invoices_for``,
``tickets_for``...), each linking to the list behind it filtered by the list's FilterSet
parameters (``leasing/filtersets.py``, ``billing/filtersets.py``), so the list shows the rows
counted.

Every block costs a fixed number of queries, whatever the number of rows
(tests/test_query_counts.py).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone

from billing.choices import OPEN_STATUSES, BillingRunStatus, InvoiceStatus, LateKind, LateStatus
from billing.models import BillingRun, PeriodClose
from billing.periods import add_months, last_ended, local_date
from billing.selectors import (
    conflicts_to_review,
    invoices_for,
    issued_without_pdf,
    viewer_time_zone,
)
from billing.services.balances import BALANCE_PREFETCH, balance_of
from billing.services.closing import late_adjustments_for
from leasing.choices import (
    OPEN_ORDER_STATES,
    OPEN_TICKET_STATUSES,
    MaintenanceStatus,
    OrderState,
    TicketStatus,
)
from leasing.models import Contract, Order
from leasing.selectors import maintenance_for, outages_for, tickets_for
from organisations.access import Actor, visible_to
from tcfo_portal.formatting import format_month

RENEWAL_DAYS = 90
#: How many ended months finance's "to bill or close" block looks back over.
MONTHS_BACK = 3


def link(url_name: str, **params: object) -> str:
    """The list page ``url_name`` filtered by ``params`` (lists repeat the parameter)."""
    url = reverse(url_name)
    query = urlencode(
        {
            k: [str(x) for x in v] if isinstance(v, list | tuple) else str(v)
            for k, v in params.items()
        },
        doseq=True,
    )
    return f"{url}?{query}" if query else url


def _text(value: object) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class Item:
    """One thing to act on: a count, or an amount in a currency, and the list behind it."""

    label: str
    href: str
    count: int | None = None
    amount: Decimal | None = None
    currency: str = ""


@dataclass
class Block:
    """A card of the dashboard; ``items`` empty: nothing to act on (``empty`` says so)."""

    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    empty: str = "Nothing to act on."
    more: tuple[str, str] | None = None  # (label, href) of the whole list


def _today(actor: Actor) -> datetime.date:
    return local_date(timezone.now(), viewer_time_zone(actor))


# --- blocks shared by roles ---------------------------------------------------------------------


def open_orders(actor: Actor, title: str = "Open orders") -> Block:
    """Open orders by state (one query)."""
    counts = _counts_by(visible_to(Order.objects.all(), actor), "state", OPEN_ORDER_STATES)
    labels = dict(OrderState.choices)
    items = [
        Item(labels[state], link("orders", state=state), count=counts[state])
        for state in OPEN_ORDER_STATES
        if counts.get(state)
    ]
    return Block(
        "orders", title, items, "No open order.", ("All orders", link("orders", state="all"))
    )


def _counts_by(rows: QuerySet, field: str, values: Iterable[str]) -> dict[str, int]:
    """How many of ``rows`` hold each of ``values`` in ``field`` (one query)."""
    return dict(
        rows.filter(**{f"{field}__in": list(values)})
        .order_by()
        .values_list(field)
        .annotate(n=Count("pk", distinct=True))
        .values_list(field, "n")
    )


def open_tickets(actor: Actor) -> Block:
    """Trouble tickets still worked on, by status (one query)."""
    counts = _counts_by(tickets_for(actor), "status", OPEN_TICKET_STATUSES)
    labels = dict(TicketStatus.choices)
    items = [
        Item(labels[status], link("tickets", status=status), count=counts[status])
        for status in OPEN_TICKET_STATUSES
        if counts.get(status)
    ]
    return Block(
        "tickets", "Open tickets", items, "No open ticket.", ("All tickets", link("tickets"))
    )


def planned_work(actor: Actor, url_name: str = "planned-work") -> Block:
    """Maintenance scheduled or under way that the actor sees (one query)."""
    today = _today(actor)
    now = timezone.now()
    counts = dict(
        maintenance_for(actor)
        .filter(
            status__in=[MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS],
            window_end__gte=now,
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk", distinct=True))
        .values_list("status", "n")
    )
    items = []
    if counts.get(MaintenanceStatus.IN_PROGRESS):
        items.append(
            Item(
                "Under way now",
                link(url_name, status=MaintenanceStatus.IN_PROGRESS),
                count=counts[MaintenanceStatus.IN_PROGRESS],
            )
        )
    if counts.get(MaintenanceStatus.SCHEDULED):
        items.append(
            Item(
                "Scheduled",
                link(url_name, status=MaintenanceStatus.SCHEDULED, window_start_after=today),
                count=counts[MaintenanceStatus.SCHEDULED],
            )
        )
    return Block(
        "maintenance", "Planned work", items, "No planned work ahead.", ("All", link(url_name))
    )


def conflicts(actor: Actor) -> Block:
    """Usage conflicts nobody has resolved (one query)."""
    count = conflicts_to_review(actor).count()
    items = []
    if count:
        href = link("usage-decisions", kind="conflict", resolved="false")
        items.append(Item("Usage conflicts to resolve", href, count=count))
    more = ("All usage decisions", link("usage-decisions"))
    return Block("decisions", "Usage decisions", items, "No usage conflict to resolve.", more)


def _balances(
    actor: Actor, today: datetime.date, billing_party: object = None
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Balance due and overdue (due before ``today``) per currency of the open invoices the
    actor sees (a fixed number of queries: the invoices and their prefetches)."""
    invoices = invoices_for(actor).filter(status__in=OPEN_STATUSES)
    if billing_party is not None:
        invoices = invoices.filter(billing_party=billing_party)
    invoices = invoices.prefetch_related("lines", *BALANCE_PREFETCH).order_by("pk")
    due: dict[str, Decimal] = defaultdict(Decimal)
    overdue: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        owed = balance_of(invoice).due
        if owed <= 0:
            continue
        due[invoice.currency] += owed
        if invoice.due_date is not None and invoice.due_date < today:
            overdue[invoice.currency] += owed
    return dict(due), dict(overdue)


def _party_params(billing_party: object) -> dict[str, str]:
    return {"billing_party": billing_party.name} if billing_party is not None else {}


def overdue_items(
    overdue: dict[str, Decimal], today: datetime.date, billing_party: object = None
) -> list[Item]:
    yesterday = today - datetime.timedelta(days=1)
    return [
        Item(
            f"Overdue in {currency}",
            link(
                "invoices",
                status=InvoiceStatus.ISSUED,
                due_before=yesterday,
                currency=currency,
                **_party_params(billing_party),
            ),
            amount=amount,
            currency=currency,
        )
        for currency, amount in sorted(overdue.items())
    ]


# --- per role -------------------------------------------------------------------------------------


def customer_dashboard(actor: Actor) -> list[Block]:
    today = _today(actor)
    due, overdue = _balances(actor, today)
    money = [
        Item(
            f"Balance due in {currency}",
            link("invoices", status=InvoiceStatus.ISSUED, currency=currency),
            amount=amount,
            currency=currency,
        )
        for currency, amount in sorted(due.items())
    ] + overdue_items(overdue, today)
    until = today + datetime.timedelta(days=RENEWAL_DAYS)
    ending = (
        visible_to(Contract.objects.all(), actor)
        .filter(end_date__gte=today, end_date__lte=until)
        .count()
    )
    renewals = []
    if ending:
        href = link("contracts", end_after=today, end_before=until)
        renewals.append(Item(f"Ending in the next {RENEWAL_DAYS} days", href, count=ending))
    return [
        open_orders(actor),
        Block("money", "Balance due", money, "Nothing due.", ("All invoices", link("invoices"))),
        Block(
            "renewals",
            "Renewals",
            renewals,
            f"No contract ends in the next {RENEWAL_DAYS} days.",
            ("All contracts", link("contracts")),
        ),
        open_tickets(actor),
        planned_work(actor),
    ]


def network_dashboard(actor: Actor) -> list[Block]:
    open_outages = outages_for(actor).filter(ended_at__isnull=True).count()
    outages = []
    if open_outages:
        outages.append(Item("Still open", link("outages", open="true"), count=open_outages))
    return [
        open_orders(actor, "Order queue"),
        Block("outages", "Outages", outages, "No open outage.", ("All outages", link("outages"))),
        planned_work(actor, "maintenance-list"),
        open_tickets(actor),
        conflicts(actor),
    ]


def finance_dashboard(actor: Actor) -> list[Block]:
    organisation = actor.organisation
    today = _today(actor)
    zone = viewer_time_zone(actor)
    last = last_ended(zone, timezone.now())
    months = [add_months(last, -k) for k in range(MONTHS_BACK)]
    runs = dict(BillingRun.objects.filter(period__in=months).values_list("period", "status"))
    closes = PeriodClose.objects.filter(period__in=months)
    if organisation is not None:
        closes = closes.filter(billing_party=organisation)
    closed = set(closes.values_list("period", flat=True))
    to_bill = []
    for period in months:
        status = runs.get(period)
        if status is None:
            to_bill.append(
                Item(f"{format_month(period)}: not billed yet", link("billing", period=period))
            )
        elif status != BillingRunStatus.DONE:
            label = f"{format_month(period)}: billing run {BillingRunStatus(status).label.lower()}"
            to_bill.append(Item(label, link("billing", period=period, status=status)))
        elif period not in closed:
            to_bill.append(
                Item(f"{format_month(period)}: billed, not closed", link("billing", period=period))
            )
    drafts = invoices_for(actor).filter(status=InvoiceStatus.DRAFT)
    if organisation is not None:
        drafts = drafts.filter(billing_party=organisation)
    draft_count = drafts.count()
    review = []
    if draft_count:
        href = link("invoices", status=InvoiceStatus.DRAFT, **_party_params(organisation))
        review.append(Item("Drafts to review and issue", href, count=draft_count))
    without_pdf = issued_without_pdf(actor).count()
    if without_pdf:
        href = link("invoices", status=InvoiceStatus.ISSUED, has_pdf="false")
        review.append(Item("Issued without a PDF", href, count=without_pdf))
    _, overdue = _balances(actor, today, organisation)
    late = (
        late_adjustments_for(actor)
        .filter(status=LateStatus.OPEN)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    late_items = [
        Item(
            f"Late {LateKind(kind).label.split(' (')[0].lower()} to decide",
            link("late-adjustments", status=LateStatus.OPEN, kind=kind),
            count=n,
        )
        for kind, n in sorted(late)
    ]
    return [
        Block(
            "periods",
            "Months to bill or close",
            to_bill,
            "Every ended month is billed and closed.",
            ("Billing", link("billing")),
        ),
        Block("drafts", "Invoices to review", review, "No draft to review."),
        Block(
            "overdue",
            "Overdue",
            overdue_items(overdue, today, organisation),
            "Nothing overdue.",
            ("Aging", link("aging")),
        ),
        Block(
            "late",
            "Late adjustments",
            late_items,
            "No late adjustment to decide.",
            ("Late adjustments", link("late-adjustments")),
        ),
    ]


def platform_dashboard(actor: Actor) -> list[Block]:
    from events.choices import DeliveryStatus
    from events.models import WebhookDelivery
    from organisations.models import OutgoingEmail
    from organisations.security import current_lockouts

    locked = len(current_lockouts())
    logins = [Item("Locked logins", link("lockouts"), count=locked)] if locked else []
    unsent = OutgoingEmail.objects.filter(sent_at__isnull=True).count()
    failed = WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count()
    delivery = []
    if unsent:
        href = reverse("admin:organisations_outgoingemail_changelist") + "?sent_at__isnull=True"
        delivery.append(Item("E-mails not sent yet", href, count=unsent))
    if failed:
        href = reverse("admin:events_webhookdelivery_changelist") + "?status__exact=failed"
        delivery.append(Item("Webhook deliveries failed", href, count=failed))
    return [
        Block("logins", "Sign-in", logins, "No login is locked."),
        Block("delivery", "Mail and webhooks", delivery, "Every e-mail and webhook went out."),
        conflicts(actor),
    ]
