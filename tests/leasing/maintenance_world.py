"""A network with services on two paths for the planned maintenance tests.

- ``path`` BAK-AKT runs over ``land`` and ``sea``; ``short`` BAK-CLS over ``land`` only;
- ``a_wave``: customer A's wavelength on BAK-AKT; ``b_wave``: customer B's on BAK-CLS;
- ``gone``: the rival's wavelength on BAK-AKT, terminated today (not running in any window
  ahead); ``future``: customer C's, ready for service in 20 days;
- AZT holds all of ``land`` and half of ``sea``, KTC the other half: ``noc`` (AZT's network
  staff) plans on both, ``ktc_noc`` on ``sea`` only; ``third_noc``'s operator on neither.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from leasing.choices import ServiceStatus
from leasing.models import Path, Price, Service
from leasing.services.inventory import set_path_segments
from organisations.choices import Role

from ..billing.conftest import _sale
from ..factories import CustomerFactory, OperatorFactory, UserFactory

SINCE = datetime.date(2026, 1, 1)


def add_maintenance_world(net: SimpleNamespace) -> SimpleNamespace:
    today = timezone.localdate()
    net.short = Path.objects.create(
        code="BAK-CLS", name="Baku - Landing", a_site=net.bak, z_site=net.cls
    )
    set_path_segments(path=net.short, segments=[net.land])
    Price.objects.create(
        product=net.wl100,
        path=net.short,
        term_months=12,
        valid_from=datetime.date(2025, 1, 1),
        currency="USD",
        mrc=Decimal("5000.00"),
        nrc=Decimal("1000.00"),
    )
    net.b_customer = CustomerFactory(name="Bee")
    net.b_user = UserFactory(organisation=net.b_customer, role=Role.CUSTOMER_ADMIN)
    net.c_customer = CustomerFactory(name="Sea")
    net.c_user = UserFactory(organisation=net.c_customer, role=Role.CUSTOMER_MEMBER)
    sale = {"term_months": 12}
    net.a_wave = _sale(net, net.customer, net.wl100, SINCE, SINCE, path=net.path, **sale)
    net.b_wave = _sale(net, net.b_customer, net.wl100, SINCE, SINCE, path=net.short, **sale)
    net.gone = _sale(net, net.other_customer, net.wl100, SINCE, SINCE, path=net.path, **sale)
    Service.objects.filter(pk=net.gone.pk).update(
        terminated_on=today, status=ServiceStatus.TERMINATED
    )
    later = today + datetime.timedelta(days=20)
    net.future = _sale(net, net.c_customer, net.wl100, SINCE, later, path=net.path, **sale)
    net.ktc_noc = UserFactory(organisation=net.ktc, role=Role.OPERATOR_NETWORK)
    net.third = OperatorFactory(name="Third")
    net.third_noc = UserFactory(organisation=net.third, role=Role.OPERATOR_NETWORK)
    net.admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    return net
