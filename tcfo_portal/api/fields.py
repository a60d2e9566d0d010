from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tcfo_portal.money import Money


class MoneySerializer(serializers.Serializer):
    """``{"amount": "12500.00", "currency": "USD"}``: the one ``Money`` component of the schema,
    which every amount of the API refers to (``MoneyField`` writes them)."""

    amount = serializers.RegexField(
        r"^-?[0-9]+(\.[0-9]+)?$",
        help_text="A decimal as a string, never a float: rounded to the currency's minor unit, "
        "except a price per Mbit/s, which keeps its stored decimals.",
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217, e.g. USD.")


@extend_schema_field(MoneySerializer)
class MoneyField(serializers.Field):
    """A ``Money`` as ``{"amount": "12500.00", "currency": "USD"}`` (read only); ``null`` only
    where declared ``allow_null=True`` (an optional price).

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


class NestedCodeField(CodeField):
    """A related object named by its ``code`` in a request and answered as the object itself,
    as ``read_serializer`` shows it (a path's ends: ``"BAK-POP"`` in, ``{"code": "BAK-POP",
    "name": ...}`` out). The schema says so for each direction."""

    def __init__(self, *, read_serializer: type[serializers.Serializer], **kwargs: Any) -> None:
        self.read_serializer = read_serializer
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, Any]:
        return self.read_serializer(value, context=self.context).data


class LookupFieldSchema(OpenApiSerializerFieldExtension):
    """A lookup field is a string; a ``NestedCodeField`` answers the nested object."""

    target_class = LookupField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        if isinstance(self.target, NestedCodeField) and direction == "response":
            return auto_schema.resolve_serializer(self.target.read_serializer, direction).ref
        return build_basic_type(OpenApiTypes.STR)


class UnsetAsNullChoiceField(serializers.ChoiceField):
    """A read-only choice that may be unset: stored as ``""`` and answered ``null``, so a client
    that checks the enum never meets a value outside it (a contract without a 95th rule, the first
    step of an order's history)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(read_only=True, allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        if value in ("", None):
            return None
        return super().to_representation(value)
