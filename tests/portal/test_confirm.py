"""The confirmation step (``tcfo_portal.confirm``): it names the action and its amount and
carries every submitted value to the second post."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes


def _post(data: dict[str, object]) -> object:
    request = RequestFactory().post("/orders/7/?next=x", data)
    request.user = AnonymousUser()
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.django_db
def test_the_page_names_the_action_and_amount_and_carries_the_fields() -> None:
    request = _post({"quote": "17", "note": 'a "quoted" <note>', "segments": ["1", "2"]})
    response = confirmation_page(
        request,
        Confirmation(
            title="Place the order?",
            action="The order is placed and capacity is held for you.",
            amount="12,500.00 USD a month",
            confirm_label="Place the order",
            cancel_url="/quotes/17/",
            facts=[("Term", "12 months")],
        ),
    )
    html = response.content.decode()
    assert "12,500.00 USD a month" in html and "Place the order" in html
    assert 'action="/orders/7/?next=x"' in html
    assert '<input type="hidden" name="quote" value="17">' in html
    assert 'value="a &quot;quoted&quot; &lt;note&gt;"' in html
    assert html.count('name="segments"') == 2
    assert 'name="confirmed" value="yes"' in html and 'name="confirmed" value="no"' in html
    assert not is_confirmed(request) and not wants_changes(request)


def test_the_answers() -> None:
    assert is_confirmed(_post({"confirmed": "yes"}))
    assert wants_changes(_post({"confirmed": "no"}))
    assert not is_confirmed(RequestFactory().get("/?confirmed=yes"))
