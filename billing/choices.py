from django.db import models


class UsageSource(models.TextChoices):
    API = "api", "API"
    CSV = "csv", "CSV file"
    SNMP = "snmp", "SNMP poller"


class UsageEventKind(models.TextChoices):
    """Decisions taken on incoming usage, kept so a dispute can be answered."""

    CONFLICT = "conflict", "A different value for a bucket already stored (refused)"
    RESET = "reset", "Counter reset: interval discarded"
    WRAP = "wrap", "32-bit counter wrap: interval counted"
    CLAMP = "clamp", "Rate above the port speed: clamped"
    GAP = "gap", "Readings too far apart: buckets left missing"
    OUT_OF_ORDER = "out_of_order", "Reading older than the last one: ignored"
    POLL_FAILED = "poll_failed", "The router did not answer the poller: bucket left missing"
