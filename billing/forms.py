"""Forms of the billing portal pages: they check the shape of what is typed; the services
decide what is allowed."""

from decimal import Decimal

from django import forms

from leasing.models import Path, Site
from tcfo_portal.fields import GroupedDecimalField
from tcfo_portal.formatting import format_money
from tcfo_portal.widgets import DateInput

from .choices import ConflictChoice
from .models import Invoice
from .periods import PeriodError, parse_period

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
    amount = GroupedDecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    received_on = forms.DateField(widget=DateInput(), label="Received on")
    reference = forms.CharField(
        max_length=100, required=False, help_text="The bank's reference of the transfer, if any."
    )


class ManualLineForm(forms.Form):
    description = forms.CharField(max_length=300)
    quantity = GroupedDecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0.0001"), initial=1
    )
    unit_price = GroupedDecimalField(max_digits=16, decimal_places=4, min_value=Decimal("0.0001"))
    service_date = forms.DateField(widget=DateInput())
    path = forms.ModelChoiceField(
        queryset=Path.objects.order_by("code"), required=False, help_text="The route sold, or:"
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.order_by("code"), required=False, help_text="the site (no route)."
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Kept with the record, for the audit.")


class CreditNoteForm(forms.Form):
    """A net amount to credit per line that has something left to credit (``line_<id>``, the
    names the service's errors use), and why. A line with nothing left is not offered."""

    reason = forms.CharField(max_length=300)

    def __init__(self, *args: object, invoice: Invoice, left: dict[int, Decimal], **kwargs: object):
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason")
        lines = {line.pk: line for line in invoice.lines.all()}
        for pk, most in left.items():
            self.fields[f"line_{pk}"] = GroupedDecimalField(
                currency=invoice.currency,
                label=lines[pk].description,
                required=False,
                max_digits=16,
                decimal_places=2,
                min_value=Decimal("0.01"),
                max_value=most,
                help_text=f"At most {format_money(most, invoice.currency)} is left to credit.",
            )
        self.fields["reason"] = reason

    def amounts(self) -> dict[int, Decimal]:
        """The amounts typed, by line id (valid form)."""
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("line_") and value
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and not self.amounts():
            raise forms.ValidationError("Give the amount to credit on at least one line.")
        return cleaned


class PeriodForm(forms.Form):
    """A month, ``YYYY-MM`` (a browser's month picker)."""

    period = forms.CharField(
        max_length=7, widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    )

    def clean_period(self) -> str:
        period = self.cleaned_data["period"]
        try:
            parse_period(period)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from None
        return period


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
