"""The audit log page shows changes as people read them: actions in words, "field: old → new",
an empty value as "—", moments with their zone, dates and decimals in the portal's format."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from audit.presentation import action_label, readable_changes, readable_value
from leasing.models import Price
from organisations.choices import Role

from ..conftest import session_client
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("None", "—"),
        (None, "—"),
        ("", "—"),
        ("2026-11-29 05:15:31.487842", "29 Nov 2026, 05:15 UTC"),
        ("2026-11-29 05:15:31.487842+00:00", "29 Nov 2026, 05:15 UTC"),
        ("2027-01-01", "1 Jan 2027"),
        ("12500.0000", "12,500"),
        ("0.40", "0.4"),
        ("42", "42"),
        ("Baku PoP", "Baku PoP"),
        ("2026-13-45", "2026-13-45"),
    ],
)
def test_a_stored_value_is_shown_formatted(stored, shown):
    assert readable_value(stored) == shown


def test_an_update_reads_field_old_new_with_labels(net):
    price = net.price
    entry = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Price),
        object_pk=str(price.pk),
        object_repr=str(price),
        action=LogEntry.Action.UPDATE,
        changes={"valid_to": ["None", "2027-01-01"]},
    )
    assert action_label(entry) == "Changed"
    [change] = readable_changes(entry)
    assert (change.old, change.new) == ("—", "1 Jan 2027")
    assert change.field == Price._meta.get_field("valid_to").verbose_name.capitalize()


def test_the_page_shows_labels_and_formatted_changes(net):
    finance = UserFactory(organisation=net.azt, role=Role.OPERATOR_FINANCE)
    client = session_client(finance)
    response = client.patch(
        f"/api/v1/prices/{net.price.pk}/", {"valid_to": "2027-01-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    html = client.get("/audit/").content.decode()
    assert "— → 1 Jan 2027" in html
    assert "→ None" not in html and "None →" not in html and ">update<" not in html
    assert ">Changed<" in html
    # Creations and deletions are said in words too, never auditlog's codes.
    assert ">create<" not in html and ">delete<" not in html
