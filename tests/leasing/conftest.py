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
    """Two operators, three sites, a terrestrial and a subsea segment, one path over both.

    Each segment has one fiber pair with a fixed 50 GHz grid of 4 channels (16 slots) only,
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
        segment=land, name="FP1", grid=GridType.FIXED_50, band_start_slot=0, band_end_slot=16
    )
    fp_sea = FiberPair.objects.create(
        segment=sea, name="FP1", grid=GridType.FIXED_50, band_start_slot=0, band_end_slot=16
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
