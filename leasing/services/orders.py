"""The sale from quote to active service: one function per business action.

Capacity: an order holds its capacity from submission for ``TCFO_ORDER_HOLD_HOURS`` (120 h by
default); an operator's acknowledgement makes the hold firm (no expiry) until the order completes
(the capacity becomes the service's) or is rejected, cancelled or fails (released at once). A
submitted order whose hold expires is cancelled by ``expire_unacknowledged_orders``. A customer
holds capacity with at most ``TCFO_MAX_HOLDS_PER_CUSTOMER`` submitted orders at once.
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.periods import add_months_to_date as add_months  # month arithmetic's one home
from organisations.access import Actor, has_capability
from organisations.choices import Capability
from organisations.models import Organisation
from tcfo_portal.exceptions import Conflict, DomainError, InvalidInput, InvalidTransition
from tcfo_portal.formatting import format_date
from tcfo_portal.money import Money
from tcfo_portal.queue import after_commit

from .. import order_lifecycle, service_lifecycle
from ..choices import (
    OPEN_ORDER_STATES,
    AllocationStatus,
    CommercialForm,
    NoteVisibility,
    OrderState,
    P95Rule,
    ServiceAction,
    ServiceStatus,
)
from ..constants import UNIT_BOUND, circuit_id
from ..exceptions import CapacityUnavailable, HoldLimitReached, NotSellable
from ..models import (
    CapacityAllocation,
    Contract,
    IruInstallment,
    Order,
    Path,
    Product,
    Quote,
    Service,
    Site,
    SlaCreditTier,
)
from ..models.sales import default_sla_tiers
from ..selectors import price_for
from .capacity import (
    activate_allocation,
    allocate_capacity,
    change_allocation_end,
    end_allocation,
    move_allocation,
    release_allocation,
)

# --- quotes ---------------------------------------------------------------------------------------


def may_ask_for_quotes(actor: Actor | None) -> bool:
    """Whether ``actor`` may ask for quotes (and so order): someone of a customer organisation
    who places orders. A platform admin holds every capability but quotes for nobody."""
    organisation = getattr(actor, "organisation", None)
    return (
        organisation is not None
        and organisation.is_customer
        and has_capability(actor, Capability.PLACE_ORDERS)
    )


def create_quote(
    *,
    customer: Organisation,
    product: Product,
    term_months: int,
    start_date: datetime.date,
    by: str,
    path: Path | None = None,
    site: Site | None = None,
    commit_mbps: int | None = None,
    backdated: bool = False,
) -> Quote:
    """Price ``product`` from the price book valid today; the quote keeps those prices.

    ``backdated`` lets the back office record a service that started before the portal knew of
    it (a migrated contract, the demo data): the start date may then lie in the past.
    """
    if customer is None or not customer.is_customer:
        raise NotSellable("Quotes are asked for by a customer organisation.")
    if not product.is_active:
        raise NotSellable(f"{product.code} is no longer sold.", errors={"product": ["Not sold."]})
    today = timezone.localdate()
    if start_date < today and not backdated:
        raise NotSellable(
            "The start date is in the past.", errors={"start_date": ["Give today or later."]}
        )
    if start_date > today + datetime.timedelta(days=settings.TCFO_SALES_HORIZON_DAYS):
        raise NotSellable(
            "The start date is too far ahead.",
            errors={"start_date": [f"At most {settings.TCFO_SALES_HORIZON_DAYS} days ahead."]},
        )
    path, site = product.sold_at(path=path, site=site)
    if product.is_transit:
        if not commit_mbps or commit_mbps > product.bandwidth_mbps:
            raise NotSellable(
                "Give the committed rate in Mbit/s, up to the port speed.",
                errors={"commit_mbps": [f"From 1 to {product.bandwidth_mbps}."]},
            )
    else:
        commit_mbps = None
    if term_months not in product.allowed_terms:
        terms = ", ".join(str(t) for t in product.allowed_terms)
        raise NotSellable(
            f"{product.code} is sold for {terms} months.",
            errors={"term_months": [f"One of {terms}."]},
        )
    price = price_for(product=product, term_months=term_months, on=today, path=path, site=site)
    if price is None:
        where = site.code if site else path.code
        raise NotSellable(f"{product.code} has no {term_months}-month price on {where} today.")
    return Quote.objects.create(
        customer=customer,
        product=product,
        path=path,
        site=site,
        term_months=term_months,
        start_date=start_date,
        commit_mbps=commit_mbps,
        price=price,
        **price.price_terms(),
        valid_until=today + datetime.timedelta(days=settings.TCFO_QUOTE_VALID_DAYS),
        created_by=by,
    )


# --- orders ---------------------------------------------------------------------------------------


def default_billing_party(quote: Quote) -> Organisation:
    """The operator owning the A end (transit: the PoP) sells unless an operator changes it."""
    # A quote holds only the place its product is sold at (``Product.sold_at``).
    site = quote.site or quote.path.a_site
    return site.operator


def holding_orders(customer: Organisation, *, at: datetime.datetime | None = None) -> QuerySet:
    """The customer's submitted orders whose capacity hold has not expired: what
    ``TCFO_MAX_HOLDS_PER_CUSTOMER`` limits (an acknowledged order is an operator's decision)."""
    return Order.objects.filter(
        customer=customer,
        state=OrderState.SUBMITTED,
        allocation__status=AllocationStatus.HELD,
        allocation__expires_at__gt=at or timezone.now(),
    )


def _check_hold_limit(customer: Organisation) -> None:
    """Refuse a new hold to a customer holding capacity with as many submitted orders as it may
    (``HoldLimitReached``, 409); 0 sets no limit.

    The customer's row is locked first (``FOR NO KEY UPDATE``, which rows referring to it do
    not wait for), so concurrent orders of one customer are counted one after the other, as
    ``capacity`` queues allocations on the resources' rows."""
    limit = settings.TCFO_MAX_HOLDS_PER_CUSTOMER
    if not limit:
        return
    Organisation.objects.select_for_update(no_key=True).only("pk").get(pk=customer.pk)
    held = holding_orders(customer).count()
    if held >= limit:
        raise HoldLimitReached(
            f"{customer.name} already holds capacity with {held} submitted orders, the most "
            f"allowed at once ({limit}). Cancel one, or wait until an operator acknowledges "
            "one, then order again.",
            errors={"quote": [f"At most {limit} submitted orders may hold capacity at once."]},
        )


@transaction.atomic
def place_order(*, quote: Quote, by: str) -> Order:
    """Accept ``quote``: hold its capacity and submit the order.

    Raises ``CapacityUnavailable`` (409) when the capacity is gone, ``HoldLimitReached`` (409)
    when the customer holds capacity with as many submitted orders as it may at once,
    ``Conflict`` when the quote was ordered already, ``NotSellable`` when it has expired.
    """
    quote = (
        Quote.objects.select_for_update(of=("self",))
        .select_related("product", "path", "site", "customer")
        .get(pk=quote.pk)
    )
    if Order.objects.filter(quote=quote).exists():
        raise Conflict("This quote has been ordered already.")
    if quote.is_expired:
        raise NotSellable(f"The quote expired on {quote.valid_until}; ask for a new one.")
    _check_hold_limit(quote.customer)
    hold = timezone.now() + datetime.timedelta(hours=settings.TCFO_ORDER_HOLD_HOURS)
    allocation = allocate_capacity(
        product=quote.product,
        holder=quote.customer,
        start_date=quote.start_date,
        path=quote.path,
        site=quote.site,
        status=AllocationStatus.HELD,
        expires_at=hold,
        reference=f"quote {quote.pk}",
    )
    try:
        with transaction.atomic():
            order = Order.objects.create(
                customer=quote.customer,
                quote=quote,
                allocation=allocation,
                billing_party=default_billing_party(quote),
            )
    except IntegrityError:  # another request ordered the same quote a moment ago
        raise Conflict("This quote has been ordered already.") from None
    allocation.reference = f"order {order.pk}"
    allocation.save(update_fields=["reference"])
    order_lifecycle.record_submission(
        order, by=by, note=f"capacity held until {hold:%Y-%m-%d %H:%M} UTC"
    )
    return order


@transaction.atomic
def acknowledge_order(
    *,
    order: Order,
    by: str,
    billing_party: Organisation | None = None,
    note: str = "",
    note_visibility: str = NoteVisibility.INTERNAL,
    acting_for: Organisation | None = None,
) -> Order:
    """An operator accepts the order: its capacity is held firmly until it completes.

    ``acting_for``: the operator acknowledging, which may name itself the billing party but no
    other operator (platform admins act for nobody and may name any). ``note`` is internal
    unless ``note_visibility`` gives it to the customer.
    """
    order = order_lifecycle.lock(order)
    order_lifecycle.check(order, OrderState.ACKNOWLEDGED)
    if billing_party is not None and not billing_party.is_operator:
        raise DomainError("The billing party must be a consortium operator.")
    if billing_party not in (None, order.billing_party, acting_for) and acting_for is not None:
        raise DomainError(
            "An operator can make itself the billing party, not another operator.",
            errors={"billing_party": [f"Leave it, or name {acting_for}."]},
        )
    allocation = CapacityAllocation.objects.select_for_update().get(pk=order.allocation_id)
    if not allocation.is_live():
        raise CapacityUnavailable("The capacity hold of this order has expired.")
    allocation.expires_at = None
    allocation.save(update_fields=["expires_at"])
    return order_lifecycle.move(
        order,
        OrderState.ACKNOWLEDGED,
        by=by,
        note=note,
        note_visibility=note_visibility,
        billing_party=billing_party or order.billing_party,
    )


def _end_with_release(order: Order, to_state: str, *, by: str, reason: str) -> Order:
    """End the order, freeing its capacity; the reason is the customer's to read."""
    order = order_lifecycle.lock(order)
    order_lifecycle.check(order, to_state)
    if not reason.strip():
        raise DomainError("Say why.", errors={"reason": ["Required."]})
    if order.allocation_id:
        release_allocation(allocation=order.allocation)
    return order_lifecycle.move(
        order,
        to_state,
        by=by,
        note=reason,
        note_visibility=NoteVisibility.CUSTOMER,
        reason=reason,
    )


@transaction.atomic
def reject_order(*, order: Order, by: str, reason: str) -> Order:
    """An operator refuses the order; its capacity is free again at once."""
    return _end_with_release(order, OrderState.REJECTED, by=by, reason=reason)


@transaction.atomic
def cancel_order(*, order: Order, by: str, reason: str = "Cancelled by the customer.") -> Order:
    """The customer withdraws the order before provisioning starts; capacity is freed."""
    return _end_with_release(order, OrderState.CANCELLED, by=by, reason=reason)


@transaction.atomic
def fail_order(*, order: Order, by: str, reason: str) -> Order:
    """Provisioning could not be done; capacity is freed."""
    return _end_with_release(order, OrderState.FAILED, by=by, reason=reason)


@transaction.atomic
def reassign_capacity(*, order: Order, start: int) -> CapacityAllocation:
    """Move an open order's capacity to start at unit ``start`` on every hop (a unit within
    ``UNIT_BOUND`` of 0; ``CapacityUnavailable`` when it is not free there)."""
    if not -UNIT_BOUND <= start <= UNIT_BOUND:
        raise InvalidInput(
            "start", f"Unit {start} lies outside every band: from {-UNIT_BOUND} to {UNIT_BOUND}."
        )
    order = order_lifecycle.lock(order)
    if order.state not in OPEN_ORDER_STATES:
        raise DomainError("Only an open order's capacity can be moved.")
    quote = order.quote
    return move_allocation(
        allocation=order.allocation,
        product=quote.product,
        start=start,
        path=quote.path,
        site=quote.site,
    )


@transaction.atomic
def start_provisioning(
    *,
    order: Order,
    by: str,
    start: int | None = None,
    ready_for_service_date: datetime.date | None = None,
    note: str = "",
    note_visibility: str = NoteVisibility.INTERNAL,
) -> Order:
    """Network staff take up the order: optionally move its capacity (``reassign_capacity``),
    plan the RFS date (from the quoted start, within the sales horizon). ``note`` is internal
    unless ``note_visibility`` gives it to the customer. The one validation of a provisioning,
    whoever calls: the portal's ``ProvisionForm`` and the API's ``ProvisionSerializer`` only
    parse what is sent (with the bounds of ``leasing.constants``); every refusal is a
    ``DomainError`` naming the field."""
    order = order_lifecycle.lock(order)
    order_lifecycle.check(order, OrderState.IN_PROGRESS)
    if ready_for_service_date is not None:
        _check_ready_for_service(order.quote, ready_for_service_date)
    if start is not None:
        reassign_capacity(order=order, start=start)
    return order_lifecycle.move(
        order,
        OrderState.IN_PROGRESS,
        by=by,
        note=note,
        note_visibility=note_visibility,
        ready_for_service_date=ready_for_service_date or order.ready_for_service_date,
    )


@transaction.atomic
def complete_order(*, order: Order, by: str, ready_for_service_date: datetime.date) -> Service:
    """The service is delivered: it becomes active with its circuit ID and its contract.

    The contract's order form PDF is rendered once, by a Celery task after the commit.
    """
    order = order_lifecycle.lock(order)
    order_lifecycle.check(order, OrderState.COMPLETED)
    quote = order.quote
    _check_ready_for_service(quote, ready_for_service_date)
    allocation = activate_allocation(allocation=order.allocation)
    service = Service.objects.create(
        customer=order.customer,
        order=order,
        product=quote.product,
        path=quote.path,
        site=quote.site,
        allocation=allocation,
        activated_on=ready_for_service_date,
    )
    service.circuit_id = circuit_id(quote.product.code, service.pk)
    service.save(update_fields=["circuit_id"])
    service_lifecycle.record_activation(service, by=by)
    contract = _create_contract(order=order, service=service)
    order_lifecycle.move(
        order,
        OrderState.COMPLETED,
        by=by,
        note=f"service {service.circuit_id} ready for service on {ready_for_service_date}",
        note_visibility=NoteVisibility.CUSTOMER,
        ready_for_service_date=ready_for_service_date,
    )
    after_commit("leasing.tasks.render_order_form", contract.pk)
    return service


def _check_ready_for_service(quote: Quote, day: datetime.date) -> None:
    """Ready for service on or after the start the capacity is held from, within the horizon."""
    horizon = timezone.localdate() + datetime.timedelta(days=settings.TCFO_SALES_HORIZON_DAYS)
    if not quote.start_date <= day <= horizon:
        raise DomainError(
            f"Ready for service must be from {quote.start_date} to {horizon}.",
            errors={"ready_for_service_date": [f"From {quote.start_date} to {horizon}."]},
        )


def signing_day(order: Order, activated_on: datetime.date) -> datetime.date:
    """The day an IRU's "on signing" installment falls due: the day the order was placed in
    the billing party's time zone (the month it is billed in is that zone's), and never after
    the service went live (a backdated contract was signed by then)."""
    zone = zoneinfo.ZoneInfo(order.billing_party.time_zone)
    return min(order.created_at.astimezone(zone).date(), activated_on)


def _create_contract(*, order: Order, service: Service) -> Contract:
    quote = order.quote
    start = service.activated_on
    contract = Contract.objects.create(
        service=service,
        customer=order.customer,
        billing_party=order.billing_party,
        kind=quote.product.commercial_form,
        term_months=quote.term_months,
        start_date=start,
        end_date=add_months(start, quote.term_months) - datetime.timedelta(days=1),
        commit_mbps=quote.commit_mbps,
        **quote.price_terms(),
        auto_renew=quote.product.commercial_form != CommercialForm.IRU,
        p95_rule=P95Rule.GREATER_OF if quote.product.is_transit else "",
        maintenance_notice_days=settings.TCFO_MAINTENANCE_NOTICE_DAYS,
    )
    SlaCreditTier.objects.bulk_create(
        SlaCreditTier(contract=contract, availability_below=below, credit_percent=credit)
        for below, credit in default_sla_tiers()
    )
    if contract.kind == CommercialForm.IRU:
        on_signing = Decimal(settings.TCFO_IRU_SIGNING_PERCENT)
        signing_amount = (
            Money(contract.iru_price * on_signing / 100, contract.currency).rounded().amount
        )
        IruInstallment.objects.bulk_create(
            [
                IruInstallment(
                    contract=contract,
                    due=IruInstallment.Due.SIGNING,
                    due_on=signing_day(order, start),
                    percent=on_signing,
                    amount=signing_amount,
                ),
                IruInstallment(
                    contract=contract,
                    due=IruInstallment.Due.READY_FOR_SERVICE,
                    due_on=start,
                    percent=100 - on_signing,
                    amount=contract.iru_price - signing_amount,
                ),
            ]
        )
    return contract


def expire_unacknowledged_orders(*, at: datetime.datetime | None = None) -> int:
    """Cancel every submitted order whose capacity hold has lapsed; return how many.

    The hold may have lapsed (expired) or been released already (any allocation releases expired
    holds before it takes capacity): either way the order cannot go on and the customer is told.
    """
    at = at or timezone.now()
    lapsed = Order.objects.filter(state=OrderState.SUBMITTED).filter(
        Q(allocation__status=AllocationStatus.RELEASED)
        | Q(allocation__status=AllocationStatus.HELD, allocation__expires_at__lte=at)
    )
    count = 0
    for order in lapsed.only("pk"):
        try:
            with transaction.atomic():
                _end_with_release(
                    order, OrderState.CANCELLED, by="system", reason="The capacity hold expired."
                )
        except InvalidTransition:
            continue  # acknowledged or cancelled meanwhile
        count += 1
    return count


# --- services -------------------------------------------------------------------------------------
# Every step goes through ``service_lifecycle.move``: it refuses an actor without the capability
# and a step the status does not allow, and records who took it.


@transaction.atomic
def suspend_service(*, service: Service, actor: Actor | None) -> Service:
    """Stop the service for a while (e.g. unpaid); its capacity stays reserved.

    Raises ``NotPermitted`` (403) unless ``actor`` works services, ``InvalidTransition`` (409)
    unless the service is active."""
    service = service_lifecycle.lock(service)
    return service_lifecycle.move(service, ServiceAction.SUSPEND, actor=actor)


@transaction.atomic
def resume_service(*, service: Service, actor: Actor | None) -> Service:
    """Run a suspended service again. Raises as ``suspend_service`` does."""
    service = service_lifecycle.lock(service)
    return service_lifecycle.move(service, ServiceAction.RESUME, actor=actor)


def _today_of(service: Service) -> tuple[datetime.date, str]:
    """Today in the billing party's time zone (its months are billed in it), and the zone."""
    zone = zoneinfo.ZoneInfo(service.order.billing_party.time_zone)
    return timezone.now().astimezone(zone).date(), zone.key


def latest_end(service: Service) -> tuple[datetime.date, str]:
    """The latest day ``service`` may end on (its first day without service), and why. A
    contract that does not renew (an IRU) ends the service the day after its last day at the
    latest, or today once that day has passed (an ended IRU can still be ended today); one
    that renews, or none, allows the sales horizon from today (a day thousands of years off is
    a typing mistake), or its own end when that is later."""
    today, zone = _today_of(service)
    horizon = settings.TCFO_SALES_HORIZON_DAYS
    latest = (today + datetime.timedelta(days=horizon), f"{horizon} days from today")
    contract = getattr(service, "contract", None)
    if contract is None:
        return latest
    contract_end = (
        contract.end_date + datetime.timedelta(days=1),
        f"the day after its contract's last day ({format_date(contract.end_date)})",
    )
    if contract_end[0] < today:
        contract_end = (
            today,
            f"today ({zone}; its contract ended on {format_date(contract.end_date)})",
        )
    if not contract.auto_renew or contract_end[0] > latest[0]:
        return contract_end
    return latest


def end_bounds(service: Service) -> tuple[datetime.date, datetime.date, str, str]:
    """The earliest and latest day ``service`` may end on, why the latest, and the zone of
    "today": exactly what ``check_service_end`` accepts."""
    today, zone = _today_of(service)
    earliest = max(today, service.activated_on + datetime.timedelta(days=1))
    latest, why = latest_end(service)
    return earliest, latest, why, zone


def end_bounds_in_words(service: Service) -> str:
    """``end_bounds`` as a form's help text, naming the days."""
    earliest, latest, why, zone = end_bounds(service)
    return (
        f"First day without service: {format_date(earliest)} ({zone}) or later, "
        f"{format_date(latest)} at the latest ({why})."
    )


def check_service_end(service: Service, on: datetime.date) -> None:
    """Refuse an end day ``on`` outside its bounds, naming the bound: after the activation,
    today or later (in the billing party's zone), no later than ``latest_end``. Also for a
    confirmation step to ask before it asks (the service checks again when it acts)."""
    today, zone = _today_of(service)
    if on <= service.activated_on:
        raise DomainError(
            "A service ends after its activation.",
            errors={"on": [f"Give a date after {format_date(service.activated_on)}."]},
        )
    if on < today:
        raise DomainError(
            "A service cannot be ended in the past: its usage and invoices stand.",
            errors={"on": [f"Give today ({format_date(today)}, {zone}) or a later date."]},
        )
    latest, why = latest_end(service)
    if on > latest:
        raise DomainError(
            "The end is too far ahead.",
            errors={"on": [f"Give {format_date(latest)}, {why}, or an earlier date."]},
        )


@transaction.atomic
def terminate_service(*, service: Service, on: datetime.date, actor: Actor | None) -> Service:
    """End the service on ``on``: its capacity is free from that day, sellable again. Today is
    the billing party's (its months are billed in its time zone); ending today terminates the
    service at once, a later day leaves that to ``close_ended_services`` (and may be moved or
    withdrawn until then: ``change_service_end``).

    Raises ``NotPermitted`` (403), ``InvalidTransition`` (409) when an end is set already, and
    ``DomainError`` naming ``on`` for a day in the past, not after the activation, or after
    ``latest_end`` (the day after the contract's last day)."""
    service = service_lifecycle.lock(service)
    service_lifecycle.check(service, ServiceAction.TERMINATE, actor=actor)
    check_service_end(service, on)
    today, _ = _today_of(service)
    end_allocation(allocation=service.allocation, on=on)
    return service_lifecycle.move(
        service,
        ServiceAction.TERMINATE,
        actor=actor,
        to_status=ServiceStatus.TERMINATED if on <= today else service.status,
        effective_on=on,
        terminated_on=on,
    )


@transaction.atomic
def change_service_end(
    *, service: Service, on: datetime.date | None, actor: Actor | None
) -> Service:
    """Move the end set for a later day to ``on`` (within ``terminate_service``'s bounds), or
    withdraw it (``on`` None: the service runs on), until that day comes. Ending today
    terminates the service at once. The capacity follows: freed sooner, or kept longer when
    it is still free (``CapacityUnavailable`` naming ``on`` when it is sold again from the old
    end). Recorded as a ``change_end`` step, with the customer's event.

    Raises ``NotPermitted`` (403); ``InvalidTransition`` (409) for a service with no end set
    or whose end has come; ``DomainError`` naming ``on`` for a day out of bounds or the same."""
    service = service_lifecycle.lock(service)
    service_lifecycle.check(service, ServiceAction.CHANGE_END, actor=actor)
    today, _ = _today_of(service)
    was = service.terminated_on
    if was <= today:
        raise InvalidTransition(
            f"The service ended on {format_date(was)}: its end can no longer change."
        )
    if on == was:
        raise DomainError(
            f"The service already ends on {format_date(was)}.",
            errors={"on": ["Give another day, or withdraw the end."]},
        )
    if on is not None:
        check_service_end(service, on)
    change_allocation_end(allocation=service.allocation, on=on)
    note = (
        f"End withdrawn (was {format_date(was)}): the service runs on."
        if on is None
        else f"End moved from {format_date(was)} to {format_date(on)}."
    )
    service = service_lifecycle.move(
        service,
        ServiceAction.CHANGE_END,
        actor=actor,
        note=note,
        effective_on=on,
        terminated_on=on,
    )
    if on is not None and on <= today:
        service = service_lifecycle.move(service, ServiceAction.CLOSE, actor=actor, effective_on=on)
    return service


def close_ended_services(*, actor: Actor, on: datetime.date | None = None) -> int:
    """Terminate the services whose end date has come (by ``on``, default today); return how
    many. ``actor`` is the job doing it (a ``SystemActor``), recorded on each step."""
    on = on or timezone.localdate()
    ended = Service.objects.filter(terminated_on__lte=on).exclude(status=ServiceStatus.TERMINATED)
    count = 0
    for service in ended.only("pk"):
        try:
            with transaction.atomic():
                service = service_lifecycle.lock(service)
                service_lifecycle.move(
                    service, ServiceAction.CLOSE, actor=actor, effective_on=service.terminated_on
                )
        except InvalidTransition:
            continue  # terminated meanwhile
        count += 1
    return count
