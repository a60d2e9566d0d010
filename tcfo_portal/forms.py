"""Domain errors shown in the portal and the admin: the one mapping from a service's refusal
(``tcfo_portal.exceptions.DomainError``) to what a person reads.

A view that shows the form it received puts the refusal on it (``add_domain_error``): the form
keeps what was typed, each message sits on the field it is about, and the rest above the
fields. A view that answers with a redirect (post/redirect/get) says it in a flash message
(``flash_domain_error``); the admin raises it from a form's or formset's ``clean``
(``as_validation_error``). All three say the same words (``form_messages``).
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .exceptions import DomainError


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show ``error`` on ``form``: the messages about a field the form has on that field, the
    others (and ``detail``, unless it is a field's own message) as non-field errors."""
    above: list[str] = [] if error.field is not None else [error.detail]
    for name, field_messages in error.errors.items():
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
        else:
            above += [message for message in field_messages if message not in above]
    for message in above:
        form.add_error(None, message)


def form_messages(error: DomainError) -> list[str]:
    """What ``error`` says where no field is at hand, in order and once each: ``detail`` (for
    an error about one field it names the field), then the messages about other fields."""
    said = [error.detail]
    for name, field_messages in error.errors.items():
        if name != error.field:
            said += [message for message in field_messages if message not in said]
    return said


def domain_error_text(error: DomainError) -> str:
    """``error`` in one line, for a flash message or a plain-text answer: ``detail``, then
    what it says about each field."""
    first, *rest = form_messages(error)
    return f"{first} {'; '.join(rest)}".strip()


def flash_domain_error(request: HttpRequest, error: DomainError) -> None:
    """Say ``error`` on the next page (the view redirects, or shows no form it is about)."""
    messages.error(request, domain_error_text(error))


def as_validation_error(error: DomainError) -> ValidationError:
    """``error`` as Django's ``ValidationError``, to raise from an admin form's or formset's
    ``clean`` (which the admin shows above the form) instead of a 500."""
    return ValidationError(form_messages(error))


def refusal_status(error: DomainError) -> int:
    """The status of the page that shows a refusal: the error's own (400, 403, 409...), a 400
    for one that would answer 5xx (a page with a message is not a server error)."""
    return error.status_code if 400 <= error.status_code < 500 else 400


def form_errors_text(form: forms.BaseForm) -> str:
    """A bound form's errors in one line, for a flash message (the view redirects)."""
    return "; ".join(f"{name}: {e}" for name, errors in form.errors.items() for e in errors)


def submit(form: forms.BaseForm, act: Callable[..., object]) -> bool:
    """Validate ``form`` and take ``act(**form.cleaned_data)``, for a view that shows the form
    again when it is refused: a service's refusal goes on the form (``add_domain_error``).
    Whether the action was taken."""
    if not form.is_valid():
        return False
    try:
        act(**form.cleaned_data)
    except DomainError as error:
        add_domain_error(form, error)
        return False
    return True


def submit_or_flash(request: HttpRequest, form: forms.BaseForm, act: Callable[..., object]) -> bool:
    """As ``submit``, for a view that redirects whatever happens: the form's errors or the
    service's refusal are said in a flash message. Whether the action was taken."""
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return False
    try:
        act(**form.cleaned_data)
    except DomainError as error:
        flash_domain_error(request, error)
        return False
    return True
