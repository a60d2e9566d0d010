"""Form fields for what people type as the portal shows it.

``GroupedDecimalField``: an amount or quantity may be typed with its thousands grouped by commas,
as every page displays it (``12,000.00``); the commas are dropped before the number is read, but
only where they group thousands (``1,234,567.89``): ``12,00`` or ``1,2345`` (a decimal comma, a
slip) is refused, never guessed. Its bounds are said in the portal's format, with the currency
when it is money: "Enter at most 10,500.00 USD."
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core import validators

from .formatting import format_money, format_number

GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


class GroupedDecimalField(forms.DecimalField):
    """A ``DecimalField`` that reads ``12,000.50`` as ``12000.50``; ``currency`` (money) names
    the currency in its bounds' messages."""

    default_error_messages = {
        "grouping": "Enter a number such as 12,000.00: commas only between groups of three digits.",
    }

    def __init__(self, *args: Any, currency: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        self.currency = currency
        super().__init__(*args, **kwargs)
        self.validators = [self._worded(v) for v in self.validators]

    def _shown(self, value: Decimal) -> str:
        if self.currency:
            return format_money(value, self.currency)
        return format_number(value)

    def _worded(self, validator: Any) -> Any:
        if isinstance(validator, validators.MaxValueValidator):
            limit = validator.limit_value
            return validators.MaxValueValidator(limit, f"Enter at most {self._shown(limit)}.")
        if isinstance(validator, validators.MinValueValidator):
            limit = validator.limit_value
            return validators.MinValueValidator(limit, f"Enter at least {self._shown(limit)}.")
        return validator

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str) and "," in value:
            text = value.strip()
            if not GROUPED.fullmatch(text):
                raise forms.ValidationError(self.error_messages["grouping"], code="grouping")
            value = text.replace(",", "")
        return super().to_python(value)
