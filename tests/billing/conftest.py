from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from leasing.models import Service
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)
from organisations.choices import Role

from ..conftest import key_client
from ..leasing.conftest import net, sales_net

__all__ = ["net", "sales_net"]


def transit_service(
    net: SimpleNamespace,
    *,
    activated_on: datetime.date,
    customer: object = None,
    commit: int = 2000,
) -> Service:
    """A completed 10G IP transit service at Baku, billed by AZT (Asia/Baku)."""
    quote = create_quote(
        customer=customer or net.customer,
        product=net.ipt10,
        term_months=12,
        start_date=activated_on,
        site=net.bak,
        commit_mbps=commit,
        by="test",
        backdated=True,
    )
    order = place_order(quote=quote, by="test")
    acknowledge_order(order=order, by="test")
    start_provisioning(order=order, by="test")
    return complete_order(order=order, by="test", ready_for_service_date=activated_on)


@pytest.fixture
def usage(sales_net: SimpleNamespace) -> SimpleNamespace:
    net = sales_net
    net.azt.time_zone = "Asia/Baku"
    net.azt.save()
    net.transit = transit_service(net, activated_on=datetime.date(2026, 1, 1))
    net.collector, _ = key_client(net.azt, Role.OPERATOR_NETWORK)
    return net
