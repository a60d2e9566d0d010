from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from .models import Path, Product, Site


class OnDateForm(forms.Form):
    """``?date=YYYY-MM-DD``: the day a page describes (default today)."""

    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def on(self) -> datetime.date:
        return self.cleaned_data.get("date") or timezone.localdate()


class AvailabilityForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), to_field_name="code"
    )
    path = forms.ModelChoiceField(
        queryset=Path.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        help_text="For wavelengths and Ethernet lines.",
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.filter(is_active=True, transit_pools__isnull=False).distinct(),
        to_field_name="code",
        required=False,
        label="PoP",
        help_text="For IP transit.",
    )
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        product = data.get("product")
        if product is None:
            return data
        if product.is_transit and not data.get("site"):
            self.add_error("site", "IP transit is sold at a PoP: choose one.")
        if not product.is_transit and not data.get("path"):
            self.add_error("path", f"{product.name} is sold on a path: choose one.")
        return data
