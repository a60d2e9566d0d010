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

from ..leasing.conftest import net, sales_net
from ..leasing.test_order_pages import _order

__all__ = ["net", "sales_net"]


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


# --- the portal's pages show a service's refusal on the form that was sent -------------------


@pytest.mark.django_db
def test_a_refused_order_step_is_shown_on_its_form_with_what_was_typed(client, sales_net):
    from django.urls import reverse

    net = sales_net
    order = _order(net)
    client.force_login(net.noc)  # AZT's network staff name KTC the billing party: refused
    response = client.post(
        reverse("order", args=[order.pk]),
        {
            "action": "acknowledge",
            "acknowledge-billing_party": net.ktc.pk,
            "acknowledge-note": "typed by hand",
        },
    )
    assert response.status_code == 400
    form = response.context["actions"]["acknowledge"]
    assert form.non_field_errors() == [
        "An operator can make itself the billing party, not another operator."
    ]
    assert form.errors["billing_party"] == ["Leave it, or name AZT."]
    assert "typed by hand" in response.content.decode()
    assert not list(response.context["messages"])  # on the form, not in a flash message


@pytest.mark.django_db
def test_a_refused_quote_is_shown_on_the_quote_form(client, sales_net):
    from django.urls import reverse

    client.force_login(sales_net.buyer)
    body = {"product": "WL100", "path": "BAK-AKT", "term_months": "12", "start_date": "2020-01-01"}
    response = client.post(reverse("quote-new"), body)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.non_field_errors() == ["The start date is in the past."]
    assert form.errors["start_date"] == ["Give today or later."]
    assert 'value="2020-01-01"' in response.content.decode()


@pytest.mark.django_db
def test_a_key_the_service_refuses_is_a_domain_error_the_command_says():
    """``create_api_key`` refuses with ``InvalidInput`` (it raised ``ValidationError``)."""
    from django.core.management import CommandError, call_command

    from organisations.models import ApiKey
    from organisations.services import create_api_key

    from ..factories import CustomerFactory

    closed = CustomerFactory(name="Closed Carrier", is_active=False)
    with pytest.raises(InvalidInput) as refused:
        create_api_key(organisation=closed, name="OSS")
    assert refused.value.errors == {"organisation": ["Closed Carrier is not active."]}
    with pytest.raises(CommandError, match=r"^organisation: Closed Carrier is not active\.$"):
        call_command("create_api_key", "--org", "Closed Carrier")
    assert not ApiKey.objects.exists()
