"""Dated inventory changes that move a record's value of today (a site's owner, a segment's
settlement weight, a lit carrier's operator) and a service's end on its capacity are in the audit
log like any other change to those records."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from leasing.models import LitCarrier, Segment, Site, SpectrumReservation
from leasing.services.capacity import allocate_capacity, end_allocation
from leasing.services.inventory import set_carrier_operator, set_segment_weight, set_site_owner

from ..leasing.conftest import START

pytestmark = pytest.mark.django_db

SINCE = datetime.date(2026, 1, 1)  # before today: the new value is the one in force now


def updates(instance) -> list[dict]:
    """The changes of each update entry of ``instance``, oldest first."""
    found = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        action=LogEntry.Action.UPDATE,
    ).order_by("pk")
    return [entry.changes_dict for entry in found]


def test_a_new_site_owner_is_recorded_on_the_site(net):
    set_site_owner(site=net.bak, operator=net.ktc, valid_from=SINCE)
    assert Site.objects.get(pk=net.bak.pk).operator == net.ktc
    assert updates(net.bak) == [{"operator": ["AZT", "KTC"]}]


def test_a_new_settlement_weight_is_recorded_on_the_segment(net):
    set_segment_weight(segment=net.sea, weight=Decimal("500"), valid_from=SINCE)
    assert Segment.objects.get(pk=net.sea.pk).settlement_weight == Decimal("500")
    assert updates(net.sea) == [{"settlement_weight": ["760.000", "500.000"]}]


def test_a_new_carrier_operator_is_recorded_on_the_carrier(net):
    carrier = LitCarrier.objects.create(
        path=net.path, name="C1", operator=net.azt, capacity_gbps=100, spectrum_ghz=50
    )
    set_carrier_operator(carrier=carrier, operator=net.ktc, valid_from=SINCE)
    assert updates(carrier) == [{"operator": ["AZT", "KTC"]}]


def test_the_end_of_a_services_capacity_is_recorded_on_each_reservation(net):
    allocation = allocate_capacity(
        product=net.wl100, holder=net.customer, start_date=START, path=net.path
    )
    reservations = list(SpectrumReservation.objects.filter(allocation=allocation))
    assert len(reservations) == 2  # a fiber pair on each segment of the path
    end_allocation(allocation=allocation, on=datetime.date(2027, 6, 1))
    for reservation in reservations:
        assert updates(reservation) == [{"valid_to": ["None", "2027-06-01"]}]
