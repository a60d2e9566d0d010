"""docs/webhooks.md's Python example verifies a real signed delivery (and refuses forgeries)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from events.choices import EventType
from events.services.delivery import deliver_due
from events.services.outbox import publish_pending, record_event
from events.services.webhooks import create_subscription, rotate_secret
from organisations.choices import Role
from tests.factories import CustomerFactory, UserFactory

from .receiver import receiver

pytestmark = pytest.mark.django_db

GUIDE = Path(settings.BASE_DIR) / "docs" / "webhooks.md"


def _example() -> dict:
    [code] = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    namespace: dict = {}
    exec(compile(code, str(GUIDE), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


def test_the_guides_example_verifies_a_real_delivery() -> None:
    example = _example()
    admin = UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN)
    with receiver() as endpoint:
        subscription, old = create_subscription(actor=admin, url=endpoint.url)
        record_event(
            type=EventType.INVOICE_ISSUED,
            organisation=admin.organisation,
            subject_type="invoice",
            subject_id=9,
            data={"number": "AZT-2026-000009"},
        )
        publish_pending()
        deliver_due()
        subscription, new = rotate_secret(actor=admin, subscription=subscription)
        record_event(
            type=EventType.INVOICE_ISSUED,
            organisation=admin.organisation,
            subject_type="invoice",
            subject_id=10,
            data={"number": "AZT-2026-000010"},
        )
        publish_pending()
        deliver_due()
        before, during = endpoint.received

    verify, handle = example["verify_signature"], example["handle"]
    header = before.headers["TCFO-Signature"]
    assert verify(before.body, header, [old])
    assert not verify(before.body, header, [new])
    assert not verify(before.body + b" ", header, [old])  # a body changed on the way
    assert not verify(before.body, header, [old], now=time.time() + 6 * 60)  # replayed late
    # during the rotation's grace period, either secret verifies
    assert verify(during.body, during.headers["TCFO-Signature"], [old])
    assert verify(during.body, during.headers["TCFO-Signature"], [new])

    # the receiver of the guide processes an event once, however often it arrives
    assert handle(before.body, before.headers, [old]) == 200
    assert handle(before.body, before.headers, [old]) == 200
    assert example["seen_event_ids"] == {before.headers["TCFO-Event-Id"]}
    assert handle(before.body, {**before.headers, "TCFO-Signature": "t=1,v1=00"}, [old]) == 400


@pytest.mark.parametrize(
    "header",
    [
        "t=\u00b2\u00b3,v1=00",  # superscript digits: str.isdigit() says yes, int() says no
        "t=\u0661\u0662,v1=00",  # Arabic-Indic digits
        "t=1700000000,v1=\u00e9\u00e9",  # a non-ASCII signature
        "t=,v1=00",
        "garbage",
        "",
    ],
)
def test_the_guides_example_refuses_odd_headers_without_crashing(header: str) -> None:
    verify = _example()["verify_signature"]
    assert verify(b"{}", header, ["whsec_x"], now=1700000000) is False
