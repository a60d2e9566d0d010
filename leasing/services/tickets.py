"""Trouble tickets: a customer reports a fault on its service; the network staff of the
operators that own the service's route work it; the customer confirms or reopens.

Who takes which step:

- the customer (its admins and members, ``PLACE_ORDERS``) opens a ticket on its own active or
  suspended service, adds notes, confirms a resolution (``close``), ``reopen``s it, or
  ``cancel``s it before it is resolved;
- network staff (``PROVISION_ORDERS``, the capability that already works customers' orders and
  services; inventory and outages are ``MANAGE_INVENTORY``'s) of an operator that owns a share
  of the service's route today ``acknowledge`` it (start work), put it ``pending`` (waiting for
  the customer) or on hold (``held``), set it back in ``progress``, ``resolve`` it (a
  resolution is required), add notes (internal or for the customer) and link it to an outage
  of a segment of the service's path;
- platform admins may do either side's steps; a task closes a ticket left resolved for
  ``TCFO_TICKET_AUTO_CLOSE_DAYS`` (``close_resolved_tickets``).

Every change is recorded (``TicketChange``), e-mailed after the commit and written as an event
(``ticket.created`` / ``ticket.updated``) in the same transaction, to the customer and to the
owning operators. An internal note reaches operators only: never the customer's e-mail, event,
API answer or page.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from events.choices import EventType
from events.services.outbox import record_event, record_events, utc_iso
from organisations.access import (
    Actor,
    SystemActor,
    describe_actor,
    has_capability,
    is_platform_admin,
)
from organisations.choices import Capability, Role
from organisations.emails import queue_email
from organisations.models import Organisation, User
from organisations.selectors import consortium_operators
from tcfo_portal.exceptions import DomainError, InvalidTransition

from .. import ticket_lifecycle
from ..choices import (
    NoteVisibility,
    ObservedImpact,
    ServiceStatus,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
)
from ..constants import NOTE_MAX_LENGTH
from ..exceptions import NotPermitted
from ..models import (
    Outage,
    OwnershipShare,
    PathSegment,
    SegmentOwnership,
    Service,
    Site,
    TicketChange,
    TroubleTicket,
)
from ..selectors import outages_for

DESCRIPTION_MAX = 4000
EXTERNAL_ID_MAX = 100
CONTACT_NAME_MAX = 150
CONTACT_PHONE_MAX = 40

CUSTOMER, OPERATOR = "customer", "operator"

#: The steps of the ticket's life: step -> (whose, the status it leads to). ``acknowledge``
#: starts the work on a new ticket; ``progress`` takes it up again after a wait or a reopening.
STEPS: dict[str, tuple[str, str]] = {
    "acknowledge": (OPERATOR, TicketStatus.IN_PROGRESS),
    "progress": (OPERATOR, TicketStatus.IN_PROGRESS),
    "pending": (OPERATOR, TicketStatus.PENDING),
    "hold": (OPERATOR, TicketStatus.HELD),
    "resolve": (OPERATOR, TicketStatus.RESOLVED),
    "close": (CUSTOMER, TicketStatus.CLOSED),
    "reopen": (CUSTOMER, TicketStatus.REOPENED),
    "cancel": (CUSTOMER, TicketStatus.CANCELLED),
}
#: ``acknowledge`` is the first step only, ``progress`` never is.
_FROM_ACKNOWLEDGED_ONLY = {"acknowledge"}

STEP_LABELS = {
    "acknowledge": "Start work",
    "progress": "Back in progress",
    "pending": "Waiting for the customer",
    "hold": "Put on hold",
    "resolve": "Resolve",
    "close": "Confirm the fault is gone",
    "reopen": "Reopen",
    "cancel": "Cancel the ticket",
}

#: Without a priority of its own, a ticket's follows its severity.
DEFAULT_PRIORITY = {
    TicketSeverity.EXTENSIVE: TicketPriority.CRITICAL,
    TicketSeverity.SIGNIFICANT: TicketPriority.HIGH,
    TicketSeverity.MODERATE: TicketPriority.MEDIUM,
    TicketSeverity.MINOR: TicketPriority.LOW,
}

#: The job that closes tickets left resolved, as their histories name it.
TICKET_CLOSER = SystemActor(
    organisation=None, role=Role.PLATFORM_ADMIN, label="ticket closing task"
)


# --- who ------------------------------------------------------------------------------------------


def owning_operators(service: Service) -> list[Organisation]:
    """The operators that own a share of ``service``'s route today (a segment of its path, or
    the site it is at): who works its tickets. One query."""
    today = timezone.localdate()
    in_force = (
        SegmentOwnership.objects.filter(segment=OuterRef("segment"), valid_from__lte=today)
        .order_by("-valid_from")
        .values("pk")[:1]
    )
    holders = OwnershipShare.objects.filter(
        ownership__in=SegmentOwnership.objects.filter(
            pk=Subquery(in_force),
            segment__in=PathSegment.objects.filter(path=service.path_id).values("segment_id"),
        )
    ).values("operator_id")
    at_site = Site.objects.filter(pk=service.site_id).values("operator_id")
    return list(
        consortium_operators().filter(Q(pk__in=holders) | Q(pk__in=at_site)).order_by("name", "pk")
    )


def sides(ticket: TroubleTicket, actor: Actor | None) -> frozenset[str]:
    """The sides of ``ticket`` ``actor`` may act for: its customer's people, the owning
    operators' network staff, or (platform admins) both."""
    if is_platform_admin(actor):
        return frozenset({CUSTOMER, OPERATOR})
    organisation = getattr(actor, "organisation", None)
    if organisation is None:
        return frozenset()
    if organisation.pk == ticket.customer_id and has_capability(actor, Capability.PLACE_ORDERS):
        return frozenset({CUSTOMER})
    if (
        organisation.is_operator
        and has_capability(actor, Capability.PROVISION_ORDERS)
        and TroubleTicket.objects.filter(pk=ticket.pk)
        .filter(TroubleTicket.operator_visibility(organisation))
        .exists()
    ):
        return frozenset({OPERATOR})
    return frozenset()


def _refuse_unless(ticket: TroubleTicket, actor: Actor | None, side: str) -> None:
    if side not in sides(ticket, actor):
        if side == CUSTOMER:
            raise NotPermitted("Only the customer that opened the ticket takes this step.")
        raise NotPermitted(
            "Your role does not allow this: the network staff of the operators that own the "
            "service's route work its tickets."
        )


def refusal(ticket: TroubleTicket, step: str) -> str | None:
    """Why ``ticket``'s status does not allow ``step`` now, or None when it does."""
    _, leads_to = STEPS[step]
    status = TicketStatus(ticket.status)
    if step in _FROM_ACKNOWLEDGED_ONLY and status != TicketStatus.ACKNOWLEDGED:
        return f"Work starts only on a new ticket; this one is {status.label.lower()}."
    if step == "progress" and status == TicketStatus.ACKNOWLEDGED:
        return "A new ticket is taken up with “Start work”."
    if leads_to not in ticket_lifecycle.ALLOWED[status]:
        return (
            f"A ticket that is {status.label.lower()} cannot become "
            f"{TicketStatus(leads_to).label.lower()}."
        )
    return None


def allowed_steps(ticket: TroubleTicket, actor: Actor | None) -> list[str]:
    """The steps ``actor`` may take on ``ticket`` now, in the order the portal shows them.
    Callers looked the ticket up through ``tickets_for`` first (another's is a 404)."""
    held = sides(ticket, actor)
    return [s for s, (side, _) in STEPS.items() if side in held and refusal(ticket, s) is None]


def may_add_notes(ticket: TroubleTicket, actor: Actor | None) -> bool:
    return bool(sides(ticket, actor)) and ticket.status not in FINAL


FINAL = (TicketStatus.CLOSED, TicketStatus.CANCELLED)


# --- telling people -------------------------------------------------------------------------------


def ticket_data(ticket: TroubleTicket, change: TicketChange, *, internal: bool) -> dict[str, Any]:
    """What an event says: the ticket in the API's field names, and the change (its note only
    for operators, or when written for the customer). A step whose note the reader may not
    read, or with no note, says ``"note": null, "note_visibility": null``."""
    readable = internal or change.note_visibility == NoteVisibility.CUSTOMER
    note = change.note if readable and change.note else None
    return {
        "id": ticket.pk,
        "circuit_id": ticket.service.circuit_id,
        "external_id": ticket.external_id or None,
        "status": ticket.status,
        "severity": ticket.severity,
        "priority": ticket.priority,
        "observed_impact": ticket.observed_impact,
        "status_change_reason": ticket.status_change_reason or None,
        "status_change_date": utc_iso(ticket.status_change_date),
        "resolution": ticket.resolution or None,
        "resolution_date": utc_iso(ticket.resolution_date),
        "outage": ticket.outage_id,
        "creation_date": utc_iso(ticket.creation_date),
        "last_update": utc_iso(ticket.last_update),
        "change": {
            "from_status": change.from_status or None,
            "to_status": change.to_status,
            "by": change.by,
            "note": note,
            "note_visibility": change.note_visibility if note is not None else None,
            "at": utc_iso(change.at),
        },
        "url": reverse("v1:trouble-ticket-detail", args=[ticket.pk]),
    }


def customer_contacts(ticket: TroubleTicket) -> list[str]:
    """The ticket's contact and the e-mail of each active user of the customer."""
    users = ticket.customer.users.filter(is_active=True).exclude(email="")
    return sorted({ticket.contact_email, *users.values_list("email", flat=True)} - {""})


def network_staff(operators: Iterable[Organisation]) -> list[str]:
    staff = User.objects.filter(
        organisation__in=list(operators), role=Role.OPERATOR_NETWORK, is_active=True
    ).exclude(email="")
    return sorted(set(staff.values_list("email", flat=True)))


def _mail(to: list[str], ticket: TroubleTicket, change: TicketChange, *, note: str) -> None:
    if not to:
        return
    context = {
        "ticket": ticket,
        "change": change,
        "note": note,
        "opened": not change.from_status,
        "moved": change.from_status and change.from_status != change.to_status,
        "show_outage": True,
    }
    queue_email(
        to=to,
        subject=render_to_string("leasing/email/ticket_subject.txt", context),
        body=render_to_string("leasing/email/ticket.txt", context),
    )


def _tell(ticket: TroubleTicket, change: TicketChange, *, by_customer: bool) -> None:
    """E-mail (after the commit) and write the events of ``change`` (in this transaction).

    The customer hears of every change but an internal note alone, and never reads an internal
    note; the owning operators get every change as an event, and their network staff an e-mail
    for what the customer did (opened, reopened, closed, cancelled, wrote)."""
    internal_note = change.note_visibility == NoteVisibility.INTERNAL
    note_only = change.from_status == change.to_status
    opened = not change.from_status
    kind = EventType.TICKET_CREATED if opened else EventType.TICKET_UPDATED
    operators = owning_operators(ticket.service)
    if not (internal_note and note_only):
        _mail(customer_contacts(ticket), ticket, change, note="" if internal_note else change.note)
        record_event(
            type=kind,
            organisation=ticket.customer,
            subject_type="trouble_ticket",
            subject_id=ticket.pk,
            data=ticket_data(ticket, change, internal=False),
        )
    if operators:
        record_events(
            type=kind,
            organisations=operators,
            subject_type="trouble_ticket",
            subject_id=ticket.pk,
            data=ticket_data(ticket, change, internal=True),
        )
        if by_customer:
            _mail(network_staff(operators), ticket, change, note=change.note)


# --- opening --------------------------------------------------------------------------------------


def _choice(errors: dict, name: str, value: str, choices: type) -> None:
    if value not in choices.values:
        errors[name] = [f"One of {', '.join(choices.values)}."]


@transaction.atomic
def open_ticket(
    *,
    service: Service,
    actor: Actor | None,
    severity: str,
    observed_impact: str,
    description: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    priority: str | None = None,
    external_id: str = "",
    issue_start_date: datetime.datetime | None = None,
) -> TroubleTicket:
    """Open a ticket on ``service`` for its customer, ``acknowledged`` at once (Sonata's seller
    answers a create with an acknowledged ticket). ``actor`` is one of the customer's people
    (or a platform admin); the service is active or suspended. Without a ``priority`` the
    ticket takes its severity's (``DEFAULT_PRIORITY``). Raises ``NotPermitted`` (403), or
    ``DomainError`` naming each field that is wrong."""
    service = Service.objects.select_related("customer", "path", "site").get(pk=service.pk)
    is_customer = getattr(actor, "organisation", None) == service.customer and has_capability(
        actor, Capability.PLACE_ORDERS
    )
    if not (is_customer or is_platform_admin(actor)):
        raise NotPermitted("Only the service's customer reports a fault on it.")
    if service.status == ServiceStatus.TERMINATED:
        raise DomainError(
            f"{service.circuit_id} is terminated: a ticket is opened on an active or suspended "
            "service.",
            errors={"service": ["The service is terminated."]},
        )
    errors: dict[str, list[str]] = {}
    _choice(errors, "severity", severity, TicketSeverity)
    _choice(errors, "observed_impact", observed_impact, ObservedImpact)
    if priority:
        _choice(errors, "priority", priority, TicketPriority)
    description = (description or "").strip()
    if not description:
        errors["description"] = ["Describe the fault: what you see, since when, where."]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"At most {DESCRIPTION_MAX} characters."]
    contact_name = (contact_name or "").strip()
    if not contact_name:
        errors["contact_name"] = ["Who should the operator talk to?"]
    elif len(contact_name) > CONTACT_NAME_MAX:
        errors["contact_name"] = [f"At most {CONTACT_NAME_MAX} characters."]
    contact_email = (contact_email or "").strip()
    try:
        validate_email(contact_email)
    except ValidationError:
        errors["contact_email"] = ["An e-mail address where the operator reaches the contact."]
    if len(contact_phone or "") > CONTACT_PHONE_MAX:
        errors["contact_phone"] = [f"At most {CONTACT_PHONE_MAX} characters."]
    if len(external_id or "") > EXTERNAL_ID_MAX:
        errors["external_id"] = [f"At most {EXTERNAL_ID_MAX} characters."]
    if issue_start_date is not None and issue_start_date > timezone.now():
        errors["issue_start_date"] = ["When the fault was first seen: not in the future."]
    if errors:
        raise DomainError("The ticket is not valid.", errors=errors)
    ticket = TroubleTicket.objects.create(
        service=service,
        customer=service.customer,
        severity=severity,
        priority=priority or DEFAULT_PRIORITY[TicketSeverity(severity)],
        observed_impact=observed_impact,
        description=description,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=(contact_phone or "").strip(),
        external_id=(external_id or "").strip(),
        issue_start_date=issue_start_date,
    )
    change = ticket_lifecycle.record(ticket, by=describe_actor(actor), from_status="")
    _tell(ticket, change, by_customer=True)
    return ticket


# --- the steps ------------------------------------------------------------------------------------


@transaction.atomic
def take_step(
    *,
    ticket: TroubleTicket,
    step: str,
    actor: Actor | None,
    note: str = "",
    note_visibility: str | None = None,
    resolution: str = "",
) -> TroubleTicket:
    """Take ``step`` (``STEPS``) on ``ticket`` as ``actor``: refused with ``NotPermitted``
    (403) for the wrong side, ``InvalidTransition`` (409) when the status does not allow it.

    A customer's note is always the customer's; an operator's is internal unless
    ``note_visibility`` says ``customer``. ``resolve`` needs a ``resolution`` (the customer
    reads it); ``reopen`` needs a ``note`` saying why the fault is not gone."""
    if step not in STEPS:
        raise DomainError(f"No such step: {step}.")
    side, leads_to = STEPS[step]
    ticket = ticket_lifecycle.lock(ticket)
    _refuse_unless(ticket, actor, side)
    reason = refusal(ticket, step)
    if reason is not None:
        raise InvalidTransition(reason)
    note = (note or "").strip()
    if side == CUSTOMER:
        note_visibility = NoteVisibility.CUSTOMER
    changes: dict[str, Any] = {}
    if step == "resolve":
        resolution = (resolution or "").strip()
        if not resolution:
            raise DomainError(
                "Say how the fault was resolved.",
                errors={"resolution": ["The customer reads how the fault was resolved."]},
            )
        if len(resolution) > NOTE_MAX_LENGTH:
            raise DomainError(
                "The resolution is too long.",
                errors={"resolution": [f"At most {NOTE_MAX_LENGTH} characters."]},
            )
        changes = {"resolution": resolution, "resolution_date": timezone.now()}
        if not note:
            note, note_visibility = resolution, NoteVisibility.CUSTOMER
    if step == "reopen" and not note:
        raise DomainError(
            "Say why the fault is not gone.", errors={"note": ["Why you reopen the ticket."]}
        )
    if step in ("reopen", "progress") and ticket.status == TicketStatus.RESOLVED:
        changes = {"resolution_date": None}
    change = ticket_lifecycle.move(
        ticket,
        leads_to,
        by=describe_actor(actor),
        note=note,
        note_visibility=note_visibility or NoteVisibility.INTERNAL,
        **changes,
    )
    _tell(ticket, change, by_customer=side == CUSTOMER)
    return ticket


@transaction.atomic
def add_note(
    *,
    ticket: TroubleTicket,
    actor: Actor | None,
    note: str,
    note_visibility: str | None = None,
) -> TroubleTicket:
    """Add ``note`` to an open or resolved ticket's history, without a change of status. A
    customer's note is the customer's; an operator's is internal unless ``note_visibility``
    says ``customer``."""
    ticket = ticket_lifecycle.lock(ticket)
    held = sides(ticket, actor)
    if not held:
        raise NotPermitted("You may not write on this ticket.")
    if ticket.status in FINAL:
        raise InvalidTransition(
            f"The ticket is {TicketStatus(ticket.status).label.lower()}: open a new one."
        )
    note = (note or "").strip()
    if not note:
        raise DomainError("Write a note.", errors={"note": ["The note is empty."]})
    by_customer = OPERATOR not in held
    if by_customer:
        note_visibility = NoteVisibility.CUSTOMER
    change = ticket_lifecycle.record(
        ticket,
        by=describe_actor(actor),
        from_status=ticket.status,
        note=note,
        note_visibility=note_visibility or NoteVisibility.INTERNAL,
    )
    TroubleTicket.objects.filter(pk=ticket.pk).update(last_update=timezone.now())
    ticket.refresh_from_db(fields=["last_update"])
    _tell(ticket, change, by_customer=by_customer)
    return ticket


def linkable_outages(ticket: TroubleTicket, *, actor: Actor | None) -> Any:
    """The outages ``actor`` may link ``ticket`` to: those of the segments of the ticket's
    service's path that ``actor`` sees (``outages_for``), latest first."""
    segments = PathSegment.objects.filter(path_id=ticket.service.path_id).values("segment_id")
    return outages_for(actor).filter(segment__in=segments)


def outage_not_linkable() -> DomainError:
    """The one answer for an outage a ticket cannot be linked to: not on the service's route,
    not visible to the actor, or no such outage. It names the field only: nothing about the
    outage (its segment, its times) reaches whoever asked."""
    return DomainError(
        "This outage cannot be linked to the ticket.",
        errors={"outage": ["An outage you see, of a segment of the service's path."]},
    )


@transaction.atomic
def link_outage(
    *, ticket: TroubleTicket, outage: Outage | None, actor: Actor | None
) -> TroubleTicket:
    """Link ``ticket`` to ``outage`` (``linkable_outages``: one of a segment of the service's
    path that ``actor`` sees), or unlink it (``outage`` None). Operators' step; the customer
    is told (a note it reads). Any other outage is ``outage_not_linkable`` (400)."""
    ticket = ticket_lifecycle.lock(ticket)
    _refuse_unless(ticket, actor, OPERATOR)
    if ticket.status in FINAL:
        raise InvalidTransition(
            f"The ticket is {TicketStatus(ticket.status).label.lower()}: its outage stays."
        )
    if outage is not None:
        outage = linkable_outages(ticket, actor=actor).filter(pk=outage.pk).first()
        if outage is None:
            raise outage_not_linkable()
        note = (
            f"Linked to the outage of {outage.segment.code} from "
            f"{outage.started_at:%Y-%m-%d %H:%M} UTC."
        )
    elif ticket.outage is None:
        return ticket
    else:
        note = "No longer linked to an outage."
    ticket.outage = outage
    ticket.save(update_fields=["outage", "last_update"])
    change = ticket_lifecycle.record(
        ticket, by=describe_actor(actor), from_status=ticket.status, note=note
    )
    _tell(ticket, change, by_customer=False)
    return ticket


def close_resolved_tickets(*, now: datetime.datetime | None = None) -> int:
    """Close the tickets resolved ``TCFO_TICKET_AUTO_CLOSE_DAYS`` ago or more that their
    customer neither confirmed nor reopened (Sonata: the agreed time frame passed). Returns
    how many; each is its own transaction."""
    now = now or timezone.now()
    days = settings.TCFO_TICKET_AUTO_CLOSE_DAYS
    due = TroubleTicket.objects.filter(
        status=TicketStatus.RESOLVED, resolution_date__lte=now - datetime.timedelta(days=days)
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            ticket = ticket_lifecycle.lock(TroubleTicket(pk=pk))
            if ticket.status != TicketStatus.RESOLVED:
                continue
            change = ticket_lifecycle.move(
                ticket,
                TicketStatus.CLOSED,
                by=describe_actor(TICKET_CLOSER),
                note=f"Closed {days} days after its resolution without an answer.",
                note_visibility=NoteVisibility.CUSTOMER,
            )
            _tell(ticket, change, by_customer=False)
            closed += 1
    return closed
