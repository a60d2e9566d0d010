from django.db import models


class UsageSource(models.TextChoices):
    API = "api", "API"
    CSV = "csv", "CSV file"
    SNMP = "snmp", "SNMP poller"


class SampleStatus(models.TextChoices):
    """What ingest made of a sample, in the three counts of API v1 (``SampleDecision`` says
    exactly what)."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class SampleDecision(models.TextChoices):
    """Exactly what ingest decided for a sample; each falls under one ``SampleStatus``."""

    ACCEPTED = "accepted", "Stored as sent"
    CAPPED = "capped", "Above the port's speed: stored capped at it"
    DUPLICATE = "duplicate", "The bucket already holds this value: nothing changed"
    CONFLICT = "conflict", "The bucket already holds another value: refused, recorded"
    BASELINE = "baseline", "A counter's first reading (or the first after a gap): nothing billed"
    RESET = "reset", "The counter was reset: the interval is not billed"
    LATE = "late", "Stored in a month already closed: billed only by a late adjustment"
    REJECTED = "rejected", "Refused: the reason says why"

    @property
    def status(self) -> SampleStatus:
        if self == SampleDecision.DUPLICATE:
            return SampleStatus.DUPLICATE
        if self in (SampleDecision.CONFLICT, SampleDecision.REJECTED):
            return SampleStatus.REJECTED
        return SampleStatus.ACCEPTED


class UsageEventKind(models.TextChoices):
    """Decisions taken on incoming usage, kept so a dispute can be answered."""

    CONFLICT = "conflict", "A different value for a bucket already stored (refused)"
    RESET = "reset", "Counter reset: interval discarded"
    WRAP = "wrap", "32-bit counter wrap: interval counted"
    CLAMP = "clamp", "Rate above the port speed: clamped"
    GAP = "gap", "Readings too far apart: buckets left missing"
    OUT_OF_ORDER = "out_of_order", "Reading older than the last one: ignored"
    POLL_FAILED = "poll_failed", "The router did not answer the poller: bucket left missing"


# --- i15-c begin ---
class ConflictChoice(models.TextChoices):
    """Which value a resolved usage conflict's bucket keeps."""

    STORED = "stored", "Keep the value stored"
    RECEIVED = "received", "Take the value received"


# --- i15-c end ---


class BillingRunStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class InvoiceStatus(models.TextChoices):
    """An invoice's lifecycle (``billing.invoice_lifecycle``). The API's ``status`` keeps the
    contract's four values (a partially paid invoice is ``issued`` there); ``state`` has all."""

    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


#: The four values of an invoice's ``status`` in API v1 (api-contract.md): a partially paid
#: invoice is ``issued`` there; its ``state`` has every value of ``InvoiceStatus``.
CONTRACT_INVOICE_STATUSES = [
    (InvoiceStatus.DRAFT.value, InvoiceStatus.DRAFT.label),
    (InvoiceStatus.ISSUED.value, InvoiceStatus.ISSUED.label),
    (InvoiceStatus.PAID.value, InvoiceStatus.PAID.label),
    (InvoiceStatus.VOID.value, InvoiceStatus.VOID.label),
]

#: Issued invoices on which money is still owed (payments and credit notes apply to them).
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class NumberSeries(models.TextChoices):
    """A billing party's gapless yearly number series: one per kind of document."""

    INVOICE = "invoice", "Invoices"
    CREDIT = "credit", "Credit notes"
    DEBIT = "debit", "Debit notes"


class LineKind(models.TextChoices):
    MRC = "mrc", "Monthly recurring charge"
    NRC = "nrc", "One-off charge"
    IRU_INSTALLMENT = "iru_installment", "IRU installment"
    OM_FEE = "om_fee", "Annual O&M fee"
    TRANSIT_COMMIT = "transit_commit", "Transit commit"
    TRANSIT_BURST = "transit_burst", "Transit burst (95th percentile)"
    SLA_CREDIT = "sla_credit", "SLA credit"
    MANUAL = "manual", "Manual line"


class LateKind(models.TextChoices):
    """What arrived after a month's figures were frozen."""

    USAGE = "usage", "Usage (the 95th percentile)"
    OUTAGE = "outage", "Outage (the availability)"


class LateStatus(models.TextChoices):
    OPEN = "open", "To decide"
    BILLED = "billed", "Billed (by a debit or a credit note)"
    DISMISSED = "dismissed", "Dismissed"


class SnmpVersion(models.TextChoices):
    """How the poller speaks to a port's router."""

    V2C = "v2c", "SNMPv2c (community)"
    V3 = "v3", "SNMPv3 (user-based security)"


class SnmpSecurityLevel(models.TextChoices):
    """SNMPv3 security levels the poller offers (noAuthNoPriv is no better than v2c)."""

    AUTH_PRIV = "authPriv", "authPriv: authenticated and encrypted"
    AUTH_NO_PRIV = "authNoPriv", "authNoPriv: authenticated, not encrypted"


class SnmpAuthProtocol(models.TextChoices):
    """SNMPv3 authentication (HMAC) protocols: RFC 3414 (SHA-1) and RFC 7860 (SHA-2)."""

    SHA = "sha", "SHA (HMAC-SHA-96)"
    SHA224 = "sha224", "SHA-224 (HMAC-128-SHA-224)"
    SHA256 = "sha256", "SHA-256 (HMAC-192-SHA-256)"
    SHA384 = "sha384", "SHA-384 (HMAC-256-SHA-384)"
    SHA512 = "sha512", "SHA-512 (HMAC-384-SHA-512)"


class SnmpPrivProtocol(models.TextChoices):
    """SNMPv3 privacy protocols: AES-128 (RFC 3826) and the longer AES keys of the two drafts
    vendors use: the Blumenthal key extension (Net-SNMP's AES-192/AES-256) and the Reeder one
    (Cisco's, Net-SNMP's AES-192-C/AES-256-C)."""

    AES128 = "aes128", "AES-128 (RFC 3826)"
    AES192 = "aes192", "AES-192 (Blumenthal key extension)"
    AES256 = "aes256", "AES-256 (Blumenthal key extension)"
    AES192C = "aes192c", "AES-192-C (Reeder key extension, Cisco)"
    AES256C = "aes256c", "AES-256-C (Reeder key extension, Cisco)"
