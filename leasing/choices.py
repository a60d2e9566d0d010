from django.db import models


class SiteKind(models.TextChoices):
    POP = "pop", "Point of presence"
    CLS = "cls", "Cable landing station"


class SegmentMedium(models.TextChoices):
    SUBSEA = "subsea", "Subsea"
    TERRESTRIAL = "terrestrial", "Terrestrial"


class GridType(models.TextChoices):
    """DWDM channel plans on the ITU-T G.694.1 C-band grid."""

    FIXED_50 = "fixed_50", "Fixed grid, 50 GHz"
    FIXED_100 = "fixed_100", "Fixed grid, 100 GHz"
    FLEX = "flex", "Flexible grid, 12.5 GHz slots"


# How many 12.5 GHz slots one step of each grid is.
GRID_SLOTS: dict[str, int] = {GridType.FIXED_50: 4, GridType.FIXED_100: 8, GridType.FLEX: 1}


class ProductKind(models.TextChoices):
    WAVELENGTH = "wavelength", "Wavelength"
    ETHERNET = "ethernet", "Ethernet private line"
    TRANSIT = "transit", "IP transit"


class CommercialForm(models.TextChoices):
    LEASE = "lease", "Lease (MRC + NRC)"
    IRU = "iru", "IRU (upfront price + annual O&M)"
    USAGE = "usage", "Usage based (commit + burst)"


LEASE_TERMS = (12, 36, 60)
IRU_TERMS = (120, 180, 240, 300)


class AllocationStatus(models.TextChoices):
    HELD = "held", "Reserved"
    ACTIVE = "active", "In service"
    RELEASED = "released", "Released"


class SpectrumState(models.TextChoices):
    """What the spectrum map shows for a slot."""

    FREE = "free", "Free"
    RESERVED = "reserved", "Reserved"
    IN_SERVICE = "in_service", "In service"
    OUTSIDE = "outside", "Outside the usable band"


class OrderState(models.TextChoices):
    """The states of an order, as MEF LSO Sonata and TMF622 name them."""

    SUBMITTED = "submitted", "Submitted"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class NoteVisibility(models.TextChoices):
    """Who reads a note on an order's history: chosen when it is written."""

    INTERNAL = "internal", "Internal (operators only)"
    CUSTOMER = "customer", "Visible to the customer"


OPEN_ORDER_STATES = (OrderState.SUBMITTED, OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS)


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class ServiceAction(models.TextChoices):
    """The steps of a service's life (``leasing.service_lifecycle``), as its history names them."""

    ACTIVATE = "activate", "Ready for service"
    SUSPEND = "suspend", "Suspended"
    RESUME = "resume", "Resumed"
    TERMINATE = "terminate", "Termination set"
    CLOSE = "close", "Terminated on its end date"
    CHANGE_END = "change_end", "End date changed"


class P95Rule(models.TextChoices):
    """How a burstable service's 95th percentile is taken (domain.md section 5)."""

    GREATER_OF = "greater_of", "Greater of inbound and outbound 95th"
    SUM = "sum", "95th of inbound + outbound per bucket"


class OutageAction(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    ENDED = "ended", "Ended"
    CORRECTED = "corrected", "Corrected"


class MaintenanceImpact(models.TextChoices):
    """What the customers of an affected service should expect during the window."""

    LOSS_OF_SERVICE = "loss_of_service", "Loss of service"
    DEGRADED = "degraded", "Degraded service"
    AT_RISK = "at_risk", "At risk (no loss expected)"


class MaintenanceStatus(models.TextChoices):
    """The states of planned maintenance (``leasing.maintenance_lifecycle``)."""

    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class MaintenanceAction(models.TextChoices):
    """The steps of a maintenance's history."""

    SCHEDULED = "scheduled", "Scheduled"
    UPDATED = "updated", "Updated"
    CANCELLED = "cancelled", "Cancelled"
    REMINDED = "reminded", "Reminder sent"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"


# Trouble tickets: the values of MEF LSO Sonata's Trouble Ticket API (MEF W124 / MEF 113:
# ``TroubleTicketStatusType``, ``TroubleTicketSeverityType``, ``TroubleTicketPriorityType``,
# ``MEFObservedImpactType``), in our API's snake_case.
class TicketStatus(models.TextChoices):
    # Sonata's ``acknowledged`` is the API's value; people read "Received": the ticket has
    # reached the operators, and nobody has started on it yet.
    ACKNOWLEDGED = "acknowledged", "Received"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING = "pending", "Pending (waiting for the customer)"
    HELD = "held", "Held"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    CANCELLED = "cancelled", "Cancelled"


#: Tickets still being worked (the operators' queue shows these first).
OPEN_TICKET_STATUSES = (
    TicketStatus.ACKNOWLEDGED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.PENDING,
    TicketStatus.HELD,
    TicketStatus.REOPENED,
)


class TicketSeverity(models.TextChoices):
    """How much of the service the fault takes away, as the customer judges it."""

    MINOR = "minor", "Minor"
    MODERATE = "moderate", "Moderate"
    SIGNIFICANT = "significant", "Significant"
    EXTENSIVE = "extensive", "Extensive"


#: Most severe first, for the operators' queue.
SEVERITY_RANK = {
    TicketSeverity.EXTENSIVE: 0,
    TicketSeverity.SIGNIFICANT: 1,
    TicketSeverity.MODERATE: 2,
    TicketSeverity.MINOR: 3,
}


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ObservedImpact(models.TextChoices):
    DEGRADED = "degraded", "Degraded (not meeting its specification)"
    INTERMITTENT = "intermittent", "Intermittent"
    DOWN = "down", "Down"


#: Sonata's ``RelatedContactInformation.role`` of the contact a customer gives on a ticket.
TICKET_CONTACT_ROLES = [("reporter_contact", "The customer's contact for the ticket")]
