"""One mapping from a service's refusal (``DomainError``) to what the portal and admin show
(``tcfo_portal.forms``), and from a model's ``ValidationError`` to a domain error."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from tcfo_portal.exceptions import DomainError, InvalidInput
from tcfo_portal.forms import (
    add_domain_error,
    as_validation_error,
    domain_error_text,
    form_messages,
    refusal_status,
)


class _Form(forms.Form):
    reason = forms.CharField(required=False)
    on = forms.DateField(required=False)


def _bound(**data: str) -> _Form:
    form = _Form({"reason": "typed", **data})
    assert form.is_valid()
    return form


def test_a_message_about_a_field_of_the_form_goes_on_it_the_detail_above():
    form = _bound()
    add_domain_error(form, DomainError("Say why.", errors={"reason": ["Required."]}))
    assert form.errors == {"__all__": ["Say why."], "reason": ["Required."]}
    assert form.data["reason"] == "typed"  # what was typed is shown again


def test_messages_about_fields_the_form_lacks_go_above_it_once():
    form = _bound()
    error = DomainError(
        "Not sold here.", errors={"site": ["Give the PoP."], "path": ["Not sold here."]}
    )
    add_domain_error(form, error)
    assert form.errors == {"__all__": ["Not sold here.", "Give the PoP."]}


def test_an_error_about_one_field_is_shown_on_it_alone():
    form = _bound()
    add_domain_error(form, DomainError("That code is not right.", field="on"))
    assert form.errors == {"on": ["That code is not right."]}
    form = _bound()
    add_domain_error(form, InvalidInput("reason", "Too long."))
    assert form.errors == {"reason": ["Too long."]}  # not "reason: Too long." above it too
    form = _bound()
    add_domain_error(form, InvalidInput("shares", "They sum to 90%."))
    assert form.errors == {"__all__": ["They sum to 90%."]}


def test_an_error_without_fields_is_a_non_field_error():
    form = _bound()
    add_domain_error(form, DomainError("The invoice is issued already."))
    assert form.non_field_errors() == ["The invoice is issued already."]


def test_flash_text_admin_and_api_say_the_same_words():
    error = DomainError("Say why.", errors={"reason": ["Required."], "on": ["A date."]})
    assert form_messages(error) == ["Say why.", "Required.", "A date."]
    assert domain_error_text(error) == "Say why. Required.; A date."
    assert as_validation_error(error).messages == ["Say why.", "Required.", "A date."]
    invalid = InvalidInput("shares", "They sum to 90%.")
    assert (invalid.detail, invalid.errors) == (
        "shares: They sum to 90%.",
        {"shares": ["They sum to 90%."]},
    )
    # Where no field is at hand, the message names its field (once).
    assert domain_error_text(invalid) == "shares: They sum to 90%."
    assert as_validation_error(invalid).messages == ["shares: They sum to 90%."]


def test_a_field_error_is_in_the_errors_the_api_answers():
    error = DomainError("Give a date after 2026-10-01.", field="on")
    assert error.errors == {"on": ["Give a date after 2026-10-01."]}
    both = DomainError("Refused.", field="on", errors={"on": ["A date."], "reason": ["Why?"]})
    assert both.errors == {"on": ["A date."], "reason": ["Why?"]}


@pytest.mark.parametrize(
    ("status", "shown"), [(400, 400), (403, 403), (409, 409), (422, 422), (503, 400)]
)
def test_a_refusal_page_is_never_a_server_error(status, shown):
    error = DomainError("Refused.")
    error.status_code = status
    assert refusal_status(error) == shown


def test_a_models_validation_error_becomes_invalid_input_on_the_same_fields():
    error = InvalidInput.from_validation_error(
        ValidationError({"role": ["No such role."], "__all__": ["Pick another."]})
    )
    assert error.errors == {"role": ["No such role."], "non_field_errors": ["Pick another."]}
    assert error.detail == "role: No such role."
    plain = InvalidInput.from_validation_error(ValidationError("Not a time zone."))
    assert (plain.detail, plain.errors) == (
        "Not a time zone.",
        {"non_field_errors": ["Not a time zone."]},
    )
