"""The portal's trouble ticket pages for each role, empty and with many tickets: the customer
reports a fault from the service page or the tickets page and follows it; network staff work
their queue; an internal note never shows on the customer's page."""

from __future__ import annotations

import pytest
from django.test import Client

from leasing.models import TroubleTicket
from leasing.services.tickets import add_note, take_step
from organisations.choices import Role
from tcfo_portal.formatting import format_moment

from ..factories import UserFactory
from .test_tickets import INTERNAL, _open, tt

__all__ = ["tt"]

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["buyer", "member", "noc", "ktc_noc", "third_noc", "admin"])
def test_the_tickets_page_renders_for_each_role_empty_and_with_many(tt, who):
    tt.admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True)
    client = _client(getattr(tt, who))
    empty = client.get("/tickets/")
    assert empty.status_code == 200
    assert "No tickets here." in empty.content.decode()
    opened = [_open(tt, severity=s) for s in ("minor", "extensive", "moderate", "significant")]
    take_step(ticket=opened[1], step="cancel", actor=tt.buyer)
    page = client.get("/tickets/")
    assert page.status_code == 200
    body = page.content.decode()
    sees = who != "third_noc"
    for ticket in opened:
        assert (f'href="/tickets/{ticket.pk}/"' in body) is sees
        detail = client.get(f"/tickets/{ticket.pk}/")
        assert detail.status_code == (200 if sees else 404)
    if who in ("noc", "ktc_noc"):
        # the queue: open tickets first, the most severe first; the cancelled one last
        order = [body.index(f'href="/tickets/{t.pk}/"') for t in opened]
        significant, moderate, minor, extensive = order[3], order[2], order[0], order[1]
        assert significant < moderate < minor < extensive
        assert "Ticket queue" in body and "Report a fault" not in body
    if who in ("buyer", "member"):
        assert "Report a fault" in body


def test_a_customer_reports_a_fault_from_the_service_page(tt):
    client = _client(tt.member)
    service_page = client.get(f"/services/{tt.service.circuit_id}/").content.decode()
    link = f"/tickets/new/?service={tt.service.circuit_id}"
    assert link in service_page
    form = client.get(link)
    assert form.status_code == 200
    assert f'value="{tt.service.circuit_id}" selected' in form.content.decode()
    refused = client.post("/tickets/new/", {"service": tt.service.circuit_id, "severity": "x"})
    assert refused.status_code == 400
    answer = client.post(
        "/tickets/new/",
        {
            "service": tt.service.circuit_id,
            "severity": "moderate",
            "observed_impact": "intermittent",
            "description": "Flapping every few minutes.",
            "contact_name": "Ann",
            "contact_email": "ann@buyer.test",
        },
    )
    ticket = TroubleTicket.objects.get()
    assert answer.status_code == 302 and answer.url == f"/tickets/{ticket.pk}/"
    service_page = client.get(f"/services/{tt.service.circuit_id}/").content.decode()
    assert f'href="/tickets/{ticket.pk}/"' in service_page
    assert (ticket.priority, ticket.customer) == ("medium", tt.customer)
    # an operator may not report on a customer's behalf
    assert _client(tt.noc).get("/tickets/new/").status_code == 403
    assert (
        "Report a fault"
        not in _client(tt.noc).get(f"/services/{tt.service.circuit_id}/").content.decode()
    )


def test_network_staff_and_the_customer_work_a_ticket_in_the_portal(tt):
    ticket = _open(tt)
    noc, buyer = _client(tt.noc), _client(tt.buyer)
    url = f"/tickets/{ticket.pk}/"
    assert ">Start work</button>" in noc.get(url).content.decode()
    assert ">Start work</button>" not in buyer.get(url).content.decode()
    assert noc.post(url, {"action": "acknowledge", "acknowledge-note": INTERNAL}).status_code == 302
    add_note(ticket=ticket, actor=tt.noc, note=INTERNAL)
    customer_page = buyer.get(url).content.decode()
    assert "Aktau amplifier" not in customer_page
    assert "Aktau amplifier" in noc.get(url).content.decode()
    refused = noc.post(url, {"action": "resolve", "resolve-resolution": ""})
    assert refused.status_code == 400
    # a customer's POST of an operator's step is refused, and changes nothing
    assert buyer.post(url, {"action": "resolve", "resolve-resolution": "x"}).status_code == 403
    done = noc.post(
        url,
        {"action": "resolve", "resolve-resolution": "Amplifier replaced.", "resolve-note": ""},
    )
    assert done.status_code == 302
    assert "Amplifier replaced." in buyer.get(url).content.decode()
    assert buyer.post(url, {"action": "reopen", "reopen-note": ""}).status_code == 400
    assert buyer.post(url, {"action": "reopen", "reopen-note": "Still down."}).status_code == 302
    assert buyer.post(url, {"action": "note", "note-note": "Any news?"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "reopened"
    assert ticket.changes.last().note_visibility == "customer"
    rival = _client(tt.rival_user)
    assert rival.get(url).status_code == 404
    assert rival.post(url, {"action": "note", "note-note": "hi"}).status_code == 404


# --- what a person reads (the new-user pass) ----------------------------------------------------


def test_a_new_ticket_reads_received_and_the_operators_start_work(tt):
    buyer, noc = _client(tt.buyer), _client(tt.noc)
    answer = buyer.post(
        "/tickets/new/",
        {
            "service": tt.service.circuit_id,
            "severity": "moderate",
            "observed_impact": "intermittent",
            "description": "Flapping.",
            "contact_name": "Ann",
            "contact_email": "ann@buyer.test",
        },
        follow=True,
    )
    ticket = TroubleTicket.objects.get()
    assert ticket.status == "acknowledged"  # the API's value (MEF Sonata) is kept
    body = answer.content.decode()
    assert f"Ticket {ticket.pk} is received; the operators are told." in body
    assert 'data-testid="ticket-status">Received</span>' in body
    assert "Acknowledged" not in body
    listing = buyer.get("/tickets/").content.decode()
    assert '<span class="badge state-acknowledged">Received</span>' in listing
    staff_page = noc.get(f"/tickets/{ticket.pk}/").content.decode()
    assert '<button type="submit">Start work</button>' in staff_page


def test_the_customer_steps_say_what_is_needed_and_only_cancel_is_a_danger(tt):
    ticket = _open(tt)
    url = f"/tickets/{ticket.pk}/"
    buyer = _client(tt.buyer)
    body = buyer.get(url).content.decode()
    assert "required to reopen" not in body
    assert '<button type="submit" class="danger">Cancel the ticket</button>' in body
    status = ticket.status
    asked = buyer.post(url, {"action": "cancel"}).content.decode()
    assert 'name="confirmed" value="yes"' in asked and "cannot be reopened" in asked
    ticket.refresh_from_db()
    assert ticket.status == status  # nothing done until confirmed
    take_step(ticket=ticket, step="resolve", actor=tt.noc, resolution="Cleaned a connector.")
    body = buyer.get(url).content.decode()
    assert '<button type="submit">Reopen</button>' in body
    assert '<button type="submit">Confirm the fault is gone</button>' in body
    assert "Required; the operators read it." in body  # reopen
    assert "Optional; the operators read it." in body  # confirm
    assert "required to reopen" not in body


def test_times_carry_their_zone_and_operators_read_the_customers_reference(tt):
    ticket = _open(tt, external_id="CASP-INC-77")
    queue = _client(tt.noc).get("/tickets/").content.decode()
    own = _client(tt.buyer).get("/tickets/").content.decode()
    assert "Customer's reference</th>" in queue and "Your reference" not in queue
    assert "Your reference</th>" in own and "Customer's reference" not in own
    # the lists show moments in the reader's zone, named (tcfo_portal.formatting; i15-b)
    for body, reader in ((queue, tt.noc), (own, tt.buyer)):
        assert f"<td>{format_moment(ticket.creation_date, reader.display_zone)}</td>" in body
    page = _client(tt.buyer).get(f"/tickets/{ticket.pk}/").content.decode()
    history = page[page.index('data-testid="ticket-history"') :]
    # The detail page: the reader's zone, named (tcfo_portal.formatting).
    moment = format_moment(ticket.creation_date, tt.buyer.display_zone)
    assert f"<strong>Opened</strong> · {moment} ·" in history


def test_cancelling_a_ticket_asks_first_then_goes_back_as_typed_or_cancels(tt):
    ticket = _open(tt)
    url = f"/tickets/{ticket.pk}/"
    buyer = _client(tt.buyer)
    typed = {"action": "cancel", "cancel-note": "Found it on our side"}
    asked = buyer.post(url, typed).content.decode()
    assert 'name="confirmed" value="yes"' in asked
    assert f"Cancel the ticket (ticket {ticket.pk})?" in asked and "cannot be reopened" in asked
    ticket.refresh_from_db()
    assert ticket.status != "cancelled"
    back = buyer.post(url, {**typed, "confirmed": "no"}).content.decode()
    assert "Found it on our side" in back and 'name="confirmed"' not in back
    assert buyer.post(url, {**typed, "confirmed": "yes"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"
