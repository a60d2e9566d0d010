"""The sale's background work through a real Celery worker on Redis: mails and the order form."""

import pytest
from django.core import mail

from leasing.models import Contract
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)

from ..conftest import wait_until
from .conftest import START

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_mails_each_step_and_renders_the_order_form_once(sales_net, celery_worker):
    net = sales_net
    quote = create_quote(
        customer=net.customer,
        product=net.wl100,
        term_months=12,
        start_date=START,
        path=net.path,
        by="t",
    )
    order = place_order(quote=quote, by="t")
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    service = complete_order(order=order, by="ops", ready_for_service_date=START)

    assert wait_until(lambda: len(mail.outbox) == 4), [m.subject for m in mail.outbox]
    assert [m.subject.rsplit(" ", 1)[-1] for m in mail.outbox] == [
        "submitted",
        "acknowledged",
        "progress",
        "completed",
    ]
    assert wait_until(lambda: bool(Contract.objects.get(service=service).order_form))
    contract = Contract.objects.get(service=service)
    assert contract.order_form.read().startswith(b"%PDF")
    assert len(contract.order_form_sha256) == 64
