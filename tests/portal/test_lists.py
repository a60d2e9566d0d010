"""The portal's lists (tcfo_portal.lists): each filters with the API's FilterSet, sorts by the
API's ordering fields, pages 50 rows at a time and exports every filtered row as CSV; a bad
filter value is a message and a 400; another customer's rows never show, in the page or the
CSV."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable
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
    assert 'class="errorlist" aria-live="assertive"' in page and shown not in page
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


# --- i15-i begin: late adjustments, aging, maintenance, planned work and its outages, locked
# logins: each filters, refuses a bad value, sorts, pages and exports its visible rows only ---
def _client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ids(pattern: str) -> Callable[[str], list[str]]:
    return lambda page: re.findall(pattern, page)


I_FILTERS = [
    (
        "late-adjustments",
        "azt_finance",
        "status=open",
        "status=dismissed",
        "period=2026-13",
        lambda w: f'id="late-{w.a_late.pk}"',
    ),
    ("aging", "azt_finance", "currency=USD", "currency=EUR", "bucket=soon", None),
    (
        "maintenance-list",
        "azt_network",
        "status=completed",
        "status=scheduled",
        "window_start_after=someday",
        lambda w: f'href="/network/maintenance/{w.a_maintenance.pk}/"',
    ),
    (
        "planned-work",
        "a",
        "status=completed",
        "status=cancelled",
        "status=maybe",
        lambda w: f'id="maintenance-{w.a_maintenance.pk}"',
    ),
    (
        "planned-outages",
        "a",
        "open=false",
        "open=true",
        "open=maybe",
        lambda w: f'id="outage-{w.a_outage.pk}"',
    ),
]


@pytest.mark.parametrize(
    ("name", "who", "keeps", "leaves", "bad", "marker"),
    I_FILTERS,
    ids=[f"{f[0]}-{f[1]}" for f in I_FILTERS],
)
def test_more_lists_filter_and_refuse_a_bad_value_with_a_message(
    world, name, who, keeps, leaves, bad, marker
):
    marker = marker or (lambda w: f'href="/invoices/{w.a_invoice.pk}/"')
    test_a_filter_narrows_the_list_and_a_bad_value_is_a_400_with_a_message(
        world, name, who, keeps, leaves, bad, marker
    )


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("late-adjustments", "azt_finance"),
        ("aging", "azt_finance"),
        ("maintenance-list", "azt_network"),
        ("planned-work", "a"),
        ("planned-outages", "a"),
        ("lockouts", "admin"),
    ],
)
def test_more_lists_refuse_an_unknown_sort_naming_the_allowed_ones(world, name, who):
    test_an_unknown_sort_is_a_400_naming_the_allowed_ones(world, name, who)
    refused = _client(world, who).get(reverse(name), {"ordering": "colour", "format": "csv"})
    assert refused.status_code == 400 and "Sort by one of" in refused.content.decode()


def _pages_sorted_and_exported(
    client: Client,
    url: str,
    *,
    sort: str,
    page_ids: Callable[[str], list[str]],
    key: str,
    expected: set[str],
    value: Callable[[list[str], list[str]], Any],
) -> None:
    """Page 1 and 2 of ``url`` sorted by ``sort`` hold every expected row once, in the order of
    the CSV, which holds exactly the ``expected`` rows (by the ``key`` column), sorted."""
    total = len(expected)
    assert total > 50
    first = client.get(url, {"ordering": sort}).content.decode()
    assert f"1{DASH}50 of {total}" in first and 'rel="next"' in first
    assert 'aria-sort="descending"' in first or 'aria-sort="ascending"' in first
    ids = page_ids(first)
    second = client.get(url, {"ordering": sort, "page": 2}).content.decode()
    assert f"51{DASH}{total} of {total}" in second and 'rel="prev"' in second
    rest = page_ids(second)
    assert len(ids) == 50 and len(rest) == total - 50 and not set(ids) & set(rest)
    rows = _csv_rows(client.get(url, {"ordering": sort, "format": "csv"}))
    header, body = rows[0], rows[1:]
    exported = [row[header.index(key)] for row in body]
    assert set(exported) == expected and len(exported) == total
    assert exported == ids + rest
    values = [value(header, row) for row in body]
    descending = sort.startswith("-")
    assert values == sorted(values, reverse=descending), values


def test_late_adjustments_sort_page_and_export_the_billing_partys_only(world):
    from billing.choices import LateKind, LateStatus
    from billing.models import LateAdjustment
    from billing.services.closing import late_adjustments_for

    for k in range(55):
        LateAdjustment.objects.create(
            contract=world.iru_service.contract,
            period=f"{2020 + k // 12}-{k % 12 + 1:02d}",
            kind=LateKind.OUTAGE,
            status=LateStatus.DISMISSED if k % 2 else LateStatus.OPEN,
            currency="USD",
            billed_value=Decimal(1),
            current_value=Decimal(2),
            amount=Decimal(k) + Decimal("0.50"),
            reason="test" if k % 2 else "",
        )
    expected = {str(pk) for pk in late_adjustments_for(world.finance).values_list("pk", flat=True)}
    _pages_sorted_and_exported(
        _client(world, "azt_finance"),
        reverse("late-adjustments"),
        sort="-amount",
        page_ids=_ids(r'<tr id="late-(\d+)">'),
        key="id",
        expected=expected,
        value=lambda header, row: Decimal(row[header.index("amount")]),
    )
    # a choice reads "Any" when not chosen (once, not after django-filters' "---------")
    page = _client(world, "azt_finance").get(reverse("late-adjustments")).content.decode()
    assert '<option value="" selected>Any</option>' in page and "---------" not in page
    # The default order: those to decide first; "decided" is no longer cut at 50.
    page = _client(world, "azt_finance").get(reverse("late-adjustments"), {"page": 2})
    assert page.status_code == 200 and "Dismissed" in page.content.decode()
    # another billing party's finance staff export none of them
    outsider = _client_of(world.third_finance)
    rows = _csv_rows(outsider.get(reverse("late-adjustments"), {"format": "csv"}))
    assert rows[1:] == []


def test_aging_filters_sorts_pages_and_exports_with_totals_of_the_rows_kept(world):
    from django.utils import timezone

    from billing.models import Invoice
    from billing.services.drafts import add_manual_line
    from billing.services.payments import aging

    for k in range(55):
        invoice = Invoice.objects.create(
            billing_party=world.azt,
            customer=world.a,
            period=f"{2031 + k // 12}-{k % 12 + 1:02d}",
            currency="USD",
        )
        add_manual_line(
            invoice=invoice,
            description="cross-connect",
            quantity=Decimal(1),
            unit_price=Decimal(100 + k),
            service_date=datetime.date(2031 + k // 12, k % 12 + 1, 1),
            path=world.path,
            actor=world.finance,
        )
        Invoice.objects.filter(pk=invoice.pk).update(
            status="issued",
            number=f"AG-{k:04d}",
            issued_at=timezone.now(),
            due_date=timezone.localdate() - datetime.timedelta(days=k * 3),
        )
    expected = {str(row.invoice.pk) for row in aging(billing_party=world.azt).rows}
    client = _client(world, "azt_finance")
    _pages_sorted_and_exported(
        client,
        reverse("aging"),
        sort="-days_overdue",
        page_ids=_ids(r'href="/invoices/(\d+)/"'),
        key="invoice",
        expected=expected,
        value=lambda header, row: int(row[header.index("days_overdue")]),
    )
    # a bucket keeps its rows only, and the totals are theirs
    page = client.get(reverse("aging"), {"bucket": "90+", "q": "AG-"}).content.decode()
    kept = [r for r in aging(billing_party=world.azt).rows if r.bucket == "90+"]
    kept = [r for r in kept if r.invoice.number.startswith("AG-")]
    assert kept and f"1{DASH}{len(kept)} of {len(kept)}" in page
    assert 'data-bucket="0-30"' not in page and 'data-bucket="90+"' in page
    total = sum(r.owed for r in kept)
    assert f"{total:,.2f} USD" in page
    # a customer is refused the page, and its CSV
    assert _client(world, "a").get(reverse("aging"), {"format": "csv"}).status_code == 403


def test_maintenance_lists_sort_page_and_export_the_viewers_only(world):
    from leasing.models import Maintenance
    from leasing.selectors import maintenance_for

    start = datetime.datetime(2027, 3, 1, 2, 0, tzinfo=datetime.UTC)
    for k in range(55):
        m = Maintenance.objects.create(
            window_start=start + datetime.timedelta(days=k),
            window_end=start + datetime.timedelta(days=k, hours=2),
            impact="degraded",
            reason=f"splice {k}",
            status="scheduled",
            created_by="t",
        )
        m.segments.set([world.sea])
    for who, user, name in (
        ("azt_network", world.azt_network, "maintenance-list"),
        ("a", world.a_user, "planned-work"),
    ):
        expected = {str(pk) for pk in maintenance_for(user).values_list("pk", flat=True)}
        _pages_sorted_and_exported(
            _client(world, who),
            reverse(name),
            sort="-window_start",
            page_ids=_ids(r'<tr id="maintenance-(\d+)">'),
            key="id",
            expected=expected,
            value=lambda header, row: row[header.index("window_start")],
        )
    # the API's filters, labelled for people
    page = _client(world, "a").get(reverse("planned-work")).content.decode()
    assert "[invalid name]" not in page and ">Circuit ID</label>" in page
    # the customer's CSV names its own affected circuits only
    rows = _csv_rows(_client(world, "a").get(reverse("planned-work"), {"format": "csv"}))
    header = rows[0]
    circuits = {c for row in rows[1:] for c in row[header.index("your_affected_circuits")].split()}
    assert world.b.services.exists() and circuits
    assert not circuits & set(world.b.services.values_list("circuit_id", flat=True))
    # an operator with no share of the sea segment sees none of them
    third = _client_of(world.third_network)
    assert _csv_rows(third.get(reverse("planned-work"), {"format": "csv"}))[1:] == []


def test_planned_outages_sort_page_and_export_the_viewers_only(world):
    from leasing.models import Outage
    from leasing.selectors import outages_for

    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    for k in range(55):
        Outage.objects.create(
            segment=world.sea,
            started_at=start + datetime.timedelta(hours=k),
            ended_at=start + datetime.timedelta(hours=k, minutes=5),
            description=f"flap {k}",
            recorded_by="t",
        )
    expected = {str(pk) for pk in outages_for(world.a_user).values_list("pk", flat=True)}
    client = _client(world, "a")
    _pages_sorted_and_exported(
        client,
        reverse("planned-outages"),
        sort="started_at",
        page_ids=_ids(r'<tr id="outage-(\d+)">'),
        key="id",
        expected=expected,
        value=lambda header, row: row[header.index("started_at")],
    )
    # the planned work page shows the latest and links to them all
    page = client.get(reverse("planned-work")).content.decode()
    assert page.count('<tr id="outage-') == 10 and 'href="/planned-work/outages/"' in page
    third = _client_of(world.third_network)
    assert _csv_rows(third.get(reverse("planned-outages"), {"format": "csv"}))[1:] == []


def test_locked_logins_filter_search_sort_page_and_export(world):
    from axes.models import AccessAttempt

    def attempt(username: str, address: str, failures: int) -> None:
        AccessAttempt.objects.create(
            username=username,
            ip_address=address,
            user_agent="test",
            get_data="",
            post_data="",
            http_accept="*/*",
            path_info="/accounts/login/",
            failures_since_start=failures,
        )

    for k in range(54):
        attempt(f"locked{k:02d}", f"198.51.100.{k + 1}", 5 + k % 7)
    client = _client(world, "admin")
    url = reverse("lockouts")
    accounts = {f"locked{k:02d}" for k in range(54)}
    # each address failed on one account only: 54 accounts and 54 addresses are locked
    kept = client.get(url, {"kind": "account", "ordering": "name"}).content.decode()
    names = re.findall(r'aria-label="Unlock account ([^"]+)"', kept)
    assert names == sorted(names) and len(names) == 50 and "Unlock address" not in kept
    assert f"1{DASH}50 of 54" in kept
    rest = client.get(url, {"kind": "account", "ordering": "name", "page": 2}).content.decode()
    assert re.findall(r'aria-label="Unlock account ([^"]+)"', rest) == sorted(accounts)[50:]
    found = client.get(url, {"q": "198.51.100.7"}).content.decode()  # its account too
    assert 'aria-label="Unlock address 198.51.100.7"' in found
    assert 'aria-label="Unlock account locked06"' in found
    assert 'aria-label="Unlock account locked01"' not in found
    refused = client.get(url, {"kind": "robots"})
    assert (
        refused.status_code == 400
        and 'class="errorlist" aria-live="assertive"' in refused.content.decode()
    )
    assert client.get(url, {"kind": "robots", "format": "csv"}).status_code == 400

    rows = _csv_rows(client.get(url, {"kind": "account", "ordering": "-failures", "format": "csv"}))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["kind", "username", "ip_address", "failures"]
    assert {row[1] for row in body} == accounts and {row[0] for row in body} == {"account"}
    failures = [int(row[3]) for row in body]
    assert failures == sorted(failures, reverse=True)
    everything = _csv_rows(client.get(url, {"format": "csv"}))[1:]
    assert len(everything) == 108
    # not a platform admin: refused
    assert _client(world, "azt_finance").get(url, {"format": "csv"}).status_code == 403


# --- i15-i end ---
