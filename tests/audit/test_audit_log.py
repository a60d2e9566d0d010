"""The audit log: every change to prices, products, inventory, ownership, organisations, users,
roles and API keys, and every money action, with who, when and what changed; read by platform
admins (all) and an operator's staff (their organisation's records and the consortium's)."""

from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from audit.selectors import entries_for
from billing.models import CreditNote, DebitNote, Invoice, Payment, PaymentReversal
from billing.periods import local_date
from leasing.models import (
    CapacityAllocation,
    OwnershipShare,
    Price,
    Site,
    SpectrumReservation,
)
from leasing.services.inventory import set_segment_ownership
from leasing.services.orders import create_quote, place_order
from organisations.api.authentication import ApiKeyActor
from organisations.choices import Role
from organisations.models import ApiKey, Organisation, User
from organisations.services import create_api_key

from ..conftest import key_client, session_client
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def entries(model, **filters):
    content_type = ContentType.objects.get_for_model(model)
    return LogEntry.objects.filter(content_type=content_type, **filters).order_by("pk")


def who(entry) -> str:
    return entry.additional_data["actor"]


# --- What is recorded -----------------------------------------------------------------------------


def test_a_price_changed_in_a_session_names_the_person_the_time_and_the_change(net):
    finance = UserFactory(organisation=net.azt, role=Role.OPERATOR_FINANCE, username="ana")
    before = datetime.datetime.now(datetime.UTC)
    response = session_client(finance).patch(
        f"/api/v1/prices/{net.price.pk}/", {"valid_to": "2027-01-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    (entry,) = entries(Price, action=LogEntry.Action.UPDATE)
    assert entry.actor == finance
    assert who(entry) == "ana"
    assert entry.timestamp >= before
    assert entry.changes_dict == {"valid_to": ["None", "2027-01-01"]}
    assert entry.remote_addr == "127.0.0.1"


def test_an_api_key_is_named_by_its_prefix_and_organisation(net):
    api, key = key_client(net.azt, Role.OPERATOR_NETWORK)
    response = api.patch("/api/v1/sites/BAK/", {"name": "Baku PoP"}, format="json")
    assert response.status_code == 200, response.content
    (entry,) = entries(Site, action=LogEntry.Action.UPDATE)
    assert entry.actor is None
    assert who(entry) == f"API key {key.prefix} (AZT)"
    assert entry.changes_dict == {"name": ["Baku", "Baku PoP"]}


def test_ownership_and_capacity_written_in_bulk_are_recorded(sales_net):
    net = sales_net
    set_segment_ownership(
        segment=net.sea,
        valid_from=datetime.date(2027, 1, 1),
        shares={net.azt: Decimal(30), net.ktc: Decimal(70)},
    )
    shares = {
        json.loads(json.dumps(e.changes_dict))["percent"][1]
        for e in entries(OwnershipShare, action=LogEntry.Action.CREATE)
    }
    assert {"30", "70"} <= shares

    quote = create_quote(
        customer=net.customer,
        product=net.wl100,
        path=net.path,
        term_months=12,
        start_date=datetime.date(2026, 12, 1),
        by="t",
    )
    place_order(quote=quote, by="t")
    assert entries(CapacityAllocation, action=LogEntry.Action.CREATE).count() == 1
    reserved = entries(SpectrumReservation, action=LogEntry.Action.CREATE)
    assert reserved.count() == 2  # one a fiber pair of each segment of the path


def test_organisations_users_roles_and_keys_are_recorded_without_secrets(net):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None, username="root")
    client = Client()
    client.force_login(admin)
    user = UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK)
    response = client.post(
        f"/admin/organisations/user/{user.pk}/change/",
        {
            "username": user.username,
            "email": user.email,
            "first_name": "",
            "last_name": "",
            "organisation": net.azt.pk,
            "role": Role.OPERATOR_FINANCE,
            "is_active": "on",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (role_change,) = entries(User, action=LogEntry.Action.UPDATE, object_pk=str(user.pk))
    assert role_change.changes_dict["role"] == ["operator_network", "operator_finance"]
    assert who(role_change) == "root"

    user.set_password("another secret entirely")
    user.save()
    api_key, secret = create_api_key(organisation=net.azt, name="collector")
    net.azt.legal_name = "AzerTelecom LLC"
    net.azt.save()

    (created,) = entries(ApiKey, action=LogEntry.Action.CREATE)
    assert created.object_pk == api_key.prefix
    assert entries(Organisation, action=LogEntry.Action.UPDATE).get().changes_dict == {
        "legal_name": ["AZT Ltd", "AzerTelecom LLC"]
    }
    everything = json.dumps(
        list(LogEntry.objects.values("object_pk", "object_repr", "changes", "changes_text")),
        default=str,
    )
    assert api_key.hashed_key not in everything
    assert secret.partition(".")[2] not in everything
    assert User.objects.get(pk=user.pk).password not in everything
    assert '"password"' not in everything


def test_every_money_action_is_recorded_with_who_did_it(late, django_capture_on_commit_callbacks):
    net = late
    # Issuing, during the fixture: draft -> issued with its number.
    issued = entries(Invoice, action=LogEntry.Action.UPDATE, object_pk=str(net.a_invoice.pk))
    assert any(
        e.changes_dict.get("status") == ["draft", "issued"] and "number" in e.changes_dict
        for e in issued
    )
    api, label = net.azt_api, f"API key {net.azt_key.prefix} (AZT)"
    with django_capture_on_commit_callbacks(execute=True):
        debit = api.post(
            f"/api/v1/late-adjustments/{net.adjustment.pk}/bill/", {"reason": "Collector down"}
        )
        assert debit.status_code == 201, debit.content
        paid = api.post(
            "/api/v1/payments/",
            {
                "invoice": net.a_invoice.pk,
                "amount": "100.00",
                "currency": "USD",
                "received_on": local_date(net.a_invoice.issued_at, net.azt.time_zone).isoformat(),
            },
        )
        assert paid.status_code == 201, paid.content
        payment = Payment.objects.get(pk=paid.json()["id"])
        reversed_ = api.post(f"/api/v1/payments/{payment.pk}/reverse/", {"reason": "Bounced"})
        assert reversed_.status_code == 200, reversed_.content
        line = net.a_invoice.lines.order_by("pk").first()
        credited = api.post(
            "/api/v1/credit-notes/",
            {
                "invoice": net.a_invoice.pk,
                "reason": "Goodwill",
                "lines": [{"invoice_line": line.pk, "amount": "10.00"}],
            },
        )
        assert credited.status_code == 201, credited.content
    for model in (DebitNote, Payment, PaymentReversal, CreditNote):
        (entry,) = entries(model, action=LogEntry.Action.CREATE)
        assert who(entry) == label, model
    assert entries(DebitNote).get().changes_dict["reason"][1] == "Collector down"
    assert entries(Payment).get().changes_dict["amount"][1] == "100.00"


# --- Who reads what ----------------------------------------------------------------------------


@pytest.fixture
def changes(net):
    """A change to a site of each operator, a consortium ownership, and a customer's user."""
    for code in ("BAK", "AKT"):
        site = Site.objects.get(code=code)
        site.name = f"{site.name} PoP"
        site.save()
    set_segment_ownership(
        segment=net.land, valid_from=datetime.date(2027, 1, 1), shares={net.azt: Decimal(100)}
    )
    UserFactory(organisation=net.customer, role=Role.CUSTOMER_MEMBER)
    return net


def _reprs(response) -> str:
    return response.content.decode()


def test_platform_admins_read_every_entry(changes):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None)
    assert entries_for(admin).count() == LogEntry.objects.count()
    html = session_client(admin).get("/audit/").content.decode()
    for record in ("Baku PoP (BAK)", "Aktau PoP (AKT)", "BAK-CLS from 2027-01-01"):
        assert record in html


@pytest.mark.parametrize("role", [Role.OPERATOR_FINANCE, Role.OPERATOR_NETWORK])
def test_operator_staff_read_their_organisations_records_and_the_consortiums(changes, role):
    azt_staff = UserFactory(organisation=changes.azt, role=role)
    visible = entries_for(azt_staff)
    reprs = set(visible.values_list("object_repr", flat=True))
    assert "Baku PoP (BAK)" in reprs  # AZT's site
    assert "Aktau PoP (AKT)" not in reprs  # KTC's site
    assert "BAK-CLS from 2027-01-01" in reprs  # the consortium's ownership
    customers_user = entries(User).filter(audit_scopes__organisation=changes.customer)
    assert customers_user.exists()
    assert not visible.filter(pk__in=customers_user.values("pk")).exists()

    page = session_client(azt_staff).get("/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Baku PoP (BAK)" in html
    assert "Aktau PoP (AKT)" not in html
    assert 'name="organisation"' not in html  # that filter is the platform admins'


@pytest.mark.parametrize("role", [Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER])
def test_customers_never_see_the_audit_log(changes, role):
    customer = UserFactory(organisation=changes.customer, role=role)
    assert session_client(customer).get("/audit/").status_code == 403
    assert entries_for(customer).count() == 0
    labels = [e["label"] for e in session_client(customer).get("/").context["nav"]]
    assert "Audit log" not in labels


def test_api_keys_read_no_audit_entries(changes):
    _, key = key_client(changes.azt, Role.OPERATOR_FINANCE)
    assert entries_for(ApiKeyActor(key)).count() == 0


def test_only_platform_admins_see_from_which_address_a_change_came(sales_net):
    """A customer's order changes the consortium's capacity: the operators' staff read those
    entries, not the customer's address."""
    buyer_address = "198.51.100.23"
    buyer = session_client(sales_net.buyer)
    quote = buyer.post(
        "/api/v1/quotes/",
        {"product": "WL100", "path": "BAK-AKT", "term_months": 12, "start_date": "2026-12-01"},
        format="json",
        REMOTE_ADDR=buyer_address,
    )
    assert quote.status_code == 201, quote.content
    order = buyer.post(
        "/api/v1/orders/", {"quote": quote.json()["id"]}, format="json", REMOTE_ADDR=buyer_address
    )
    assert order.status_code == 201, order.content
    (allocation,) = entries(CapacityAllocation, action=LogEntry.Action.CREATE)
    assert allocation.remote_addr == buyer_address

    staff = sales_net.noc  # AZT's network staff
    html = session_client(staff).get("/audit/").content.decode()
    assert "Capacity allocation" in html
    assert buyer_address not in html
    assert entries_for(staff).get(pk=allocation.pk).actor_address is None

    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None)
    assert buyer_address in session_client(admin).get("/audit/").content.decode()
    assert entries_for(admin).get(pk=allocation.pk).actor_address == buyer_address


def test_the_page_filters_and_pages_and_answers_bad_filters_with_a_400(changes):
    admin = session_client(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    site_type = ContentType.objects.get_for_model(Site).pk
    sites = admin.get(f"/audit/?record_type={site_type}&action=1")
    assert sites.status_code == 200
    assert [e.object_repr for e in sites.context["page"].object_list] == [
        "Aktau PoP (AKT)",
        "Baku PoP (BAK)",
    ]
    ktc_only = admin.get(f"/audit/?record_type={site_type}&action=1&organisation={changes.ktc.pk}")
    assert [e.object_repr for e in ktc_only.context["page"].object_list] == ["Aktau PoP (AKT)"]
    nobody = admin.get("/audit/?actor=nobody-did-this")
    assert list(nobody.context["page"].object_list) == []
    today = timezone.now().date().isoformat()
    assert admin.get(f"/audit/?since={today}&until={today}").context["page"].paginator.count

    for bad in ("since=yesterday", "record_type=abc", "action=9", "until=2026-13-01"):
        response = admin.get(f"/audit/?{bad}")
        assert response.status_code == 400, bad
        assert 'class="errorlist"' in response.content.decode()
    for page in ("%C2%B2", "-1", "x"):  # a page that is no page number shows one that is
        assert admin.get(f"/audit/?page={page}").status_code == 200
    assert admin.get("/audit/?since=2027-01-02&until=2027-01-01").status_code == 400

    for n in range(60):
        Site.objects.filter(code="BAK").update(name=f"x{n}")  # no signal: not logged
        site = Site.objects.get(code="BAK")
        site.name = f"Baku {n}"
        site.save()
    first = admin.get(f"/audit/?record_type={site_type}")
    assert first.context["page"].paginator.num_pages == 2
    second = admin.get(f"/audit/?record_type={site_type}&page=2")
    assert len(second.context["page"].object_list) == 3 + 2 + 60 - 50  # created, renamed
    assert "Previous</a>" in second.content.decode()  # the shared pagination (i15-b)


# --- Outside requests: tasks ----------------------------------------------------------------------


@pytest.mark.celery_worker
def test_a_celery_task_is_named_as_the_actor(sales_net, celery_worker):
    from leasing.tasks import expire_holds

    from ..conftest import wait_until

    net = sales_net
    quote = create_quote(
        customer=net.customer,
        product=net.wl100,
        path=net.path,
        term_months=12,
        start_date=datetime.date(2026, 12, 1),
        by="t",
    )
    order = place_order(quote=quote, by="t")
    CapacityAllocation.objects.filter(pk=order.allocation_id).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    expire_holds.delay()

    def released():
        updates = entries(CapacityAllocation, action=LogEntry.Action.UPDATE)
        return [e for e in updates if "released" in e.changes_dict.get("status", [])]

    assert wait_until(lambda: bool(released()))
    assert who(released()[0]) == "task leasing.tasks.expire_holds"


def test_a_management_command_is_named_as_the_actor(net, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setattr(sys, "argv", ["manage.py", "create_api_key", "--org", "AZT"])
    call_command("create_api_key", "--org", "AZT", stdout=StringIO())
    (entry,) = entries(ApiKey, action=LogEntry.Action.CREATE)
    assert entry.actor is None
    assert who(entry) == "manage.py create_api_key"
