from __future__ import annotations

from django import forms

from .choices import DeliveryStatus, EventType
from .services.webhooks import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=URL_MAX_LENGTH,
        help_text="Where the events are POSTed: https://… (no user name or password in it).",
    )
    event_types = forms.MultipleChoiceField(
        label="Event types",
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every type.",
    )
    description = forms.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False)


class DeliveryFilterForm(forms.Form):
    """The delivery log's filters, with the API's parameter names (``status``, ``event_type``)."""

    status = forms.ChoiceField(
        choices=[("", "Any status"), *DeliveryStatus.choices], required=False
    )
    event_type = forms.ChoiceField(
        label="Event type",
        choices=[("", "Any type"), *EventType.choices],
        required=False,
    )
