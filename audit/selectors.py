"""Who may read which audit entries: the one rule, for the portal page and anything else."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, GenericIPAddressField, OuterRef, Q, QuerySet, Value

from organisations.access import Actor, has_capability, is_platform_admin
from organisations.choices import Capability
from organisations.models import Organisation

from .models import EntryScope


def entries_for(actor: Actor | None) -> QuerySet[LogEntry]:
    """The audit entries ``actor`` may read, newest first.

    - platform admins: every entry;
    - an operator's staff (finance and network: there is no operator admin role, and the two
      together answer for the operator's records): entries of records that belong to their
      organisation (its sites, carriers, users, keys, the invoices it issues and what was paid
      or credited on them...) and of the consortium's shared records (segments and their
      ownership, paths, fiber pairs, the catalog and prices, capacity);
    - anyone else (customers, API keys): nothing.

    Each entry's ``actor_address`` is the address the change came from (``remote_addr``) for
    platform admins, and None for everyone else: an operator's staff read entries written by
    other organisations' people (a customer's order on the consortium's capacity), never their
    addresses. Show ``actor_address``, not ``remote_addr``.
    """
    entries = LogEntry.objects.select_related("content_type", "actor").order_by("-timestamp", "-pk")
    if not has_capability(actor, Capability.VIEW_AUDIT_LOG):
        return entries.none()
    if is_platform_admin(actor):
        return entries.annotate(actor_address=F("remote_addr"))
    organisation = actor.organisation
    if organisation is None or not has_capability(actor, Capability.VIEW_INTERNAL):
        return entries.none()
    theirs = EntryScope.objects.filter(entry=OuterRef("pk")).filter(
        Q(organisation=organisation) | Q(organisation__isnull=True)
    )
    hidden = Value(None, output_field=GenericIPAddressField())
    return entries.filter(Exists(theirs)).annotate(actor_address=hidden)


@dataclass(frozen=True)
class EntryFilter:
    content_type: ContentType | None = None
    action: int | None = None
    actor: str = ""
    record: str = ""
    organisation: Organisation | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None


def filter_entries(entries: QuerySet[LogEntry], wanted: EntryFilter) -> QuerySet[LogEntry]:
    """Narrow ``entries`` (already limited by ``entries_for``) to what a reader asks for."""
    if wanted.content_type is not None:
        entries = entries.filter(content_type=wanted.content_type)
    if wanted.action is not None:
        entries = entries.filter(action=wanted.action)
    if wanted.actor:
        entries = entries.filter(additional_data__actor__icontains=wanted.actor)
    if wanted.record:
        entries = entries.filter(object_repr__icontains=wanted.record)
    if wanted.organisation is not None:
        entries = entries.filter(
            Exists(
                EntryScope.objects.filter(entry=OuterRef("pk"), organisation=wanted.organisation)
            )
        )
    if wanted.since is not None:
        entries = entries.filter(timestamp__date__gte=wanted.since)
    if wanted.until is not None:
        entries = entries.filter(timestamp__date__lte=wanted.until)
    return entries
