"""Forms of the billing portal pages: they check the shape of what is typed; the services
decide what is allowed."""

from decimal import Decimal

from django import forms

from leasing.models import Path, Site
from tcfo_portal.widgets import DateInput

from .choices import ConflictChoice

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UsageUploadForm(forms.Form):
    file = forms.FileField(
        help_text=(
            "CSV with a header: circuit_id, ts, then in_bps and out_bps (rates of the 5-minute "
            "bucket starting at ts) or in_octets and out_octets (counters); optionally port."
        )
    )

    def clean_file(self):  # noqa: ANN201 - Django's contract
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("At most 20 MB at a time; split the file.")
        return upload


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    received_on = forms.DateField(widget=DateInput())
    reference = forms.CharField(max_length=100, required=False)


class ManualLineForm(forms.Form):
    description = forms.CharField(max_length=300)
    quantity = forms.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0.0001"), initial=1
    )
    unit_price = forms.DecimalField(max_digits=16, decimal_places=4, min_value=Decimal("0.0001"))
    service_date = forms.DateField(widget=DateInput())
    path = forms.ModelChoiceField(
        queryset=Path.objects.order_by("code"), required=False, help_text="The route sold, or:"
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.order_by("code"), required=False, help_text="the site (no route)."
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


# --- i15-c begin ---
class ResolveConflictForm(forms.Form):
    """Which value a usage conflict's bucket keeps, and why (``resolve_conflict``)."""

    keep = forms.ChoiceField(
        label="Which value counts",
        choices=ConflictChoice.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with your name: what the customer or an auditor will read.",
    )


# --- i15-c end ---
