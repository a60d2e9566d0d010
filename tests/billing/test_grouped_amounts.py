"""The payment, manual line and credit-note forms read amounts typed as the portal shows them
(``12,000.00``) and say their bounds as money."""

from __future__ import annotations

import pytest

from billing.choices import LineKind
from billing.models import CreditNote

pytestmark = pytest.mark.django_db


def test_the_credit_note_form_reads_grouped_amounts_and_says_its_bound_as_money(
    issued_october, client
):
    net = issued_october
    nrc = net.invoice.lines.get(kind=LineKind.NRC)
    url = f"/invoices/{net.invoice.pk}/credit-notes/new/"
    client.force_login(net.finance)
    too_much = client.post(url, {f"line_{nrc.pk}": "5,000.01", "reason": "Late"})
    assert too_much.status_code == 400
    html = too_much.content.decode()
    assert "Enter at most 5,000.00 USD." in html and "less than or equal" not in html
    assert 'value="5,000.01"' in html  # what was typed, kept
    asked = client.post(url, {f"line_{nrc.pk}": "1,000.00", "reason": "Late"})
    assert asked.status_code == 200
    assert "Issue a credit note of 1,180.00 USD?" in asked.content.decode()  # + 18% VAT
    assert not CreditNote.objects.exists()
    odd = client.post(url, {f"line_{nrc.pk}": "1,00", "reason": "Late"})
    assert odd.status_code == 400 and "commas only between groups of three" in odd.content.decode()


def test_a_payment_of_a_grouped_amount_is_recorded(issued_october, client):
    net = issued_october
    client.force_login(net.finance)
    url = f"/invoices/{net.invoice.pk}/payments/new/"
    typed = {"amount": "12,000.00", "received_on": net.today.isoformat(), "reference": "wire"}
    asked = client.post(url, typed)
    assert asked.status_code == 200 and "12,000.00 USD" in asked.content.decode()
    client.post(url, {**typed, "confirmed": "yes"})
    assert [str(p.amount) for p in net.invoice.payments.all()] == ["12000.00"]
