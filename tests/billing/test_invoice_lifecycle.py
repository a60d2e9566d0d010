"""Every pair of invoice states: the steps of the lifecycle move, all others are refused.

The expected table is written out here from domain.md (section 6: a draft until issued, then
paid in part or in full, a payment reversed takes it back; credited in full before any payment
it is void, which is final), not read from ``billing.invoice_lifecycle.ALLOWED``.
"""

import pytest

from billing import invoice_lifecycle
from billing.choices import InvoiceStatus
from billing.models import Invoice

from ..factories import CustomerFactory, OperatorFactory
from ..lifecycles import try_step

pytestmark = pytest.mark.django_db

EXPECTED_TRANSITIONS = {
    ("draft", "issued"),
    ("issued", "partially_paid"),
    ("issued", "paid"),
    ("issued", "void"),
    ("partially_paid", "paid"),
    ("partially_paid", "issued"),  # its only payment reversed
    ("paid", "partially_paid"),  # one of its payments reversed
    ("paid", "issued"),  # every payment reversed
}
INVOICE_STATES = ["draft", "issued", "partially_paid", "paid", "void"]


def test_the_invoice_states_are_these_five():
    assert sorted(InvoiceStatus.values) == sorted(INVOICE_STATES)


@pytest.mark.parametrize("from_state", INVOICE_STATES)
@pytest.mark.parametrize("to_state", INVOICE_STATES)
def test_every_pair_of_invoice_states_moves_or_is_refused(from_state, to_state):
    issued = from_state != "draft"
    invoice = Invoice.objects.create(
        billing_party=OperatorFactory(),
        customer=CustomerFactory(),
        period="2026-10",
        currency="USD",
        status=from_state,
        number="OAAA-2026-000001" if issued else None,
    )
    allowed = (from_state, to_state) in EXPECTED_TRANSITIONS
    try_step(invoice_lifecycle, invoice, to_state, allowed=allowed)
    invoice.refresh_from_db()
    steps = list(invoice.transitions.values_list("from_state", "to_state", "by"))
    if allowed:
        assert (invoice.status, steps) == (to_state, [(from_state, to_state, "test")])
    else:
        assert (invoice.status, steps) == (from_state, [])
