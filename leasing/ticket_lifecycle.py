"""The trouble ticket lifecycle (MEF LSO Sonata's, MEF W124 section 6.1.3), and the record of
every step.

    acknowledged ──> in_progress <──> pending / held
         │               │                  │
         └───────────────┴──> resolved <────┘
                              │       │
                    closed <──┘       └──> reopened ──> in_progress, pending, held, resolved

A ticket is ``acknowledged`` when it is opened (Sonata: the seller's answer to a create is an
acknowledged ticket). The operator works it (``in_progress``), waits for the customer
(``pending``) or puts it on hold (``held``, TMF621's state, which Sonata's operators also
use) and ``resolved`` it; the customer then confirms (``closed``; or a task does it
``TCFO_TICKET_AUTO_CLOSE_DAYS`` after the resolution) or reopens it (``reopened``, which the
operator works again). The customer may cancel a ticket before it is resolved (Sonata's
``assessingCancellation`` is not used: a cancellation takes effect at once). ``closed`` and
``cancelled`` are final.

The status changes only through ``move``, which refuses a step not in ``ALLOWED``
(``InvalidTransition``, 409) and records who, when and why (``TicketChange``). Who may take
which step is ``leasing.services.tickets``'s business.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tcfo_portal.exceptions import DomainError, InvalidTransition

from .choices import NoteVisibility, TicketStatus
from .constants import NOTE_MAX_LENGTH
from .models import TicketChange, TroubleTicket

S = TicketStatus
_WORKED = frozenset({S.IN_PROGRESS, S.PENDING, S.HELD, S.RESOLVED})

ALLOWED: dict[str, frozenset[str]] = {
    S.ACKNOWLEDGED: _WORKED | {S.CANCELLED},
    S.IN_PROGRESS: (_WORKED - {S.IN_PROGRESS}) | {S.CANCELLED},
    S.PENDING: (_WORKED - {S.PENDING}) | {S.CANCELLED},
    S.HELD: (_WORKED - {S.HELD}) | {S.CANCELLED},
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: _WORKED,
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}


def lock(ticket: TroubleTicket) -> TroubleTicket:
    """The ticket, re-read under a row lock for the rest of the transaction."""
    return (
        TroubleTicket.objects.select_for_update(of=("self",))
        .select_related("service__path", "service__site", "customer", "outage")
        .get(pk=ticket.pk)
    )


def check(ticket: TroubleTicket, to_status: str) -> None:
    """Raise ``InvalidTransition`` (409) unless ``ticket`` may go to ``to_status``."""
    if to_status not in ALLOWED[ticket.status]:
        current = TicketStatus(ticket.status).label.lower()
        wanted = TicketStatus(to_status).label.lower()
        raise InvalidTransition(f"A ticket that is {current} cannot become {wanted}.")


def check_note(note: str, note_visibility: str) -> None:
    if note_visibility not in NoteVisibility.values:
        raise DomainError(
            "Say who may read the note.",
            errors={"note_visibility": [f"One of {', '.join(NoteVisibility.values)}."]},
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            "The note is too long.", errors={"note": [f"At most {NOTE_MAX_LENGTH} characters."]}
        )


def record(
    ticket: TroubleTicket,
    *,
    by: str,
    from_status: str,
    note: str = "",
    note_visibility: str = NoteVisibility.CUSTOMER,
) -> TicketChange:
    """Write one step of ``ticket``'s history (a move, the opening, or a note alone)."""
    check_note(note, note_visibility)
    return TicketChange.objects.create(
        ticket=ticket,
        from_status=from_status,
        to_status=ticket.status,
        by=by,
        note=note,
        note_visibility=note_visibility,
    )


@transaction.atomic
def move(
    ticket: TroubleTicket,
    to_status: str,
    *,
    by: str,
    note: str = "",
    note_visibility: str = NoteVisibility.CUSTOMER,
    **changes: object,
) -> TicketChange:
    """Move ``ticket`` (locked with ``lock``) to ``to_status``, saving ``changes`` with it, and
    record the step. A customer-visible ``note`` is the ticket's ``status_change_reason``."""
    check_note(note, note_visibility)
    check(ticket, to_status)
    from_status = ticket.status
    ticket.status = to_status
    ticket.status_change_date = timezone.now()
    ticket.status_change_reason = note if note_visibility == NoteVisibility.CUSTOMER else ""
    for field, value in changes.items():
        setattr(ticket, field, value)
    ticket.save()
    return record(
        ticket, by=by, from_status=from_status, note=note, note_visibility=note_visibility
    )
