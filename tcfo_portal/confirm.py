"""A confirmation step before an irreversible or costly action, for every portal form.

The action's form posts as usual. Once the form is valid, the view asks
``confirmation_page(request, Confirmation(...))`` unless ``is_confirmed(request)``: the page names
what will happen and its amount, and posts the same fields again with ``confirmed=yes``. Its
other button, ``confirmed=no`` (``wants_changes``), brings the person back to the form with
every value as typed. Nothing is done until the second post, so a page reloaded or a button
pressed twice does nothing unconfirmed; the service still refuses what is no longer allowed.

    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not wants_changes(request):
        if not is_confirmed(request):
            return confirmation_page(request, Confirmation(
                title=f"Suspend {service.circuit_id}?",
                action="The service stops carrying traffic until it is resumed.",
                amount=None, confirm_label="Suspend the service", cancel_url=service_url,
            ))
        ...act...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRM_FIELD = "confirmed"


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says. ``amount`` is preformatted (``tcfo_portal.formatting``),
    e.g. "12,500.00 USD a month"; ``facts`` are (label, value) rows shown above the buttons.
    ``back_label`` names the button back to the form as typed; None shows none, for an action
    posted from a page with nothing to change (a button alone): Cancel goes back there."""

    title: str
    action: str
    confirm_label: str
    cancel_url: str
    amount: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)
    danger: bool = False
    back_label: str | None = "Go back and change"


def is_confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


def wants_changes(request: HttpRequest) -> bool:
    """The person pressed "Go back and change" on the confirmation page."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "no"


def confirmation_page(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    """The page asking to confirm, re-posting every submitted field to the same address."""
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRM_FIELD)
        for value in values
    ]
    return render(
        request,
        "confirm.html",
        {"confirmation": confirmation, "carried": carried, "action_url": request.get_full_path()},
    )
