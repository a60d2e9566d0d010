"""VAT by the billing party's country (dated) or reverse charge, and the revenue split of a line."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import TaxRate
from billing.services.allocations import operator_shares
from billing.services.tax import tax_treatment
from billing.services.tax_and_split import TaxAndSplit
from leasing.services.inventory import set_segment_ownership
from tcfo_portal.exceptions import DomainError

from ..factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(db):
    TaxRate.objects.create(
        country="AZ", rate_percent=Decimal(18), valid_from=datetime.date(2001, 1, 1)
    )
    TaxRate.objects.create(
        country="KZ",
        rate_percent=Decimal(12),
        valid_from=datetime.date(2009, 1, 1),
        valid_to=datetime.date(2026, 1, 1),
    )
    TaxRate.objects.create(
        country="KZ", rate_percent=Decimal(16), valid_from=datetime.date(2026, 1, 1)
    )


def test_a_domestic_customer_pays_the_countrys_vat_rounded_half_up(net, rates):
    domestic = CustomerFactory(country="AZ")
    treatment = tax_treatment(
        billing_party=net.azt, customer=domestic, on=datetime.date(2026, 10, 1)
    )
    assert (treatment.rate_percent, treatment.reverse_charge, treatment.note) == (
        Decimal(18),
        False,
        "VAT 18%",
    )
    assert treatment.tax_on(Decimal("10.25"), "USD") == Decimal("1.85")  # 1.845 half-up
    assert treatment.tax_on(Decimal("12500.00"), "USD") == Decimal("2250.00")


def test_rates_are_dated(net, rates):
    kazakh = CustomerFactory(country="KZ")
    before = tax_treatment(billing_party=net.ktc, customer=kazakh, on=datetime.date(2025, 12, 31))
    after = tax_treatment(billing_party=net.ktc, customer=kazakh, on=datetime.date(2026, 1, 1))
    assert (before.rate_percent, after.rate_percent) == (Decimal(12), Decimal(16))


def test_a_cross_border_business_customer_is_reverse_charged(net, rates):
    german = CustomerFactory(country="DE")
    treatment = tax_treatment(billing_party=net.azt, customer=german, on=datetime.date(2026, 10, 1))
    assert (treatment.rate_percent, treatment.reverse_charge) == (Decimal(0), True)
    assert treatment.note.startswith("Reverse charge")
    assert treatment.tax_on(Decimal("12500.00"), "USD") == Decimal("0.00")


def test_a_missing_rate_is_a_clear_error_and_overlaps_are_refused(net, rates):
    with pytest.raises(DomainError, match="No VAT rate of Azerbaijan"):
        tax_treatment(
            billing_party=net.azt,
            customer=CustomerFactory(country="AZ"),
            on=datetime.date(1999, 1, 1),
        )
    overlapping = TaxRate(
        country="AZ", rate_percent=Decimal(20), valid_from=datetime.date(2020, 1, 1)
    )
    with pytest.raises(ValidationError, match="covers these dates"):
        overlapping.full_clean()


def test_a_line_is_split_by_segment_weight_and_ownership_on_its_date(net):
    # land: weight 40 (its length), AZT 100%; sea: weight 760, AZT/KTC 50% each:
    # AZT 420/800, KTC 380/800
    parts = TaxAndSplit().split(
        amount=Decimal("12500.00"),
        currency="USD",
        path=net.path,
        site=None,
        first=datetime.date(2026, 10, 1),
    )
    assert parts == {net.azt: Decimal("6562.50"), net.ktc: Decimal("5937.50")}
    set_segment_ownership(
        segment=net.sea, valid_from=datetime.date(2027, 1, 1), shares={net.ktc: Decimal(100)}
    )
    later = TaxAndSplit().split(
        amount=Decimal("100.00"),
        currency="USD",
        path=net.path,
        site=None,
        first=datetime.date(2027, 1, 1),
    )
    assert later == {net.azt: Decimal("5.00"), net.ktc: Decimal("95.00")}
    assert sum(later.values()) == Decimal("100.00")


def test_a_line_without_a_path_goes_to_the_sites_owner_and_unowned_paths_are_refused(net):
    assert TaxAndSplit().split(
        amount=Decimal("500.00"),
        currency="USD",
        path=None,
        site=net.akt,
        first=datetime.date(2026, 10, 1),
    ) == {net.ktc: Decimal("500.00")}
    with pytest.raises(DomainError, match="Nobody owns"):
        operator_shares(path=net.path, site=None, on=datetime.date(2020, 1, 1))


def test_one_pipeline_taxes_a_line_then_splits_it_asking_once_per_route_and_day(
    net, rates, django_assert_num_queries
):
    """Runs, manual lines and debit notes all go through ``TaxAndSplit.line``."""
    pipeline = TaxAndSplit()
    line = {
        "currency": "USD",
        "billing_party": net.azt,
        "customer": CustomerFactory(country="AZ"),
        "taxed_on": datetime.date(2026, 10, 1),
        "path": net.path,
        "site": None,
        "first": datetime.date(2026, 10, 1),
        "last": datetime.date(2026, 10, 31),
    }
    taxed = pipeline.line(amount=Decimal("10.25"), **line)
    assert (taxed.tax_rate, taxed.tax_amount, taxed.tax_note) == (
        Decimal(18),
        Decimal("1.85"),  # 1.845 half-up
        "VAT 18%",
    )
    assert taxed.parts == {net.azt: Decimal("5.38"), net.ktc: Decimal("4.87")}
    with django_assert_num_queries(0):  # the same customer, day, route and days: no query
        again = pipeline.line(amount=Decimal("-100.00"), **line)
    assert again.tax_amount == Decimal("-18.00")
    assert sum(again.parts.values()) == Decimal("-100.00")
