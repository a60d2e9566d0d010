from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tcfo_portal.money import Money


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "amount": {"type": "string", "format": "decimal", "example": "12500.00"},
            "currency": {"type": "string", "example": "USD"},
        },
        "required": ["amount", "currency"],
        "nullable": True,
    }
)
class MoneyField(serializers.Field):
    """A ``Money`` as ``{"amount": "12500.00", "currency": "USD"}`` (read only).

    ``source`` names a Decimal attribute; the currency is read from ``currency_attr`` of the same
    object (``currency`` by default). Amounts are rounded to the currency's minor unit, except a
    ``unit_price`` (per Mbit/s) which keeps its stored decimals.
    """

    def __init__(
        self, *, currency_attr: str = "currency", unit_price: bool = False, **kwargs: Any
    ) -> None:
        kwargs["read_only"] = True
        self.currency_attr = currency_attr
        self.unit_price = unit_price
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Money | None:
        amount: Decimal | None = super().get_attribute(instance)
        if amount is None:
            return None
        return Money(amount, getattr(instance, self.currency_attr))

    def to_representation(self, value: Money) -> dict[str, str]:
        if self.unit_price:  # a price per Mbit/s keeps the decimals it is stored with
            return {"amount": str(value.amount), "currency": value.currency}
        return value.as_dict()


@extend_schema_field(OpenApiTypes.STR)
class LookupField(serializers.SlugRelatedField):
    """A related object named by one of its fields, with a clear error if unknown; a value that
    is not text (or holds a NUL, which PostgreSQL cannot compare) is refused before any query."""

    default_error_messages = {
        "does_not_exist": "No {model} with {field} “{value}”.",
        "invalid": "Give the {field} as text.",
    }

    def to_internal_value(self, data: Any) -> Any:
        queryset = self.get_queryset()
        if not isinstance(data, str) or "\x00" in data or len(data) > 200:
            self.fail("invalid", field=self.slug_field)
        try:
            return queryset.get(**{self.slug_field: data})
        except queryset.model.DoesNotExist:
            self.fail(
                "does_not_exist",
                model=queryset.model._meta.verbose_name,
                field=self.slug_field,
                value=data,
            )


class CodeField(LookupField):
    """A related object named by its ``code`` (``BAK-AKT``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)
