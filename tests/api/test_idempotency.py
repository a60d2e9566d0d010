"""Every API ``POST`` that creates takes an ``Idempotency-Key`` (api-contract.md, Conventions):
the same key with the same body gets the first answer again and creates nothing more; the same
key with another body is a 422; another API client's same key is another key.

The operations are the schema's creating ``POST``s (those answering 201), so one added later
without ``tcfo_portal.api.idempotency`` (or without a case here) fails these tests.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from billing.models import CreditNote, DebitNote, PeriodClose
from events.models import WebhookSubscription
from leasing import models as leasing
from organisations.choices import Role
from organisations.models import ApiKey, IdempotencyRecord, Organisation

from ..billing.conftest import issued_october, october, usage
from ..billing.test_late_api import late
from ..conftest import key_client, session_client
from ..factories import UserFactory
from ..leasing.conftest import net, sales_net

__all__ = ["issued_october", "late", "net", "october", "sales_net", "usage"]

pytestmark = pytest.mark.django_db

# Creating POSTs that do not take the header, and why.
EXEMPT: dict[str, str] = {}  # operationId -> why it does not take the key (none today)


def _creating_posts() -> dict[str, tuple[str, dict]]:
    """operationId -> (path, operation) of each POST the schema says answers 201."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        item["post"]["operationId"]: (path, item["post"])
        for path, item in schema["paths"].items()
        if "post" in item and "201" in item["post"]["responses"]
    }


CREATING_POSTS = _creating_posts()
IDEMPOTENT = sorted(set(CREATING_POSTS) - set(EXEMPT))


@dataclass
class Case:
    """One creating POST: who sends ``body`` to ``path``, another body, how many objects of
    the kind exist, and another API client allowed to send the same."""

    client: APIClient
    path: str
    body: dict
    other_body: dict
    count: Callable[[], int]
    other_client: APIClient
    withheld: tuple[str, ...] = ()  # fields shown once, null when the answer is replayed


def _by_operator(
    sender: Organisation,
    other: Organisation,
    role: str,
    path: str,
    bodies: tuple[dict, dict],
    count: Callable[[], int],
) -> Case:
    """A case sent by a key of ``sender``, the other client a key of ``other`` (same role)."""
    return Case(key_client(sender, role)[0], path, *bodies, count, key_client(other, role)[0])


def _quote(request: pytest.FixtureRequest) -> Case:
    net = request.getfixturevalue("sales_net")
    body = {"product": "WL100", "path": "BAK-AKT", "term_months": 12, "start_date": "2026-12-01"}
    return Case(
        key_client(net.customer)[0],
        "/api/v1/quotes/",
        body,
        {**body, "start_date": "2026-12-02"},
        leasing.Quote.objects.count,
        key_client(net.other_customer)[0],
    )


def _order(request: pytest.FixtureRequest) -> Case:
    net = request.getfixturevalue("sales_net")
    buyer, rival = key_client(net.customer)[0], key_client(net.other_customer)[0]
    quote = {"product": "WL100", "path": "BAK-AKT", "term_months": 12, "start_date": "2026-12-01"}
    first, second = (buyer.post("/api/v1/quotes/", quote).json()["id"] for _ in range(2))
    return Case(
        buyer,
        "/api/v1/orders/",
        {"quote": first},
        {"quote": second},
        leasing.Order.objects.count,
        rival,
    )


def _outage(request: pytest.FixtureRequest) -> Case:
    net = request.getfixturevalue("sales_net")
    body = {
        "segment": "CLS-AKT",
        "started_at": "2026-10-20T08:00:00Z",
        "description": "Cable cut",
    }
    bodies = (body, {**body, "description": "Another cut"})
    return _by_operator(
        net.ktc,
        net.azt,
        Role.OPERATOR_NETWORK,
        "/api/v1/outages/",
        bodies,
        leasing.Outage.objects.count,
    )


def _maintenance(request: pytest.FixtureRequest) -> Case:
    """Planned maintenance (area: maintenance): a window some days ahead, with an offset."""
    net = request.getfixturevalue("sales_net")
    start = (timezone.now() + datetime.timedelta(days=15)).replace(microsecond=0)
    body = {
        "segments": ["CLS-AKT"],
        "window_start": start.isoformat(),
        "window_end": (start + datetime.timedelta(hours=4)).isoformat(),
        "impact": "loss_of_service",
        "reason": "Repeater swap",
    }
    bodies = (body, {**body, "reason": "Another swap"})
    return _by_operator(
        net.ktc,
        net.azt,
        Role.OPERATOR_NETWORK,
        "/api/v1/maintenance/",
        bodies,
        leasing.Maintenance.objects.count,
    )


def _inventory(path: str, model: type, body: dict, other: dict, role: str) -> Callable:
    def case(request: pytest.FixtureRequest) -> Case:
        net = request.getfixturevalue("sales_net")
        bodies = (body, {**body, **other})
        return _by_operator(net.azt, net.ktc, role, path, bodies, model.objects.count)

    return case


def _segment(request: pytest.FixtureRequest) -> Case:
    """Segments are platform admins' (no organisation): their keys are each user's own."""
    request.getfixturevalue("net")
    body = {
        "code": "AKT-CLS2",
        "name": "second sea",
        "a_site": "AKT",
        "z_site": "CLS",
        "medium": "subsea",
        "length_km": "390",
        "design_capacity_gbps": 4000,
    }

    def admin() -> APIClient:
        return session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))

    other = {**body, "code": "AKT-CLS3"}
    return Case(admin(), "/api/v1/segments/", body, other, leasing.Segment.objects.count, admin())


def _api_key(request: pytest.FixtureRequest) -> Case:
    """Keys are managed with a customer admin's browser session, never with a key."""
    net = request.getfixturevalue("sales_net")

    def admin(organisation: Organisation) -> APIClient:
        return session_client(UserFactory(organisation=organisation, role=Role.CUSTOMER_ADMIN))

    body = {"name": "OSS/BSS", "role": "customer_member"}
    return Case(
        admin(net.customer),
        "/api/v1/api-keys/",
        body,
        {**body, "name": "Billing robot"},
        ApiKey.objects.count,
        admin(net.other_customer),
        withheld=("key",),
    )


def _payment(request: pytest.FixtureRequest) -> Case:
    net = request.getfixturevalue("issued_october")
    body = {
        "invoice": net.invoice.pk,
        "amount": "1000.00",
        "currency": "USD",
        "received_on": net.today.isoformat(),
        "reference": "wire 2",
    }
    bodies = (body, {**body, "amount": "5.00"})
    count = net.invoice.payments.count
    return _by_operator(net.azt, net.ktc, Role.OPERATOR_FINANCE, "/api/v1/payments/", bodies, count)


def _credit_note(request: pytest.FixtureRequest) -> Case:
    net = request.getfixturevalue("issued_october")
    line = net.invoice.lines.order_by("pk").first()
    body = {
        "invoice": net.invoice.pk,
        "reason": "Installation late",
        "lines": [{"invoice_line": line.pk, "amount": "500.00"}],
    }
    bodies = (body, {**body, "reason": "Another reason"})
    path, count = "/api/v1/credit-notes/", CreditNote.objects.count
    return _by_operator(net.azt, net.ktc, Role.OPERATOR_FINANCE, path, bodies, count)


def _late_bill(request: pytest.FixtureRequest) -> Case:
    net = request.getfixturevalue("late")
    return Case(
        net.azt_api,
        f"/api/v1/late-adjustments/{net.adjustment.pk}/bill/",
        {"reason": "Collector was down"},
        {"reason": "Another reason"},
        DebitNote.objects.count,
        net.ktc_api,
    )


def _period_close(request: pytest.FixtureRequest) -> Case:
    net = request.getfixturevalue("late")  # October closed by AZT, not by KTC
    return Case(
        net.ktc_api,
        "/api/v1/period-closes/",
        {"period": "2026-10"},
        {"period": "2026-09"},
        PeriodClose.objects.count,
        net.azt_api,
    )


# --- Webhooks (helper A) -----------------------------------------------------------------------
def _webhook(request: pytest.FixtureRequest) -> Case:
    """A partner's key subscribes a URL; the secret is shown once (null when replayed)."""
    net = request.getfixturevalue("sales_net")
    body = {"url": "https://hooks.example.com/tcfo", "event_types": ["order.state_changed"]}
    return Case(
        key_client(net.customer, Role.CUSTOMER_ADMIN)[0],
        "/api/v1/webhooks/",
        body,
        {**body, "url": "https://hooks.example.com/other"},
        WebhookSubscription.objects.count,
        key_client(net.other_customer, Role.CUSTOMER_ADMIN)[0],
        withheld=("secret",),
    )


# trouble tickets (issue 14, deliverable 4)
def _ticket_body(circuit_id: str, description: str) -> dict:
    contact = {"name": "Ann", "email_address": "ann@buyer.test"}
    return {
        "circuit_id": circuit_id,
        "severity": "significant",
        "observed_impact": "down",
        "description": description,
        "related_contact_information": [contact],
    }


def _trouble_ticket(request: pytest.FixtureRequest) -> Case:
    from ..leasing.test_orders import _completed

    net = request.getfixturevalue("sales_net")
    circuit_id = _completed(net).circuit_id
    return Case(
        key_client(net.customer)[0],
        "/api/v1/trouble-tickets/",
        _ticket_body(circuit_id, "No light."),
        _ticket_body(circuit_id, "Still no light."),
        leasing.TroubleTicket.objects.count,
        key_client(net.other_customer)[0],
    )


def _ticket_note(request: pytest.FixtureRequest) -> Case:
    from leasing.services.tickets import open_ticket

    from ..leasing.test_orders import _completed

    net = request.getfixturevalue("sales_net")
    ticket = open_ticket(
        service=_completed(net),
        actor=net.buyer,
        severity="minor",
        observed_impact="degraded",
        description="Errors on the line.",
        contact_name="Ann",
        contact_email="ann@buyer.test",
    )
    return Case(
        key_client(net.customer)[0],
        f"/api/v1/trouble-tickets/{ticket.pk}/notes/",
        {"note": "Errors again at 10:00."},
        {"note": "Another note."},
        leasing.TicketChange.objects.count,
        key_client(net.other_customer)[0],
    )


def _manual_line(request: pytest.FixtureRequest) -> Case:
    """helper E: a line added by hand to a draft of AZT's."""
    from billing.models import Invoice, InvoiceLine

    net = request.getfixturevalue("october")
    draft = Invoice.objects.create(
        billing_party=net.azt, customer=net.domestic, period="2026-11", currency="USD"
    )
    body = {
        "description": "Cross-connect",
        "quantity": "1",
        "unit_price": "100.00",
        "service_date": "2026-11-02",
        "path": "BAK-AKT",
    }
    bodies = (body, {**body, "description": "Another"})
    path = f"/api/v1/invoices/{draft.pk}/lines/"
    count = InvoiceLine.objects.count
    return _by_operator(net.azt, net.ktc, Role.OPERATOR_FINANCE, path, bodies, count)


CASES: dict[str, Callable[[pytest.FixtureRequest], Case]] = {
    "webhooks_create": _webhook,  # helper A: webhooks
    "quotes_create": _quote,
    "orders_create": _order,
    "outages_create": _outage,
    "maintenance_create": _maintenance,  # area: maintenance
    "segments_create": _segment,
    "api_keys_create": _api_key,
    "sites_create": _inventory(
        "/api/v1/sites/",
        leasing.Site,
        {"code": "GYD", "name": "Ganja", "kind": "pop", "country": "AZ", "operator": "AZT"},
        {"code": "GYD2"},
        Role.OPERATOR_NETWORK,
    ),
    "paths_create": _inventory(
        "/api/v1/paths/",
        leasing.Path,
        {
            "code": "AKT-BAK",
            "name": "back",
            "a_site": "AKT",
            "z_site": "BAK",
            "segment_codes": ["CLS-AKT", "BAK-CLS"],
        },
        {"code": "AKT-BAK2"},
        Role.OPERATOR_NETWORK,
    ),
    "fiber_pairs_create": _inventory(
        "/api/v1/fiber-pairs/",
        leasing.FiberPair,
        {
            "segment": "CLS-AKT",
            "name": "FP2",
            "grid": "flex",
            "band_start_slot": -2,
            "band_end_slot": 14,
        },
        {"name": "FP3"},
        Role.OPERATOR_NETWORK,
    ),
    "lit_carriers_create": _inventory(
        "/api/v1/lit-carriers/",
        leasing.LitCarrier,
        {
            "path": "BAK-AKT",
            "name": "OTN-1",
            "operator": "AZT",
            "capacity_gbps": 100,
            "spectrum_ghz": "50",
        },
        {"name": "OTN-2"},
        Role.OPERATOR_NETWORK,
    ),
    "products_create": _inventory(
        "/api/v1/products/",
        leasing.Product,
        {
            "code": "WL10",
            "name": "10G wavelength",
            "kind": "wavelength",
            "commercial_form": "lease",
            "bandwidth_mbps": 10_000,
            "spectrum_ghz": "50",
        },
        {"code": "WL10B"},
        Role.OPERATOR_FINANCE,
    ),
    "prices_create": _inventory(
        "/api/v1/prices/",
        leasing.Price,
        {
            "product": "WL100",
            "path": "BAK-AKT",
            "term_months": 36,
            "valid_from": "2026-01-01",
            "currency": "USD",
            "mrc": "10500.00",
            "nrc": "0.00",
        },
        {"term_months": 60},
        Role.OPERATOR_FINANCE,
    ),
    "payments_create": _payment,
    "credit_notes_create": _credit_note,
    "late_adjustments_bill_create": _late_bill,
    "period_closes_create": _period_close,
    "trouble_tickets_create": _trouble_ticket,
    "trouble_tickets_notes_create": _ticket_note,
    "invoices_lines_create": _manual_line,
}


def test_every_creating_post_takes_the_key_and_is_tested_here():
    assert len(CREATING_POSTS) >= 14
    for operation_id, (path, operation) in CREATING_POSTS.items():
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if operation_id in EXEMPT:
            assert "Idempotency-Key" not in headers, operation_id
            continue
        assert "Idempotency-Key" in headers, f"{path}: decorate it with @idempotent_post"
        assert "422" in operation["responses"], path
        assert operation_id in CASES, f"{path}: add a case to tests/api/test_idempotency.py"
    assert set(CASES) <= set(CREATING_POSTS)  # no case for an operation that is gone


@pytest.mark.parametrize("operation_id", IDEMPOTENT)
def test_the_same_key_and_body_give_the_first_answer_and_create_nothing_more(
    operation_id, request, django_capture_on_commit_callbacks
):
    case = CASES[operation_id](request)
    before = case.count()
    with django_capture_on_commit_callbacks(execute=True):
        first = case.client.post(case.path, case.body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    assert case.count() == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        again = case.client.post(case.path, case.body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replayed = {**first.json(), **dict.fromkeys(case.withheld)}
    assert (again.status_code, again.json()) == (201, replayed)
    assert again["Idempotent-Replayed"] == "true"
    assert case.count() == before + 1

    other = case.client.post(case.path, case.other_body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422, other.content
    assert other.json()["type"] == "idempotency_key_reused"
    assert case.count() == before + 1

    # Another client's same key is its own: never the first client's answer, nor refused as
    # reused (it may be refused for what it asks: not its invoice, a code taken...).
    theirs = case.other_client.post(case.path, case.body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert "Idempotent-Replayed" not in theirs, theirs.content
    assert theirs.status_code != 422, theirs.content
    if theirs.status_code == 201:
        assert theirs.json() != first.json()


def test_a_refused_request_keeps_no_answer_so_it_can_be_retried(sales_net):
    buyer = key_client(sales_net.customer)[0]
    body = {"product": "WL100", "path": "BAK-AKT", "term_months": 24, "start_date": "2026-12-01"}
    refused = buyer.post("/api/v1/quotes/", body, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    fixed = buyer.post(
        "/api/v1/quotes/", {**body, "term_months": 12}, format="json", HTTP_IDEMPOTENCY_KEY="r"
    )
    assert fixed.status_code == 201


def test_a_subclass_that_wraps_create_is_idempotent_once(net):
    """``PriceViewSet.create`` wraps the mixin's: the answer kept is the one it gives."""
    finance = key_client(net.azt, Role.OPERATOR_FINANCE)[0]
    body = {"product": "WL100", "path": "BAK-AKT", "term_months": 36, "valid_from": "2026-01-01",
            "currency": "USD", "mrc": "10500.00", "nrc": "0.00"}  # fmt: skip
    first = finance.post("/api/v1/prices/", body, format="json", HTTP_IDEMPOTENCY_KEY="p")
    assert first.json()["mrc"] == {"amount": "10500.00", "currency": "USD"}
    again = finance.post("/api/v1/prices/", body, format="json", HTTP_IDEMPOTENCY_KEY="p")
    assert again.json() == first.json()
    assert IdempotencyRecord.objects.get().response_body == first.json()
    assert leasing.Price.objects.filter(term_months=36).count() == 1


def test_a_replayed_api_key_answer_withholds_the_secret_that_was_never_stored(sales_net):
    client = session_client(UserFactory(organisation=sales_net.customer, role=Role.CUSTOMER_ADMIN))
    body = {"name": "OSS/BSS", "role": "customer_member"}
    first = client.post("/api/v1/api-keys/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/api-keys/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    secret = first.json()["key"]
    assert secret and again.json()["key"] is None
    assert again.headers["Idempotent-Replayed"] == "true"
    assert {**first.json(), "key": None} == again.json()  # the same key, by its prefix
    assert ApiKey.objects.filter(organisation=sales_net.customer).count() == 1
    stored = IdempotencyRecord.objects.get(key="k-1")
    assert secret not in str(stored.response_body)
