"""The order lifecycle: which state may follow which, and the record of every step.

    submitted ──> acknowledged ──> in_progress ──> completed
        │              │                │
        ├──> rejected <┤                └──> failed
        └──> cancelled <┘

An order's state changes only through ``move``, which locks the order, refuses any step not in
``ALLOWED``, records who took it and why, writes the customer's ``order.state_changed`` event
with it (``leasing.events``) and tells the customer by e-mail once the change is committed.
A step's note is internal (operators only) unless it is written for the customer
(``NoteVisibility``); the customer is told only the latter.
"""

from __future__ import annotations

from django.db import transaction

from tcfo_portal.exceptions import DomainError, InvalidTransition

from .choices import NoteVisibility, OrderState
from .constants import NOTE_MAX_LENGTH
from .events import order_state_changed
from .models import Order, OrderTransition
from .notifications import notify_order_state

ALLOWED: dict[str, frozenset[str]] = {
    OrderState.SUBMITTED: frozenset(
        {OrderState.ACKNOWLEDGED, OrderState.REJECTED, OrderState.CANCELLED}
    ),
    OrderState.ACKNOWLEDGED: frozenset(
        {OrderState.IN_PROGRESS, OrderState.REJECTED, OrderState.CANCELLED}
    ),
    OrderState.IN_PROGRESS: frozenset({OrderState.COMPLETED, OrderState.FAILED}),
    OrderState.COMPLETED: frozenset(),
    OrderState.REJECTED: frozenset(),
    OrderState.CANCELLED: frozenset(),
    OrderState.FAILED: frozenset(),
}


def lock(order: Order) -> Order:
    """The order, re-read under a row lock for the rest of the transaction."""
    return Order.objects.select_for_update().get(pk=order.pk)


def check(order: Order, to_state: str) -> None:
    """Raise ``InvalidTransition`` (409) unless ``order`` may go to ``to_state``."""
    if to_state not in ALLOWED[order.state]:
        current = OrderState(order.state).label.lower()
        wanted = OrderState(to_state).label.lower()
        raise InvalidTransition(f"An order that is {current} cannot become {wanted}.")


def record_submission(order: Order, *, by: str, note: str = "") -> None:
    """The first step of a new order's history; its note is the customer's to read."""
    OrderTransition.objects.create(
        order=order,
        from_state="",
        to_state=order.state,
        by=by,
        note=note,
        note_visibility=NoteVisibility.CUSTOMER,
    )
    order_state_changed(order, from_state=None, note=note, note_visibility=NoteVisibility.CUSTOMER)
    notify_order_state(order, note=note)


@transaction.atomic
def move(
    order: Order,
    to_state: str,
    *,
    by: str,
    note: str = "",
    note_visibility: str = NoteVisibility.INTERNAL,
    **changes: object,
) -> Order:
    """Move ``order`` (locked with ``lock``) to ``to_state``, saving ``changes`` with it; the
    customer reads ``note`` only when ``note_visibility`` says so."""
    if note_visibility not in NoteVisibility.values:
        raise DomainError(
            "Say who may read the note.",
            errors={"note_visibility": [f"One of {', '.join(NoteVisibility.values)}."]},
        )
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            "The note is too long.", errors={"note": [f"At most {NOTE_MAX_LENGTH} characters."]}
        )
    check(order, to_state)
    from_state = order.state
    order.state = to_state
    for field, value in changes.items():
        setattr(order, field, value)
    order.save()
    OrderTransition.objects.create(
        order=order,
        from_state=from_state,
        to_state=to_state,
        by=by,
        note=note,
        note_visibility=note_visibility,
    )
    order_state_changed(order, from_state=from_state, note=note, note_visibility=note_visibility)
    notify_order_state(order, note=note if note_visibility == NoteVisibility.CUSTOMER else "")
    return order
