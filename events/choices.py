from django.db import models


class EventType(models.TextChoices):
    """What a partner may be told. The value is the ``type`` of the event's JSON, a promise to
    integrators: add types, never rename one."""

    ORDER_STATE_CHANGED = "order.state_changed", "An order changed state"
    SERVICE_ACTIVATED = "service.activated", "A service was activated"
    SERVICE_SUSPENDED = "service.suspended", "A service was suspended"
    SERVICE_RESUMED = "service.resumed", "A service was resumed"
    SERVICE_TERMINATED = "service.terminated", "A service was terminated"
    SERVICE_CLOSED = "service.closed", "A service reached its end date"
    SERVICE_END_CHANGED = (
        "service.end_changed",
        "A service's end date was moved or withdrawn before it came",
    )
    INVOICE_ISSUED = "invoice.issued", "An invoice was issued"
    CREDIT_NOTE_ISSUED = "credit_note.issued", "A credit note was issued"
    DEBIT_NOTE_ISSUED = "debit_note.issued", "A debit note was issued"
    PAYMENT_RECORDED = "payment.recorded", "A payment was recorded"
    PAYMENT_REVERSED = "payment.reversed", "A payment was reversed"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", "Maintenance was scheduled"
    MAINTENANCE_UPDATED = "maintenance.updated", "Scheduled maintenance changed"
    MAINTENANCE_CANCELLED = "maintenance.cancelled", "Scheduled maintenance was cancelled"
    MAINTENANCE_REMINDER = "maintenance.reminder", "Maintenance starts within a day"
    MAINTENANCE_STARTED = "maintenance.started", "Maintenance started"
    MAINTENANCE_COMPLETED = "maintenance.completed", "Maintenance ended"
    OUTAGE_STARTED = "outage.started", "An outage affecting a service started"
    OUTAGE_ENDED = "outage.ended", "An outage affecting a service ended"
    OUTAGE_CORRECTED = "outage.corrected", "An outage's times were corrected"
    TICKET_CREATED = "ticket.created", "A trouble ticket was opened"
    TICKET_UPDATED = "ticket.updated", "A trouble ticket changed (state, fields or a note)"
    USAGE_LATE = "usage.late", "Usage arrived for a month already billed"
    WEBHOOK_DISABLED = "webhook.disabled", "A webhook subscription was disabled after failures"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (retries exhausted)"
