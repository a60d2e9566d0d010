from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone

from organisations.selectors import consortium_operators
from tcfo_portal.formatting import zone_name
from tcfo_portal.widgets import DateInput, DateTimeInput

from .choices import (
    IRU_TERMS,
    LEASE_TERMS,
    MaintenanceImpact,
    NoteVisibility,
    ObservedImpact,
    TicketPriority,
    TicketSeverity,
)
from .constants import NOTE_MAX_LENGTH, UNIT_BOUND
from .exceptions import NotSellable
from .models import Outage, Path, Product, Segment, Site
from .services.orders import end_bounds_in_words


class OnDateForm(forms.Form):
    """``?date=YYYY-MM-DD``: the day a page describes (default today)."""

    date = forms.DateField(required=False, widget=DateInput())

    def on(self) -> datetime.date:
        return self.cleaned_data.get("date") or timezone.localdate()


class ProductPlaceForm(forms.Form):
    """A product and where it is sold: on a path, or at a PoP for IP transit."""

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


class AvailabilityForm(ProductPlaceForm):
    start_date = forms.DateField(widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start_date"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        product = data.get("product")
        if product is None:
            return data
        try:
            data["path"], data["site"] = product.sold_at(
                path=data.get("path"), site=data.get("site")
            )
        except NotSellable as error:
            for field, messages in error.errors.items():
                self.add_error(field, messages)
        return data


TERM_CHOICES = [(t, f"{t} months") for t in (*LEASE_TERMS, *IRU_TERMS)]


class QuoteForm(ProductPlaceForm):
    term_months = forms.TypedChoiceField(choices=TERM_CHOICES, coerce=int, label="Term")
    start_date = forms.DateField(widget=DateInput())
    commit_mbps = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=10_000_000,
        label="Committed rate (Mbit/s)",
        help_text="For IP transit.",
    )


class OperatorNoteForm(forms.Form):
    """An operator's note on an order's step, internal unless given to the customer."""

    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)
    note_visibility = forms.TypedChoiceField(
        choices=NoteVisibility.choices,
        initial=NoteVisibility.INTERNAL,
        required=False,
        empty_value=NoteVisibility.INTERNAL,
        widget=forms.RadioSelect,
        label="Who reads the note",
    )


class AcknowledgeForm(OperatorNoteForm):
    billing_party = forms.ModelChoiceField(
        queryset=consortium_operators(),
        required=False,
        help_text="Leave empty to keep the current billing party.",
    )
    field_order = ["billing_party", "note", "note_visibility"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The customer reads it.",
    )


class CancelForm(ReasonForm):
    """The customer's own cancellation: the reason goes to the operators."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = "Why you withdraw the order; the operators read it."


class ProvisionForm(OperatorNoteForm):
    """What ``start_provisioning`` takes, parsed within the bounds of ``leasing.constants``."""

    start = forms.IntegerField(
        required=False,
        min_value=-UNIT_BOUND,
        max_value=UNIT_BOUND,
        label="Move capacity to start at unit",
        help_text="Spectrum slot (0 = 193.1 THz), tributary slot or port; empty keeps it.",
    )
    ready_for_service_date = forms.DateField(required=False, widget=DateInput())
    field_order = ["start", "ready_for_service_date", "note", "note_visibility"]


class CompleteForm(forms.Form):
    ready_for_service_date = forms.DateField(widget=DateInput())


class _ServiceEndForm(forms.Form):
    """A service's end day, whose help text names the bounds ``check_service_end`` applies
    (``end_bounds_in_words``) when the form knows the service."""

    def __init__(self, *args: Any, service: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if service is not None:
            self.fields["on"].help_text = f"{end_bounds_in_words(service)} {self.then}".strip()

    then = ""


class TerminateForm(_ServiceEndForm):
    on = forms.DateField(
        label="Ends on",
        widget=DateInput(),
        help_text="First day without service: today or later.",
    )


class ChangeEndForm(_ServiceEndForm):
    """The day a service set to end later ends on instead, or none: it runs on."""

    on = forms.DateField(
        label="Ends on instead",
        required=False,
        widget=DateInput(),
        help_text="First day without service; empty withdraws the end (the service runs on).",
    )
    then = "Empty withdraws the end (the service runs on)."


def _reader_zone() -> str:
    """The zone of the person filling the form (``ReaderTimeZoneMiddleware`` activated it)."""
    return zone_name(timezone.get_current_timezone())


class _ReaderZoneTimes(forms.Form):
    """Times typed as wall times in the reader's zone, which every time field's label names
    (``Started at (Asia/Baku)``). Django reads a typed time in the active zone, the
    reader's; the API is unchanged (ISO 8601 with an offset)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = _reader_zone()
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                field.label = f"{field.label} ({zone})"


def _local_datetime_field(label: str, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DateTimeInput(), **kwargs)


class OutageForm(_ReaderZoneTimes):
    segment = forms.ModelChoiceField(queryset=Segment.objects.order_by("code"))
    started_at = _local_datetime_field("Started at")
    ended_at = _local_datetime_field("Ended at", required=False, help_text="Empty while it lasts.")
    description = forms.CharField(max_length=300)

    def __init__(self, *args: Any, segments: Any, **kwargs: Any) -> None:
        """``segments``: the ones offered, those the actor records outages of today
        (``services.outages.outage_segments``). Any segment is read: ``record_outage`` decides
        by the outage's own day (a former owner records the outages of the days it owned) and
        says why it refuses one."""
        super().__init__(*args, **kwargs)
        field = self.fields["segment"]
        field.widget.choices = [("", field.empty_label), *((s.pk, str(s)) for s in segments)]


class EndOutageForm(_ReaderZoneTimes):
    ended_at = _local_datetime_field("Ended at")


class CorrectOutageForm(_ReaderZoneTimes):
    """Every field of the outage as it should be, and why it changes."""

    started_at = _local_datetime_field("Started at")
    ended_at = _local_datetime_field("Ended at", required=False, help_text="Empty while it lasts.")
    description = forms.CharField(max_length=300)
    reason = forms.CharField(max_length=300, help_text="Why the outage is corrected.")

    @classmethod
    def for_outage(cls, outage: Outage) -> CorrectOutageForm:
        """The form filled with the outage as recorded (in the reader's zone, to the minute)."""

        def shown(value: datetime.datetime | None) -> str:
            if value is None:
                return ""
            return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")

        return cls(
            initial={
                "started_at": shown(outage.started_at),
                "ended_at": shown(outage.ended_at),
                "description": outage.description,
            }
        )


# --- planned maintenance ------------------------------------------------------------------------

#: The zones a window may be typed in: the consortium's, and UTC. Never silently UTC: the form
#: names the zone it reads the times in.
WINDOW_ZONES = [
    ("UTC", "UTC"),
    ("Asia/Baku", "Asia/Baku (UTC+4)"),
    ("Asia/Aqtau", "Asia/Aqtau (UTC+5)"),
    ("Asia/Almaty", "Asia/Almaty (UTC+5)"),
]


def _zone_of(initial: str | None) -> str:
    return (
        initial
        if initial and (initial in dict(WINDOW_ZONES) or initial == _reader_zone())
        else "UTC"
    )


class _WindowFields(forms.Form):
    """A window typed as wall times in a named zone; ``clean`` gives aware times."""

    window_start = forms.DateTimeField(label="Window starts", widget=DateTimeInput())
    window_end = forms.DateTimeField(label="Window ends", widget=DateTimeInput())
    time_zone = forms.ChoiceField(
        choices=WINDOW_ZONES, help_text="The zone the window's times are typed in."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The reader's own zone is always offered (and is the default: ``for_zone``).
        reader = _reader_zone()
        field = self.fields["time_zone"]
        if reader not in dict(WINDOW_ZONES):
            field.choices = [(reader, f"{reader} (your time zone)"), *WINDOW_ZONES]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        zone = zoneinfo.ZoneInfo(cleaned.pop("time_zone", None) or "UTC")
        for name in ("window_start", "window_end"):
            value = cleaned.get(name)
            if value is not None:
                # Django read the wall time in the current zone: read it in the chosen one.
                cleaned[name] = timezone.make_naive(value).replace(tzinfo=zone)
        return cleaned


class MaintenanceForm(_WindowFields):
    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.order_by("code"),
        to_field_name="code",
        help_text="Every service whose path uses one of them is affected.",
    )
    impact = forms.ChoiceField(choices=MaintenanceImpact.choices)
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Customers read it."
    )
    field_order = ["segments", "window_start", "window_end", "time_zone", "impact", "reason"]

    def __init__(self, *args: Any, segments: Any = None, **kwargs: Any) -> None:
        """``segments``: the ones offered (``services.maintenance.plannable_segments``)."""
        super().__init__(*args, **kwargs)
        if segments is not None:
            self.fields["segments"].queryset = segments

    @classmethod
    def for_zone(cls, zone: str | None, *, segments: Any = None) -> MaintenanceForm:
        return cls(initial={"time_zone": _zone_of(zone)}, segments=segments)


class MaintenanceEditForm(_WindowFields):
    """The maintenance as it should be; fields left as shown do not change."""

    impact = forms.ChoiceField(choices=MaintenanceImpact.choices)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    note = forms.CharField(
        max_length=500, required=False, help_text="Why it changes (customers read it)."
    )
    field_order = ["window_start", "window_end", "time_zone", "impact", "reason", "note"]

    def __init__(self, *args: Any, maintenance: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.maintenance = maintenance

    @classmethod
    def for_maintenance(cls, maintenance: Any, zone: str | None) -> MaintenanceEditForm:
        zone = _zone_of(zone)
        tz = zoneinfo.ZoneInfo(zone)

        def shown(value: datetime.datetime) -> str:
            return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M")

        return cls(
            maintenance=maintenance,
            initial={
                "window_start": shown(maintenance.window_start),
                "window_end": shown(maintenance.window_end),
                "time_zone": zone,
                "impact": maintenance.impact,
                "reason": maintenance.reason,
            },
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # A time left as shown (to the minute) keeps the stored one.
        for name in ("window_start", "window_end"):
            stored = getattr(self.maintenance, name)
            if cleaned.get(name) == stored.replace(second=0, microsecond=0):
                cleaned.pop(name)
        return cleaned


class MaintenanceCancelForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Why it is cancelled (customers read it).")


class MaintenanceNoteForm(forms.Form):
    note = forms.CharField(max_length=500, required=False)


# --- trouble tickets ------------------------------------------------------------------------------


class TicketForm(_ReaderZoneTimes):
    """Report a fault: what ``services.tickets.open_ticket`` takes (it checks the rest)."""

    service = forms.ModelChoiceField(queryset=None, to_field_name="circuit_id")
    severity = forms.ChoiceField(
        choices=TicketSeverity.choices, help_text="How much of the service the fault takes away."
    )
    observed_impact = forms.ChoiceField(choices=ObservedImpact.choices)
    priority = forms.ChoiceField(
        choices=[("", "As the severity says"), *TicketPriority.choices], required=False
    )
    description = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What you see, since when, where (alarms, light levels).",
    )
    issue_start_date = forms.DateTimeField(
        required=False, widget=DateTimeInput(), label="First seen"
    )
    external_id = forms.CharField(max_length=100, required=False, label="Your reference")
    contact_name = forms.CharField(max_length=150)
    contact_email = forms.EmailField()
    contact_phone = forms.CharField(max_length=40, required=False)

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services


class TicketNoteForm(OperatorNoteForm):
    """A note on a ticket (a customer's is always the customer's: the view drops the choice)."""

    note = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))


class TicketStepForm(OperatorNoteForm):
    note = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class TicketResolveForm(TicketStepForm):
    resolution = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How the fault was resolved; the customer reads it.",
    )
    field_order = ["resolution", "note", "note_visibility"]


class TicketCustomerStepForm(forms.Form):
    """Confirm or cancel: a note is welcome, not required."""

    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; the operators read it.",
    )


class TicketReopenForm(forms.Form):
    """Reopen: the operators need to know what is still wrong (the service requires it too)."""

    note = forms.CharField(
        label="What is still wrong",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required; the operators read it.",
    )


class TicketOutageForm(forms.Form):
    outage = forms.ModelChoiceField(
        queryset=Outage.objects.none(), required=False, help_text="Empty: no linked outage."
    )

    def __init__(self, *args: Any, outages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outage"].queryset = outages
