"""Usage: ports, their stored 5-minute rates, counter state, decisions, batches, 95th results."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_countries.fields import CountryField

from leasing.choices import P95Rule
from tcfo_portal.formatting import format_bitrate

from .choices import (
    BillingRunStatus,
    ConflictChoice,
    InvoiceStatus,
    LateKind,
    LateStatus,
    LineKind,
    NumberSeries,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpSecurityLevel,
    SnmpVersion,
    UsageEventKind,
    UsageSource,
)

#: RFC 3414 section 11.2: a USM password is at least 8 characters long.
SNMP_KEY_MIN_LENGTH = 8
SNMP_KEY_MAX_LENGTH = 64


class UsagePort(models.Model):
    """A router interface carrying a service; a service may have several (summed per bucket)."""

    service = models.ForeignKey(
        "leasing.Service", on_delete=models.CASCADE, related_name="usage_ports"
    )
    name = models.CharField(max_length=100, help_text="e.g. bak-pe1:xe-0/0/3")
    snmp_host = models.CharField(max_length=255, blank=True)
    snmp_port = models.PositiveIntegerField(default=161)
    snmp_version = models.CharField(
        "SNMP version", max_length=3, choices=SnmpVersion.choices, default=SnmpVersion.V2C
    )
    snmp_community = models.CharField(
        "SNMP community", max_length=100, blank=True, help_text="SNMPv2c only."
    )
    snmp_v3_user = models.CharField(
        "SNMPv3 user", max_length=32, blank=True, help_text="The USM user (security name)."
    )
    snmp_v3_security_level = models.CharField(
        "SNMPv3 security level",
        max_length=10,
        choices=SnmpSecurityLevel.choices,
        default=SnmpSecurityLevel.AUTH_PRIV,
    )
    snmp_v3_auth_protocol = models.CharField(
        "SNMPv3 auth protocol",
        max_length=8,
        choices=SnmpAuthProtocol.choices,
        default=SnmpAuthProtocol.SHA,
    )
    snmp_v3_auth_key = models.CharField(
        "SNMPv3 auth key", max_length=SNMP_KEY_MAX_LENGTH, blank=True
    )
    snmp_v3_priv_protocol = models.CharField(
        "SNMPv3 privacy protocol",
        max_length=8,
        choices=SnmpPrivProtocol.choices,
        default=SnmpPrivProtocol.AES128,
    )
    snmp_v3_priv_key = models.CharField(
        "SNMPv3 privacy key", max_length=SNMP_KEY_MAX_LENGTH, blank=True
    )
    snmp_v3_context = models.CharField(
        "SNMPv3 context",
        max_length=32,
        blank=True,
        help_text="Usually empty; some routers select a routing instance or VRF by context.",
    )
    if_index = models.PositiveIntegerField(null=True, blank=True)
    counter_bits = models.PositiveSmallIntegerField(
        choices=[(64, "64-bit"), (32, "32-bit")], default=64
    )
    speed_mbps = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Default: the product's.",
    )
    is_active = models.BooleanField(default=True)

    tenant_field = "service__customer"

    class Meta:
        ordering = ["service", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="port_name_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.name}"

    @property
    def speed_bps(self) -> int:
        mbps = self.speed_mbps or self.service.product.bandwidth_mbps
        return mbps * 1_000_000

    @property
    def polled(self) -> bool:
        return bool(self.is_active and self.snmp_host and self.if_index)

    def clean(self) -> None:
        """The SNMP settings the poller needs, checked for the chosen version.

        The secrets of the version not chosen (and the privacy key at authNoPriv) are cleared,
        so no unused secret stays stored.
        """
        super().clean()
        errors = snmp_credential_errors(self)
        if errors:
            raise ValidationError(errors)
        if self.snmp_version == SnmpVersion.V3:
            self.snmp_community = ""
            if self.snmp_v3_security_level == SnmpSecurityLevel.AUTH_NO_PRIV:
                self.snmp_v3_priv_key = ""
        else:
            self.snmp_v3_auth_key = self.snmp_v3_priv_key = ""


def _printable_ascii(value: str) -> bool:
    return all("!" <= character <= "~" for character in value)


def snmp_credential_errors(port: UsagePort) -> dict[str, list[str]]:
    """What is wrong with the SNMP settings of a port's chosen version, by field (empty: none).

    A port without an SNMP address is not polled and needs no credentials; a value that is
    given is checked all the same.
    """
    polled = bool(port.snmp_host)
    if port.snmp_version != SnmpVersion.V3:
        if polled and not port.snmp_community:
            return {"snmp_community": ["SNMPv2c needs a community."]}
        if not _printable_ascii(port.snmp_community):
            return {"snmp_community": ["Printable ASCII characters only, no spaces."]}
        return {}
    errors: dict[str, list[str]] = {}
    for field in ["snmp_v3_user", "snmp_v3_context"]:
        if not _printable_ascii(getattr(port, field)):
            errors[field] = ["Printable ASCII characters only, no spaces."]
    if polled and not port.snmp_v3_user:
        errors["snmp_v3_user"] = ["SNMPv3 needs a user."]
    keys = [("snmp_v3_auth_key", "auth key", "an auth key")]
    level = port.snmp_v3_security_level
    if level == SnmpSecurityLevel.AUTH_PRIV:
        keys.append(("snmp_v3_priv_key", "privacy key", "a privacy key"))
    for field, label, a_label in keys:
        value = getattr(port, field)
        if polled and not value:
            errors[field] = [f"SNMPv3 {level} needs {a_label}."]
        elif value and len(value) < SNMP_KEY_MIN_LENGTH:  # the field caps the length
            errors[field] = [
                f"An SNMPv3 {label} has at least {SNMP_KEY_MIN_LENGTH} characters (RFC 3414); "
                f"this one has {len(value)}."
            ]
        elif not _printable_ascii(value):
            errors[field] = ["Printable ASCII characters only, no spaces."]
    return errors


class UsageDay(models.Model):
    """One UTC day of a port's 5-minute rates (bit/s), packed by ``billing.buckets``."""

    port = models.ForeignKey(UsagePort, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    in_bps = models.BinaryField()
    out_bps = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["port", "day"], name="one_row_per_port_day")]

    def __str__(self) -> str:
        return f"{self.port} {self.day}"


class CounterState(models.Model):
    """The last counter reading of a port, to turn the next one into a rate."""

    port = models.OneToOneField(UsagePort, on_delete=models.CASCADE, related_name="counter")
    ts = models.BigIntegerField()
    in_octets = models.DecimalField(max_digits=20, decimal_places=0)
    out_octets = models.DecimalField(max_digits=20, decimal_places=0)

    def __str__(self) -> str:
        return f"{self.port} at {self.ts}"


class UsageBatch(models.Model):
    """What was received, as received (a file), with what became of it: kept for disputes."""

    source = models.CharField(max_length=8, choices=UsageSource.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by = models.CharField(max_length=150)
    received_at = models.DateTimeField(auto_now_add=True)
    samples = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    payload = models.FileField(
        upload_to="usage/%Y/%m/%d/",
        help_text="The payload as received (gzip-compressed once its day is over).",
    )
    payload_sha256 = models.CharField(max_length=64, help_text="Of the payload as received.")
    payload_bytes = models.PositiveIntegerField(default=0, help_text="Its size as received.")

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} batch {self.pk}"


class UsageEvent(models.Model):
    port = models.ForeignKey(UsagePort, on_delete=models.CASCADE, related_name="events")
    batch = models.ForeignKey(
        UsageBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=16, choices=UsageEventKind.choices)
    ts = models.BigIntegerField(help_text="The bucket or reading concerned, UNIX seconds.")
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    # --- i15-c begin ---
    tenant_field = "port__service__customer"
    # --- i15-c end ---

    class Meta:
        ordering = ["port", "ts", "pk"]
        indexes = [models.Index(fields=["port", "ts"])]

    def __str__(self) -> str:
        return f"{self.port} {self.kind} at {self.ts}"

    # --- i15-c begin ---
    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        """An operator sees the decisions on the services it sees (``Service``'s own rule: it
        sells them, or held a share of their route while they ran)."""
        from leasing.models import Service

        services = Service.objects.filter(Service.operator_visibility(operator)).values("pk")
        return Q(port__service__in=services)


class UsageResolution(models.Model):
    """How network staff resolved a usage conflict before its month was billed: which value
    the bucket keeps, the rates it held before and holds now, who, when and why. Written once
    (``services.usage_decisions.resolve_conflict``), never changed: the audit trail."""

    event = models.OneToOneField(UsageEvent, on_delete=models.CASCADE, related_name="resolution")
    kept = models.CharField(max_length=8, choices=ConflictChoice.choices)
    before_in_bps = models.BigIntegerField(null=True, help_text="What the bucket held before.")
    before_out_bps = models.BigIntegerField(null=True)
    in_bps = models.BigIntegerField(help_text="What the bucket holds now (bit/s).")
    out_bps = models.BigIntegerField()
    reason = models.CharField(max_length=300)
    resolved_by = models.CharField(max_length=150)
    resolved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-resolved_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} resolved ({self.kept}) by {self.resolved_by}"

    # --- i15-c end ---


class UsagePercentile(models.Model):
    """The 95th percentile of a service for a billing period, as billing uses it.

    Frozen (``frozen_at``) once an issued invoice uses it: never computed again.
    """

    service = models.ForeignKey(
        "leasing.Service", on_delete=models.PROTECT, related_name="percentiles"
    )
    period = models.CharField(max_length=7, help_text="YYYY-MM, in the billing party's time zone.")
    samples = models.PositiveIntegerField()
    missing = models.PositiveIntegerField()
    p95_in_bps = models.BigIntegerField(null=True)
    p95_out_bps = models.BigIntegerField(null=True)
    p95_sum_bps = models.BigIntegerField(null=True)
    billable_bps = models.BigIntegerField(null=True)
    rule = models.CharField(max_length=16, choices=P95Rule.choices)
    computed_at = models.DateTimeField(auto_now=True)
    frozen_at = models.DateTimeField(null=True, blank=True)

    tenant_field = "service__customer"

    class Meta:
        ordering = ["service", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "period"], name="one_p95_per_service_period"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), name="p95_period_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.period}: {self.billable_bps} bit/s"


class TaxRate(models.Model):
    """A country's VAT rate from ``valid_from`` until the day before ``valid_to`` (dated data:
    rates change, and an invoice takes the rate of its period)."""

    country = CountryField()
    rate_percent = models.DecimalField(max_digits=5, decimal_places=2)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["country", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "valid_from"], name="one_rate_per_start"),
            models.CheckConstraint(
                condition=Q(rate_percent__gte=0) & Q(rate_percent__lte=100),
                name="rate_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="tax_rate_period_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country.code} {self.rate_percent}% from {self.valid_from}"

    def clean(self) -> None:
        if not self.country or not self.valid_from:
            return
        others = TaxRate.objects.filter(country=self.country).exclude(pk=self.pk)
        others = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.valid_from))
        if self.valid_to:
            others = others.filter(valid_from__lt=self.valid_to)
        if others.exists():
            raise ValidationError(
                {"valid_from": "Another rate of this country covers these dates."}
            )


class BillingRun(models.Model):
    """The billing of one period (``YYYY-MM``): one per period, run again without billing twice."""

    period = models.CharField(max_length=7, unique=True)
    status = models.CharField(
        max_length=16, choices=BillingRunStatus.choices, default=BillingRunStatus.PENDING
    )
    requested_by = models.CharField(max_length=150)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    contracts_total = models.PositiveIntegerField(default=0)
    contracts_rated = models.PositiveIntegerField(default=0)
    lines_created = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), name="run_period_format"
            )
        ]

    def __str__(self) -> str:
        return f"Billing run {self.period} ({self.get_status_display()})"


class Invoice(models.Model):
    """One invoice per customer, billing party, period and currency: a draft until issued."""

    billing_party = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="invoices_issued"
    )
    customer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="invoices"
    )
    period = models.CharField(max_length=7)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    pdf = models.FileField(upload_to="invoices/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_field = "customer"

    class Meta:
        ordering = ["-period", "billing_party", "customer"]
        constraints = [
            models.UniqueConstraint(
                fields=["billing_party", "customer", "period", "currency"],
                name="one_invoice_per_party_customer_period_currency",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"draft {self.pk} ({self.period})"

    @property
    def is_draft(self) -> bool:
        """Still a draft (for templates, which cannot name ``InvoiceStatus.DRAFT``)."""
        return self.status == InvoiceStatus.DRAFT

    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        """An operator sees the invoices it issues, and those it shares revenue in."""
        return Q(billing_party=operator) | Q(lines__allocations__operator=operator)


class InvoiceTransition(models.Model):
    """One step of an invoice's lifecycle: who moved it from which state to which, when, why."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=InvoiceStatus.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=InvoiceStatus.choices)
    by = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invoice", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state or 'new'} -> {self.to_state} by {self.by}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    contract = models.ForeignKey(
        "leasing.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(max_digits=16, decimal_places=4)
    amount = models.DecimalField(max_digits=16, decimal_places=2, help_text="Net, rounded once.")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=16, decimal_places=2)
    tax_note = models.CharField(max_length=200, blank=True)
    service_date = models.DateField(help_text="The first day the line bills.")
    service_until = models.DateField(
        null=True,
        blank=True,
        help_text="The last day the line bills (its revenue is split by each day's owners); "
        "empty: the first day only.",
    )
    path = models.ForeignKey(
        "leasing.Path", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        "leasing.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_key = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text="What the line bills (contract, period, charge): billing it twice is impossible.",
    )
    added_by = models.CharField(
        max_length=150, blank=True, help_text="Who added the line by hand (manual lines only)."
    )

    class Meta:
        ordering = ["invoice", "pk"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class LineAllocation(models.Model):
    """An operator's part of a line's net amount."""

    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="allocations")
    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["line", "operator"]
        constraints = [
            models.UniqueConstraint(fields=["line", "operator"], name="one_part_per_operator")
        ]

    def __str__(self) -> str:
        return f"{self.operator}: {self.amount}"


class RemovedLine(models.Model):
    """A line finance staff took off a draft, with why: a rerun of the period does not bill it
    again, because its ``source_key`` stays taken here, also once the draft itself is deleted
    (the row then belongs to the ``DeletedDraft``)."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="removed_lines"
    )
    deleted_draft = models.ForeignKey(
        "DeletedDraft",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="removed_lines",
        help_text="The deleted draft the line had been removed from.",
    )
    source_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    reason = models.CharField(max_length=300)
    removed_by = models.CharField(max_length=150)
    removed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "removed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.description} removed: {self.reason}"


class DeletedDraft(models.Model):
    """What a draft invoice was when finance staff deleted it, and why.

    Deleting a draft releases the ``source_key`` of each of its lines: a rerun of the period
    bills them again, into a new draft ("redo a run"). A line removed from the draft before
    (``RemovedLine``) stays removed: its key stays taken.
    """

    invoice_id = models.BigIntegerField(help_text="The id the draft had.")
    billing_party = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(max_length=7)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=16, decimal_places=2)
    tax = models.DecimalField(max_digits=16, decimal_places=2)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    lines = models.JSONField(
        default=list, help_text="Each line as it was: kind, description, amounts, source key."
    )
    reason = models.CharField(max_length=300)
    deleted_by = models.CharField(max_length=150)
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-deleted_at", "-pk"]

    def __str__(self) -> str:
        return f"Draft {self.invoice_id} ({self.period}) deleted: {self.reason}"


class InvoiceSequence(models.Model):
    """The last invoice number a billing party gave in a year: numbers are gapless because the
    next one is taken under this row's lock, in the issuing transaction."""

    billing_party = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    series = models.CharField(
        max_length=8,
        choices=NumberSeries.choices,
        default=NumberSeries.INVOICE,
    )
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["billing_party", "year", "series"], name="one_sequence_per_series_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.billing_party} {self.series} {self.year}: {self.last_number}"


class CreditNote(models.Model):
    """A correction of an issued invoice: amounts of its lines given back, with the reason.
    Issued when created (its own gapless sequence) and never changed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=32, unique=True)
    reason = models.CharField(max_length=300)
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=150)
    pdf = models.FileField(upload_to="credit-notes/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    tenant_field = "invoice__customer"

    class Meta:
        ordering = ["invoice", "issued_at", "pk"]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        return Q(invoice__billing_party=operator) | Q(
            invoice__lines__allocations__operator=operator
        )


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="credits")
    amount = models.DecimalField(max_digits=16, decimal_places=2, help_text="Net credited.")
    tax_amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["credit_note", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_line.description}: -{self.amount}"


class CreditAllocation(models.Model):
    """An operator's part of a credited amount (taken back from its revenue)."""

    line = models.ForeignKey(CreditNoteLine, on_delete=models.CASCADE, related_name="allocations")
    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["line", "operator"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "operator"], name="one_credit_part_per_operator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator}: -{self.amount}"


class Payment(models.Model):
    """Money received against an issued invoice (in its currency)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    received_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.received_on} for {self.invoice}"

    @property
    def is_reversed(self) -> bool:
        """Whether the payment was taken back (select ``reversal`` with it to ask in a loop)."""
        return hasattr(self, "reversal")


class PeriodClose(models.Model):
    """A billing party's month closed by its finance staff: the figures its invoices used (95ths,
    uptimes, revenue splits, settlement) are frozen and stored here and in the rows they
    point to; data that arrives later becomes a late adjustment, never a change."""

    period = models.CharField(max_length=7)
    billing_party = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.CharField(max_length=150)
    settlement = models.JSONField(
        default=list, help_text="The settlement statements of the party's pairs, as closed."
    )

    class Meta:
        ordering = ["-period", "billing_party"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "billing_party"], name="one_close_per_party_period"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                name="close_period_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.billing_party} {self.period} closed"


class ServiceUptime(models.Model):
    """A lease's uptime in a period (% of the time it ran) as billing used it (its SLA credit
    comes from it); frozen with the issued invoice or the closed period, never computed again.
    (Uptime, not "availability": in leasing that word means free capacity.)"""

    contract = models.ForeignKey(
        "leasing.Contract", on_delete=models.PROTECT, related_name="uptimes"
    )
    period = models.CharField(max_length=7)
    uptime = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, help_text="%, empty: no path to be down on."
    )
    computed_at = models.DateTimeField(default=timezone.now)
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period"], name="one_uptime_per_contract_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract} {self.period}: {self.uptime}%"


class LateAdjustment(models.Model):
    """Data that arrived for a month whose figures are frozen (usage, an outage): what it would
    change, until finance bills it with a debit note (or gives it back with a credit note) or
    dismisses it with a reason."""

    contract = models.ForeignKey(
        "leasing.Contract", on_delete=models.PROTECT, related_name="late_adjustments"
    )
    period = models.CharField(max_length=7)
    kind = models.CharField(max_length=8, choices=LateKind.choices)
    status = models.CharField(max_length=10, choices=LateStatus.choices, default=LateStatus.OPEN)
    billed_value = models.DecimalField(
        max_digits=20, decimal_places=3, null=True, help_text="The frozen figure."
    )
    current_value = models.DecimalField(
        max_digits=20, decimal_places=3, null=True, help_text="The figure from today's data."
    )
    amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        help_text="Net: what billing today's figure would add (negative: give back).",
    )
    currency = models.CharField(max_length=3)
    detected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    debit_note = models.ForeignKey(
        "DebitNote", on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )
    credit_note = models.ForeignKey(
        "CreditNote", on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )

    tenant_field = "contract__customer"

    class Meta:
        ordering = ["-detected_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period", "kind"],
                condition=Q(status=LateStatus.OPEN),
                name="one_open_adjustment_per_contract_period_kind",
            )
        ]

    def __str__(self) -> str:
        return f"Late {self.kind} {self.contract} {self.period}: {self.amount} {self.currency}"

    def _label(self, value: Decimal | None) -> str:
        if value is None:
            return "—"
        if self.kind == LateKind.USAGE:
            return format_bitrate(value)
        return f"{value.normalize():f}%"

    @property
    def billed_label(self) -> str:
        """The billed figure as people read it (2.5 Gbit/s, 99.5%)."""
        return self._label(self.billed_value)

    @property
    def current_label(self) -> str:
        return self._label(self.current_value)


class DebitNote(models.Model):
    """An invoice for a difference found after a month was billed (late usage, a corrected
    outage): its own gapless sequence, issued when created and never changed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="debit_notes")
    number = models.CharField(max_length=32, unique=True)
    reason = models.CharField(max_length=300)
    issued_at = models.DateTimeField()
    issued_by = models.CharField(max_length=150)
    due_date = models.DateField()
    pdf = models.FileField(upload_to="debit-notes/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    tenant_field = "invoice__customer"

    class Meta:
        ordering = ["invoice", "issued_at", "pk"]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        return Q(invoice__billing_party=operator) | Q(lines__allocations__operator=operator)


class DebitNoteLine(models.Model):
    debit_note = models.ForeignKey(DebitNote, on_delete=models.CASCADE, related_name="lines")
    contract = models.ForeignKey(
        "leasing.Contract", on_delete=models.PROTECT, related_name="debit_lines"
    )
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=16, decimal_places=2, help_text="Net.")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=16, decimal_places=2)
    tax_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["debit_note", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="debit_positive")]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class DebitAllocation(models.Model):
    """An operator's part of a debited amount (added to its revenue)."""

    line = models.ForeignKey(DebitNoteLine, on_delete=models.CASCADE, related_name="allocations")
    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["line", "operator"]
        constraints = [
            models.UniqueConstraint(fields=["line", "operator"], name="one_debit_part_per_operator")
        ]

    def __str__(self) -> str:
        return f"{self.operator}: +{self.amount}"


class PaymentReversal(models.Model):
    """A payment recorded in error, taken back: who, when and why. A row of its own, so the
    payment is never edited: it stays listed, as reversed, and no longer counts as paid."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal")
    reason = models.CharField(max_length=300)
    reversed_by = models.CharField(max_length=150)
    reversed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reversed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment} reversed by {self.reversed_by}: {self.reason}"
