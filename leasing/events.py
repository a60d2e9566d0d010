"""What the leasing app tells partners: which organisations an order, service or outage change
concerns and what each event says (``events.services.outbox``).

Services call one function here inside the transaction of the change, so the event exists
exactly when the change does. ``data`` is the subject's state after the change in the API's
field names; a note is given only when the customer may read it, never an internal one.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse

from events.choices import EventType
from events.services.outbox import record_event, utc_iso

from .choices import NoteVisibility, OrderState, ServiceAction
from .models import Order, Outage, Service
from .selectors import services_running_on


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- orders ---------------------------------------------------------------------------------------


def order_data(order: Order, *, from_state: str | None, note: str | None) -> dict[str, Any]:
    """An order as a partner reads it in an event (the API's ``GET /orders/{id}/`` names)."""
    quote = order.quote
    service = None
    if order.state == OrderState.COMPLETED:
        service = Service.objects.filter(order=order).values_list("circuit_id", flat=True).first()
    return {
        "id": order.pk,
        "from_state": from_state or None,
        "state": order.state,
        "product": quote.product.code,
        "path": quote.path.code if quote.path_id else None,
        "site": quote.site.code if quote.site_id else None,
        "ready_for_service_date": _day(order.ready_for_service_date),
        "reason": order.reason or None,
        "note": note or None,
        "circuit_id": service,
        "url": reverse("v1:order-detail", args=[order.pk]),
    }


def order_state_changed(
    order: Order, *, from_state: str | None, note: str, note_visibility: str
) -> None:
    """``order.state_changed`` to the order's customer; ``note`` only if the customer's."""
    shown = note if note_visibility == NoteVisibility.CUSTOMER else None
    record_event(
        type=EventType.ORDER_STATE_CHANGED,
        organisation=order.customer,
        subject_type="order",
        subject_id=order.pk,
        data=order_data(order, from_state=from_state, note=shown),
    )


# --- services -------------------------------------------------------------------------------------

SERVICE_EVENTS: dict[str, EventType] = {
    ServiceAction.ACTIVATE: EventType.SERVICE_ACTIVATED,
    ServiceAction.SUSPEND: EventType.SERVICE_SUSPENDED,
    ServiceAction.RESUME: EventType.SERVICE_RESUMED,
    ServiceAction.TERMINATE: EventType.SERVICE_TERMINATED,
    ServiceAction.CLOSE: EventType.SERVICE_CLOSED,
    ServiceAction.CHANGE_END: EventType.SERVICE_END_CHANGED,
}


def service_data(service: Service, *, effective_on: datetime.date | None) -> dict[str, Any]:
    """A service as a partner reads it (``GET /services/{circuit_id}/``), with the day the
    step counts from."""
    return {
        "circuit_id": service.circuit_id,
        "product": service.product.code,
        "path": service.path.code if service.path_id else None,
        "site": service.site.code if service.site_id else None,
        "status": service.status,
        "activated_on": _day(service.activated_on),
        "terminated_on": _day(service.terminated_on),
        # The day a dated step counts from (activation, termination); null for a step that
        # took effect at once (suspend, resume): the event's ``created_at`` says when.
        "effective_on": _day(effective_on),
        "order": service.order_id,
        "url": reverse("v1:service-detail", args=[service.circuit_id]),
    }


def service_changed(service: Service, action: str, *, effective_on: datetime.date | None) -> None:
    """The event of ``action`` (``activate``, ``suspend``, ...) to the service's customer."""
    record_event(
        type=SERVICE_EVENTS[action],
        organisation=service.customer,
        subject_type="service",
        subject_id=service.circuit_id,
        data=service_data(service, effective_on=effective_on),
    )


# --- outages --------------------------------------------------------------------------------------

OUTAGE_EVENTS = (EventType.OUTAGE_STARTED, EventType.OUTAGE_ENDED, EventType.OUTAGE_CORRECTED)


def outage_changed(
    outage: Outage,
    type: EventType,
    *,
    also_from: datetime.datetime | None = None,
    also_until: datetime.datetime | None = None,
    still_open_before: bool = False,
) -> None:
    """``type`` (one of ``OUTAGE_EVENTS``) to each customer with a service on the outage's
    segment during it, naming that customer's circuits only. A correction passes the window
    it had (``also_from``/``also_until``, ``still_open_before``): a customer affected before or
    after the correction is told."""
    start = min(outage.started_at, also_from or outage.started_at)
    if outage.ended_at is None or still_open_before:
        end = None
    else:
        end = max(outage.ended_at, also_until or outage.ended_at)
    circuits: dict[int, list[str]] = {}
    customers = {}
    for service in services_running_on([outage.segment_id], start, end):
        circuits.setdefault(service.customer_id, []).append(service.circuit_id)
        customers[service.customer_id] = service.customer
    segment = outage.segment.code
    base = {
        "id": outage.pk,
        "segment": segment,
        "started_at": utc_iso(outage.started_at),
        "ended_at": utc_iso(outage.ended_at),
        "description": outage.description,
        "url": reverse("v1:outage-detail", args=[outage.pk]),
    }
    for customer_id, circuit_ids in circuits.items():
        record_event(
            type=type,
            organisation=customers[customer_id],
            subject_type="outage",
            subject_id=outage.pk,
            data={**base, "circuit_ids": circuit_ids},
        )
