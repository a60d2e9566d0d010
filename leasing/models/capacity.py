"""Capacity held: allocations and the ranges of spectrum, tributary slots and ports they hold.

An allocation is the capacity of one sale (or of an operator's own carrier): held while an order
is worked (with an expiry), active while the service runs, released when it ends. Its reservation
rows are the capacity actually taken, one per resource: a row exists only while it holds
capacity, for the dates ``valid_from`` to ``valid_to`` (exclusive, open-ended when empty). On
PostgreSQL an exclusion constraint per table makes two overlapping rows on the same resource and
dates impossible, whatever the code does.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..choices import AllocationStatus
from ..spectrum import UnitRange


class CapacityAllocation(models.Model):
    holder = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="allocations"
    )
    product = models.ForeignKey(
        "leasing.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    path = models.ForeignKey(
        "leasing.Path", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        "leasing.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=AllocationStatus.choices, default=AllocationStatus.HELD
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A hold not confirmed by then no longer holds anything."
    )
    reference = models.CharField(max_length=64, blank=True, help_text="e.g. the order it is for.")
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)
    moved_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When network staff last moved what it holds; empty: placed automatically.",
    )

    tenant_field = "holder"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="allocation_period_not_empty",
            )
        ]

    def __str__(self) -> str:
        what = self.product.code if self.product_id else "carrier"
        return f"{what} for {self.holder} ({self.get_status_display()})"

    @property
    def is_proposal(self) -> bool:
        """Is it still where it was placed automatically (the lowest free place), held for an
        open order: neither moved by hand nor a running service's?"""
        return self.status == AllocationStatus.HELD and self.moved_at is None

    def is_live(self, at: object | None = None) -> bool:
        """Does it hold capacity now: active, or held and not expired?"""
        at = at or timezone.now()
        if self.status == AllocationStatus.ACTIVE:
            return True
        return self.status == AllocationStatus.HELD and (
            self.expires_at is None or self.expires_at > at
        )


def live_allocations_q(prefix: str = "", *, at: object | None = None) -> Q:
    """Rows whose allocation holds capacity at ``at``: active, or held and not expired."""
    at = at or timezone.now()
    return Q(**{f"{prefix}status": AllocationStatus.ACTIVE}) | (
        Q(**{f"{prefix}status": AllocationStatus.HELD})
        & (Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": at}))
    )


class RangeReservation(models.Model):
    """Units ``start`` to ``end`` (exclusive) of one resource, for some dates."""

    allocation = models.ForeignKey(CapacityAllocation, on_delete=models.CASCADE)
    start = models.IntegerField()
    end = models.IntegerField()
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def units(self) -> UnitRange:
        return UnitRange(self.start, self.end)


def _range_checks(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(condition=Q(end__gt=F("start")), name=f"{prefix}_range_not_empty"),
        models.CheckConstraint(
            condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
            name=f"{prefix}_period_not_empty",
        ),
    ]


class SpectrumReservation(RangeReservation):
    """12.5 GHz slots ``start``..``end`` of a fiber pair."""

    fiber_pair = models.ForeignKey(
        "leasing.FiberPair", on_delete=models.PROTECT, related_name="reservations"
    )

    class Meta:
        default_related_name = "spectrum"
        constraints = _range_checks("spectrum")

    def __str__(self) -> str:
        return f"{self.fiber_pair} slots {self.start}..{self.end}"


class LitCapacityReservation(RangeReservation):
    """Tributary slots ``start``..``end`` of an operator-lit carrier."""

    carrier = models.ForeignKey(
        "leasing.LitCarrier", on_delete=models.PROTECT, related_name="reservations"
    )

    class Meta:
        default_related_name = "lit_capacity"
        constraints = _range_checks("lit")

    def __str__(self) -> str:
        return f"{self.carrier} TS {self.start}..{self.end}"


class TransitPortReservation(RangeReservation):
    """Ports ``start``..``end`` of a PoP's transit port pool."""

    pool = models.ForeignKey(
        "leasing.TransitPortPool", on_delete=models.PROTECT, related_name="reservations"
    )

    class Meta:
        default_related_name = "transit_ports"
        constraints = _range_checks("port")

    def __str__(self) -> str:
        return f"{self.pool} ports {self.start}..{self.end}"
