"""Portal pages of the catalog and network, and the pictures they draw."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from leasing.choices import AllocationStatus
from leasing.services.capacity import allocate_capacity
from leasing.services.inventory import set_segment_ownership
from organisations.choices import Role

from ..factories import UserFactory
from .conftest import START

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str, css_class: str) -> ET.Element:
    start = html.index(f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}"')
    end = html.index("</svg>", start) + len("</svg>")
    return ET.fromstring(html[start:end])  # noqa: S314 - our own output


@pytest.fixture
def customer_user(net):
    return UserFactory(organisation=net.customer, role=Role.CUSTOMER_MEMBER)


@pytest.fixture
def network_user(net):
    return UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK)


def test_the_catalog_lists_products_with_their_prices(client, customer_user, net):
    client.force_login(customer_user)
    html = client.get(reverse("catalog")).content.decode()
    assert "100G wavelength" in html
    assert "12,500.00 USD a month + 5,000.00 USD once" in html
    html = client.get(reverse("catalog"), {"date": "2025-06-01"}).content.decode()
    assert "12,500.00 USD" not in html
    assert client.get(reverse("catalog"), {"date": "June"}).status_code == 400


def test_the_availability_page_answers_from_the_inventory(client, customer_user, net):
    client.force_login(customer_user)
    allocate_capacity(product=net.wl100, holder=net.other_customer, start_date=START, path=net.path)
    response = client.get(
        reverse("availability"),
        {"product": "WL100", "path": "BAK-AKT", "start_date": "2026-12-01"},
    )
    assert response.status_code == 200
    assert response.context["result"].free_units == 3
    assert "Available" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"product": "WL100", "start_date": "2026-12-01"}, "is sold on a path"),
        ({"product": "IPT10", "path": "BAK-AKT", "start_date": "2026-12-01"}, "sold at a PoP"),
        (
            {"product": "NOPE", "path": "BAK-AKT", "start_date": "2026-12-01"},
            "Select a valid choice",
        ),
        ({"product": "WL100", "path": "BAK-AKT", "start_date": "someday"}, "Enter a valid date"),
    ],
)
def test_a_bad_availability_question_is_a_400_with_the_reason(
    client, customer_user, net, query, message
):
    client.force_login(customer_user)
    response = client.get(reverse("availability"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_date_pickers_get_their_value_as_yyyy_mm_dd_whatever_the_language(
    client, customer_user, net
):
    """``<input type=date>`` takes only YYYY-MM-DD: en-gb's 28/11/2026 showed an empty picker."""
    client.force_login(customer_user)
    query = {"start_date": "2026-11-28"}
    html = client.get(reverse("availability"), query).content.decode()
    assert 'type="date" name="start_date" value="2026-11-28"' in html


def test_the_route_is_drawn_with_its_sites_segments_and_owners(client, customer_user, net):
    client.force_login(customer_user)
    html = client.get(reverse("path", args=["BAK-AKT"])).content.decode()
    svg = _svg(html, "route")
    sites = [g.get("data-site") for g in svg.iter(f"{SVG}g") if g.get("data-site")]
    assert sites == ["BAK", "CLS", "AKT"]
    segments = {
        g.get("data-segment"): g.get("class") for g in svg.iter(f"{SVG}g") if g.get("data-segment")
    }
    assert segments == {"BAK-CLS": "segment terrestrial", "CLS-AKT": "segment subsea"}
    shares = [t.text for t in svg.iter(f"{SVG}title") if t.text and t.text.startswith("CLS-AKT:")]
    assert shares == ["CLS-AKT: AZT 50%", "CLS-AKT: KTC 50%"]
    # The subsea share bar is split in proportion: two halves of the same width.
    widths = [
        float(r.get("width"))
        for g in svg.iter(f"{SVG}g")
        if g.get("data-segment") == "CLS-AKT"
        for r in g.iter(f"{SVG}rect")
    ]
    assert len(widths) == 2 and widths[0] == pytest.approx(widths[1])


def test_the_route_shows_the_owners_of_the_day_asked(client, customer_user, net):
    set_segment_ownership(
        segment=net.sea, valid_from=datetime.date(2027, 1, 1), shares={net.ktc: Decimal(100)}
    )
    client.force_login(customer_user)
    html = client.get(reverse("path", args=["BAK-AKT"]), {"date": "2027-02-01"}).content.decode()
    shares = [
        t.text
        for t in _svg(html, "route").iter(f"{SVG}title")
        if t.text and t.text.startswith("CLS-AKT:")
    ]
    assert shares == ["CLS-AKT: KTC 100%"]


def _blocks(html: str) -> list[ET.Element]:
    return [r for r in _svg(html, "spectrum-map").iter(f"{SVG}rect") if r.get("data-state")]


def test_operators_see_who_holds_the_spectrum(client, network_user, net):
    allocate_capacity(
        product=net.wl100,
        holder=net.customer,
        start_date=START,
        path=net.path,
        status=AllocationStatus.ACTIVE,
    )
    allocate_capacity(product=net.wl100, holder=net.other_customer, start_date=START, path=net.path)
    client.force_login(network_user)
    html = client.get(reverse("spectrum-map", args=[net.fp_sea.pk])).content.decode()
    blocks = _blocks(html)
    assert [b.get("data-state") for b in blocks] == ["in_service", "reserved"]
    # 16 slots drawn 960 wide: a 50 GHz channel is 240.
    assert [(float(b.get("x")), float(b.get("width"))) for b in blocks] == [(0, 240), (240, 240)]
    labels = [b.find(f"{SVG}title").text for b in blocks]
    assert labels[0].startswith("Buyer · WL100 · in service from 2026-12-01")
    assert labels[1].startswith("Rival · WL100 · reserved from 2026-12-01")
    assert "Rival" in html


def test_customers_see_only_free_or_taken_never_who(client, customer_user, net):
    allocate_capacity(product=net.wl100, holder=net.other_customer, start_date=START, path=net.path)
    allocate_capacity(product=net.wl100, holder=net.customer, start_date=START, path=net.path)
    client.force_login(customer_user)
    html = client.get(reverse("spectrum-map", args=[net.fp_sea.pk])).content.decode()
    blocks = _blocks(html)
    assert [b.get("data-state") for b in blocks] == ["taken", "taken"]
    assert all(b.find(f"{SVG}title").text.startswith("Taken · ") for b in blocks)
    assert "2026-12-01" not in html  # not even when the others' services start
    assert "Rival" not in html
    assert "WL100" not in html
    assert "Who holds what" not in html


def test_the_spectrum_map_escapes_names(client, network_user, net):
    net.other_customer.name = "<script>alert(1)</script>"
    net.other_customer.save()
    allocate_capacity(product=net.wl100, holder=net.other_customer, start_date=START, path=net.path)
    client.force_login(network_user)
    html = client.get(reverse("spectrum-map", args=[net.fp_sea.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    _svg(html, "spectrum-map")  # still well-formed XML


def test_utilisation_is_for_operators_and_adds_up(client, customer_user, network_user, net):
    allocate_capacity(
        product=net.wl100,
        holder=net.customer,
        start_date=START,
        path=net.path,
        status=AllocationStatus.ACTIVE,
    )
    allocate_capacity(product=net.wl100, holder=net.other_customer, start_date=START, path=net.path)
    client.force_login(customer_user)
    assert client.get(reverse("utilisation")).status_code == 403
    client.force_login(network_user)
    response = client.get(reverse("utilisation"), {"date": "2026-12-01"})
    sea = next(r for r in response.context["fiber_pairs"] if r.fiber_pair == net.fp_sea)
    assert (sea.band_ghz, sea.in_service_ghz, sea.reserved_ghz, sea.free_ghz) == (200, 50, 50, 100)
    assert sea.used_percent == Decimal("50.0")
    (path,) = response.context["paths"]
    assert (path.in_service_gbps, path.reserved_gbps, path.design_capacity_gbps) == (100, 100, 4000)


def test_the_network_page_draws_every_path(client, customer_user, net):
    client.force_login(customer_user)
    html = client.get(reverse("network")).content.decode()
    assert html.count('class="route"') == 1
    assert "Landing" in html


def test_utilisation_counts_a_slot_once_and_sales_of_other_paths_on_shared_segments(
    client, network_user, net
):
    from leasing.models import Path
    from leasing.services.capacity import end_allocation
    from leasing.services.inventory import set_path_segments

    first = allocate_capacity(
        product=net.wl100,
        holder=net.customer,
        start_date=datetime.date(2026, 1, 1),
        path=net.path,
        status=AllocationStatus.ACTIVE,
    )
    end_allocation(allocation=first, on=datetime.date(2027, 1, 1))
    successor = allocate_capacity(
        product=net.wl100,
        holder=net.other_customer,
        start_date=datetime.date(2027, 1, 1),
        path=net.path,
        status=AllocationStatus.ACTIVE,
    )
    assert successor.spectrum.first().start == first.spectrum.first().start  # the same channel
    sea_only = Path.objects.create(code="CLS-AKT", name="sea", a_site=net.cls, z_site=net.akt)
    set_path_segments(path=sea_only, segments=[net.sea])
    allocate_capacity(
        product=net.wl100,
        holder=net.customer,
        start_date=START,
        path=sea_only,
        status=AllocationStatus.ACTIVE,
    )

    client.force_login(network_user)
    response = client.get(reverse("utilisation"), {"date": "2026-12-01"})
    sea = next(r for r in response.context["fiber_pairs"] if r.fiber_pair == net.fp_sea)
    assert (sea.in_service_ghz, sea.reserved_ghz) == (100, 0)  # two channels, not three
    rows = {row.path.code: row for row in response.context["paths"]}
    # BAK-AKT's busiest segment is the subsea one, which also carries the CLS-AKT sale.
    assert rows["BAK-AKT"].busiest_segment == net.sea
    # In service on the day: the first sale and the sea-only one; the successor is reserved.
    assert (rows["BAK-AKT"].in_service_gbps, rows["BAK-AKT"].reserved_gbps) == (200, 100)
