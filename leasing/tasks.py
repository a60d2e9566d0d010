from celery import shared_task

from .models import Contract
from .services.capacity import release_expired_holds
from .services.contracts import store_order_form
from .services.orders import close_ended_services, expire_unacknowledged_orders


@shared_task
def render_order_form(contract_id: int) -> None:
    store_order_form(contract=Contract.objects.get(pk=contract_id))


@shared_task
def expire_holds() -> int:
    """Cancel orders whose hold expired and release every other expired hold."""
    return expire_unacknowledged_orders() + release_expired_holds()


@shared_task
def close_services() -> int:
    return close_ended_services()
