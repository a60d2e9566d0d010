"""What billing does when the network changes: an outage recorded, ended or corrected may
concern a month already frozen, so late outages are looked for once the change is committed
(and every 15 minutes by beat, for anything missed). Billing listens to leasing, never the
other way round."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from leasing.models import OutageChange

from .tasks import note_late_outages


@receiver(post_save, sender=OutageChange, dispatch_uid="billing-late-outages")
def outage_changed(sender: type, instance: OutageChange, created: bool, **kwargs: Any) -> None:
    if created:
        transaction.on_commit(note_late_outages.delay)
