"""The portal's lists (tcfo_portal.lists): each filters with the API's FilterSet, sorts by the
API's ordering fields, pages 50 rows at a time and exports every filtered row as CSV; a bad
filter value is a message and a 400; another customer's rows never show, in the page or the
CSV."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from leasing.models import Quote
from leasing.services.orders import create_quote
from tcfo_portal.lists import csv_cell

from ..worlds import built_once, tenant_world

DASH = "\N{EN DASH}"  # of "1-50 of 60"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lists-media")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, module_media: Path) -> SimpleNamespace:
    from organisations.choices import Role

    from ..factories import UserFactory

    with built_once(django_db_blocker, module_media):
        w = tenant_world()
        w.admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True)
        yield w


@pytest.fixture(autouse=True)
def _media_root(settings: Any, module_media: Path) -> None:
    settings.MEDIA_ROOT = module_media


def _client(w: SimpleNamespace, who: str) -> Client:
    users = {
        "a": w.a_user,
        "b": w.b_user,
        "azt_finance": w.finance,
        "azt_network": w.azt_network,
        "admin": w.admin,
    }
    client = Client()
    client.force_login(users[who])
    return client


def _csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def _order_event(w: SimpleNamespace) -> Any:
    from events.models import Event

    return Event.objects.filter(organisation=w.a, subject_type="order").earliest("position")


# (list, viewer, a query that keeps the marker, one that leaves it out, a bad query, marker)
FILTERS = [
    (
        "quotes",
        "a",
        "ordered=false",
        "ordered=true",
        "ordered=maybe",
        lambda w: f'href="/orders/quotes/{w.a_quote.pk}/"',
    ),
    (
        "orders",
        "a",
        "state=submitted",
        "state=completed",
        "state=nonsense",
        lambda w: f'href="/orders/{w.a_order.pk}/"',
    ),
    (
        "orders",
        "azt_network",
        "state=open",
        "state=rejected",
        "created_after=yesterday",
        lambda w: f'href="/orders/{w.a_order.pk}/"',
    ),
    (
        "services",
        "a",
        "status=active",
        "status=terminated",
        "activated_after=2026-13-45",
        lambda w: f'href="/services/{w.transit.circuit_id}/"',
    ),
    (
        "contracts",
        "a",
        "start_before=2030-01-01",
        "start_after=2030-01-01",
        "start_after=x",
        lambda w: f'href="/contracts/{w.transit.contract.pk}/"',
    ),
    (
        "invoices",
        "azt_finance",
        "status=issued",
        "status=draft",
        "period=2026-13",
        lambda w: f'href="/invoices/{w.a_invoice.pk}/"',
    ),
    (
        "invoices",
        "a",
        "period=2026-10",
        "period=2026-09",
        "due_after=soon",
        lambda w: f'href="/invoices/{w.a_invoice.pk}/"',
    ),
    (
        "tickets",
        "a",
        "severity=significant",
        "severity=minor",
        "severity=awful",
        lambda w: f'href="/tickets/{w.a_ticket.pk}/"',
    ),
    (
        "tickets",
        "azt_network",
        "status=open",
        "status=closed",
        "status=sleeping",
        lambda w: f'href="/tickets/{w.a_ticket.pk}/"',
    ),
    (
        "outages",
        "azt_network",
        "open=false",
        "open=true",
        "open=maybe",
        lambda w: f'href="/network/outages/{w.a_outage.pk}/',
    ),
    (
        "events",
        "a",
        "subject_type=order",
        "subject_type=invoice",
        "since=tomorrow",
        lambda w: f"<code>{_order_event(w).uid}</code>",
    ),
    (
        "api-keys",
        "a",
        "revoked=false",
        "revoked=true",
        "revoked=perhaps",
        lambda w: w.a_key.prefix,
    ),
    (
        "webhooks",
        "a",
        "q=a-hook",
        "q=nothing-like-it",
        "ordering=colour",
        lambda w: w.a_webhook.url,
    ),
    (
        "audit-log",
        "admin",
        "record=A%27s+key",
        "record=no+such+record",
        "since=someday",
        lambda w: "A&#x27;s key",
    ),
]


@pytest.mark.parametrize(
    ("name", "who", "keeps", "leaves", "bad", "marker"),
    FILTERS,
    ids=[f"{f[0]}-{f[1]}" for f in FILTERS],
)
def test_a_filter_narrows_the_list_and_a_bad_value_is_a_400_with_a_message(
    world, name, who, keeps, leaves, bad, marker
):
    client = _client(world, who)
    url = reverse(name)
    shown = marker(world)
    everything = client.get(url)
    assert everything.status_code == 200 and shown in everything.content.decode()
    kept = client.get(f"{url}?{keeps}")
    assert kept.status_code == 200 and shown in kept.content.decode(), keeps
    left = client.get(f"{url}?{leaves}")
    assert left.status_code == 200 and shown not in left.content.decode(), leaves
    refused = client.get(f"{url}?{bad}")
    assert refused.status_code == 400, bad
    page = refused.content.decode()
    assert 'class="errorlist" role="alert"' in page and shown not in page
    csv_refused = client.get(f"{url}?{bad}&format=csv")
    assert csv_refused.status_code == 400 and csv_refused["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("quotes", "a"),
        ("orders", "a"),
        ("services", "a"),
        ("contracts", "a"),
        ("invoices", "a"),
        ("invoices", "azt_finance"),
        ("tickets", "a"),
        ("outages", "azt_network"),
        ("events", "a"),
        ("api-keys", "a"),
        ("webhooks", "a"),
        ("audit-log", "admin"),
    ],
)
def test_an_unknown_sort_is_a_400_naming_the_allowed_ones(world, name, who):
    response = _client(world, who).get(reverse(name), {"ordering": "colour"})
    assert response.status_code == 400
    assert "Sort by one of" in response.content.decode() or "Sort by" in response.content.decode()


def _quote_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/orders/quotes/(\d+)/"', page)]


@pytest.fixture
def many_quotes(world) -> list[Quote]:
    """55 quotes of customer A, each starting a day later; 3 of customer B."""
    sale = {"product": world.wl100, "term_months": 12, "path": world.path, "by": "t"}
    first = datetime.date(2027, 1, 1)
    quotes = [
        create_quote(customer=world.a, start_date=first + datetime.timedelta(days=k), **sale)
        for k in range(55)
    ]
    for k in range(3):
        create_quote(customer=world.b, start_date=first + datetime.timedelta(days=k), **sale)
    return quotes


def test_quotes_sort_page_and_export_every_row_of_the_customer_only(world, many_quotes):
    client = _client(world, "a")
    mine = Quote.objects.filter(customer=world.a).count()
    theirs = set(Quote.objects.filter(customer=world.b).values_list("pk", flat=True))
    assert mine > 55

    first = client.get("/quotes/", {"ordering": "start_date"}).content.decode()
    assert f"1{DASH}50 of {mine}" in first and 'rel="next"' in first
    ids = _quote_ids(first)
    assert len(ids) == 50
    starts = dict(Quote.objects.values_list("pk", "start_date"))
    assert [starts[pk] for pk in ids] == sorted(starts[pk] for pk in ids)
    assert 'aria-sort="ascending"' in first

    second = client.get("/quotes/", {"ordering": "start_date", "page": 2}).content.decode()
    rest = _quote_ids(second)
    assert len(rest) == mine - 50 and not set(rest) & set(ids)
    assert f"51{DASH}{mine} of {mine}" in second and 'rel="prev"' in second

    backwards = _quote_ids(client.get("/quotes/", {"ordering": "-start_date"}).content.decode())
    assert [starts[pk] for pk in backwards] == sorted(
        (starts[pk] for pk in backwards), reverse=True
    )

    rows = _csv_rows(client.get("/quotes/", {"ordering": "start_date", "format": "csv"}))
    header, body = rows[0], rows[1:]
    assert header[0] == "id" and "currency" in header and "mrc" in header
    exported = [int(row[0]) for row in body]
    assert len(exported) == mine and not set(exported) & theirs
    assert exported[:50] == ids
    # money as a plain decimal next to its currency
    money = [row[header.index(name)] for row in body for name in ("mrc", "nrc", "iru_price")]
    assert any(money) and all(re.fullmatch(r"-?\d+\.\d{2}", m) for m in money if m), money
    assert body[0][header.index("currency")] == "USD"

    # B sees none of A's, in the page or the CSV
    other = _client(world, "b")
    page_b = other.get("/quotes/").content.decode()
    assert not set(_quote_ids(page_b)) & set(exported)
    exported_b = {int(row[0]) for row in _csv_rows(other.get("/quotes/?format=csv"))[1:]}
    assert exported_b == theirs


def test_the_filters_keep_their_values_and_the_csv_link_keeps_the_filters(world):
    page = _client(world, "a").get("/orders/", {"state": "submitted", "ordering": "-created_at"})
    text = page.content.decode()
    assert '<option value="submitted" selected>' in text
    assert 'name="ordering" value="-created_at"' in text
    assert re.search(r'href="\?[^"]*state=submitted[^"]*format=csv"', text)
    assert ">Clear</a>" in text
    # the old links' "every state" still answers
    assert _client(world, "a").get("/orders/", {"state": "all"}).status_code == 200


def test_invoices_csv_has_totals_as_plain_decimals_with_their_currency(world):
    rows = _csv_rows(_client(world, "a").get("/invoices/", {"format": "csv"}))
    header = rows[0]
    assert header[:10] == [
        "number",
        "status",
        "billing_party",
        "customer",
        "period",
        "currency",
        "subtotal",
        "tax",
        "total",
        "due_date",
    ]
    numbers = {row[0] for row in rows[1:]}
    assert world.a_invoice.number in numbers and world.b_invoice.number not in numbers
    for row in rows[1:]:
        assert re.fullmatch(r"-?\d+\.\d{2}", row[header.index("total")]), row
        assert row[header.index("currency")] == "USD"
    # /invoices.csv is the same export
    legacy = _csv_rows(_client(world, "a").get("/invoices.csv"))
    assert legacy == rows


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(world):
    from events.models import WebhookSubscription

    WebhookSubscription.objects.create(
        organisation=world.a,
        url="https://hooks.example.com/formula",
        description='=HYPERLINK("http://evil.test","x")',
        secret="whsec_x",
        created_by="@admin",
    )
    rows = _csv_rows(_client(world, "a").get("/webhooks/", {"format": "csv"}))
    header = rows[0]
    row = next(r for r in rows if r[header.index("url")] == "https://hooks.example.com/formula")
    assert row[header.index("description")] == '\'=HYPERLINK("http://evil.test","x")'
    assert row[header.index("created_by")] == "'@admin"
    assert csv_cell("+1") == "'+1" and csv_cell("-2") == "'-2" and csv_cell("\tx") == "'\tx"
    assert csv_cell(Decimal("-12.50")) == Decimal("-12.50")  # a number stays a number
    assert csv_cell("plain") == "plain" and csv_cell(None) == ""


def test_quote_this_opens_the_new_quote_form_prefilled(world):
    client = _client(world, "a")
    catalog = client.get("/catalog/").content.decode()
    links = re.findall(r'href="(/orders/quote/\?[^"]+)"[^>]*class="quote-this"', catalog)
    wanted = f"product={world.wl100.code}&amp;path={world.path.code}&amp;"
    link = next(link for link in links if wanted in link)
    form = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'<option value="{world.wl100.code}" selected>' in form
    assert f'<option value="{world.path.code}" selected>' in form
    availability = client.get(
        "/catalog/availability/",
        {"product": world.wl100.code, "path": world.path.code, "start_date": "2027-03-01"},
    ).content.decode()
    quote_this = re.search(r'href="(/orders/quote/\?[^"]+)">Quote this', availability)
    assert quote_this, "an available answer offers to quote it"
    prefilled = client.get(quote_this.group(1).replace("&amp;", "&")).content.decode()
    assert 'value="2027-03-01"' in prefilled


def test_quotes_are_in_the_menu_of_those_who_place_orders_only(world):
    assert 'href="/quotes/"' in _client(world, "a").get("/").content.decode()
    assert 'href="/quotes/"' not in _client(world, "azt_finance").get("/").content.decode()
    assert _client(world, "azt_finance").get("/quotes/").status_code == 403
