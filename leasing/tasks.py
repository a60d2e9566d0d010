from celery import shared_task

from organisations.access import SystemActor
from organisations.choices import Role

from .models import Contract
from .services.capacity import release_expired_holds
from .services.contracts import store_order_form
from .services.maintenance import send_reminders, start_due
from .services.orders import close_ended_services, expire_unacknowledged_orders


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def render_order_form(contract_id: int) -> None:
    store_order_form(contract=Contract.objects.get(pk=contract_id))


@shared_task
def render_missing_order_forms() -> int:
    """Queue the order forms a failed render left without a PDF."""
    missing = list(Contract.objects.filter(order_form="").values_list("pk", flat=True))
    for contract_id in missing:
        render_order_form.delay(contract_id)
    return len(missing)


@shared_task
def expire_holds() -> int:
    """Cancel orders whose hold expired and release every other expired hold."""
    return expire_unacknowledged_orders() + release_expired_holds()


#: The job that terminates services on their end date (``close-ended-services`` in the beat
#: schedule), as their histories name it.
SERVICE_CLOSER = SystemActor(
    organisation=None, role=Role.PLATFORM_ADMIN, label="service closing task"
)


@shared_task
def close_services() -> int:
    return close_ended_services(actor=SERVICE_CLOSER)


#: The job that starts maintenance at its window's start, as histories name it.
MAINTENANCE_STARTER = SystemActor(
    organisation=None, role=Role.PLATFORM_ADMIN, label="maintenance task"
)


@shared_task
def remind_maintenance() -> int:
    return send_reminders()


@shared_task
def start_due_maintenance() -> int:
    return start_due(actor=MAINTENANCE_STARTER)


@shared_task
def close_resolved_tickets() -> int:
    """Close the trouble tickets left resolved past ``TCFO_TICKET_AUTO_CLOSE_DAYS``."""
    from .services.tickets import close_resolved_tickets as close

    return close()
