"""A fresh database for a served instance: one path with a few free 100G channels, and buyers.

Run in a subprocess with the server's environment (its ``DATABASE_URL``):

    python -m tests.leasing.served_scenario UNITS BUYERS

``bench/ordering.py`` builds its database with ``build`` too.

It migrates, builds path ``A-Z`` with exactly ``UNITS`` free 100G channels of product ``WL100``
(a 12-month price from 2026-01-01), makes ``BUYERS`` customers with an API key each and prints
the keys as a JSON list.
"""

from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal


def build(units: int, buyers: int) -> list[str]:
    from django.core.management import call_command

    from leasing.choices import CommercialForm, GridType, ProductKind, SegmentMedium, SiteKind
    from leasing.models import FiberPair, Path, Price, Product, Segment, Site
    from leasing.services.inventory import set_path_segments, set_segment_ownership
    from organisations.choices import OrganisationKind
    from organisations.models import Organisation
    from organisations.services import create_api_key

    call_command("migrate", verbosity=0)
    operator = Organisation.objects.create(
        kind=OrganisationKind.OPERATOR,
        name="Served Operator",
        legal_name="Served Operator",
        country="AZ",
        invoice_prefix="SRV",
    )
    a = Site.objects.create(code="A", name="A", kind=SiteKind.POP, country="AZ", operator=operator)
    z = Site.objects.create(code="Z", name="Z", kind=SiteKind.POP, country="KZ", operator=operator)
    segment = Segment.objects.create(
        code="A-Z", name="A-Z", a_site=a, z_site=z, medium=SegmentMedium.SUBSEA,
        length_km=Decimal(380), design_capacity_gbps=6000,
    )  # fmt: skip
    set_segment_ownership(
        segment=segment, valid_from=datetime.date(2024, 1, 1), shares={operator: Decimal(100)}
    )
    path = Path.objects.create(code="A-Z", name="A-Z", a_site=a, z_site=z)
    set_path_segments(path=path, segments=[segment])
    # A fixed 50 GHz grid places a channel on every 4th 12.5 GHz slot: exactly `units` channels.
    FiberPair.objects.create(
        segment=segment, name="FP1", grid=GridType.FIXED_50, band_start_slot=-2,
        band_end_slot=-2 + 4 * units,
    )  # fmt: skip
    product = Product.objects.create(
        code="WL100", name="100G", kind=ProductKind.WAVELENGTH,
        commercial_form=CommercialForm.LEASE, bandwidth_mbps=100_000, spectrum_ghz=Decimal(50),
    )  # fmt: skip
    Price.objects.create(
        product=product, path=path, term_months=12, valid_from=datetime.date(2026, 1, 1),
        currency="USD", mrc=Decimal(12500), nrc=Decimal(5000),
    )  # fmt: skip
    keys = []
    for number in range(buyers):
        customer = Organisation.objects.create(
            kind=OrganisationKind.CUSTOMER,
            name=f"Buyer {number}",
            legal_name=f"Buyer {number}",
            country="DE",
        )
        keys.append(create_api_key(organisation=customer, name="served")[1])
    return keys


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(build(int(sys.argv[1]), int(sys.argv[2]))))
