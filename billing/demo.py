"""Demo traffic: a diurnal curve for every demo transit service, so the usage pages show a living
month. Loading twice changes nothing (the same buckets are duplicates)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np

from leasing.choices import ProductKind
from leasing.models import Service
from organisations.access import SystemActor
from organisations.choices import Role

from .buckets import DAY_BUCKETS
from .models import BillingRun, TaxRate, UsageDay
from .periods import add_months, period_of
from .services.runs import start_run
from .services.usage import ingest

DEMO_DAYS = 45


# Demo VAT: Azerbaijan 18%; Kazakhstan 12%, raised to 16% from 2026 (dated data).
TAX_RATES = [
    ("AZ", "18", datetime.date(2001, 1, 1), None),
    ("KZ", "12", datetime.date(2009, 1, 1), datetime.date(2026, 1, 1)),
    ("KZ", "16", datetime.date(2026, 1, 1), None),
]


def load() -> None:
    for country, rate, valid_from, valid_to in TAX_RATES:
        TaxRate.objects.update_or_create(
            country=country,
            valid_from=valid_from,
            defaults={"rate_percent": Decimal(rate), "valid_to": valid_to},
        )
    _load_traffic()
    _bill_last_month()


def _bill_last_month() -> None:
    """Draft invoices of last month, for finance to review and issue (once: a run is kept)."""
    period = add_months(period_of(datetime.date.today()), -1)
    if not BillingRun.objects.filter(period=period).exists():
        start_run(period=period, by="demo")


def _load_traffic() -> None:
    services = Service.objects.filter(product__kind=ProductKind.TRANSIT).select_related(
        "product", "contract__billing_party"
    )
    today = datetime.datetime.now(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for service in services:
        if UsageDay.objects.filter(port__service=service).exists():
            continue  # loaded before
        commit = (service.contract.commit_mbps or 1000) * 1_000_000
        rng = np.random.default_rng(service.pk)
        start = max(
            today - datetime.timedelta(days=DEMO_DAYS),
            datetime.datetime.combine(service.activated_on, datetime.time(), datetime.UTC),
        )
        count = int((today - start).total_seconds()) // 300
        phase = np.arange(count) % DAY_BUCKETS / DAY_BUCKETS
        curve = 0.55 + 0.4 * np.sin(2 * np.pi * (phase - 0.35))  # busy evenings, quiet nights
        inbound = np.clip(commit * curve * rng.normal(1.0, 0.08, count), 0, None).astype(np.int64)
        outbound = (inbound * rng.uniform(0.25, 0.4, count)).astype(np.int64)
        samples = [
            {
                "circuit_id": service.circuit_id,
                "ts": (start + datetime.timedelta(seconds=300 * i)).isoformat(),
                "in_bps": int(inbound[i]),
                "out_bps": int(outbound[i]),
            }
            for i in range(count)
            if rng.random() > 0.002  # a few buckets missing, as in life
        ]
        actor = SystemActor(service.contract.billing_party, Role.OPERATOR_NETWORK, "demo traffic")
        for first in range(0, len(samples), 10_000):
            ingest(samples=samples[first : first + 10_000], actor=actor)
