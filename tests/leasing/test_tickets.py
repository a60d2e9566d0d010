"""Trouble tickets (MEF LSO Sonata's): the lifecycle written out in full, who may take which
step, what the customer and the operators are told (e-mails and events), internal notes that
never reach the customer, outages, the automatic closing, and the API."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event
from leasing import ticket_lifecycle
from leasing.choices import SegmentMedium, ServiceStatus, TicketStatus
from leasing.exceptions import NotPermitted
from leasing.models import Segment, Service, Site, TicketChange, TroubleTicket
from leasing.services.inventory import set_segment_ownership
from leasing.services.outages import record_outage
from leasing.services.tickets import (
    add_note,
    allowed_steps,
    close_resolved_tickets,
    link_outage,
    open_ticket,
    owning_operators,
    take_step,
)
from leasing.tasks import close_resolved_tickets as close_resolved_tickets_task
from organisations.choices import Role
from tcfo_portal.exceptions import DomainError, InvalidTransition

from ..conftest import key_client
from ..factories import OperatorFactory, UserFactory
from ..lifecycles import try_step
from .conftest import OWNED_FROM
from .test_orders import _completed

pytestmark = pytest.mark.django_db

INTERNAL = "Suspect the Aktau amplifier; vendor case 4411, do not tell the customer yet."
VISIBLE = "We are sending a technician to Aktau."


@pytest.fixture
def tt(sales_net):
    net = sales_net
    net.service = _completed(net)
    net.ktc_noc = UserFactory(organisation=net.ktc, role=Role.OPERATOR_NETWORK)
    net.third = OperatorFactory(name="Third")
    net.third_noc = UserFactory(organisation=net.third, role=Role.OPERATOR_NETWORK)
    net.member = UserFactory(organisation=net.customer, role=Role.CUSTOMER_MEMBER)
    return net


def _open(net, actor=None, **kwargs) -> TroubleTicket:
    fields = {
        "severity": "significant",
        "observed_impact": "down",
        "description": "No light at Aktau since 08:00.",
        "contact_name": "Ann Buyer",
        "contact_email": "ann@buyer.test",
        **kwargs,
    }
    return open_ticket(service=net.service, actor=actor or net.buyer, **fields)


# --- the lifecycle, written out in full -------------------------------------------------------

# MEF W124 6.1.3 (Sonata's trouble ticket states) with TMF621's ``held``: worked from
# acknowledged through in progress, pending (waiting for the customer) and held to resolved;
# the customer closes or reopens a resolved ticket, and may cancel one before it is resolved
# (not once reopened: Sonata's buyer cannot cancel a reopened ticket). Closed and cancelled
# are final.
EXPECTED_TRANSITIONS = {
    ("acknowledged", "in_progress"),
    ("acknowledged", "pending"),
    ("acknowledged", "held"),
    ("acknowledged", "resolved"),
    ("acknowledged", "cancelled"),
    ("in_progress", "pending"),
    ("in_progress", "held"),
    ("in_progress", "resolved"),
    ("in_progress", "cancelled"),
    ("pending", "in_progress"),
    ("pending", "held"),
    ("pending", "resolved"),
    ("pending", "cancelled"),
    ("held", "in_progress"),
    ("held", "pending"),
    ("held", "resolved"),
    ("held", "cancelled"),
    ("resolved", "closed"),
    ("resolved", "reopened"),
    ("reopened", "in_progress"),
    ("reopened", "pending"),
    ("reopened", "held"),
    ("reopened", "resolved"),
}
TICKET_STATES = [
    "acknowledged",
    "in_progress",
    "pending",
    "held",
    "resolved",
    "closed",
    "reopened",
    "cancelled",
]


def test_the_ticket_states_are_sonatas():
    assert sorted(TicketStatus.values) == sorted(TICKET_STATES)


@pytest.mark.parametrize("from_state", TICKET_STATES)
@pytest.mark.parametrize("to_state", TICKET_STATES)
def test_every_pair_of_ticket_states_moves_or_is_refused(tt, from_state, to_state):
    ticket = _open(tt)
    TroubleTicket.objects.filter(pk=ticket.pk).update(status=from_state)
    allowed = (from_state, to_state) in EXPECTED_TRANSITIONS
    try_step(ticket_lifecycle, ticket, to_state, allowed=allowed)
    ticket.refresh_from_db()
    assert ticket.status == (to_state if allowed else from_state)
    if allowed:
        step = ticket.changes.last()
        assert (step.from_status, step.to_status, step.by) == (from_state, to_state, "test")


# (status, the steps operators' network staff may take, the customer's)
STEPS_BY_STATUS = [
    ("acknowledged", {"acknowledge", "pending", "hold", "resolve"}, {"cancel"}),
    ("in_progress", {"pending", "hold", "resolve"}, {"cancel"}),
    ("pending", {"progress", "hold", "resolve"}, {"cancel"}),
    ("held", {"progress", "pending", "resolve"}, {"cancel"}),
    ("resolved", set(), {"close", "reopen"}),
    ("reopened", {"progress", "pending", "hold", "resolve"}, set()),
    ("closed", set(), set()),
    ("cancelled", set(), set()),
]


@pytest.mark.parametrize(("status", "operator", "customer"), STEPS_BY_STATUS)
def test_each_side_is_offered_exactly_its_steps(tt, status, operator, customer):
    ticket = _open(tt)
    TroubleTicket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    assert set(allowed_steps(ticket, tt.noc)) == operator
    assert set(allowed_steps(ticket, tt.ktc_noc)) == operator  # every owner of the route
    assert set(allowed_steps(ticket, tt.buyer)) == customer
    assert set(allowed_steps(ticket, tt.member)) == customer
    assert allowed_steps(ticket, tt.third_noc) == []  # owns no part of the route


# --- who may --------------------------------------------------------------------------------------


def test_a_customer_cannot_resolve_and_an_operator_cannot_close(tt):
    ticket = _open(tt)
    with pytest.raises(NotPermitted):
        take_step(ticket=ticket, step="resolve", actor=tt.buyer, resolution="fixed")
    take_step(ticket=ticket, step="resolve", actor=tt.noc, resolution="Amplifier replaced.")
    with pytest.raises(NotPermitted):
        take_step(ticket=ticket, step="close", actor=tt.noc)
    with pytest.raises(NotPermitted):
        take_step(ticket=ticket, step="reopen", actor=tt.rival_user, note="mine?")
    take_step(ticket=ticket, step="close", actor=tt.member)
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_an_operator_without_a_share_of_the_route_can_neither_see_nor_work_it(tt):
    ticket = _open(tt)
    with pytest.raises(NotPermitted):
        take_step(ticket=ticket, step="acknowledge", actor=tt.third_noc)
    third = key_client(tt.third, Role.OPERATOR_NETWORK)[0]
    assert third.get(f"/api/v1/trouble-tickets/{ticket.pk}/").status_code == 404
    assert third.get("/api/v1/trouble-tickets/").json()["count"] == 0
    answer = third.post(f"/api/v1/trouble-tickets/{ticket.pk}/acknowledge/", {}, format="json")
    assert answer.status_code == 404
    assert TroubleTicket.objects.get(pk=ticket.pk).status == "acknowledged"


def test_only_the_services_customer_opens_a_ticket_on_an_active_or_suspended_service(tt):
    with pytest.raises(NotPermitted):
        _open(tt, actor=tt.rival_user)
    with pytest.raises(NotPermitted):
        _open(tt, actor=tt.noc)
    Service.objects.filter(pk=tt.service.pk).update(status=ServiceStatus.SUSPENDED)
    assert _open(tt).status == "acknowledged"
    Service.objects.filter(pk=tt.service.pk).update(status=ServiceStatus.TERMINATED)
    with pytest.raises(DomainError) as refused:
        _open(tt)
    assert "terminated" in refused.value.detail


def test_an_invalid_ticket_is_refused_field_by_field(tt):
    with pytest.raises(DomainError) as refused:
        _open(
            tt,
            severity="awful",
            observed_impact="",
            description="  ",
            contact_email="not an address",
            issue_start_date=timezone.now() + datetime.timedelta(days=1),
        )
    assert set(refused.value.errors) == {
        "severity",
        "observed_impact",
        "description",
        "contact_email",
        "issue_start_date",
    }
    assert not TroubleTicket.objects.exists()


def test_resolving_needs_a_resolution_and_reopening_a_reason(tt):
    ticket = _open(tt)
    with pytest.raises(DomainError) as refused:
        take_step(ticket=ticket, step="resolve", actor=tt.noc, resolution=" ")
    assert "resolution" in refused.value.errors
    take_step(ticket=ticket, step="resolve", actor=tt.noc, resolution="Fiber spliced.")
    with pytest.raises(DomainError) as refused:
        take_step(ticket=ticket, step="reopen", actor=tt.buyer)
    assert "note" in refused.value.errors
    take_step(ticket=ticket, step="reopen", actor=tt.buyer, note="Still 3 dB low.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_date) == ("reopened", None)
    with pytest.raises(InvalidTransition):
        take_step(ticket=ticket, step="cancel", actor=tt.buyer)


# --- telling people -------------------------------------------------------------------------------


def _events(ticket, organisation):
    return list(
        Event.objects.filter(
            subject_type="trouble_ticket", subject_id=str(ticket.pk), organisation=organisation
        ).order_by("pk")
    )


def test_opening_mails_the_customer_and_the_owners_network_staff_and_records_events(
    tt, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(tt, external_id="BUYER-77")
    to = {address for message in mail.outbox for address in message.to}
    assert {"ann@buyer.test", tt.buyer.email, tt.noc.email, tt.ktc_noc.email} <= to
    assert tt.third_noc.email not in to
    assert all(f"Ticket {ticket.pk} on {tt.service.circuit_id}" in m.subject for m in mail.outbox)
    assert "No light at Aktau" in mail.outbox[0].body
    for organisation in (tt.customer, tt.azt, tt.ktc):
        (event,) = _events(ticket, organisation)
        assert event.type == "ticket.created"
        assert event.data["status"] == "acknowledged"
        assert event.data["circuit_id"] == tt.service.circuit_id
        assert event.data["external_id"] == "BUYER-77"
        assert event.data["url"] == f"/api/v1/trouble-tickets/{event.data['id']}/"
        assert event.data["change"]["from_status"] is None
    assert _events(ticket, tt.third) == []


def test_an_internal_note_never_reaches_the_customer(tt, django_capture_on_commit_callbacks):
    ticket = _open(tt)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        take_step(ticket=ticket, step="acknowledge", actor=tt.noc, note=INTERNAL)
        add_note(ticket=ticket, actor=tt.noc, note=INTERNAL)  # internal by default
        add_note(ticket=ticket, actor=tt.noc, note=VISIBLE, note_visibility="customer")
    customer_mail = [m for m in mail.outbox if "ann@buyer.test" in m.to]
    # the step (without its note) and the note written for the customer; not the internal note
    assert len(customer_mail) == 2
    assert all("Aktau amplifier" not in m.body for m in mail.outbox)
    assert f"Note: {VISIBLE}" in customer_mail[-1].body
    customer_events = _events(ticket, tt.customer)
    assert [e.data["change"]["note"] for e in customer_events] == [None, None, VISIBLE]
    assert [e.data["change"]["note_visibility"] for e in customer_events] == [
        None,
        None,
        "customer",
    ]
    assert all("amplifier" not in str(e.data) for e in customer_events)
    operator_notes = [e.data["change"]["note"] for e in _events(ticket, tt.azt)]
    assert operator_notes == [None, INTERNAL, INTERNAL, VISIBLE]
    # the API: the customer reads the step without its note, and not the internal note alone
    buyer = key_client(tt.customer)[0]
    history = buyer.get(f"/api/v1/trouble-tickets/{ticket.pk}/").json()["history"]
    assert [(h["to_status"], h["note"]) for h in history] == [
        ("acknowledged", ""),
        ("in_progress", ""),
        ("in_progress", VISIBLE),
    ]
    noc = key_client(tt.azt, Role.OPERATOR_NETWORK)[0]
    history = noc.get(f"/api/v1/trouble-tickets/{ticket.pk}/").json()["history"]
    assert [h["note"] for h in history] == ["", INTERNAL, INTERNAL, VISIBLE]
    assert history[1]["note_visibility"] == "internal"
    assert "amplifier" not in buyer.get("/api/v1/trouble-tickets/").content.decode()


def test_a_customer_note_goes_to_the_network_staff(tt, django_capture_on_commit_callbacks):
    ticket = _open(tt)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        add_note(ticket=ticket, actor=tt.member, note="Light came back for a minute.")
    staff = [m for m in mail.outbox if tt.noc.email in m.to]
    assert len(staff) == 1 and "Light came back" in staff[0].body
    assert TicketChange.objects.filter(ticket=ticket).last().note_visibility == "customer"


# --- outages --------------------------------------------------------------------------------------


def test_a_ticket_links_to_an_outage_of_its_route_only(tt, django_capture_on_commit_callbacks):
    ticket = _open(tt)
    started = timezone.now() - datetime.timedelta(hours=2)
    on_route = record_outage(
        segment=tt.sea, started_at=started, ended_at=None, description="cut", actor=tt.noc
    )
    far = Site.objects.create(code="FAR", name="Far", kind="pop", country="KZ", operator=tt.ktc)
    elsewhere_segment = Segment.objects.create(
        code="AKT-FAR",
        name="elsewhere",
        a_site=tt.akt,
        z_site=far,
        medium=SegmentMedium.TERRESTRIAL,
        length_km=Decimal(10),
        design_capacity_gbps=100,
    )
    set_segment_ownership(
        segment=elsewhere_segment, valid_from=OWNED_FROM, shares={tt.azt: Decimal(100)}
    )
    elsewhere = record_outage(
        segment=elsewhere_segment, started_at=started, ended_at=None, description="x", actor=tt.noc
    )
    with pytest.raises(DomainError) as refused:
        link_outage(ticket=ticket, outage=elsewhere, actor=tt.noc)
    assert "outage" in refused.value.errors
    with pytest.raises(NotPermitted):
        link_outage(ticket=ticket, outage=on_route, actor=tt.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        link_outage(ticket=ticket, outage=on_route, actor=tt.noc)
    ticket.refresh_from_db()
    assert ticket.outage == on_route
    assert "Linked to the outage of CLS-AKT" in ticket.changes.last().note
    assert _events(ticket, tt.customer)[-1].data["outage"] == on_route.pk
    noc = key_client(tt.azt, Role.OPERATOR_NETWORK)[0]
    url = f"/api/v1/trouble-tickets/{ticket.pk}/outage/"
    refused = noc.post(url, {"outage": elsewhere.pk}, format="json")
    assert refused.status_code == 400 and "outage" in refused.json()["errors"]
    unlinked = noc.post(url, {"outage": None}, format="json")
    assert unlinked.status_code == 200 and unlinked.json()["outage"] is None


# --- closing by itself ----------------------------------------------------------------------------


def test_a_resolved_ticket_closes_itself_after_the_agreed_days(tt, settings):
    settings.TCFO_TICKET_AUTO_CLOSE_DAYS = 7
    ticket = _open(tt)
    take_step(ticket=ticket, step="resolve", actor=tt.noc, resolution="Fixed.")
    assert close_resolved_tickets(now=timezone.now() + datetime.timedelta(days=6)) == 0
    assert close_resolved_tickets(now=timezone.now() + datetime.timedelta(days=7, hours=1)) == 1
    ticket.refresh_from_db()
    last = ticket.changes.last()
    assert (ticket.status, last.by) == ("closed", "ticket closing task")
    assert close_resolved_tickets(now=timezone.now() + datetime.timedelta(days=30)) == 0


def test_the_beat_task_closes_what_waited_too_long(tt, settings):
    settings.TCFO_TICKET_AUTO_CLOSE_DAYS = 0
    ticket = _open(tt)
    take_step(ticket=ticket, step="resolve", actor=tt.noc, resolution="Fixed.")
    assert settings.CELERY_BEAT_SCHEDULE["close-resolved-tickets"]["task"] == (
        "leasing.tasks.close_resolved_tickets"
    )
    assert close_resolved_tickets_task.delay().get() == 1
    assert TroubleTicket.objects.get(pk=ticket.pk).status == "closed"


# --- the API --------------------------------------------------------------------------------------

BODY = {
    "severity": "extensive",
    "observed_impact": "down",
    "description": "Total loss of light.",
    "external_id": "INC-1",
    "related_contact_information": [
        {"name": "Ann Buyer", "email_address": "ann@buyer.test", "number": "+994 12 000"}
    ],
}


def test_a_customer_opens_and_follows_a_ticket_through_the_api(tt):
    buyer = key_client(tt.customer)[0]
    noc = key_client(tt.azt, Role.OPERATOR_NETWORK)[0]
    created = buyer.post(
        "/api/v1/trouble-tickets/",
        {**BODY, "circuit_id": tt.service.circuit_id},
        format="json",
        HTTP_IDEMPOTENCY_KEY="t-1",
    )
    assert created.status_code == 201, created.content
    ticket = created.json()
    assert (ticket["status"], ticket["priority"], ticket["external_id"]) == (
        "acknowledged",
        "critical",
        "INC-1",
    )
    assert ticket["related_contact_information"][0]["role"] == "reporter_contact"
    assert ticket["resolution"] is None and ticket["status_change_reason"] is None
    url = f"/api/v1/trouble-tickets/{ticket['id']}/"
    assert buyer.post(url + "resolve/", {"resolution": "x"}, format="json").status_code == 403
    for step, body in (
        ("acknowledge", {}),
        ("pending", {"note": "Send a light reading", "note_visibility": "customer"}),
        ("progress", {}),
        ("hold", {}),
        ("resolve", {"resolution": "Patch cord replaced at Aktau."}),
    ):
        answer = noc.post(url + f"{step}/", body, format="json")
        assert answer.status_code == 200, (step, answer.content)
    again = noc.post(url + "resolve/", {"resolution": "y"}, format="json")
    assert again.status_code == 409 and again.json()["type"]
    assert buyer.post(url + "close/", {}, format="json").json()["status"] == "closed"
    detail = buyer.get(url).json()
    assert detail["resolution"] == "Patch cord replaced at Aktau."
    assert [h["to_status"] for h in detail["history"]] == [
        "acknowledged",
        "in_progress",
        "pending",
        "in_progress",
        "held",
        "resolved",
        "closed",
    ]
    assert detail["history"][2]["note"] == "Send a light reading"


def test_another_customers_ticket_is_a_404_in_the_api(tt):
    ticket = _open(tt)
    rival = key_client(tt.other_customer)[0]
    url = f"/api/v1/trouble-tickets/{ticket.pk}/"
    assert rival.get(url).status_code == 404
    for step in ("close", "reopen", "cancel", "notes"):
        assert rival.post(url + f"{step}/", {"note": "x"}, format="json").status_code == 404
    refused = rival.post(
        "/api/v1/trouble-tickets/",
        {**BODY, "circuit_id": tt.service.circuit_id},
        format="json",
    )
    assert refused.status_code == 404
    assert TroubleTicket.objects.count() == 1
    assert TroubleTicket.objects.get().status == "acknowledged"


def test_the_list_filters_by_status_severity_circuit_and_date(tt):
    first = _open(tt, severity="minor")
    second = _open(tt, severity="extensive")
    take_step(ticket=second, step="cancel", actor=tt.buyer)
    buyer = key_client(tt.customer)[0]

    def ids(query: str) -> list[int]:
        answer = buyer.get(f"/api/v1/trouble-tickets/?{query}")
        assert answer.status_code == 200, answer.content
        return [t["id"] for t in answer.json()["results"]]

    assert ids("") == [second.pk, first.pk]
    assert ids("status=acknowledged") == [first.pk]
    assert ids("status=acknowledged&status=cancelled") == [second.pk, first.pk]
    assert ids("severity=extensive") == [second.pk]
    assert ids(f"circuit_id={tt.service.circuit_id}") == [second.pk, first.pk]
    assert ids("circuit_id=TCFO-X-1") == []
    today = timezone.now().date()
    assert ids(f"created_after={today}") == [second.pk, first.pk]
    assert ids(f"created_before={today - datetime.timedelta(days=1)}") == []
    assert ids("ordering=creation_date") == [first.pk, second.pk]
    assert buyer.get("/api/v1/trouble-tickets/?status=bogus").status_code == 400
    assert buyer.get("/api/v1/trouble-tickets/?created_after=nope").status_code == 400


# --- review findings (area: trouble tickets) -----------------------------------------------------


def _queries_of_a_note(net, text: str) -> int:
    ticket = TroubleTicket.objects.get()
    with CaptureQueriesContext(connection) as queries:
        add_note(ticket=ticket, actor=net.buyer, note=text)
    return len(queries)


def test_the_owning_operators_are_one_query_however_large_the_consortium(
    tt, django_assert_num_queries
):
    with django_assert_num_queries(1):
        owners = owning_operators(tt.service)
    assert owners == sorted([tt.azt, tt.ktc], key=lambda o: o.name)
    # from tomorrow Third holds the sea segment: KTC still owns it today, Third not yet
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    set_segment_ownership(segment=tt.sea, valid_from=tomorrow, shares={tt.third: Decimal(100)})
    assert owning_operators(tt.service) == owners
    # a change tells the owners in as many queries with 3 operators more in the consortium
    _open(tt)
    before = _queries_of_a_note(tt, "first")
    for n in range(3):
        OperatorFactory(name=f"Bystander {n}")
    assert _queries_of_a_note(tt, "second") == before


def test_an_outage_that_cannot_be_linked_answers_the_same_whatever_the_reason(tt):
    """Off the route, out of the actor's sight (the land segment is AZT's alone: KTC does not
    see its outages), or no such outage: one answer naming the field, no segment code."""
    ticket = _open(tt)
    started = timezone.now() - datetime.timedelta(hours=2)
    far = Site.objects.create(code="FAR", name="Far", kind="pop", country="KZ", operator=tt.ktc)
    off_route = Segment.objects.create(
        code="AKT-FAR",
        name="elsewhere",
        a_site=tt.akt,
        z_site=far,
        medium=SegmentMedium.TERRESTRIAL,
        length_km=Decimal(10),
        design_capacity_gbps=100,
    )
    set_segment_ownership(segment=off_route, valid_from=OWNED_FROM, shares={tt.ktc: Decimal(100)})
    elsewhere = record_outage(
        segment=off_route, started_at=started, ended_at=None, description="x", actor=tt.ktc_noc
    )
    unseen = record_outage(
        segment=tt.land, started_at=started, ended_at=None, description="y", actor=tt.noc
    )
    ktc = key_client(tt.ktc, Role.OPERATOR_NETWORK)[0]
    url = f"/api/v1/trouble-tickets/{ticket.pk}/outage/"
    answers = [
        ktc.post(url, {"outage": outage_id}, format="json")
        for outage_id in (elsewhere.pk, unseen.pk, unseen.pk + 1000)
    ]
    assert {a.status_code for a in answers} == {400}
    bodies = [a.json() for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert list(bodies[0]["errors"]) == ["outage"]
    assert not any(code in str(bodies[0]) for code in ("AKT-FAR", tt.land.code, "Outage "))
    with pytest.raises(DomainError) as refused:
        link_outage(ticket=ticket, outage=unseen, actor=tt.ktc_noc)
    assert tt.land.code not in str(refused.value)
    # AZT sees the land segment's outages: it links it
    link_outage(ticket=ticket, outage=unseen, actor=tt.noc)


def test_the_schema_maps_each_ticket_status_to_sonatas(client):
    schema = client.get("/api/schema/?format=json").json()
    ticket = schema["components"]["schemas"]["TroubleTicket"]["properties"]["status"]
    described = ticket.get("description", "")
    assert "in_progress (inProgress)" in described
    assert all(f"{status} (" in described for status in TicketStatus.values)
