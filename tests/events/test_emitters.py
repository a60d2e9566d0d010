"""The leasing app's events: each step of an order, of a service and of an outage writes exactly
the right event for the right organisation with the subject's state after it, in the
transaction of the change (none for a refused or rolled-back change); an internal note never
reaches the customer; an outage reaches each affected customer with its circuits only."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from events.models import Event
from leasing.choices import NoteVisibility
from leasing.services.orders import (
    acknowledge_order,
    cancel_order,
    close_ended_services,
    complete_order,
    create_quote,
    place_order,
    reject_order,
    resume_service,
    start_provisioning,
    suspend_service,
    terminate_service,
)
from leasing.services.outages import correct_outage, end_outage, record_outage
from leasing.tasks import SERVICE_CLOSER
from tcfo_portal.exceptions import InvalidTransition

from ..leasing.conftest import START, net, sales_net

__all__ = ["net", "sales_net"]

pytestmark = pytest.mark.django_db

RFS = START + datetime.timedelta(days=10)


def _events(**filters: object) -> list[Event]:
    return list(Event.objects.filter(**filters).order_by("pk"))


def _quote(net, customer=None, **kwargs):
    values = {"term_months": 12, "start_date": START, "path": net.path}
    values.update(kwargs)
    return create_quote(customer=customer or net.customer, product=net.wl100, by="noc", **values)


def _service(net, customer=None, since=None):
    """A completed 100G lease (backdated to ``since`` when given)."""
    if since is None:
        quote = _quote(net, customer)
    else:
        quote = _quote(net, customer, start_date=since, backdated=True)
    order = place_order(quote=quote, by="t")
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    return complete_order(order=order, by="ops", ready_for_service_date=since or RFS)


# --- orders ---------------------------------------------------------------------------------------


def test_every_step_of_an_order_tells_its_customer_and_never_an_internal_note(sales_net):
    net = sales_net
    order = place_order(quote=_quote(net), by="buyer")
    acknowledge_order(order=order, by="ops", note="rack 12 in Baku, port 7")  # internal
    start_provisioning(
        order=order,
        by="ops",
        note="Splicing on Tuesday",
        note_visibility=NoteVisibility.CUSTOMER,
    )
    service = complete_order(order=order, by="ops", ready_for_service_date=RFS)

    steps = _events(type="order.state_changed")
    assert [e.organisation for e in steps] == [net.customer] * 4
    assert {(e.subject_type, e.subject_id) for e in steps} == {("order", str(order.pk))}
    assert [(e.data["from_state"], e.data["state"]) for e in steps] == [
        (None, "submitted"),
        ("submitted", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "completed"),
    ]
    notes = [e.data["note"] for e in steps]
    assert notes[0].startswith("capacity held until")
    assert notes[1] is None  # internal: never the customer's
    assert notes[2] == "Splicing on Tuesday"
    assert service.circuit_id in notes[3]
    assert not Event.objects.filter(data__icontains="rack 12").exists()
    assert "rack 12" not in str([e.data for e in Event.objects.all()])
    last = steps[-1].data
    assert last == {
        "id": order.pk,
        "from_state": "in_progress",
        "state": "completed",
        "product": "WL100",
        "path": "BAK-AKT",
        "site": None,
        "ready_for_service_date": RFS.isoformat(),
        "reason": None,
        "note": f"service {service.circuit_id} ready for service on {RFS}",
        "circuit_id": service.circuit_id,
        "url": f"/api/v1/orders/{order.pk}/",
    }
    assert steps[0].data["circuit_id"] is None
    # Completion also activated the service, told to the same customer.
    [activated] = _events(type="service.activated")
    assert (activated.organisation, activated.subject_id) == (net.customer, service.circuit_id)
    assert activated.data["status"] == "active"
    assert activated.data["effective_on"] == RFS.isoformat()
    assert activated.data["url"] == f"/api/v1/services/{service.circuit_id}/"
    # Nothing went to the other customer or the operators.
    assert not Event.objects.exclude(organisation=net.customer).exists()


def test_a_rejection_gives_its_reason_and_a_refused_step_writes_nothing(sales_net):
    net = sales_net
    order = place_order(quote=_quote(net), by="buyer")
    reject_order(order=order, by="ops", reason="No spectrum on that date after all.")
    before = Event.objects.count()
    with pytest.raises(InvalidTransition):
        cancel_order(order=order, by="buyer")
    assert Event.objects.count() == before
    last = _events(type="order.state_changed")[-1]
    assert (last.data["state"], last.data["reason"], last.data["note"]) == (
        "rejected",
        "No spectrum on that date after all.",
        "No spectrum on that date after all.",
    )


def test_a_step_rolled_back_leaves_no_event(sales_net):
    net = sales_net
    order = place_order(quote=_quote(net), by="buyer")
    before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        acknowledge_order(order=order, by="ops")
        assert Event.objects.count() == before + 1  # written with the change...
        raise RuntimeError("the caller's transaction fails")
    assert Event.objects.count() == before  # ...and gone with it


# --- services -------------------------------------------------------------------------------------


def test_each_service_step_is_told_with_its_effective_day(sales_net):
    net = sales_net
    service = _service(net, since=datetime.date(2026, 1, 1))
    suspend_service(service=service, actor=net.noc)
    resume_service(service=service, actor=net.noc)
    with pytest.raises(InvalidTransition):
        resume_service(service=service, actor=net.noc)  # refused: nothing written
    ends = timezone.localdate() + datetime.timedelta(days=40)
    terminate_service(service=service, on=ends, actor=net.noc)
    close_ended_services(actor=SERVICE_CLOSER, on=ends)

    steps = _events(subject_type="service")
    assert [e.type for e in steps] == [
        "service.activated",
        "service.suspended",
        "service.resumed",
        "service.terminated",
        "service.closed",
    ]
    assert {e.organisation for e in steps} == {net.customer}
    assert [e.data["status"] for e in steps] == [
        "active",
        "suspended",
        "active",
        "active",  # ends on a later day: runs until then
        "terminated",
    ]
    # Suspend and resume take effect at once: no day of their own (the event's time says when).
    assert [e.data["effective_on"] for e in steps[1:3]] == [None, None]
    terminated, closed = steps[3].data, steps[4].data
    assert terminated["effective_on"] == terminated["terminated_on"] == ends.isoformat()
    assert closed["effective_on"] == ends.isoformat()
    assert closed == {
        "circuit_id": service.circuit_id,
        "product": "WL100",
        "path": "BAK-AKT",
        "site": None,
        "status": "terminated",
        "activated_on": "2026-01-01",
        "terminated_on": ends.isoformat(),
        "effective_on": ends.isoformat(),
        "order": service.order_id,
        "url": f"/api/v1/services/{service.circuit_id}/",
    }


# --- outages --------------------------------------------------------------------------------------


def test_an_outage_reaches_each_affected_customer_with_its_circuits_only(sales_net):
    net = sales_net
    mine = [_service(net, since=datetime.date(2026, 1, 1)) for _ in range(2)]
    theirs = _service(net, net.other_customer, since=datetime.date(2026, 1, 1))
    # A service of a third customer that starts after the outage is not affected.
    from ..factories import CustomerFactory

    later = CustomerFactory(name="Later")
    _service(net, later)
    Event.objects.all().delete()

    start = timezone.now() - datetime.timedelta(hours=3)
    outage = record_outage(
        segment=net.sea, started_at=start, ended_at=None, description="Cable cut", actor=net.noc
    )
    started = _events(type="outage.started")
    assert {e.organisation for e in started} == {net.customer, net.other_customer}
    by_org = {e.organisation: e.data for e in started}
    assert by_org[net.customer]["circuit_ids"] == sorted(s.circuit_id for s in mine)
    assert by_org[net.other_customer]["circuit_ids"] == [theirs.circuit_id]
    assert by_org[net.customer] == {
        "id": outage.pk,
        "segment": "CLS-AKT",
        "started_at": start.isoformat().replace("+00:00", "Z"),
        "ended_at": None,
        "description": "Cable cut",
        "url": f"/api/v1/outages/{outage.pk}/",
        "circuit_ids": sorted(s.circuit_id for s in mine),
    }

    end = start + datetime.timedelta(hours=1)
    end_outage(outage=outage, ended_at=end, actor=net.noc)
    ended = _events(type="outage.ended")
    assert {e.organisation for e in ended} == {net.customer, net.other_customer}
    assert all(e.data["ended_at"] == end.isoformat().replace("+00:00", "Z") for e in ended)

    correct_outage(
        outage=outage,
        reason="NOC log says 14:10, not 14:00",
        started_at=start + datetime.timedelta(minutes=10),
        actor=net.noc,
    )
    corrected = _events(type="outage.corrected")
    assert {e.organisation for e in corrected} == {net.customer, net.other_customer}
    assert "NOC log" not in str([e.data for e in corrected])
    assert not Event.objects.filter(organisation=later).exists()
    assert not Event.objects.filter(organisation__in=[net.azt, net.ktc]).exists()


def test_an_outage_recorded_after_the_fact_is_told_as_started_and_ended(sales_net):
    net = sales_net
    _service(net, since=datetime.date(2026, 1, 1))
    Event.objects.all().delete()
    start = timezone.now() - datetime.timedelta(days=2)
    record_outage(
        segment=net.land,
        started_at=start,
        ended_at=start + datetime.timedelta(hours=2),
        description="Fiber cut near Baku",
        actor=net.noc,
    )
    assert [e.type for e in _events()] == ["outage.started", "outage.ended"]


def test_an_outage_on_a_segment_no_service_uses_tells_nobody(sales_net):
    net = sales_net
    from leasing.models import Segment

    spare = Segment.objects.create(
        code="SPARE",
        name="spare",
        a_site=net.bak,
        z_site=net.cls,
        length_km=1,
        design_capacity_gbps=1,
    )
    from decimal import Decimal

    from leasing.services.inventory import set_segment_ownership

    set_segment_ownership(
        segment=spare, valid_from=datetime.date(2024, 1, 1), shares={net.azt: Decimal(100)}
    )
    _service(net, since=datetime.date(2026, 1, 1))
    Event.objects.all().delete()
    record_outage(
        segment=spare,
        started_at=timezone.now() - datetime.timedelta(hours=1),
        ended_at=None,
        description="x",
        actor=net.noc,
    )
    assert not Event.objects.exists()
