from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from leasing.choices import CommercialForm, GridType, ProductKind, SegmentMedium, SiteKind
from leasing.models import FiberPair, Path, Price, Product, Segment, Site, TransitPortPool
from leasing.services.inventory import set_path_segments, set_segment_ownership

from ..factories import CustomerFactory, OperatorFactory

OWNED_FROM = datetime.date(2024, 1, 1)
START = datetime.date(2026, 12, 1)


@pytest.fixture
def net(db: None) -> SimpleNamespace:
    """Two operators, three sites, a terrestrial and a subsea segment, one path over both
    (``build_net``)."""
    return build_net()


def build_net() -> SimpleNamespace:
    """Two operators, three sites, a terrestrial and a subsea segment, one path over both.

    Each segment has one fiber pair with a fixed 50 GHz grid of 4 ITU channels (slots -2..14),
    so running out of capacity takes a few sales.
    """
    azt, ktc = OperatorFactory(name="AZT"), OperatorFactory(name="KTC", country="KZ")
    bak = Site.objects.create(
        code="BAK", name="Baku", kind=SiteKind.POP, country="AZ", operator=azt
    )
    cls = Site.objects.create(
        code="CLS", name="Landing", kind=SiteKind.CLS, country="AZ", operator=azt
    )
    akt = Site.objects.create(
        code="AKT", name="Aktau", kind=SiteKind.POP, country="KZ", operator=ktc
    )
    land = Segment.objects.create(
        code="BAK-CLS",
        name="land",
        a_site=bak,
        z_site=cls,
        medium=SegmentMedium.TERRESTRIAL,
        length_km=Decimal("40"),
        design_capacity_gbps=4000,
    )
    sea = Segment.objects.create(
        code="CLS-AKT",
        name="sea",
        a_site=cls,
        z_site=akt,
        medium=SegmentMedium.SUBSEA,
        length_km=Decimal("380"),
        settlement_weight=Decimal("760"),
        design_capacity_gbps=4000,
    )
    set_segment_ownership(segment=land, valid_from=OWNED_FROM, shares={azt: Decimal(100)})
    set_segment_ownership(
        segment=sea, valid_from=OWNED_FROM, shares={azt: Decimal(50), ktc: Decimal(50)}
    )
    path = Path.objects.create(code="BAK-AKT", name="Baku - Aktau", a_site=bak, z_site=akt)
    set_path_segments(path=path, segments=[land, sea])
    fp_land = FiberPair.objects.create(
        segment=land, name="FP1", grid=GridType.FIXED_50, band_start_slot=-2, band_end_slot=14
    )
    fp_sea = FiberPair.objects.create(
        segment=sea, name="FP1", grid=GridType.FIXED_50, band_start_slot=-2, band_end_slot=14
    )
    wl100 = Product.objects.create(
        code="WL100",
        name="100G wavelength",
        kind=ProductKind.WAVELENGTH,
        commercial_form=CommercialForm.LEASE,
        bandwidth_mbps=100_000,
        spectrum_ghz=Decimal(50),
    )
    wl400 = Product.objects.create(
        code="WL400",
        name="400G wavelength",
        kind=ProductKind.WAVELENGTH,
        commercial_form=CommercialForm.LEASE,
        bandwidth_mbps=400_000,
        spectrum_ghz=Decimal(75),
    )
    eth10 = Product.objects.create(
        code="ETH10",
        name="10G Ethernet",
        kind=ProductKind.ETHERNET,
        commercial_form=CommercialForm.LEASE,
        bandwidth_mbps=10_000,
        tributary_slots=8,
    )
    ipt10 = Product.objects.create(
        code="IPT10",
        name="IP transit 10G",
        kind=ProductKind.TRANSIT,
        commercial_form=CommercialForm.USAGE,
        bandwidth_mbps=10_000,
    )
    pool = TransitPortPool.objects.create(site=bak, port_speed_mbps=10_000, ports=2)
    price = Price.objects.create(
        product=wl100,
        path=path,
        term_months=12,
        valid_from=datetime.date(2026, 1, 1),
        currency="USD",
        mrc=Decimal("12500.00"),
        nrc=Decimal("5000.00"),
    )
    return SimpleNamespace(
        azt=azt,
        ktc=ktc,
        bak=bak,
        cls=cls,
        akt=akt,
        land=land,
        sea=sea,
        path=path,
        fp_land=fp_land,
        fp_sea=fp_sea,
        wl100=wl100,
        wl400=wl400,
        eth10=eth10,
        ipt10=ipt10,
        pool=pool,
        price=price,
        customer=CustomerFactory(name="Buyer"),
        other_customer=CustomerFactory(name="Rival"),
    )


@pytest.fixture
def sales_net(net: SimpleNamespace) -> SimpleNamespace:
    """``net`` with transit and IRU prices, and people on both sides (``add_sales``)."""
    return add_sales(net)


def add_sales(net: SimpleNamespace) -> SimpleNamespace:
    """``net`` with transit and IRU prices, and people on both sides."""
    from organisations.choices import Role

    from ..factories import UserFactory

    Price.objects.create(
        product=net.ipt10,
        site=net.bak,
        term_months=12,
        valid_from=datetime.date(2026, 1, 1),
        currency="USD",
        commit_price_per_mbps=Decimal("0.45"),
        burst_price_per_mbps=Decimal("0.60"),
    )
    net.iru = Product.objects.create(
        code="IRU-WL100",
        name="100G IRU",
        kind=ProductKind.WAVELENGTH,
        commercial_form=CommercialForm.IRU,
        bandwidth_mbps=100_000,
        spectrum_ghz=Decimal(50),
    )
    Price.objects.create(
        product=net.iru,
        path=net.path,
        term_months=180,
        valid_from=datetime.date(2026, 1, 1),
        currency="USD",
        iru_price=Decimal("1200000.01"),
        om_percent=Decimal("4"),
    )
    net.buyer = UserFactory(
        organisation=net.customer, role=Role.CUSTOMER_ADMIN, email="noc@buyer.test"
    )
    net.rival_user = UserFactory(organisation=net.other_customer, role=Role.CUSTOMER_ADMIN)
    net.noc = UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK)
    return net
