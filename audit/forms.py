from __future__ import annotations

from typing import Any

from auditlog.models import AbstractLogEntry
from django import forms
from django.contrib.contenttypes.models import ContentType

from organisations.models import Organisation
from tcfo_portal.widgets import DateInput

from .presentation import ACTION_LABELS
from .registry import followed_models
from .selectors import EntryFilter

ACTION_CHOICES = AbstractLogEntry.Action.choices


class EntryFilterForm(forms.Form):
    """The audit log's filters (a GET form: bad values are form errors, never a 500)."""

    record_type = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    action = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "any"),
            *((value, ACTION_LABELS.get(value, name)) for value, name in ACTION_CHOICES[:3]),
        ],
    )
    actor = forms.CharField(required=False, max_length=150, label="Who")
    record = forms.CharField(required=False, max_length=150, label="Record")
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("name"), required=False, empty_label="any"
    )
    since = forms.DateField(required=False, widget=DateInput())
    until = forms.DateField(required=False, widget=DateInput())

    def __init__(self, *args: Any, show_organisation: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = ContentType.objects.get_for_models(*followed_models())
        kinds = sorted(
            ((ct.pk, model._meta.verbose_name.capitalize()) for model, ct in types.items()),
            key=lambda choice: choice[1],
        )
        self.fields["record_type"].choices = [("", "any"), *kinds]
        if not show_organisation:
            del self.fields["organisation"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "Ends before it starts.")
        return cleaned

    def wanted(self) -> EntryFilter:
        data = self.cleaned_data
        record_type = data.get("record_type")
        return EntryFilter(
            content_type=ContentType.objects.get_for_id(record_type) if record_type else None,
            action=data.get("action"),
            actor=data.get("actor", ""),
            record=data.get("record", ""),
            organisation=data.get("organisation"),
            since=data.get("since"),
            until=data.get("until"),
        )
