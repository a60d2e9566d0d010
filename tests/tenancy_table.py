"""Every URL of the project, portal and API: a tenant resource with the checks that keep one
organisation out of another's (``TENANT_CASES``), or a URL that shows no organisation's
objects, with why (``NOT_TENANT``). tests/test_tenant_isolation.py walks the URL resolver and
fails for a URL in neither, so a new URL needs an entry here.

A case names a URL pattern and how to fill it for an object of customer A (``tests.worlds.
tenant_world``) and for one that does not exist. Who tries it:

- ``object``: a page or endpoint (or a PDF/CSV download) of one object: each intruder gets
  exactly what it gets for a missing object (404; the same JSON in the API), the owner 200;
- ``list``: the intruder's list leaves A's object out, the owner's shows it;
- ``action``: a POST (or DELETE) on A's object: the intruder gets what a missing object gets
  (404, or 403 where its role may not take the action at all), and nothing changes;
- ``create``: a POST that names A's object in its body: answered as if the object were
  missing, and nothing is created.

Intruders (tests/test_tenant_isolation.py makes their clients): ``b``, customer B's admin;
``third_finance`` and ``third_network``, staff of an operator party to none of A's sales.
Owners: ``a``, customer A's admin; ``azt_finance``, ``azt_network``, staff of the operator
that sells to A. In the API, customers and operators use keys; API keys are managed only with
a browser session (a key never manages keys), so those cases use sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from django.db import models

World = SimpleNamespace
MISSING = 999_999
MISSING_CIRCUIT = "TCFO-IPT10-999999"
MISSING_PREFIX = "ZZZZZZZZ"


@dataclass(frozen=True)
class Case:
    """One URL pattern tried by one kind of check (see the module's docstring)."""

    name: str
    kind: str
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    missing: dict[str, Any] = field(default_factory=dict)
    method: str = "get"
    query: str = ""
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    # creations: the body naming an object that does not exist
    missing_data: Callable[[World], dict[str, Any]] = lambda w: {}
    refused: dict[str, int] = field(default_factory=lambda: {"b": 404})
    owner: str = "a"
    # lists: the API field whose value is ``marker``; in the portal, ``marker`` is text of the page
    field: str = "id"
    marker: Callable[[World], Any] | None = None
    objects: Callable[[World], list[models.Model]] = lambda w: []
    session: bool = False  # API cases that need a browser session (API keys)

    @property
    def is_api(self) -> bool:
        return self.name.startswith("v1:")

    @property
    def id(self) -> str:
        return f"{self.name}-{self.kind}-{self.method}"


# Operators' actions on A's objects: the third operator's staff get a 404 (not theirs), customer
# B a 403 (its role may not act at all, on an object that exists or not).
NETWORK_ACT = {"third_network": 404, "b": 403}
FINANCE_ACT = {"third_finance": 404, "b": 403}
# What only finance staff read: a customer is refused (403), another operator sees none of it.
FINANCE_READ = FINANCE_ACT
# Portal pages of an invoice: whoever may not see it gets a 404, customer or operator.
INVOICE_ACT = {"b": 404, "third_finance": 404}

MISSING_PK = {"pk": MISSING}
# Webhooks: customer B's admin and a third operator's staff may manage their own, not A's.
WEBHOOK_INTRUDERS = {"b": 404, "third_finance": 404, "third_network": 404}
MISSING_SERVICE = {"circuit_id": MISSING_CIRCUIT}
OCTOBER = "period=2026-10"
CSV = "format=csv"  # i15-b
REASON = {"reason": "not mine"}


def pk_of(path: str) -> Callable[[World], dict[str, Any]]:
    """URL arguments naming the world's object at ``path`` (``a_order``, ``transit.contract``)."""
    return lambda w: {"pk": attrgetter(path)(w).pk}


def watch(*paths: str) -> Callable[[World], list[models.Model]]:
    """The world's objects at ``paths``, which no intruder's request may change."""
    return lambda w: [attrgetter(path)(w) for path in paths]


_invoice, _late = pk_of("a_invoice"), pk_of("a_late")


def _service(w: World) -> dict[str, Any]:
    return {"circuit_id": w.transit.circuit_id}


def _key(w: World) -> dict[str, Any]:
    return {"prefix": w.a_key.prefix}


def _line(w: World) -> Any:
    return w.a_invoice.lines.order_by("pk").first()


def _payment_body(w: World, invoice: int) -> dict[str, Any]:
    return {"invoice": invoice, "amount": "1.00", "currency": "USD", "received_on": str(w.today)}


def _credit_body(w: World, invoice: int) -> dict[str, Any]:
    lines = [{"invoice_line": _line(w).pk, "amount": "1.00"}]
    return {"invoice": invoice, "reason": "not mine", "lines": lines}


MISSING_STATEMENT = {"period": "2026-10", "first": MISSING, "second": MISSING, "currency": "USD"}


def _statement(w: World) -> dict[str, Any]:
    """October's settlement statement between A's billing party and another operator."""
    from billing.services.settlement import settlement_statements

    statement = settlement_statements(period="2026-10", operator=w.azt)[0]
    return {
        "period": "2026-10",
        "first": statement.first.pk,
        "second": statement.second.pk,
        "currency": statement.currency,
    }


def act(name: str, kwargs: Callable, missing: dict, watched: str, **options: Any) -> Case:
    """A POST on A's object (by customer B unless ``refused`` says who)."""
    return Case(
        name, "action", kwargs, missing, objects=watch(watched), **{"method": "post", **options}
    )


def finance_act(name: str, kwargs: Callable, missing: dict, watched: str, **options: Any) -> Case:
    """A POST of the billing party's finance staff on A's object."""
    options = {"refused": FINANCE_ACT, "owner": "azt_finance", **options}
    return act(name, kwargs, missing, watched, **options)


def network_act(name: str, kwargs: Callable, missing: dict, watched: str, **options: Any) -> Case:
    """A POST of the selling operator's network staff on A's object."""
    options = {"refused": NETWORK_ACT, "owner": "azt_network", **options}
    return act(name, kwargs, missing, watched, **options)


def finance_create(name: str, body: Callable[[World, int], dict[str, Any]]) -> Case:
    """A POST of finance staff that names A's invoice in ``body(world, invoice_id)``."""
    return Case(
        name,
        "create",
        method="post",
        data=lambda w: body(w, w.a_invoice.pk),
        missing_data=lambda w: body(w, MISSING),
        refused=FINANCE_ACT,
        owner="azt_finance",
        objects=watch("a_invoice"),
    )


def listed(name: str, marker: Callable[[World], Any], **options: Any) -> Case:
    return Case(name, "list", marker=marker, **options)


# Tickets are read by their customer and the route's owners only.
TICKET_READ = {"b": 404, "third_network": 404, "third_finance": 404}


def _ticket_body(circuit_id: str) -> dict[str, Any]:
    contact = {"name": "NOC", "email_address": "noc@example.test"}
    return {
        "circuit_id": circuit_id,
        "severity": "minor",
        "observed_impact": "degraded",
        "description": "not mine",
        "related_contact_information": [contact],
    }


def _ticket_form(circuit_id: str) -> dict[str, Any]:
    return {
        "service": circuit_id,
        "severity": "minor",
        "observed_impact": "degraded",
        "description": "not mine",
        "contact_name": "NOC",
        "contact_email": "noc@example.test",
    }


MANUAL_LINE = {"description": "x", "quantity": "1", "unit_price": "1", "service_date": "2026-10-01"}

PORTAL_CASES = [
    # quotes and orders
    Case("quote", "object", pk_of("a_quote"), MISSING_PK),
    act("quote", pk_of("a_quote"), MISSING_PK, "a_quote"),
    listed("orders", lambda w: f'href="/orders/{w.a_order.pk}/"', query="state=all"),
    Case("order", "object", pk_of("a_order"), MISSING_PK),
    act(
        "order",
        pk_of("a_order"),
        MISSING_PK,
        "a_order",
        data=lambda w: {"action": "cancel", "cancel-reason": "not mine", "confirmed": "yes"},
    ),
    network_act(
        "order",
        pk_of("a_order"),
        MISSING_PK,
        "a_order",
        data=lambda w: {"action": "acknowledge"},
        refused={"third_network": 404},  # a customer's answer: tested by "cancel" above
    ),
    # services, their usage, contracts
    listed("services", lambda w: f'href="/services/{w.transit.circuit_id}/"'),
    Case("service", "object", _service, MISSING_SERVICE),
    network_act(
        "service",
        _service,
        MISSING_SERVICE,
        "transit",
        data=lambda w: {"action": "suspend", "confirmed": "yes"},
        refused={"third_network": 404},
    ),
    Case("usage", "object", _service, MISSING_SERVICE, query=OCTOBER),
    Case("usage-csv", "object", _service, MISSING_SERVICE, query=OCTOBER),
    listed("contracts", lambda w: f'href="/contracts/{w.transit.contract.pk}/"'),
    Case("contract", "object", pk_of("transit.contract"), MISSING_PK),
    Case("contract-pdf", "object", pk_of("transit.contract"), MISSING_PK),
    # --- i15-b begin ---
    # the quotes list, and the CSV of each list (every filtered row, the viewer's only)
    listed("quotes", lambda w: f'href="/orders/quotes/{w.a_quote.pk}/"'),
    listed("quotes", lambda w: f"\n{w.a_quote.pk},", query=CSV),
    listed("orders", lambda w: f"\n{w.a_order.pk},", query=CSV),
    listed("services", lambda w: w.transit.circuit_id, query=CSV),
    listed("contracts", lambda w: f"\n{w.transit.contract.pk},", query=CSV),
    listed("invoices", lambda w: w.a_invoice.number, query=CSV),
    listed("tickets", lambda w: f"\n{w.a_ticket.pk},", query=CSV, refused=TICKET_READ),
    listed("api-keys", lambda w: w.a_key.prefix, query=CSV),
    listed("webhooks", lambda w: w.a_webhook.url, query=CSV, refused=WEBHOOK_INTRUDERS),
    # --- i15-b end ---
    # invoices and what hangs on them
    listed("invoices", lambda w: f'href="/invoices/{w.a_invoice.pk}/"'),
    listed("invoices-csv", lambda w: w.a_invoice.number),
    Case("invoice", "object", _invoice, MISSING_PK),
    Case("invoice-pdf", "object", _invoice, MISSING_PK),
    *(
        finance_act(name, _invoice, MISSING_PK, "a_invoice", refused=INVOICE_ACT, data=data)
        for name, data in (
            ("invoice", lambda w: {}),
            ("invoice-delete", lambda w: REASON),
            ("invoice-payment", lambda w: {"amount": "5.00", "received_on": str(w.today)}),
            ("invoice-lines", lambda w: MANUAL_LINE),
            ("invoice-credit-note", lambda w: {f"line_{_line(w).pk}": "1.00", **REASON}),
        )
    ),
    # --- i15-d1 begin ---
    # the finance clerk's form pages of an invoice (a GET shows the form): whoever may not read
    # the invoice gets a 404; a confirmed post acts (the cases above post unconfirmed, which
    # changes nothing either)
    *(
        Case(name, "object", _invoice, MISSING_PK, refused=INVOICE_ACT, owner="azt_finance")
        for name in ("invoice-payment", "invoice-credit-note", "invoice-lines", "invoice-delete")
    ),
    Case(
        "invoice-payment-reverse",
        "object",
        lambda w: {"pk": w.a_invoice.pk, "payment_pk": w.a_payment.pk},
        {"pk": MISSING, "payment_pk": MISSING},
        refused=INVOICE_ACT,
        owner="azt_finance",
    ),
    *(
        finance_act(name, _invoice, MISSING_PK, "a_invoice", refused=INVOICE_ACT, data=data)
        for name, data in (
            ("invoice", lambda w: {"confirmed": "yes"}),
            (
                "invoice-payment",
                lambda w: {"amount": "5.00", "received_on": str(w.today), "confirmed": "yes"},
            ),
            (
                "invoice-credit-note",
                lambda w: {f"line_{_line(w).pk}": "1.00", "confirmed": "yes", **REASON},
            ),
        )
    ),
    finance_act(
        "invoice-payment-reverse",
        lambda w: {"pk": w.a_invoice.pk, "payment_pk": w.a_payment.pk},
        {"pk": MISSING, "payment_pk": MISSING},
        "a_payment",
        data=lambda w: {"confirmed": "yes", **REASON},
        refused=INVOICE_ACT,
    ),
    Case(
        "late-adjustment-decide",
        "object",
        lambda w: {"pk": w.a_late.pk, "decision": "bill"},
        {"pk": MISSING, "decision": "bill"},
        refused=FINANCE_ACT,
        owner="azt_finance",
    ),
    finance_act(
        "late-adjustment-decide",
        lambda w: {"pk": w.a_late.pk, "decision": "bill"},
        {"pk": MISSING, "decision": "bill"},
        "a_late",
        data=lambda w: {"confirmed": "yes", **REASON},
    ),
    # --- i15-d1 end ---
    finance_act(
        "invoice-payment-reverse",
        lambda w: {"pk": w.a_invoice.pk, "payment_pk": w.a_payment.pk},
        {"pk": MISSING, "payment_pk": MISSING},
        "a_payment",
        data=lambda w: REASON,
        refused=INVOICE_ACT,
    ),
    finance_act(
        "invoice-line-remove",
        lambda w: {"pk": w.a_invoice.pk, "line_pk": _line(w).pk},
        {"pk": MISSING, "line_pk": MISSING},
        "a_invoice",
        data=lambda w: REASON,
        refused=INVOICE_ACT,
    ),
    Case("credit-note-pdf", "object", pk_of("a_credit_note"), MISSING_PK),
    Case("debit-note-pdf", "object", pk_of("a_debit_note"), MISSING_PK),
    # finance's late adjustments: customers may not decide any (403), another operator's
    # finance staff cannot decide A's biller's (404)
    finance_act(
        "late-adjustment-decide",
        lambda w: {"pk": w.a_late.pk, "decision": "bill"},
        {"pk": MISSING, "decision": "bill"},
        "a_late",
        data=lambda w: REASON,
    ),
    # the organisation's API keys
    listed("api-keys", lambda w: w.a_key.prefix),
    act("api-key-revoke", _key, {"prefix": MISSING_PREFIX}, "a_key"),
    # --- webhooks (helper A) ---
    listed("webhooks", lambda w: f'href="/webhooks/{w.a_webhook.pk}/"'),
    Case("webhook", "object", pk_of("a_webhook"), MISSING_PK, refused=WEBHOOK_INTRUDERS),
    act(
        "webhook",
        pk_of("a_webhook"),
        MISSING_PK,
        "a_webhook",
        data=lambda w: {"action": "disable"},
        refused=WEBHOOK_INTRUDERS,
    ),
    act("webhook-redeliver", pk_of("a_delivery"), MISSING_PK, "a_delivery"),
    # --- end of webhooks ---
    # planned maintenance (area: maintenance): customers see what affects their services,
    # network staff what is on segments their operator holds or held a share of
    listed(
        "planned-work",
        lambda w: w.a_maintenance.reference,
        refused={"b": 404, "third_network": 404},
    ),
    Case(
        "maintenance",
        "object",
        pk_of("a_maintenance"),
        MISSING_PK,
        refused=NETWORK_ACT,
        owner="azt_network",
    ),
    *(
        network_act(
            f"maintenance-{step}",
            pk_of("a_maintenance"),
            MISSING_PK,
            "a_maintenance",
            data=lambda w: {**REASON, "confirmed": "yes"},  # i15-k: past the confirmation
        )
        for step in ("edit", "cancel", "start", "complete")
    ),
    # trouble tickets (issue 14, deliverable 4): A's ticket on its transit, worked by the network
    # staff of AZT (the PoP's owner); the third operator owns no part of its route
    listed("tickets", lambda w: f'href="/tickets/{w.a_ticket.pk}/"', refused=TICKET_READ),
    Case("ticket", "object", pk_of("a_ticket"), MISSING_PK, refused=TICKET_READ),
    act(
        "ticket",
        pk_of("a_ticket"),
        MISSING_PK,
        "a_ticket",
        data=lambda w: {"action": "note", "note-note": "not mine"},
        refused={"b": 404, "third_network": 404},
    ),
    network_act(
        "ticket",
        pk_of("a_ticket"),
        MISSING_PK,
        "a_ticket",
        data=lambda w: {"action": "acknowledge"},
        refused={"third_network": 404},
    ),
    # --- i15-c begin ---
    # usage decisions: a customer reads its own, the route's network staff resolve conflicts
    listed(
        "usage-decisions",
        lambda w: f'href="/usage/decisions/{w.a_conflict.pk}/"',
        refused=TICKET_READ,
    ),
    Case("usage-decision", "object", pk_of("a_conflict"), MISSING_PK, refused=TICKET_READ),
    network_act(
        "usage-decision",
        pk_of("a_conflict"),
        MISSING_PK,
        "a_conflict",
        data=lambda w: {"keep": "received", "reason": "not mine", "confirmed": "yes"},
        refused={"b": 404, "third_network": 404},
    ),
    # --- i15-c end ---
    Case(
        "ticket-new",
        "create",
        method="post",
        data=lambda w: _ticket_form(w.transit.circuit_id),
        missing_data=lambda w: _ticket_form(MISSING_CIRCUIT),
        # the form offers only the viewer's own services: another's is not a choice (400);
        # operators may not report a fault at all (403)
        refused={"b": 400, "third_network": 403},
        objects=watch("transit"),
    ),
]

API_CASES = [
    listed("v1:quote-list", lambda w: w.a_quote.pk),
    Case("v1:quote-detail", "object", pk_of("a_quote"), MISSING_PK),
    listed("v1:order-list", lambda w: w.a_order.pk),
    Case(
        "v1:order-list",
        "create",
        method="post",
        data=lambda w: {"quote": w.a_quote.pk},
        missing_data=lambda w: {"quote": MISSING},
        objects=watch("a_quote"),
    ),
    Case("v1:order-detail", "object", pk_of("a_order"), MISSING_PK),
    act("v1:order-cancel", pk_of("a_order"), MISSING_PK, "a_order", data=lambda w: REASON),
    *(
        network_act(
            f"v1:order-{step}",
            pk_of("a_order"),
            MISSING_PK,
            "a_order",
            data=lambda w: {**REASON, "ready_for_service_date": "2026-12-10"},
        )
        for step in ("acknowledge", "reject", "provision", "complete", "fail")
    ),
    listed("v1:service-list", lambda w: w.transit.circuit_id, field="circuit_id"),
    Case("v1:service-detail", "object", _service, MISSING_SERVICE),
    *(
        network_act(
            f"v1:service-{step}",
            _service,
            MISSING_SERVICE,
            "transit",
            data=lambda w: {"on": "2027-12-31"},
        )
        for step in ("suspend", "resume", "terminate")
    ),
    # --- i15-d2 begin ---
    network_act(
        "v1:service-change-end", _service, MISSING_SERVICE, "transit", data=lambda w: {"on": None}
    ),
    # --- i15-d2 end ---
    Case("v1:service-usage", "object", _service, MISSING_SERVICE, query=OCTOBER),
    Case("v1:service-usage-samples", "object", _service, MISSING_SERVICE, query=OCTOBER),
    listed("v1:contract-list", lambda w: w.transit.contract.pk),
    Case("v1:contract-detail", "object", pk_of("transit.contract"), MISSING_PK),
    Case("v1:contract-pdf", "object", pk_of("transit.contract"), MISSING_PK),
    listed("v1:invoice-list", lambda w: w.a_invoice.pk),
    Case("v1:invoice-detail", "object", _invoice, MISSING_PK),
    finance_act("v1:invoice-detail", _invoice, MISSING_PK, "a_invoice", method="delete"),
    finance_act("v1:invoice-issue", _invoice, MISSING_PK, "a_invoice"),
    Case("v1:invoice-pdf", "object", _invoice, MISSING_PK),
    listed("v1:payment-list", lambda w: w.a_payment.pk),
    finance_create("v1:payment-list", _payment_body),
    Case("v1:payment-detail", "object", pk_of("a_payment"), MISSING_PK),
    finance_act(
        "v1:payment-reverse", pk_of("a_payment"), MISSING_PK, "a_payment", data=lambda w: REASON
    ),
    listed("v1:credit-note-list", lambda w: w.a_credit_note.pk),
    finance_create("v1:credit-note-list", _credit_body),
    Case("v1:credit-note-detail", "object", pk_of("a_credit_note"), MISSING_PK),
    Case("v1:credit-note-pdf", "object", pk_of("a_credit_note"), MISSING_PK),
    listed("v1:debit-note-list", lambda w: w.a_debit_note.pk),
    Case("v1:debit-note-detail", "object", pk_of("a_debit_note"), MISSING_PK),
    Case("v1:debit-note-pdf", "object", pk_of("a_debit_note"), MISSING_PK),
    # finance's: customers are refused, another operator's finance sees none of A's biller's
    listed(
        "v1:late-adjustment-list",
        lambda w: w.a_late.pk,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    Case(
        "v1:late-adjustment-detail",
        "object",
        _late,
        MISSING_PK,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    *(
        finance_act(
            f"v1:late-adjustment-{step}",
            _late,
            MISSING_PK,
            "a_late",
            data=lambda w: REASON,
        )
        for step in ("bill", "dismiss")
    ),
    listed(
        "v1:period-close-list", lambda w: w.closing.pk, refused=FINANCE_READ, owner="azt_finance"
    ),
    Case(
        "v1:period-close-detail",
        "object",
        pk_of("closing"),
        MISSING_PK,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    # trouble tickets (issue 14, deliverable 4)
    listed("v1:trouble-ticket-list", lambda w: w.a_ticket.pk, refused=TICKET_READ),
    Case(
        "v1:trouble-ticket-list",
        "create",
        method="post",
        data=lambda w: _ticket_body(w.transit.circuit_id),
        missing_data=lambda w: _ticket_body(MISSING_CIRCUIT),
        objects=watch("transit"),
    ),
    Case("v1:trouble-ticket-detail", "object", pk_of("a_ticket"), MISSING_PK, refused=TICKET_READ),
    # --- i15-c begin ---
    listed("v1:usage-decision-list", lambda w: w.a_conflict.pk, refused=TICKET_READ),
    Case(
        "v1:usage-decision-detail", "object", pk_of("a_conflict"), MISSING_PK, refused=TICKET_READ
    ),
    network_act(
        "v1:usage-decision-resolve",
        pk_of("a_conflict"),
        MISSING_PK,
        "a_conflict",
        data=lambda w: {"keep": "received", "reason": "not mine"},
    ),
    # --- i15-c end ---
    *(
        act(
            f"v1:trouble-ticket-{step}",
            pk_of("a_ticket"),
            MISSING_PK,
            "a_ticket",
            data=lambda w: {"note": "not mine"},
            refused={"b": 404, "third_network": 404} if step == "notes" else {"b": 404},
        )
        for step in ("close", "reopen", "cancel", "notes")
    ),
    *(
        network_act(
            f"v1:trouble-ticket-{step}",
            pk_of("a_ticket"),
            MISSING_PK,
            "a_ticket",
            data=lambda w: {"resolution": "not mine", "outage": None},
        )
        for step in ("acknowledge", "progress", "pending", "hold", "resolve", "outage")
    ),
    # --- helper E, a complete API: finance's reports and drafts ---------------------------------
    # A settlement statement is its two operators': a third operator's finance gets what a
    # missing one gets (404), a customer is refused (403).
    Case(
        "v1:settlement-statement-detail",
        "object",
        _statement,
        MISSING_STATEMENT,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    Case(
        "v1:settlement-statement-pdf",
        "object",
        _statement,
        MISSING_STATEMENT,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    listed(
        "v1:settlement-statement-list",
        lambda w: _statement(w)["currency"],
        field="currency",
        query=OCTOBER,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    listed(
        "v1:aging",
        lambda w: w.a_invoice.pk,
        field="invoice",
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    finance_act(
        "v1:invoice-lines",
        _invoice,
        MISSING_PK,
        "a_invoice",
        data=lambda w: {**MANUAL_LINE, "quantity": "1.0", "unit_price": "1.00"},
    ),
    finance_act(
        "v1:invoice-line",
        lambda w: {"pk": w.a_invoice.pk, "line": _line(w).pk},
        {"pk": MISSING, "line": MISSING},
        "a_invoice",
        method="delete",
        data=lambda w: REASON,
    ),
    # API keys: managed with a browser session
    listed("v1:api-key-list", lambda w: w.a_key.prefix, field="prefix", session=True),
    Case("v1:api-key-detail", "object", _key, {"prefix": MISSING_PREFIX}, session=True),
    act("v1:api-key-revoke", _key, {"prefix": MISSING_PREFIX}, "a_key", session=True),
    # --- webhooks (helper A): managed by A's admins; every other organisation's staff 404 ---
    listed("v1:webhook-list", lambda w: w.a_webhook.pk),
    Case("v1:webhook-detail", "object", pk_of("a_webhook"), MISSING_PK, refused=WEBHOOK_INTRUDERS),
    act(
        "v1:webhook-detail",
        pk_of("a_webhook"),
        MISSING_PK,
        "a_webhook",
        method="patch",
        data=lambda w: {"description": "not mine"},
        refused=WEBHOOK_INTRUDERS,
    ),
    act("v1:webhook-detail", pk_of("a_webhook"), MISSING_PK, "a_webhook", method="delete"),
    act("v1:webhook-rotate-secret", pk_of("a_webhook"), MISSING_PK, "a_webhook"),
    Case(
        "v1:webhook-deliveries", "object", pk_of("a_webhook"), MISSING_PK, refused=WEBHOOK_INTRUDERS
    ),
    Case(
        "v1:webhook-delivery-detail",
        "object",
        pk_of("a_delivery"),
        MISSING_PK,
        refused=WEBHOOK_INTRUDERS,
    ),
    act(
        "v1:webhook-delivery-redeliver",
        pk_of("a_delivery"),
        MISSING_PK,
        "a_delivery",
        refused=WEBHOOK_INTRUDERS,
    ),
    # --- end of webhooks ---
    # outages: customers read those that hit their services, operators those of their segments
    listed("v1:outage-list", lambda w: w.a_outage.pk, refused={"b": 404, "third_network": 404}),
    Case(
        "v1:outage-detail",
        "object",
        pk_of("a_outage"),
        MISSING_PK,
        refused={"b": 404, "third_network": 404},
    ),
    # planned maintenance (area: maintenance)
    listed(
        "v1:maintenance-list",
        lambda w: w.a_maintenance.pk,
        refused={"b": 404, "third_network": 404},
    ),
    Case(
        "v1:maintenance-detail",
        "object",
        pk_of("a_maintenance"),
        MISSING_PK,
        refused={"b": 404, "third_network": 404},
    ),
    network_act(
        "v1:maintenance-detail",
        pk_of("a_maintenance"),
        MISSING_PK,
        "a_maintenance",
        method="patch",
        data=lambda w: {"reason": "not mine"},
    ),
    *(
        network_act(
            f"v1:maintenance-{step}",
            pk_of("a_maintenance"),
            MISSING_PK,
            "a_maintenance",
            data=lambda w: REASON,
        )
        for step in ("cancel", "start", "complete")
    ),
]

# --- events list (issue 14, helper B) ---


def _a_event(w: World) -> Any:
    """The first published event of customer A (its sale's orders, invoices...)."""
    from events.models import Event
    from events.services.outbox import publish_pending

    publish_pending()
    return Event.objects.filter(organisation=w.a, position__isnull=False).order_by("position")[0]


MISSING_EVENT = {"id": "00000000-0000-4000-8000-000000000000"}
EVENT_CASES = [
    listed(
        "v1:event-list",
        lambda w: str(_a_event(w).uid),
        refused={"b": 404, "third_finance": 404, "third_network": 404},
    ),
    Case(
        "v1:event-detail",
        "object",
        lambda w: {"id": _a_event(w).uid},
        MISSING_EVENT,
        refused={"b": 404, "third_finance": 404, "third_network": 404},
    ),
]
API_CASES += EVENT_CASES
PORTAL_CASES.append(
    listed(
        "events",
        lambda w: str(_a_event(w).uid),
        refused={"b": 404, "third_finance": 404, "third_network": 404},
    )
)
# --- end events list ---
# --- i15-b begin ---
PORTAL_CASES.append(
    listed(
        "events",
        lambda w: str(_a_event(w).uid),
        query=CSV,
        refused={"b": 404, "third_finance": 404, "third_network": 404},
    )
)
# --- i15-b end ---
# --- i15-i begin ---
# planned work's CSV and the outages list: what hit A's services alone, never shown to B or to
# an operator with no share of the segment
PORTAL_CASES.extend(
    [
        listed(
            "planned-work",
            lambda w: f"\n{w.a_maintenance.pk},",
            query=CSV,
            refused={"b": 404, "third_network": 404},
        ),
        listed(
            "planned-outages",
            lambda w: f'id="outage-{w.a_outage.pk}"',
            refused={"b": 404, "third_network": 404},
        ),
        listed(
            "planned-outages",
            lambda w: f"\n{w.a_outage.pk},",
            query=CSV,
            refused={"b": 404, "third_network": 404},
        ),
    ]
)
# --- i15-i end ---

TENANT_CASES = PORTAL_CASES + API_CASES

# URL patterns that show no organisation's objects, with why. ``operator`` ones are for
# operators' (or platform admins') staff: a customer is refused them (403), which
# tests/test_tenant_isolation.py checks too; ``ANY`` ones are open to every signed-in role (or
# to nobody signed in).
OPERATOR = "operator"
ANY = "any"
NOT_TENANT: dict[str, tuple[str, str]] = {
    "dashboard": (ANY, "the viewer's own landing page: its organisation, its own key count"),
    # --- i15-d2 begin ---
    "favicon": (ANY, "the portal's icon"),
    # --- i15-d2 end ---
    "login": (ANY, "signing in"),
    "login-code": (ANY, "signing in: the code step"),
    "logout": (ANY, "signing out"),
    "password_reset": (ANY, "password reset by e-mail"),
    "password_reset_done": (ANY, "password reset by e-mail"),
    "password_reset_confirm": (ANY, "password reset by e-mail"),
    "password_reset_complete": (ANY, "password reset by e-mail"),
    "two-factor": (ANY, "the viewer's own authenticator"),
    "two-factor-setup": (ANY, "the viewer's own authenticator"),
    "two-factor-recovery-codes": (ANY, "the viewer's own authenticator"),
    "two-factor-remove": (ANY, "the viewer's own authenticator"),
    "lockouts": (OPERATOR, "platform admins' locked logins"),
    # --- i15-a begin ---
    "settings": (ANY, "the viewer's own settings (their time zone)"),
    # --- i15-a end ---
    "catalog": (ANY, "the catalog: products and prices, the same for everybody"),
    "availability": (ANY, "free capacity: no customer named"),
    "network": (ANY, "the consortium's network map"),
    "path": (ANY, "a path of the network"),
    "spectrum-map": (ANY, "a fiber pair's spectrum: free or taken, no customer named"),
    "utilisation": (OPERATOR, "network utilisation, for operators"),
    "outages": (OPERATOR, "network staff record outages"),
    "outage": (OPERATOR, "network staff's outage page"),
    "outage-end": (OPERATOR, "network staff end outages"),
    "outage-correct": (OPERATOR, "network staff correct outages"),
    "quote-new": (ANY, "a new quote, always for the viewer's own organisation"),
    "usage-upload": (OPERATOR, "network staff upload usage files"),
    "invoices-issue": (OPERATOR, "finance's bulk issue: a draft it may not issue is reported"),
    "billing": (OPERATOR, "finance's billing runs"),
    "aging": (OPERATOR, "finance's aging of its own invoices"),
    "render-missing-pdfs": (OPERATOR, "finance renders its own missing PDFs"),
    "settlement": (OPERATOR, "settlement between operators"),
    "settlement-pdf": (OPERATOR, "settlement between operators"),
    "revenue": (OPERATOR, "operators' revenue"),
    "revenue-csv": (OPERATOR, "operators' revenue"),
    "late-adjustments": (OPERATOR, "finance's late adjustments (of its own invoices)"),
    "close-period": (OPERATOR, "finance closes its own month"),
    "audit-log": (OPERATOR, "operators' and platform admins' audit log"),
    "admin/": (OPERATOR, "the Django admin, platform admins only"),
    "admin/login/": (OPERATOR, "the Django admin's login: ours, or 403 to a signed-in customer"),
    "api-schema": (ANY, "the OpenAPI schema"),
    "api-docs": (ANY, "the API's documentation"),
    # events and webhooks pages (issue 14, helper G1)
    "webhook-guide": (ANY, "the partner guide to webhooks: documentation, no organisation's data"),
    "v1:me": (ANY, "who the caller itself is"),
    "v1:availability": (ANY, "free capacity: no customer named"),
    "v1:product-list": (ANY, "the catalog"),
    "v1:product-detail": (ANY, "the catalog"),
    "v1:price-list": (ANY, "the price book"),
    "v1:price-detail": (ANY, "the price book"),
    "v1:path-list": (ANY, "the consortium's paths"),
    "v1:path-detail": (ANY, "the consortium's paths"),
    "v1:site-list": (ANY, "the consortium's sites"),
    "v1:site-detail": (ANY, "the consortium's sites"),
    "v1:segment-list": (ANY, "the consortium's segments"),
    "v1:segment-detail": (ANY, "the consortium's segments"),
    "v1:segment-ownership": (OPERATOR, "platform admins set segment ownership"),
    "v1:fiber-pair-list": (OPERATOR, "inventory, for operators"),
    "v1:fiber-pair-detail": (OPERATOR, "inventory, for operators"),
    "v1:lit-carrier-list": (OPERATOR, "inventory, for operators"),
    "v1:lit-carrier-detail": (OPERATOR, "inventory, for operators"),
    "v1:outage-end": (OPERATOR, "network staff's outages"),
    "v1:outage-correct": (OPERATOR, "network staff's outages"),
    "v1:usage-samples": (OPERATOR, "network staff's usage ingest (another's circuit refused)"),
    "v1:usage-series": (OPERATOR, "network staff's usage ingest (another's circuit refused)"),
    "v1:billing-run-list": (OPERATOR, "finance's billing runs"),
    "v1:billing-run-detail": (OPERATOR, "finance's billing runs"),
    "v1:invoice-issue-many": (
        OPERATOR,
        "finance's bulk issue: a draft it may not issue is reported",
    ),
    # planned maintenance (area: maintenance)
    "maintenance-list": (OPERATOR, "network staff's maintenance (their segments')"),
    "maintenance-new": (OPERATOR, "network staff schedule maintenance"),
    "calendar-feed-new": (ANY, "a new calendar address, always for the viewer's organisation"),
    "calendar-feed": (
        ANY,
        "no sign-in: the secret address names the organisation; an unknown one is a 404 "
        "(tests/leasing/test_calendar_feed.py checks isolation)",
    ),
    # helper E, a complete API
    "v1:revenue": (OPERATOR, "an operator's own revenue (a platform admin's: everyone's)"),
    "v1:invoice-render-missing-pdfs": (OPERATOR, "finance renders its own missing PDFs"),
    "v1:audit-entry-list": (OPERATOR, "the audit log: audit.selectors.entries_for decides"),
    "v1:deleted-draft-list": (
        OPERATOR,
        "finance's own deleted drafts (billing.selectors.deleted_drafts_for; tested in "
        "tests/api/test_complete_api.py)",
    ),
    "v1:utilisation-fiber-pairs": (OPERATOR, "network utilisation, for operators"),
    "v1:utilisation-paths": (OPERATOR, "network utilisation, for operators"),
    "v1:fiber-pair-spectrum": (
        ANY,
        "a fiber pair's spectrum: free or taken; who holds it for operators only",
    ),
}

# Example arguments for the ``OPERATOR`` URLs that take some, to ask them as a customer.
OPERATOR_URL_KWARGS: dict[str, dict[str, Any]] = {
    "outage": {"pk": 1},
    "outage-end": {"pk": 1},
    "outage-correct": {"pk": 1},
    "settlement-pdf": {"period": "2026-10", "first": 1, "second": 2, "currency": "USD"},
    "v1:segment-ownership": {"code": "BAK-CLS"},
    "v1:fiber-pair-detail": {"pk": 1},
    "v1:lit-carrier-detail": {"pk": 1},
    "v1:outage-detail": {"pk": 1},
    "v1:outage-end": {"pk": 1},
    "v1:outage-correct": {"pk": 1},
    "v1:billing-run-detail": {"pk": 1},
}
# Operator URLs a customer's request reaches with a POST only (405 to a GET tells nothing).
OPERATOR_POST_ONLY = {
    "outage-end",
    "outage-correct",
    "invoices-issue",
    "render-missing-pdfs",
    "close-period",
    "v1:segment-ownership",
    "v1:outage-end",
    "v1:outage-correct",
    "v1:usage-samples",
    "v1:usage-series",
    "v1:invoice-issue-many",
    "v1:invoice-render-missing-pdfs",
}
