"""The sale as business actions: quotes, the order lifecycle, provisioning, services, contracts."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from billing.periods import local_date
from leasing import order_lifecycle
from leasing.choices import AllocationStatus, OrderState, ServiceStatus
from leasing.exceptions import CapacityUnavailable, NotSellable
from leasing.models import Order, Price, Quote, SpectrumReservation
from leasing.services.capacity import allocate_capacity, check_availability
from leasing.services.orders import (
    acknowledge_order,
    add_months,
    cancel_order,
    complete_order,
    create_quote,
    expire_unacknowledged_orders,
    fail_order,
    place_order,
    reject_order,
    resume_service,
    start_provisioning,
    suspend_service,
    terminate_service,
)
from tcfo_portal.exceptions import Conflict, DomainError, InvalidTransition

from ..lifecycles import try_step
from .conftest import START

pytestmark = pytest.mark.django_db
RFS = datetime.date(2026, 12, 10)


def _quote(net, product=None, **kwargs):
    values = {"term_months": 12, "start_date": START, "path": net.path}
    values.update(kwargs)
    return create_quote(customer=net.customer, product=product or net.wl100, by="noc", **values)


def _order(net, **kwargs):
    return place_order(quote=_quote(net, **kwargs), by="noc")


def _free(net):
    return check_availability(product=net.wl100, path=net.path, start_date=START).free_units


def _completed(net, **kwargs):
    order = _order(net, **kwargs)
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    return complete_order(order=order, by="ops", ready_for_service_date=RFS)


# --- quotes ---------------------------------------------------------------------------------------


def test_a_quote_keeps_its_price_when_the_price_book_changes(sales_net):
    net = sales_net
    quote = _quote(net)
    assert (quote.mrc, quote.nrc, quote.currency) == (
        Decimal("12500.00"),
        Decimal("5000.00"),
        "USD",
    )
    assert quote.valid_until == timezone.localdate() + datetime.timedelta(days=30)
    Price.objects.filter(pk=net.price.pk).update(mrc=Decimal("99999"))
    quote.refresh_from_db()
    assert quote.mrc == Decimal("12500.00")
    service = _completed(net, term_months=12)
    assert service.contract.mrc == Decimal("99999")  # a new quote takes the new price...
    assert Quote.objects.get(pk=quote.pk).mrc == Decimal("12500.00")  # ...the old one never


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_date": datetime.date(2020, 1, 1)}, "in the past"),
        ({"term_months": 24}, "sold for 12, 36, 60 months"),
        ({"term_months": 36}, "no 36-month price"),
        ({"path": None}, "sold on a path"),
    ],
)
def test_a_quote_that_cannot_be_priced_is_refused(sales_net, overrides, message):
    with pytest.raises(NotSellable, match=message):
        _quote(sales_net, **overrides)
    assert not Quote.objects.exists()


def test_transit_quotes_need_a_commit_within_the_port_speed(sales_net):
    net = sales_net
    for commit in (None, 0, 10_001):
        with pytest.raises(NotSellable, match="committed rate"):
            _quote(net, net.ipt10, path=None, site=net.bak, commit_mbps=commit)
    quote = _quote(net, net.ipt10, path=None, site=net.bak, commit_mbps=2000)
    assert (quote.commit_price_per_mbps, quote.burst_price_per_mbps) == (
        Decimal("0.45"),
        Decimal("0.60"),
    )
    assert quote.mrc is None


# --- orders and capacity --------------------------------------------------------------------------


def test_an_order_holds_its_capacity_from_submission(sales_net):
    net = sales_net
    order = _order(net)
    assert order.state == OrderState.SUBMITTED
    assert order.allocation.status == AllocationStatus.HELD
    hold = order.allocation.expires_at - timezone.now()
    assert datetime.timedelta(hours=119) < hold <= datetime.timedelta(hours=120)
    assert _free(net) == 3
    assert order.billing_party == net.azt  # owner of the A end, Baku


def test_a_quote_is_ordered_once_and_not_after_it_expires(sales_net):
    net = sales_net
    quote = _quote(net)
    place_order(quote=quote, by="noc")
    with pytest.raises(Conflict, match="ordered already"):
        place_order(quote=quote, by="noc")
    stale = _quote(net)
    Quote.objects.filter(pk=stale.pk).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(NotSellable, match="expired"):
        place_order(quote=stale, by="noc")
    assert Order.objects.count() == 1


def test_the_last_unit_is_ordered_once_and_then_409(sales_net):
    net = sales_net
    for _ in range(4):
        _order(net)
    with pytest.raises(CapacityUnavailable):
        _order(net)
    assert Order.objects.count() == 4


@pytest.mark.parametrize(
    ("end", "kwargs"),
    [
        (reject_order, {"reason": "no fibre"}),
        (cancel_order, {"reason": "changed our mind"}),
    ],
)
def test_rejecting_or_cancelling_frees_the_capacity_at_once(sales_net, end, kwargs):
    net = sales_net
    order = _order(net)
    end(order=order, by="someone", **kwargs)
    order.refresh_from_db()
    assert order.allocation.status == AllocationStatus.RELEASED
    assert not SpectrumReservation.objects.filter(allocation=order.allocation).exists()
    assert _free(net) == 4
    assert order.reason == kwargs["reason"]


def test_a_failed_provisioning_frees_the_capacity(sales_net):
    net = sales_net
    order = _order(net)
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    fail_order(order=order, by="ops", reason="amplifier fault")
    assert _free(net) == 4
    with pytest.raises(DomainError, match="Say why"):
        reject_order(order=_order(net), by="ops", reason="  ")


def test_acknowledging_makes_the_hold_firm_and_an_expired_hold_cannot_be_acknowledged(sales_net):
    net = sales_net
    order = _order(net)
    acknowledge_order(order=order, by="ops")
    order.refresh_from_db()
    assert order.allocation.expires_at is None
    late = _order(net)
    type(late.allocation).objects.filter(pk=late.allocation_id).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(CapacityUnavailable, match="expired"):
        acknowledge_order(order=late, by="ops")


def test_unacknowledged_orders_are_cancelled_when_their_hold_expires(sales_net):
    net = sales_net
    order, kept = _order(net), _order(net)
    acknowledge_order(order=kept, by="ops")
    later = timezone.now() + datetime.timedelta(hours=121)
    assert expire_unacknowledged_orders(at=later) == 1
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert order.transitions.last().note == "The capacity hold expired."
    assert order.transitions.last().by == "system"
    kept.refresh_from_db()
    assert kept.state == OrderState.ACKNOWLEDGED


# The order lifecycle of domain.md (section 4; MEF LSO Sonata / TMF622 states), written out
# in full rather than read from ``order_lifecycle.ALLOWED``: submitted -> acknowledged ->
# in progress -> completed; rejected or cancelled before the work starts, failed during it;
# the four end states are final.
EXPECTED_TRANSITIONS = {
    ("submitted", "acknowledged"),
    ("submitted", "rejected"),
    ("submitted", "cancelled"),
    ("acknowledged", "in_progress"),
    ("acknowledged", "rejected"),
    ("acknowledged", "cancelled"),
    ("in_progress", "completed"),
    ("in_progress", "failed"),
}
ORDER_STATES = [
    "submitted",
    "acknowledged",
    "in_progress",
    "completed",
    "rejected",
    "cancelled",
    "failed",
]


def test_the_order_states_are_the_contracts_seven():
    assert sorted(OrderState.values) == sorted(ORDER_STATES)


@pytest.mark.parametrize("from_state", ORDER_STATES)
@pytest.mark.parametrize("to_state", ORDER_STATES)
def test_every_pair_of_order_states_moves_or_is_refused(sales_net, from_state, to_state):
    order = _order(sales_net)
    Order.objects.filter(pk=order.pk).update(state=from_state)
    steps = order.transitions.count()
    allowed = (from_state, to_state) in EXPECTED_TRANSITIONS
    try_step(order_lifecycle, order, to_state, allowed=allowed)
    order.refresh_from_db()
    if allowed:
        assert order.state == to_state
        last = order.transitions.order_by("pk").last()
        assert (last.from_state, last.to_state, last.by) == (from_state, to_state, "test")
        assert order.transitions.count() == steps + 1
    else:
        assert order.state == from_state
        assert order.transitions.count() == steps


def test_illegal_steps_through_the_services_change_nothing(sales_net):
    net = sales_net
    order = _order(net)
    with pytest.raises(InvalidTransition, match="submitted cannot become completed"):
        complete_order(order=order, by="ops", ready_for_service_date=RFS)
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    with pytest.raises(InvalidTransition):
        cancel_order(order=order, by="customer")
    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    assert [t.to_state for t in order.transitions.all()] == [
        "submitted",
        "acknowledged",
        "in_progress",
    ]


def test_every_step_is_recorded_with_who_when_and_why(sales_net):
    net = sales_net
    service = _completed(net)
    history = list(service.order.transitions.values_list("from_state", "to_state", "by"))
    assert history == [
        ("", "submitted", "noc"),
        ("submitted", "acknowledged", "ops"),
        ("acknowledged", "in_progress", "ops"),
        ("in_progress", "completed", "ops"),
    ]
    assert "TCFO-WL100-" in service.order.transitions.last().note


def test_provisioning_can_move_the_capacity_and_a_taken_place_changes_nothing(sales_net):
    net = sales_net
    order = _order(net)
    acknowledge_order(order=order, by="ops")
    other = allocate_capacity(
        product=net.wl100, holder=net.other_customer, start_date=START, path=net.path
    )
    taken_start = other.spectrum.first().start
    with pytest.raises(CapacityUnavailable):
        start_provisioning(order=order, by="ops", start=taken_start)
    assert order.allocation.spectrum.first().start == -2  # still where it was
    start_provisioning(order=order, by="ops", start=10)
    assert sorted(order.allocation.spectrum.values_list("start", "end")) == [(10, 14), (10, 14)]
    off_grid = _order(net)
    acknowledge_order(order=off_grid, by="ops")
    with pytest.raises(CapacityUnavailable):
        start_provisioning(order=off_grid, by="ops", start=13)  # off the 50 GHz grid


# --- completion, services and contracts -----------------------------------------------------------


def test_completion_creates_the_service_and_its_contract(sales_net):
    net = sales_net
    service = _completed(net, term_months=12)
    assert service.circuit_id == f"TCFO-WL100-{service.pk:06d}"
    assert service.status == ServiceStatus.ACTIVE
    assert service.activated_on == RFS
    assert service.allocation.status == AllocationStatus.ACTIVE
    contract = service.contract
    assert (contract.kind, contract.term_months, contract.start_date, contract.end_date) == (
        "lease",
        12,
        RFS,
        datetime.date(2027, 12, 9),
    )
    assert (contract.mrc, contract.nrc, contract.currency) == (
        Decimal("12500.00"),
        Decimal("5000.00"),
        "USD",
    )
    assert contract.billing_party == net.azt
    assert list(contract.sla_tiers.values_list("availability_below", "credit_percent")) == [
        (Decimal("99.900"), Decimal("5.00")),
        (Decimal("99.500"), Decimal("10.00")),
        (Decimal("99.000"), Decimal("25.00")),
    ]


def test_the_order_form_pdf_is_rendered_once_and_reads_back(
    sales_net, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        service = _completed(sales_net)
    contract = service.contract
    contract.refresh_from_db()
    data = contract.order_form.read()
    assert hashlib.sha256(data).hexdigest() == contract.order_form_sha256
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert service.circuit_id in text
    assert "12,500.00 USD" in text and "5,000.00 USD" in text
    assert "Buyer" in text and "AZT" in text
    from leasing.services.contracts import store_order_form

    again = store_order_form(contract=contract)
    assert again.order_form.name == contract.order_form.name
    assert again.order_form_sha256 == contract.order_form_sha256


def test_an_iru_contract_has_its_installments(sales_net, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    net = sales_net
    service = _completed(net, product=net.iru, term_months=180)
    contract = service.contract
    assert (contract.kind, contract.iru_price, contract.om_percent, contract.auto_renew) == (
        "iru",
        Decimal("1200000.01"),
        Decimal("4.00"),
        False,
    )
    installments = list(contract.installments.values_list("due", "percent", "amount"))
    assert installments == [
        ("signing", Decimal("50.00"), Decimal("600000.01")),
        ("rfs", Decimal("50.00"), Decimal("600000.00")),
    ]
    assert sum(amount for _, _, amount in installments) == contract.iru_price


def test_a_transit_contract_keeps_commit_and_burst(sales_net, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    net = sales_net
    service = _completed(net, product=net.ipt10, path=None, site=net.bak, commit_mbps=2000)
    contract = service.contract
    assert (
        contract.kind,
        contract.commit_mbps,
        contract.commit_price_per_mbps,
        contract.p95_rule,
    ) == (
        "usage",
        2000,
        Decimal("0.4500"),
        "greater_of",
    )
    assert service.circuit_id.startswith("TCFO-IPT10-")


def test_termination_frees_the_capacity_from_its_date(sales_net, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    net = sales_net
    services = [_completed(net) for _ in range(4)]
    end = datetime.date(2027, 6, 1)
    with pytest.raises(DomainError, match="after its activation"):
        terminate_service(service=services[0], on=RFS, actor=net.noc)
    terminate_service(service=services[0], on=end, actor=net.noc)
    assert check_availability(product=net.wl100, path=net.path, start_date=end).free_units == 1
    assert (
        check_availability(
            product=net.wl100, path=net.path, start_date=datetime.date(2027, 5, 31)
        ).free_units
        == 0
    )
    services[0].refresh_from_db()
    assert services[0].status == ServiceStatus.ACTIVE  # until the date comes
    with pytest.raises(DomainError, match="already ends"):
        terminate_service(service=services[0], on=end, actor=net.noc)


def test_suspending_and_resuming(sales_net, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    service = _completed(sales_net)
    assert suspend_service(service=service, actor=sales_net.noc).status == ServiceStatus.SUSPENDED
    with pytest.raises(DomainError):
        suspend_service(service=service, actor=sales_net.noc)
    assert resume_service(service=service, actor=sales_net.noc).status == ServiceStatus.ACTIVE


def test_months_are_added_like_a_calendar_does():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 12, 10), 36) == datetime.date(2029, 12, 10)
    assert add_months(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)


# --- notifications --------------------------------------------------------------------------------


def test_the_customer_is_mailed_on_each_state_change_only_after_the_commit(
    sales_net, django_capture_on_commit_callbacks
):
    net = sales_net
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = _order(net)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert [m.subject for m in mail.outbox] == [f"TCFO order {order.pk} is submitted"]
    assert "noc@buyer.test" in mail.outbox[0].to
    assert net.other_customer.billing_email not in mail.outbox[0].to

    with django_capture_on_commit_callbacks(execute=True):
        reject_order(order=order, by="ops", reason="no fibre")
    assert mail.outbox[-1].subject == f"TCFO order {order.pk} is rejected"
    assert "Reason: no fibre" in mail.outbox[-1].body


# --- found in review ------------------------------------------------------------------------------


def test_an_order_whose_hold_was_released_by_another_sale_is_cancelled_and_told(sales_net):
    net = sales_net
    order = _order(net)
    type(order.allocation).objects.filter(pk=order.allocation_id).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    _order(net)  # any allocation first releases expired holds
    order.allocation.refresh_from_db()
    assert order.allocation.status == AllocationStatus.RELEASED
    assert expire_unacknowledged_orders() == 1
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (datetime.date(2026, 11, 30), "Ready for service must be from"),
        (datetime.date(9999, 12, 31), "Ready for service must be from"),
    ],
)
def test_ready_for_service_is_not_before_the_start_nor_beyond_the_horizon(sales_net, day, message):
    order = _order(sales_net)
    acknowledge_order(order=order, by="ops")
    with pytest.raises(DomainError, match=message):
        start_provisioning(order=order, by="ops", ready_for_service_date=day)
    start_provisioning(order=order, by="ops")
    with pytest.raises(DomainError, match=message):
        complete_order(order=order, by="ops", ready_for_service_date=day)


def test_a_quote_cannot_start_beyond_the_horizon_nor_be_asked_without_a_customer(sales_net):
    with pytest.raises(NotSellable, match="too far ahead"):
        _quote(sales_net, start_date=datetime.date(9999, 12, 31))
    with pytest.raises(NotSellable, match="customer organisation"):
        create_quote(
            customer=None,
            product=sales_net.wl100,
            term_months=12,
            start_date=START,
            path=sales_net.path,
            by="x",
        )


def test_an_operator_names_itself_billing_party_not_another(sales_net):
    net = sales_net
    order = _order(net)
    with pytest.raises(DomainError, match="make itself the billing party"):
        acknowledge_order(order=order, by="ktc", billing_party=net.ktc, acting_for=net.azt)
    acknowledge_order(order=order, by="ktc", billing_party=net.ktc, acting_for=net.ktc)
    order.refresh_from_db()
    assert order.billing_party == net.ktc


def test_a_long_product_code_still_makes_a_circuit_id(
    sales_net, django_capture_on_commit_callbacks
):
    net = sales_net
    net.wl100.code = "WL100-METRO-EXTENDED-REACH-X"
    net.wl100.save()
    service = _completed(net)
    assert service.circuit_id == f"TCFO-WL100-METRO-EXTENDED-REACH-X-{service.pk:06d}"


def _running_since_january(net):
    since = datetime.date(2026, 1, 1)
    quote = create_quote(
        customer=net.customer,
        product=net.wl100,
        term_months=12,
        start_date=since,
        path=net.path,
        by="t",
        backdated=True,
    )
    order = place_order(quote=quote, by="t")
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    return complete_order(order=order, by="ops", ready_for_service_date=since)


def test_a_service_is_not_ended_in_the_past(sales_net):
    service = _running_since_january(sales_net)
    today = local_date(timezone.now(), service.order.billing_party.time_zone)
    with pytest.raises(DomainError, match="cannot be ended in the past"):
        terminate_service(
            service=service, on=today - datetime.timedelta(days=1), actor=sales_net.noc
        )
    ended = terminate_service(service=service, on=today, actor=sales_net.noc)
    assert ended.status == ServiceStatus.TERMINATED


def test_the_past_is_the_billing_partys(sales_net, monkeypatch):
    """At 01:00 on 1 January in Baku (21:00 UTC on 31 December) the 31st is over where the
    service is billed: December may be closed already."""
    service = _running_since_january(sales_net)
    assert service.order.billing_party.time_zone == "Asia/Baku"
    new_year_in_baku = datetime.datetime(2026, 12, 31, 21, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: new_year_in_baku)
    with pytest.raises(DomainError, match="cannot be ended in the past") as refused:
        terminate_service(service=service, on=datetime.date(2026, 12, 31), actor=sales_net.noc)
    assert refused.value.errors == {"on": ["Give today (1 Jan 2027, Asia/Baku) or a later date."]}
    ended = terminate_service(service=service, on=datetime.date(2027, 1, 1), actor=sales_net.noc)
    assert ended.status == ServiceStatus.TERMINATED
