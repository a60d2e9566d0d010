"""The service lifecycle: the steps each status allows (written out here, never read from
``service_lifecycle.ALLOWED``), who may take them, the record of every step whoever takes it
(portal, API, the closing task), and refusals as 4xx with the reason."""

from __future__ import annotations

import datetime
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from leasing.choices import ServiceStatus
from leasing.exceptions import NotPermitted
from leasing.models import Service, ServiceTransition
from leasing.service_lifecycle import allowed_actions
from leasing.services.orders import (
    change_service_end,
    resume_service,
    suspend_service,
    terminate_service,
)
from leasing.tasks import close_services
from organisations.choices import Role
from tcfo_portal.exceptions import InvalidTransition

from ..conftest import key_client
from .test_orders import _completed, _running_since_january

pytestmark = pytest.mark.django_db

ENDS = datetime.date(2027, 6, 1)
MOVED = datetime.date(2027, 5, 1)

# (status, an end date is set, the steps network staff may take): the whole table.
EXPECTED = [
    ("active", False, {"suspend", "terminate"}),
    ("active", True, {"suspend", "change_end"}),
    ("suspended", False, {"resume", "terminate"}),
    ("suspended", True, {"resume", "change_end"}),
    ("terminated", True, set()),
]

# The status each allowed step leaves (an end date, set before or by the step, stays).
AFTER = {
    ("active", "suspend"): "suspended",
    ("active", "terminate"): "active",  # ends on a later day: runs until then
    ("suspended", "resume"): "active",
    ("suspended", "terminate"): "suspended",
    ("active", "change_end"): "active",  # the end moves; the status stays
    ("suspended", "change_end"): "suspended",
}


def _put(service: Service, status: str, ends: bool) -> Service:
    Service.objects.filter(pk=service.pk).update(
        status=status, terminated_on=ENDS if ends else None
    )
    service.refresh_from_db()
    return service


def _steps(service: Service, actor: object) -> dict:
    return {
        "suspend": lambda: suspend_service(service=service, actor=actor),
        "resume": lambda: resume_service(service=service, actor=actor),
        "terminate": lambda: terminate_service(service=service, on=ENDS, actor=actor),
        "change_end": lambda: change_service_end(service=service, on=MOVED, actor=actor),
    }


@pytest.mark.parametrize(("status", "ends", "allowed"), EXPECTED)
def test_each_status_offers_and_allows_exactly_its_steps(sales_net, status, ends, allowed):
    net = sales_net
    service = _completed(net)
    assert set(allowed_actions(_put(service, status, ends), net.noc)) == allowed
    assert allowed_actions(service, net.buyer) == []  # customers read their services only
    for step, take in _steps(service, net.noc).items():
        _put(service, status, ends)
        if step in allowed:
            taken = take()
            ends_on = (
                MOVED if step == "change_end" else ENDS if ends or step == "terminate" else None
            )
            assert (taken.status, taken.terminated_on) == (AFTER[(status, step)], ends_on)
            recorded = ServiceTransition.objects.filter(service=service).last()
            assert (recorded.action, recorded.from_status, recorded.to_status) == (
                step,
                status,
                AFTER[(status, step)],
            )
        else:
            before = ServiceTransition.objects.filter(service=service).count()
            with pytest.raises(InvalidTransition):
                take()
            assert ServiceTransition.objects.filter(service=service).count() == before


def test_customers_may_not_take_a_step_even_on_their_own_service(sales_net):
    net = sales_net
    service = _completed(net)
    for take in _steps(service, net.buyer).values():
        with pytest.raises(NotPermitted):
            take()
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE and service.terminated_on is None
    assert not _taken(service).exists()


def test_the_portal_records_who_and_shows_only_the_offered_steps_and_the_history(client, sales_net):
    net = sales_net
    service = _completed(net)
    url = reverse("service", args=[service.circuit_id])
    client.force_login(net.noc)
    page = client.get(url).content.decode()
    assert 'value="suspend"' in page and 'value="terminate"' in page
    assert 'value="resume"' not in page

    assert client.post(url, {"action": "suspend", "confirmed": "yes"}).status_code == 302
    step = _taken(service).get()
    assert (step.action, step.by, step.from_status, step.to_status) == (
        "suspend",
        net.noc.username,
        "active",
        "suspended",
    )
    page = client.get(url).content.decode()
    assert 'value="resume"' in page and 'value="suspend"' not in page
    assert "Suspended" in page and net.noc.username in page  # the history

    client.force_login(net.buyer)
    page = client.get(url).content.decode()
    assert "Operate" not in page and net.noc.username in page


def test_a_refused_step_in_the_portal_is_a_4xx_with_the_reason(client, sales_net):
    net = sales_net
    service = _completed(net)
    url = reverse("service", args=[service.circuit_id])
    client.force_login(net.noc)
    refused = client.post(url, {"action": "resume"})
    assert refused.status_code == 409
    assert "Only a suspended service can be resumed." in refused.content.decode()
    client.force_login(net.buyer)
    forbidden = client.post(url, {"action": "terminate", "on": "not a date"})
    assert forbidden.status_code == 403
    assert "Your role does not allow this" in forbidden.content.decode()
    assert not _taken(service).exists()


def test_the_api_records_the_key_and_answers_with_the_history(sales_net):
    net = sales_net
    service = _completed(net)
    noc, api_key = key_client(net.azt, Role.OPERATOR_NETWORK)
    url = f"/api/v1/services/{service.circuit_id}/"
    suspended = noc.post(url + "suspend/")
    assert suspended.status_code == 200, suspended.content
    ended = noc.post(url + "terminate/", {"on": str(ENDS)}, format="json").json()
    by = f"API key {api_key.prefix} ({net.azt.name})"
    assert [
        (s["action"], s["by"], s["to_status"], s["effective_on"]) for s in ended["history"]
    ] == [
        ("activate", service.transitions.first().by, "active", str(service.activated_on)),
        ("suspend", by, "suspended", None),
        ("terminate", by, "suspended", str(ENDS)),
    ]
    assert ended["history"][0]["from_status"] is None  # the activation comes from no status
    assert noc.get(url).json()["history"] == ended["history"]
    assert "history" not in noc.get("/api/v1/services/").json()["results"][0]  # list unchanged

    again = noc.post(url + "suspend/")
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "Only an active service can be suspended; this one is suspended."
    )


def test_a_customer_cannot_act_on_another_customers_service(client, sales_net):
    net = sales_net
    service = _completed(net)
    rival, _ = key_client(net.other_customer)
    url = f"/api/v1/services/{service.circuit_id}/"
    assert rival.get(url).status_code == 404
    for step in ("suspend", "resume"):
        assert rival.post(url + f"{step}/").status_code in (403, 404)
    client.force_login(net.rival_user)
    portal = reverse("service", args=[service.circuit_id])
    assert client.post(portal, {"action": "suspend"}).status_code == 404
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE
    assert not _taken(service).exists()


def test_the_closing_task_terminates_on_the_end_date_and_records_itself(sales_net):
    net = sales_net
    service = _running_since_january(net)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Service.objects.filter(pk=service.pk).update(terminated_on=yesterday)  # set on an earlier day

    assert close_services() == 1
    assert close_services() == 0
    service.refresh_from_db()
    assert service.status == ServiceStatus.TERMINATED
    step = _taken(service).get()
    assert (step.action, step.by, step.from_status, step.to_status, step.effective_on) == (
        "close",
        "service closing task",
        "active",
        "terminated",
        yesterday,
    )


def test_completion_records_the_first_step_with_who_completed_the_order(sales_net):
    net = sales_net
    service = _completed(net)
    completed = service.order.transitions.get(to_state="completed")
    step = service.transitions.get()
    assert (step.action, step.from_status, step.to_status, step.by, step.effective_on) == (
        "activate",
        "",
        "active",
        completed.by,
        service.activated_on,
    )


def test_services_from_before_the_history_get_their_steps_from_the_migration(sales_net):
    net = sales_net
    kept = _completed(net)
    ended = _running_since_january(net)
    ServiceTransition.objects.all().delete()  # as before leasing migration 0012
    Service.objects.filter(pk=ended.pk).update(
        status=ServiceStatus.TERMINATED, terminated_on=datetime.date(2026, 6, 1)
    )
    backfill = import_module("leasing.migrations.0012_service_transitions").backfill
    backfill(django_apps, None)
    backfill(django_apps, None)  # a service with steps is left alone

    completed = kept.order.transitions.get(to_state="completed")
    assert list(kept.transitions.values_list("action", "by", "at")) == [
        ("activate", completed.by, completed.at)
    ]
    assert list(ended.transitions.values_list("action", "to_status", "by", "effective_on")) == [
        (
            "activate",
            "active",
            ended.order.transitions.get(to_state="completed").by,
            ended.activated_on,
        ),
        (
            "terminate",
            "terminated",
            "before the service history was kept",
            datetime.date(2026, 6, 1),
        ),
    ]


def _taken(service: Service):
    return service.transitions.exclude(action="activate")
