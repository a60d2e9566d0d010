"""Date pickers render ``YYYY-MM-DD`` (``YYYY-MM-DDTHH:MM``) whatever the value and the language:
the only text ``<input type=date>`` (``datetime-local``) shows; any other leaves it empty."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django import forms
from django.utils import timezone, translation

from leasing.forms import AvailabilityForm
from tcfo_portal.widgets import DateInput, DateTimeInput


class _Form(forms.Form):
    day = forms.DateField(widget=DateInput())
    moment = forms.DateTimeField(widget=DateTimeInput())


@pytest.mark.parametrize(
    ("day", "moment"),
    [
        (datetime.date(2026, 11, 28), datetime.datetime(2026, 11, 28, 14, 5)),
        ("28/11/2026", "28/11/2026 14:05"),  # the en-gb formats, e.g. from a link
        ("2026-11-28", "2026-11-28T14:05"),
    ],
)
def test_a_picker_gets_its_value_as_the_browser_takes_it(day, moment):
    with translation.override("en-gb"):
        html = str(_Form(initial={"day": day, "moment": moment}))
    assert 'type="date" name="day" value="2026-11-28"' in html
    assert 'type="datetime-local" name="moment" value="2026-11-28T14:05"' in html


def test_an_aware_time_is_shown_in_the_current_zone():
    moment = datetime.datetime(2026, 11, 28, 10, 5, tzinfo=datetime.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Baku")):
        html = DateTimeInput().render("moment", moment)
    assert 'value="2026-11-28T14:05"' in html


def test_unreadable_text_stays_as_typed():
    """The form says what is wrong with it; the widget does not guess."""
    assert 'value="soon"' in DateInput().render("day", "soon")


@pytest.mark.django_db
def test_the_availability_form_starts_on_today_as_the_picker_takes_it():
    today = timezone.localdate()
    with translation.override("en-gb"):
        html = str(AvailabilityForm()["start_date"])
        assert today.strftime("%d/%m/%Y") not in html
    assert f'value="{today.isoformat()}"' in html
