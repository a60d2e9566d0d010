"""Reads of usage and invoices for pages and the API: what an actor sees is decided here."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from leasing.models import Service
from organisations.access import Actor, has_capability, visible_to
from organisations.choices import Capability

from .choices import InvoiceStatus, UsageEventKind
from .models import (
    CreditNote,
    DebitNote,
    DeletedDraft,
    Invoice,
    Payment,
    UsageEvent,
    UsagePercentile,
)
from .periods import last_ended, local_date
from .services.usage_percentiles import (
    MonthUsage,
    Percentiles,
    month_usage,
    percentiles,
    services_for_usage,
)


@dataclass(frozen=True)
class ServiceUsage:
    usage: MonthUsage
    result: Percentiles
    frozen: bool

    @property
    def commit_bps(self) -> int | None:
        commit = self.usage.service.contract.commit_mbps
        return commit * 1_000_000 if commit else None


def visible_service(actor: Actor, circuit_id: str) -> Service | None:
    return visible_to(services_for_usage(), actor).filter(circuit_id=circuit_id).first()


def service_usage(service: Service, period: str) -> ServiceUsage:
    """The period's buckets and 95th; a result frozen by an issued invoice wins."""
    usage = month_usage([service], period)[service.pk]
    frozen = UsagePercentile.objects.filter(
        service=service, period=period, frozen_at__isnull=False
    ).first()
    if frozen is None:
        return ServiceUsage(usage, percentiles(usage), frozen=False)
    result = Percentiles(
        frozen.samples,
        frozen.missing,
        frozen.p95_in_bps,
        frozen.p95_out_bps,
        frozen.p95_sum_bps,
        frozen.billable_bps,
        frozen.rule,
    )
    return ServiceUsage(usage, result, frozen=True)


def viewer_time_zone(actor: Actor | None) -> str:
    """The time zone a finance page counts today (and so "last month", "this year") in for
    ``actor``: their operator's, the one it bills in; for a platform admin, who sees every
    billing party, the one the monthly billing run decides the month in (``CELERY_TIMEZONE``)."""
    organisation = getattr(actor, "organisation", None)
    return organisation.time_zone if organisation is not None else settings.CELERY_TIMEZONE


def deleted_drafts_for(actor: Actor | None) -> QuerySet[DeletedDraft]:
    """The records of deleted drafts ``actor`` may read, newest first: its operator's (the
    billing party's finance staff deleted them), every one for a platform admin, none for
    anybody else."""
    records = DeletedDraft.objects.select_related("billing_party", "customer").order_by(
        "-deleted_at", "-pk"
    )
    if not has_capability(actor, Capability.RUN_BILLING):
        return records.none()
    organisation = getattr(actor, "organisation", None)
    return records if organisation is None else records.filter(billing_party=organisation)


def last_ended_period(actor: Actor | None) -> str:
    """The last month that has ended where ``actor`` bills (``viewer_time_zone``): what a
    finance report shows when no period is asked for."""
    return last_ended(viewer_time_zone(actor), timezone.now())


def this_year(actor: Actor | None) -> int:
    """The year it is where ``actor`` bills (``viewer_time_zone``)."""
    return local_date(timezone.now(), viewer_time_zone(actor)).year


def sees_drafts_and_split(actor: Actor | None) -> bool:
    """Operators' finance staff (and platform admins) see draft invoices and how each line's
    revenue is split between the operators; customers see neither (the split is the
    consortium's business)."""
    return has_capability(actor, Capability.RUN_BILLING)


def invoices_for(
    actor: Actor | None, queryset: QuerySet[Invoice] | None = None
) -> QuerySet[Invoice]:
    """The invoices ``actor`` may see: a customer its own issued ones (never drafts), an
    operator's staff those it issues or shares revenue in. Portal and API both read through
    this."""
    invoices = visible_to(queryset if queryset is not None else Invoice.objects.all(), actor)
    if not sees_drafts_and_split(actor):
        invoices = invoices.exclude(status=InvoiceStatus.DRAFT)
    return invoices


def issued_without_pdf(actor: Actor | None) -> QuerySet[Invoice]:
    """Issued invoices of the actor's own billing party that have no PDF (issued before the
    PDF was stored with the issue, by a render that failed): finance has them rendered."""
    invoices = invoices_for(actor).exclude(status=InvoiceStatus.DRAFT).filter(pdf="")
    organisation = getattr(actor, "organisation", None)
    if organisation is not None:
        invoices = invoices.filter(billing_party=organisation)
    return invoices.select_related("customer").order_by("pk")


def payments_for(actor: Actor | None) -> QuerySet[Payment]:
    """The payments ``actor`` may see: those of the invoices it sees (``invoices_for``), the
    reversed ones included (listed as reversed)."""
    return Payment.objects.filter(invoice__in=invoices_for(actor).values("pk")).select_related(
        "invoice", "reversal"
    )


def credit_notes_for(actor: Actor | None) -> QuerySet[CreditNote]:
    """The credit notes ``actor`` may see: those of the invoices it sees (``invoices_for``);
    a credit note is issued when written, so customers see each of their own."""
    return CreditNote.objects.filter(invoice__in=invoices_for(actor).values("pk")).select_related(
        "invoice__billing_party", "invoice__customer"
    )


def debit_notes_for(actor: Actor | None) -> QuerySet[DebitNote]:
    """The debit notes ``actor`` may see: those of the invoices it sees (``invoices_for``:
    a customer its own, an operator those it issues or shares revenue in), and those whose
    revenue an operator shares itself (the split of a late line follows each day's owners).
    A debit note is issued when written, so customers see each of their own."""
    visible = Q(invoice__in=invoices_for(actor).values("pk")) | Q(
        pk__in=visible_to(DebitNote.objects.all(), actor).values("pk")
    )
    return DebitNote.objects.filter(visible).select_related(
        "invoice__billing_party", "invoice__customer"
    )


# --- i15-c begin ---
def usage_decisions_for(actor: Actor | None) -> QuerySet[UsageEvent]:
    """The usage decisions (conflicts, resets, clamps, gaps...) ``actor`` may read: a
    customer's on its own services, an operator's staff those on the services it sees
    (``UsageEvent.operator_visibility``), a platform admin all; with what a list shows."""
    if not has_capability(actor, Capability.VIEW_OWN_SERVICES):
        return UsageEvent.objects.none()
    return visible_to(UsageEvent.objects.all(), actor).select_related(
        "port__service__contract__billing_party", "port__service__customer", "resolution"
    )


def conflicts_to_review(actor: Actor | None) -> QuerySet[UsageEvent]:
    """The conflicts nobody has resolved yet among those ``actor`` reads."""
    return usage_decisions_for(actor).filter(kind=UsageEventKind.CONFLICT, resolution__isnull=True)


# --- i15-c end ---
