"""The sale: quotes, orders and their history, services (circuits) and contracts."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..choices import (
    CommercialForm,
    NoteVisibility,
    OrderState,
    P95Rule,
    ServiceAction,
    ServiceStatus,
)
from .catalog import PriceTerms
from .maintenance import default_maintenance_notice_days
from .network import OPERATORS_ONLY

# Migration 0003 names the base of Quote and Contract by this name.
MoneyFieldsMixin = PriceTerms


class Quote(PriceTerms, models.Model):
    """A priced offer, valid until a date. Its prices are copied from the price book when it is
    made and never change afterwards, whatever the price book does later."""

    customer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="quotes"
    )
    product = models.ForeignKey("leasing.Product", on_delete=models.PROTECT, related_name="+")
    path = models.ForeignKey(
        "leasing.Path", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        "leasing.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    term_months = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    commit_mbps = models.PositiveIntegerField(
        null=True, blank=True, help_text="IP transit: the committed data rate."
    )
    price = models.ForeignKey(
        "leasing.Price",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The price book line the quote was priced from.",
    )
    currency = models.CharField(max_length=3)
    mrc = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    nrc = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    commit_price_per_mbps = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True
    )
    burst_price_per_mbps = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True
    )
    iru_price = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    om_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    valid_until = models.DateField()
    created_by = models.CharField(max_length=150, help_text="Who asked: a user or an API key.")
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_field = "customer"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Quote {self.pk} {self.product.code} for {self.customer}"

    @property
    def place(self) -> object:
        return getattr(self, self.product.place_field)

    @property
    def is_expired(self) -> bool:
        return self.valid_until < timezone.localdate()


class Order(models.Model):
    """A customer's acceptance of a quote, worked by the operators to an active service.

    Its state changes only through ``leasing.order_lifecycle`` which records each transition.
    """

    customer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="orders"
    )
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="order")
    state = models.CharField(
        max_length=16, choices=OrderState.choices, default=OrderState.SUBMITTED
    )
    allocation = models.OneToOneField(
        "leasing.CapacityAllocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
    )
    billing_party = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=OPERATORS_ONLY,
        help_text="The operator that sells and invoices.",
    )
    ready_for_service_date = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why it was rejected, cancelled or failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_field = "customer"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.get_state_display()})"

    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        """An operator sees the orders it sells, or whose route (segments of the path, or the
        PoP) it held a share of on a day from the quoted start on, up to today."""
        from .network import route_held_during

        return Q(billing_party=operator) | route_held_during(
            operator, path_ref="quote__path", site_ref="quote__site", start_ref="quote__start_date"
        )


class OrderTransition(models.Model):
    """One step of an order's history: who moved it from which state to which, when, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=OrderState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=OrderState.choices)
    by = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    note_visibility = models.CharField(
        max_length=8,
        choices=NoteVisibility.choices,
        default=NoteVisibility.INTERNAL,
        help_text="Whether the customer reads the note (an internal one only operators do).",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or 'new'} -> {self.to_state} by {self.by}"


class Service(models.Model):
    """A delivered circuit, named by the ID the customer quotes in every ticket."""

    # Null for the moment between insert and naming: the ID carries the row's own number.
    circuit_id = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    customer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="services"
    )
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="service")
    product = models.ForeignKey("leasing.Product", on_delete=models.PROTECT, related_name="+")
    path = models.ForeignKey(
        "leasing.Path", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        "leasing.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allocation = models.OneToOneField(
        "leasing.CapacityAllocation", on_delete=models.PROTECT, related_name="service"
    )
    status = models.CharField(
        max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    activated_on = models.DateField(help_text="Ready for service.")
    terminated_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_field = "customer"

    class Meta:
        ordering = ["circuit_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(terminated_on__isnull=True) | Q(terminated_on__gt=F("activated_on")),
                name="service_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.circuit_id or f"service {self.pk}"

    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        """The services an operator sells, or whose route it held a share of while the
        service ran (a former owner keeps seeing what it co-owned)."""
        from .network import route_held_during

        return Q(order__billing_party=operator) | route_held_during(
            operator,
            path_ref="path",
            site_ref="site",
            start_ref="activated_on",
            end_ref="terminated_on",
        )


class ServiceTransition(models.Model):
    """One step of a service's life: who took which action, from which status to which, when,
    and (a termination) from which day it counts. Written only by ``leasing.service_lifecycle``."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=16, choices=ServiceAction.choices)
    from_status = models.CharField(
        max_length=16, choices=ServiceStatus.choices, blank=True, help_text="Empty: activation."
    )
    to_status = models.CharField(max_length=16, choices=ServiceStatus.choices)
    by = models.CharField(max_length=150, help_text="A user, an API key or a job.")
    note = models.TextField(blank=True)
    effective_on = models.DateField(
        null=True, blank=True, help_text="A termination: the first day without service."
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["service", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} ({self.action}) by {self.by}"


class Contract(PriceTerms, models.Model):
    """The commercial terms of a service, fixed when the order completes."""

    service = models.OneToOneField(Service, on_delete=models.PROTECT, related_name="contract")
    customer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="contracts"
    )
    billing_party = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=OPERATORS_ONLY,
    )
    kind = models.CharField(max_length=8, choices=CommercialForm.choices)
    term_months = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    end_date = models.DateField(help_text="The last day of the term.")
    currency = models.CharField(max_length=3)
    mrc = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    nrc = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    commit_mbps = models.PositiveIntegerField(null=True, blank=True)
    commit_price_per_mbps = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True
    )
    burst_price_per_mbps = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True
    )
    p95_rule = models.CharField(
        max_length=16, choices=P95Rule.choices, default=P95Rule.GREATER_OF, blank=True
    )
    iru_price = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    om_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    auto_renew = models.BooleanField(default=True)
    renewal_term_months = models.PositiveSmallIntegerField(default=12)
    order_form = models.FileField(upload_to="order-forms/%Y/", blank=True)
    order_form_sha256 = models.CharField(max_length=64, blank=True)
    maintenance_notice_days = models.PositiveSmallIntegerField(
        default=default_maintenance_notice_days,
        help_text="Planned maintenance announced at least this many days ahead does not count "
        "against the SLA.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_field = "customer"

    class Meta:
        ordering = ["-start_date", "pk"]

    def __str__(self) -> str:
        return f"Contract {self.pk} for {self.service}"

    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        """The contracts an operator sells, or whose route it held a share of while the
        service ran (a former owner keeps seeing what it co-owned)."""
        from .network import route_held_during

        return Q(billing_party=operator) | route_held_during(
            operator,
            path_ref="service__path",
            site_ref="service__site",
            start_ref="service__activated_on",
            end_ref="service__terminated_on",
        )


class SlaCreditTier(models.Model):
    """Monthly availability below ``availability_below`` % earns ``credit_percent`` of the MRC."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="sla_tiers")
    availability_below = models.DecimalField(max_digits=6, decimal_places=3)
    credit_percent = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["contract", "-availability_below"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "availability_below"], name="one_credit_per_threshold"
            ),
            models.CheckConstraint(
                condition=Q(credit_percent__gt=0) & Q(credit_percent__lte=100),
                name="credit_between_0_and_100",
            ),
        ]

    def __str__(self) -> str:
        return f"below {self.availability_below}%: {self.credit_percent}% credit"


class IruInstallment(models.Model):
    """A part of an IRU price, due on signing or on ready for service."""

    class Due(models.TextChoices):
        SIGNING = "signing", "On signing"
        READY_FOR_SERVICE = "rfs", "On ready for service"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="installments")
    due = models.CharField(max_length=8, choices=Due.choices)
    due_on = models.DateField()
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["contract", "due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_due_display()}: {self.percent}%"


def default_sla_tiers() -> list[tuple[Decimal, Decimal]]:
    """The SLA table a new contract gets: (availability below %, credit % of the MRC)."""
    return [(Decimal(a), Decimal(c)) for a, c in settings.TCFO_DEFAULT_SLA_TIERS]
