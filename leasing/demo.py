"""The demo network, catalog and some capacity already sold. Loading twice changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from organisations.choices import OrganisationKind
from organisations.models import Organisation

from .choices import (
    CommercialForm,
    GridType,
    ProductKind,
    SegmentMedium,
    SiteKind,
)
from .models import (
    FiberPair,
    LitCarrier,
    Path,
    Price,
    Product,
    Quote,
    Segment,
    Site,
    TransitPortPool,
)
from .services.capacity import light_carrier
from .services.inventory import set_path_segments, set_segment_ownership
from .services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)

PRICES_FROM = datetime.date(2026, 1, 1)

# code, name, kind, country, city, owner
SITES = [
    ("BAK-POP", "Baku PoP", SiteKind.POP, "AZ", "Baku", "AzerTelecom"),
    ("SUM-CLS", "Sumgait landing station", SiteKind.CLS, "AZ", "Sumgait", "AzerTelecom"),
    ("AKT-CLS", "Aktau landing station", SiteKind.CLS, "KZ", "Aktau", "KazTransCom"),
    ("AKT-POP", "Aktau PoP", SiteKind.POP, "KZ", "Aktau", "Transtelecom"),
    ("BEY-POP", "Beyneu PoP", SiteKind.POP, "KZ", "Beyneu", "KazTransCom"),
]

# code, name, a, z, medium, km, settlement weight, design Gbit/s, {date: {owner: %}}
SEGMENTS = [
    ("BAK-SUM", "Baku - Sumgait", "BAK-POP", "SUM-CLS", SegmentMedium.TERRESTRIAL, "38", None,
     6000, {datetime.date(2024, 1, 1): {"AzerTelecom": "100"}}),
    ("SUM-AKT", "Caspian subsea Sumgait - Aktau", "SUM-CLS", "AKT-CLS", SegmentMedium.SUBSEA,
     "380", "760", 6000,
     {
         datetime.date(2024, 1, 1):
             {"AzerTelecom": "34", "Transtelecom": "33", "KazTransCom": "33"},
         # A partner replaced: KazTransCom's share passes to the other two (a dated change).
         datetime.date(2027, 1, 1): {"AzerTelecom": "50", "Transtelecom": "50"},
     }),
    ("AKT-CLS-POP", "Aktau landing station - Aktau PoP", "AKT-CLS", "AKT-POP",
     SegmentMedium.TERRESTRIAL, "12", None, 6000,
     {datetime.date(2024, 1, 1): {"Transtelecom": "100"}}),
    ("AKT-BEY", "Aktau - Beyneu", "AKT-POP", "BEY-POP", SegmentMedium.TERRESTRIAL, "480", None,
     4000, {datetime.date(2024, 1, 1): {"KazTransCom": "100"}}),
]  # fmt: skip

PATHS = [
    ("BAK-AKT", "Baku - Aktau", "BAK-POP", "AKT-POP", ["BAK-SUM", "SUM-AKT", "AKT-CLS-POP"]),
    ("BAK-BEY", "Baku - Beyneu", "BAK-POP", "BEY-POP",
     ["BAK-SUM", "SUM-AKT", "AKT-CLS-POP", "AKT-BEY"]),
]  # fmt: skip

# code, name, kind, form, Mbit/s, GHz, tributary slots
PRODUCTS = [
    ("WL10", "10G wavelength", ProductKind.WAVELENGTH, CommercialForm.LEASE, 10_000, "50", None),
    ("WL100", "100G wavelength", ProductKind.WAVELENGTH, CommercialForm.LEASE, 100_000, "50", None),
    ("WL400", "400G wavelength", ProductKind.WAVELENGTH, CommercialForm.LEASE, 400_000, "75", None),
    ("IRU-WL100", "100G wavelength IRU", ProductKind.WAVELENGTH, CommercialForm.IRU, 100_000,
     "50", None),
    ("ETH1", "1G Ethernet private line", ProductKind.ETHERNET, CommercialForm.LEASE, 1_000,
     None, 1),
    ("ETH10", "10G Ethernet private line", ProductKind.ETHERNET, CommercialForm.LEASE, 10_000,
     None, 8),
    ("ETH100", "100G Ethernet private line", ProductKind.ETHERNET, CommercialForm.LEASE, 100_000,
     None, 80),
    ("IPT1", "IP transit 1G port", ProductKind.TRANSIT, CommercialForm.USAGE, 1_000, None, None),
    ("IPT10", "IP transit 10G port", ProductKind.TRANSIT, CommercialForm.USAGE, 10_000, None, None),
    ("IPT100", "IP transit 100G port", ProductKind.TRANSIT, CommercialForm.USAGE, 100_000, None,
     None),
]  # fmt: skip

# Baku - Aktau monthly charges for 12/36/60 months and the one-off charge, in USD.
LEASE_PRICES = {
    "WL10": ((2500, 2100, 1800), 1500),
    "WL100": ((12500, 10500, 9000), 5000),
    "WL400": ((38000, 32000, 27000), 12000),
    "ETH1": ((900, 750, 650), 500),
    "ETH10": ((3200, 2700, 2300), 1000),
    "ETH100": ((14000, 12000, 10000), 4000),
}
PATH_FACTOR = {"BAK-AKT": Decimal("1"), "BAK-BEY": Decimal("1.3")}
IRU_PRICES = {120: 900_000, 180: 1_200_000}
# commit and burst price per Mbit/s per month for 12/36/60 months
TRANSIT_PRICES = {12: ("0.45", "0.60"), 36: ("0.40", "0.55"), 60: ("0.35", "0.50")}
TRANSIT_POOLS = {"BAK-POP": {1_000: 24, 10_000: 16, 100_000: 4}, "AKT-POP": {1_000: 12, 10_000: 8}}
# path, name, operator, Gbit/s, GHz of spectrum
CARRIERS = [
    ("BAK-AKT", "LC-1", "AzerTelecom", 400, 75),
    ("BAK-AKT", "LC-2", "Transtelecom", 100, 50),
]

# reference, customer, product, path or site, start, held (else active)
SALES = [
    ("demo:caspian-wl100", "Caspian Online", "WL100", "BAK-AKT", datetime.date(2026, 3, 1), False),
    ("demo:caspian-eth10", "Caspian Online", "ETH10", "BAK-AKT", datetime.date(2026, 6, 1), False),
    ("demo:caspian-ipt10", "Caspian Online", "IPT10", "BAK-POP", datetime.date(2026, 4, 1), False),
    ("demo:silk-wl100", "Silk Route Carrier", "WL100", "BAK-BEY", datetime.date(2026, 2, 1), False),
    ("demo:silk-wl400", "Silk Route Carrier", "WL400", "BAK-BEY", datetime.date(2026, 12, 1), True),
    *(
        (f"demo:caspian-wl10-{n}", "Caspian Online", "WL10", "BAK-AKT", datetime.date(2026, 5, 1),
         False)
        for n in range(1, 9)
    ),
    *(
        (f"demo:silk-wl100-{n}", "Silk Route Carrier", "WL100", "BAK-BEY",
         datetime.date(2026, 7, 1), False)
        for n in range(1, 7)
    ),
    ("demo:silk-wl400-2", "Silk Route Carrier", "WL400", "BAK-AKT", datetime.date(2026, 9, 1),
     False),
    ("demo:caspian-eth1", "Caspian Online", "ETH1", "BAK-AKT", datetime.date(2026, 12, 15), True),
]  # fmt: skip


@transaction.atomic
def load() -> None:
    """Create or update the demo inventory, catalog, prices, carriers and sales."""
    operators = {o.name: o for o in Organisation.objects.filter(kind=OrganisationKind.OPERATOR)}
    sites = {}
    for code, name, kind, country, city, owner in SITES:
        sites[code], _ = Site.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "country": country,
                "city": city,
                "operator": operators[owner],
            },
        )

    segments = {}
    for code, name, a, z, medium, km, weight, gbps, ownerships in SEGMENTS:
        segment, _ = Segment.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "a_site": sites[a],
                "z_site": sites[z],
                "medium": medium,
                "length_km": Decimal(km),
                "settlement_weight": Decimal(weight) if weight else None,
                "design_capacity_gbps": gbps,
            },
        )
        for valid_from, shares in ownerships.items():
            set_segment_ownership(
                segment=segment,
                valid_from=valid_from,
                shares={operators[name]: Decimal(pct) for name, pct in shares.items()},
            )
        for name, grid in (("FP1", GridType.FIXED_50), ("FP2", GridType.FLEX)):
            FiberPair.objects.update_or_create(segment=segment, name=name, defaults={"grid": grid})
        segments[code] = segment

    paths = {}
    for code, name, a, z, chain in PATHS:
        path, _ = Path.objects.update_or_create(
            code=code, defaults={"name": name, "a_site": sites[a], "z_site": sites[z]}
        )
        set_path_segments(path=path, segments=[segments[c] for c in chain])
        paths[code] = path

    products = {}
    for code, name, kind, form, mbps, ghz, slots in PRODUCTS:
        products[code], _ = Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "commercial_form": form,
                "bandwidth_mbps": mbps,
                "spectrum_ghz": Decimal(ghz) if ghz else None,
                "tributary_slots": slots,
            },
        )
    _load_prices(products, paths, sites)

    for site_code, speeds in TRANSIT_POOLS.items():
        for speed, ports in speeds.items():
            TransitPortPool.objects.update_or_create(
                site=sites[site_code], port_speed_mbps=speed, defaults={"ports": ports}
            )
    for path_code, name, operator, gbps, ghz in CARRIERS:
        carrier, _ = LitCarrier.objects.get_or_create(
            path=paths[path_code],
            name=name,
            defaults={
                "operator": operators[operator],
                "capacity_gbps": gbps,
                "spectrum_ghz": Decimal(ghz),
            },
        )
        if carrier.spectrum_id is None:
            light_carrier(carrier=carrier, start_date=datetime.date(2025, 1, 1))

    _load_sales(products, paths, sites)


def _price(product: Product, term: int, place: dict, **amounts: object) -> None:
    Price.objects.update_or_create(
        product=product,
        term_months=term,
        valid_from=PRICES_FROM,
        **place,
        defaults={"currency": "USD", **amounts},
    )


def _load_prices(products: dict, paths: dict, sites: dict) -> None:
    for path_code, factor in PATH_FACTOR.items():
        place = {"path": paths[path_code], "site": None}
        for code, (mrcs, nrc) in LEASE_PRICES.items():
            for term, mrc in zip((12, 36, 60), mrcs, strict=True):
                _price(products[code], term, place, mrc=mrc * factor, nrc=nrc * factor)
        for term, iru_price in IRU_PRICES.items():
            _price(products["IRU-WL100"], term, place, iru_price=iru_price * factor, om_percent=4)
    for site_code in TRANSIT_POOLS:
        place = {"path": None, "site": sites[site_code]}
        for code in ("IPT1", "IPT10", "IPT100"):
            for term, (commit, burst) in TRANSIT_PRICES.items():
                _price(
                    products[code],
                    term,
                    place,
                    commit_price_per_mbps=Decimal(commit),
                    burst_price_per_mbps=Decimal(burst),
                )


def _load_sales(products: dict, paths: dict, sites: dict) -> None:
    """Each sale as the portal would make it: quote, order, acknowledgement, completion.

    A sale already made (its quote carries the sale's reference) is left as it is.
    """
    customers = {o.name: o for o in Organisation.objects.filter(kind=OrganisationKind.CUSTOMER)}
    for reference, customer, product_code, place, start, held in SALES:
        if Quote.objects.filter(created_by=reference).exists():
            continue
        product = products[product_code]
        path, site = product.sold_at(path=paths.get(place), site=sites.get(place))
        quote = create_quote(
            customer=customers[customer],
            product=product,
            term_months=36 if product.commercial_form != CommercialForm.IRU else 180,
            start_date=start,
            by=reference,
            path=path,
            site=site,
            commit_mbps=2_000 if product.is_transit else None,
            backdated=True,
        )
        order = place_order(quote=quote, by=reference)
        if held:
            continue
        acknowledge_order(order=order, by="demo")
        start_provisioning(order=order, by="demo")
        complete_order(order=order, by="demo", ready_for_service_date=start)
