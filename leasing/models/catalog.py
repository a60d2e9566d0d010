"""What is sold and at what price: products and the dated price book."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from organisations.models import currency_code_validator
from tcfo_portal.formatting import format_number
from tcfo_portal.money import Money

from ..choices import IRU_TERMS, LEASE_TERMS, CommercialForm, ProductKind
from ..constants import CODE_MAX_LENGTH
from ..exceptions import NotSellable
from .network import Path, Site, code_validator

TRANSIT_AT_A_SITE = "IP transit is sold at a PoP: choose one."


class Product(models.Model):
    """A sellable product. What it needs of the network depends on its kind:

    - wavelength: ``spectrum_ghz`` of spectrum on every segment of the path;
    - Ethernet: ``tributary_slots`` (1.25 Gbit/s each) on an operator-lit carrier of the path;
    - transit: a port of ``bandwidth_mbps`` at a PoP.
    """

    code = models.CharField(max_length=CODE_MAX_LENGTH, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=ProductKind.choices)
    commercial_form = models.CharField(max_length=8, choices=CommercialForm.choices)
    bandwidth_mbps = models.PositiveIntegerField()
    spectrum_ghz = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    tributary_slots = models.PositiveIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "bandwidth_mbps", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=ProductKind.WAVELENGTH) | Q(spectrum_ghz__gt=0),
                name="wavelength_needs_spectrum",
                violation_error_message="A wavelength needs its spectrum in GHz.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ProductKind.ETHERNET) | Q(tributary_slots__gt=0),
                name="ethernet_needs_tributary_slots",
                violation_error_message="An Ethernet line needs its tributary slots.",
            ),
            models.CheckConstraint(
                condition=Q(kind=ProductKind.TRANSIT, commercial_form=CommercialForm.USAGE)
                | (~Q(kind=ProductKind.TRANSIT) & ~Q(commercial_form=CommercialForm.USAGE)),
                name="usage_form_is_for_transit",
                violation_error_message="IP transit, and only transit, is sold on usage.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        """The catalog is the consortium's: every operator's finance staff keep it."""
        return Q(pk__isnull=False)

    @property
    def is_transit(self) -> bool:
        return self.kind == ProductKind.TRANSIT

    @property
    def place_label(self) -> str:
        """What the place a product is sold at is called: a PoP for transit, else a path."""
        return "PoP" if self.place_field == "site" else "Path"

    @property
    def place_field(self) -> str:
        """Where the product is sold: ``"site"`` for IP transit (a port at a PoP), ``"path"``
        for everything else (capacity along a route). The one home of that rule."""
        return "site" if self.is_transit else "path"

    def sold_at(self, *, path: Path | None, site: Site | None) -> tuple[Path | None, Site | None]:
        """``(path, site)`` to sell this product at, the one it is not sold on set to None.

        Raises ``NotSellable`` (400) naming the field (``site`` or ``path``) when the place it
        is sold at is missing; forms, serializers and services all ask here."""
        if self.place_field == "site":
            if site is None:
                raise NotSellable(TRANSIT_AT_A_SITE, errors={"site": [TRANSIT_AT_A_SITE]})
            return None, site
        if path is None:
            message = f"{self.code} is sold on a path: choose one."
            raise NotSellable(message, errors={"path": [message]})
        return path, None

    @property
    def allowed_terms(self) -> tuple[int, ...]:
        return IRU_TERMS if self.commercial_form == CommercialForm.IRU else LEASE_TERMS


AMOUNT_FIELDS = (
    "mrc",
    "nrc",
    "commit_price_per_mbps",
    "burst_price_per_mbps",
    "iru_price",
    "om_percent",
)


class PriceTerms:
    """What a price book line, a quote and a contract each hold of a price: ``currency`` and
    the six amounts of ``AMOUNT_FIELDS`` (those a product's commercial form does not use are
    empty). A quote copies them from the price book and a contract from its quote, through
    ``price_terms``, so a seventh amount is added in one place."""

    AMOUNT_FIELDS = AMOUNT_FIELDS

    def price_terms(self) -> dict[str, str | Decimal | None]:
        """The currency and the six amounts, as keyword arguments for another holder."""
        return {
            "currency": self.currency,
            **{name: getattr(self, name) for name in AMOUNT_FIELDS},
        }

    def money(self, field: str) -> Money | None:
        value: Decimal | None = getattr(self, field)
        return None if value is None else Money(value, self.currency)


class Price(PriceTerms, models.Model):
    """One line of the price book: a product on a path (transit: at a site) for a term.

    Valid from ``valid_from`` until the day before ``valid_to`` (open-ended when empty); two prices
    of the same product, place and term never overlap in time (a PostgreSQL exclusion constraint).
    All amounts are in ``currency``.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="prices")
    path = models.ForeignKey(
        Path, on_delete=models.PROTECT, null=True, blank=True, related_name="prices"
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="prices"
    )
    term_months = models.PositiveSmallIntegerField()
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, validators=[currency_code_validator])
    mrc = models.DecimalField(
        "monthly recurring charge", max_digits=14, decimal_places=2, null=True, blank=True
    )
    nrc = models.DecimalField(
        "one-off charge", max_digits=14, decimal_places=2, null=True, blank=True
    )
    commit_price_per_mbps = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True
    )
    burst_price_per_mbps = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True
    )
    iru_price = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    om_percent = models.DecimalField(
        "annual O&M %", max_digits=5, decimal_places=2, null=True, blank=True
    )

    REQUIRED_BY_FORM = {
        CommercialForm.LEASE: ("mrc", "nrc"),
        CommercialForm.USAGE: ("commit_price_per_mbps", "burst_price_per_mbps"),
        CommercialForm.IRU: ("iru_price", "om_percent"),
    }

    class Meta:
        ordering = ["product", "path", "site", "term_months", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(path__isnull=True) ^ Q(site__isnull=True),
                name="price_on_a_path_or_at_a_site",
                violation_error_message="A price is for a path, or for a site (transit).",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="price_validity_not_empty",
                violation_error_message="A price must end after it starts.",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                    name=f"price_{name}_not_negative",
                )
                for name in AMOUNT_FIELDS
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="price_currency_iso",
                violation_error_message="A price needs an ISO 4217 currency such as USD.",
            ),
        ]

    def __str__(self) -> str:
        place = self.path.code if self.path_id else self.site.code
        return f"{self.product.code} {place} {self.term_months}m from {self.valid_from}"

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        """The price book is the consortium's: every operator's finance staff keep it."""
        return Q(pk__isnull=False)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.product_id:
            return
        product = self.product
        # A price is for exactly the place the product is sold at (``Product.place_field``).
        if product.place_field == "site" and (self.site_id is None or self.path_id is not None):
            errors["site"] = "IP transit is priced at a site (PoP), not on a path."
        if product.place_field == "path" and (self.path_id is None or self.site_id is not None):
            errors["path"] = f"A {product.get_kind_display().lower()} is priced on a path."
        if self.term_months and self.term_months not in product.allowed_terms:
            terms = ", ".join(str(t) for t in product.allowed_terms)
            errors["term_months"] = f"The terms of {product.code} are {terms} months."
        for name in self.REQUIRED_BY_FORM[product.commercial_form]:
            if getattr(self, name) is None:
                errors[name] = f"A {product.get_commercial_form_display()} price needs this."
        for name in self.AMOUNT_FIELDS:
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = "Must not be negative."
        if self.om_percent is not None and self.om_percent > 100:
            errors["om_percent"] = "A percentage of at most 100."
        if self.valid_to and self.valid_from and self.valid_to <= self.valid_from:
            errors["valid_to"] = "A price must end after it starts."
        if not errors and self.valid_from and self.overlapping().exists():
            errors["valid_from"] = (
                "Another price of this product, place and term is valid in the same period."
            )
        if errors:
            raise ValidationError(errors)

    def overlapping(self) -> models.QuerySet[Price]:
        """Other prices of the same product, place and term valid on some day of this one."""
        others = Price.objects.filter(
            product_id=self.product_id,
            path_id=self.path_id,
            site_id=self.site_id,
            term_months=self.term_months,
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.valid_from))
        if self.valid_to:
            others = others.filter(valid_from__lt=self.valid_to)
        return others.exclude(pk=self.pk)

    def summary(self) -> str:
        """The price in one line, as the catalog shows it."""
        form = self.product.commercial_form
        if form == CommercialForm.USAGE:
            commit, burst = self.money("commit_price_per_mbps"), self.money("burst_price_per_mbps")
            return f"{commit}/Mbps committed, {burst}/Mbps burst (per month)"
        if form == CommercialForm.IRU:
            return f"{self.money('iru_price')} + {format_number(self.om_percent)}% O&M a year"
        return f"{self.money('mrc')} a month + {self.money('nrc')} once"
