"""The service lifecycle: which action a service's status allows, who may take it, and the record
of every step.

    active ──suspend──> suspended ──resume──> active
      │                     │
      └─────terminate───────┴──> terminated (on its end date: at once, or by ``close``)

``change_end`` moves a termination set for a later day, or withdraws it, until that day comes;
the status stays.

``terminate`` sets the first day without service; when that day is today the service is
terminated at once, otherwise it keeps its status until the daily task ``close``s it then. A
service's status changes only through ``move``, which locks nothing itself (callers ``lock``
first, inside their transaction), refuses an actor without the action's capability
(``NotPermitted``, 403) and an action the status does not allow (``InvalidTransition``, 409),
and records who took the step, when, and from which day it counts (``ServiceTransition``),
with the customer's event of the step (``leasing.events``).

The portal and the API offer exactly ``allowed_actions(service, actor)``: templates and views
do not decide for themselves.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from organisations.access import Actor, describe_actor, has_capability
from organisations.choices import Capability
from tcfo_portal.exceptions import InvalidTransition

from .choices import ServiceAction, ServiceStatus
from .events import service_changed
from .exceptions import NotPermitted
from .models import Service, ServiceTransition

ALLOWED: dict[str, frozenset[str]] = {
    ServiceStatus.ACTIVE: frozenset(
        {
            ServiceAction.SUSPEND,
            ServiceAction.TERMINATE,
            ServiceAction.CHANGE_END,
            ServiceAction.CLOSE,
        }
    ),
    ServiceStatus.SUSPENDED: frozenset(
        {
            ServiceAction.RESUME,
            ServiceAction.TERMINATE,
            ServiceAction.CHANGE_END,
            ServiceAction.CLOSE,
        }
    ),
    ServiceStatus.TERMINATED: frozenset(),
}

#: The status an action leads to (``terminate``: once its day has come); ``change_end`` leaves
#: the status as it is.
LEADS_TO: dict[str, str] = {
    ServiceAction.SUSPEND: ServiceStatus.SUSPENDED,
    ServiceAction.RESUME: ServiceStatus.ACTIVE,
    ServiceAction.TERMINATE: ServiceStatus.TERMINATED,
    ServiceAction.CLOSE: ServiceStatus.TERMINATED,
}

#: What an action needs of the actor: operators' network staff (or a platform admin, or a job
#: acting as one) work services; customers only read them.
CAPABILITY: dict[str, Capability] = {
    ServiceAction.SUSPEND: Capability.PROVISION_ORDERS,
    ServiceAction.RESUME: Capability.PROVISION_ORDERS,
    ServiceAction.TERMINATE: Capability.PROVISION_ORDERS,
    ServiceAction.CLOSE: Capability.PROVISION_ORDERS,
    ServiceAction.CHANGE_END: Capability.PROVISION_ORDERS,
}

#: The actions a person takes; ``close`` is the daily task's, taken when the end date comes.
OFFERED = (
    ServiceAction.SUSPEND,
    ServiceAction.RESUME,
    ServiceAction.TERMINATE,
    ServiceAction.CHANGE_END,
)


def lock(service: Service) -> Service:
    """The service, re-read under a row lock for the rest of the transaction."""
    return (
        Service.objects.select_for_update(of=("self",))
        .select_related("allocation", "order__billing_party", "customer", "product", "path", "site")
        .get(pk=service.pk)
    )


def refusal(service: Service, action: str) -> str | None:
    """Why ``service`` does not allow ``action`` now, or None when it does."""
    status = ServiceStatus(service.status)
    if action == ServiceAction.TERMINATE and service.terminated_on is not None:
        return f"The service already ends on {service.terminated_on}."
    if action in ALLOWED[status]:
        if action == ServiceAction.CLOSE and service.terminated_on is None:
            return "Only a service with an end date is closed."
        if action == ServiceAction.CHANGE_END and service.terminated_on is None:
            return "The service has no end date to change: terminate it to set one."
        return None
    if action == ServiceAction.SUSPEND:
        return f"Only an active service can be suspended; this one is {status.label.lower()}."
    if action == ServiceAction.RESUME:
        return "Only a suspended service can be resumed."
    return f"A {status.label.lower()} service cannot be {ServiceAction(action).label.lower()}."


def may(actor: Actor | None, action: str) -> bool:
    """May ``actor`` take ``action`` on the services it sees?"""
    return has_capability(actor, CAPABILITY[action])


def allowed_actions(service: Service, actor: Actor | None) -> list[str]:
    """The actions ``actor`` may take on ``service`` now, in the order the portal shows them.

    ``actor`` must see the service (``organisations.access.visible_to``): callers look it up
    through that first, so another organisation's service is a 404 before this is asked."""
    return [a for a in OFFERED if may(actor, a) and refusal(service, a) is None]


def check(service: Service, action: str, *, actor: Actor | None) -> None:
    """Raise ``NotPermitted`` (403) unless ``actor`` may take ``action``, and
    ``InvalidTransition`` (409) unless the service's status allows it now."""
    if not may(actor, action):
        raise NotPermitted("Your role does not allow this: operators' network staff do it.")
    reason = refusal(service, action)
    if reason is not None:
        raise InvalidTransition(reason)


def record_activation(service: Service, *, by: str) -> ServiceTransition:
    """The first step of ``service``'s history: ready for service on ``activated_on``, by whoever
    completed its order (``by`` as the order's history names them)."""
    transition = ServiceTransition.objects.create(
        service=service,
        action=ServiceAction.ACTIVATE,
        from_status="",
        to_status=service.status,
        by=by,
        effective_on=service.activated_on,
    )
    service_changed(service, ServiceAction.ACTIVATE, effective_on=service.activated_on)
    return transition


@transaction.atomic
def move(
    service: Service,
    action: str,
    *,
    actor: Actor | None,
    to_status: str | None = None,
    effective_on: datetime.date | None = None,
    note: str = "",
    **changes: object,
) -> Service:
    """Take ``action`` on ``service`` (locked with ``lock``), saving ``changes`` with it.

    The service goes to ``LEADS_TO[action]``, or to ``to_status`` when the caller knows better
    (a termination set for a later day keeps the current status). Records the step with
    ``describe_actor(actor)`` as who took it."""
    check(service, action, actor=actor)
    from_status = service.status
    leads_to = LEADS_TO.get(action, from_status)
    if to_status not in (None, from_status, leads_to):
        raise ValueError(f"{action} leads to {leads_to}, not {to_status}.")
    service.status = to_status or leads_to
    for field, value in changes.items():
        setattr(service, field, value)
    service.save(update_fields=["status", *changes])
    ServiceTransition.objects.create(
        service=service,
        action=action,
        from_status=from_status,
        to_status=service.status,
        by=describe_actor(actor),
        note=note,
        effective_on=effective_on,
    )
    service_changed(service, action, effective_on=effective_on)
    return service
