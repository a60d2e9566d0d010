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
FINANCE_READ = {"third_finance": 404, "b": 403}


def _order(w: World) -> dict:
    return {"pk": w.a_order.pk}


def _quote(w: World) -> dict:
    return {"pk": w.a_quote.pk}


def _service(w: World) -> dict:
    return {"circuit_id": w.transit.circuit_id}


def _contract(w: World) -> dict:
    return {"pk": w.transit.contract.pk}


def _invoice(w: World) -> dict:
    return {"pk": w.a_invoice.pk}


def _payment(w: World) -> dict:
    return {"pk": w.a_payment.pk}


def _credit_note(w: World) -> dict:
    return {"pk": w.a_credit_note.pk}


def _debit_note(w: World) -> dict:
    return {"pk": w.a_debit_note.pk}


def _late(w: World) -> dict:
    return {"pk": w.a_late.pk}


def _key(w: World) -> dict:
    return {"prefix": w.a_key.prefix}


MISSING_PK = {"pk": MISSING}
MISSING_SERVICE = {"circuit_id": MISSING_CIRCUIT}
OCTOBER = "period=2026-10"


def _line(w: World) -> Any:
    return w.a_invoice.lines.order_by("pk").first()


def _payment_body(w: World, invoice: int) -> dict:
    return {
        "invoice": invoice,
        "amount": "1.00",
        "currency": "USD",
        "received_on": w.today.isoformat(),
    }


def _credit_body(w: World, invoice: int) -> dict:
    return {
        "invoice": invoice,
        "reason": "not mine",
        "lines": [{"invoice_line": _line(w).pk, "amount": "1.00"}],
    }


PORTAL_CASES = [
    # quotes and orders
    Case("quote", "object", _quote, MISSING_PK, objects=lambda w: [w.a_quote]),
    Case("quote", "action", _quote, MISSING_PK, method="post", objects=lambda w: [w.a_quote]),
    Case("orders", "list", query="state=all", marker=lambda w: f'href="/orders/{w.a_order.pk}/"'),
    Case("order", "object", _order, MISSING_PK, objects=lambda w: [w.a_order]),
    Case(
        "order",
        "action",
        _order,
        MISSING_PK,
        method="post",
        data=lambda w: {"action": "cancel", "cancel-reason": "not mine"},
        objects=lambda w: [w.a_order],
    ),
    Case(
        "order",
        "action",
        _order,
        MISSING_PK,
        method="post",
        data=lambda w: {"action": "acknowledge"},
        refused={"third_network": 404},  # a customer's answer: tested by "cancel" above
        owner="azt_network",
        objects=lambda w: [w.a_order],
    ),
    # services, their usage, contracts
    Case("services", "list", marker=lambda w: f'href="/services/{w.transit.circuit_id}/"'),
    Case("service", "object", _service, MISSING_SERVICE, objects=lambda w: [w.transit]),
    Case(
        "service",
        "action",
        _service,
        MISSING_SERVICE,
        method="post",
        data=lambda w: {"action": "suspend"},
        refused={"third_network": 404},
        owner="azt_network",
        objects=lambda w: [w.transit],
    ),
    Case("usage", "object", _service, MISSING_SERVICE, query=OCTOBER),
    Case("usage-csv", "object", _service, MISSING_SERVICE, query=OCTOBER),
    Case("contracts", "list", marker=lambda w: f'href="/contracts/{w.transit.contract.pk}/"'),
    Case("contract", "object", _contract, MISSING_PK),
    Case("contract-pdf", "object", _contract, MISSING_PK),
    # invoices and what hangs on them
    Case("invoices", "list", marker=lambda w: f'href="/invoices/{w.a_invoice.pk}/"'),
    Case("invoices-csv", "list", marker=lambda w: w.a_invoice.number),
    Case("invoice", "object", _invoice, MISSING_PK),
    Case(
        "invoice",
        "action",
        _invoice,
        MISSING_PK,
        method="post",
        refused={"b": 404, "third_finance": 404},
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case("invoice-pdf", "object", _invoice, MISSING_PK),
    Case(
        "invoice-delete",
        "action",
        _invoice,
        MISSING_PK,
        method="post",
        data=lambda w: {"reason": "not mine"},
        refused={"b": 404, "third_finance": 404},
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case(
        "invoice-payment",
        "action",
        _invoice,
        MISSING_PK,
        method="post",
        data=lambda w: {"amount": "5.00", "received_on": w.today.isoformat()},
        refused={"b": 404, "third_finance": 404},
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case(
        "invoice-payment-reverse",
        "action",
        lambda w: {"pk": w.a_invoice.pk, "payment_pk": w.a_payment.pk},
        {"pk": MISSING, "payment_pk": MISSING},
        method="post",
        data=lambda w: {"reason": "not mine"},
        refused={"b": 404, "third_finance": 404},
        owner="azt_finance",
        objects=lambda w: [w.a_payment],
    ),
    Case(
        "invoice-lines",
        "action",
        _invoice,
        MISSING_PK,
        method="post",
        data=lambda w: {
            "description": "x",
            "quantity": "1",
            "unit_price": "1",
            "service_date": "2026-10-01",
        },
        refused={"b": 404, "third_finance": 404},
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case(
        "invoice-line-remove",
        "action",
        lambda w: {"pk": w.a_invoice.pk, "line_pk": _line(w).pk},
        {"pk": MISSING, "line_pk": MISSING},
        method="post",
        data=lambda w: {"reason": "not mine"},
        refused={"b": 404, "third_finance": 404},
        owner="azt_finance",
        objects=lambda w: [_line(w)],
    ),
    Case(
        "invoice-credit-note",
        "action",
        _invoice,
        MISSING_PK,
        method="post",
        data=lambda w: {f"credit_{_line(w).pk}": "1.00", "reason": "not mine"},
        refused={"b": 404, "third_finance": 404},
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case("credit-note-pdf", "object", _credit_note, MISSING_PK),
    Case("debit-note-pdf", "object", _debit_note, MISSING_PK),
    # finance's late adjustments: customers may not decide any (403), another operator's
    # finance staff cannot decide A's biller's (404)
    Case(
        "late-adjustment-decide",
        "action",
        lambda w: {"pk": w.a_late.pk, "decision": "bill"},
        {"pk": MISSING, "decision": "bill"},
        method="post",
        data=lambda w: {"reason": "not mine"},
        refused=FINANCE_ACT,
        owner="azt_finance",
        objects=lambda w: [w.a_late],
    ),
    # the organisation's API keys
    Case("api-keys", "list", marker=lambda w: w.a_key.prefix),
    Case(
        "api-key-revoke",
        "action",
        _key,
        {"prefix": MISSING_PREFIX},
        method="post",
        objects=lambda w: [w.a_key],
    ),
]

API_CASES = [
    Case("v1:quote-list", "list", marker=lambda w: w.a_quote.pk),
    Case("v1:quote-detail", "object", _quote, MISSING_PK),
    Case("v1:order-list", "list", marker=lambda w: w.a_order.pk),
    Case(
        "v1:order-list",
        "create",
        method="post",
        data=lambda w: {"quote": w.a_quote.pk},
        missing_data=lambda w: {"quote": MISSING},
        objects=lambda w: [w.a_quote],
    ),
    Case("v1:order-detail", "object", _order, MISSING_PK),
    Case(
        "v1:order-cancel",
        "action",
        _order,
        MISSING_PK,
        method="post",
        data=lambda w: {"reason": "not mine"},
        objects=lambda w: [w.a_order],
    ),
    *(
        Case(
            f"v1:order-{step}",
            "action",
            _order,
            MISSING_PK,
            method="post",
            data=lambda w: {"reason": "not mine", "ready_for_service_date": "2026-12-10"},
            refused=NETWORK_ACT,
            owner="azt_network",
            objects=lambda w: [w.a_order],
        )
        for step in ("acknowledge", "reject", "provision", "complete", "fail")
    ),
    Case("v1:service-list", "list", field="circuit_id", marker=lambda w: w.transit.circuit_id),
    Case("v1:service-detail", "object", _service, MISSING_SERVICE),
    *(
        Case(
            f"v1:service-{step}",
            "action",
            _service,
            MISSING_SERVICE,
            method="post",
            data=lambda w: {"on": "2027-12-31"},
            refused=NETWORK_ACT,
            owner="azt_network",
            objects=lambda w: [w.transit],
        )
        for step in ("suspend", "resume", "terminate")
    ),
    Case("v1:service-usage", "object", _service, MISSING_SERVICE, query=OCTOBER),
    Case("v1:service-usage-samples", "object", _service, MISSING_SERVICE, query=OCTOBER),
    Case("v1:contract-list", "list", marker=lambda w: w.transit.contract.pk),
    Case("v1:contract-detail", "object", _contract, MISSING_PK),
    Case("v1:contract-pdf", "object", _contract, MISSING_PK),
    Case("v1:invoice-list", "list", marker=lambda w: w.a_invoice.pk),
    Case("v1:invoice-detail", "object", _invoice, MISSING_PK),
    Case(
        "v1:invoice-detail",
        "action",
        _invoice,
        MISSING_PK,
        method="delete",
        refused=FINANCE_ACT,
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case(
        "v1:invoice-issue",
        "action",
        _invoice,
        MISSING_PK,
        method="post",
        refused=FINANCE_ACT,
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case("v1:invoice-pdf", "object", _invoice, MISSING_PK),
    Case("v1:payment-list", "list", marker=lambda w: w.a_payment.pk),
    Case(
        "v1:payment-list",
        "create",
        method="post",
        data=lambda w: _payment_body(w, w.a_invoice.pk),
        missing_data=lambda w: _payment_body(w, MISSING),
        refused=FINANCE_ACT,
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case("v1:payment-detail", "object", _payment, MISSING_PK),
    Case(
        "v1:payment-reverse",
        "action",
        _payment,
        MISSING_PK,
        method="post",
        data=lambda w: {"reason": "not mine"},
        refused=FINANCE_ACT,
        owner="azt_finance",
        objects=lambda w: [w.a_payment],
    ),
    Case("v1:credit-note-list", "list", marker=lambda w: w.a_credit_note.pk),
    Case(
        "v1:credit-note-list",
        "create",
        method="post",
        data=lambda w: _credit_body(w, w.a_invoice.pk),
        missing_data=lambda w: _credit_body(w, MISSING),
        refused=FINANCE_ACT,
        owner="azt_finance",
        objects=lambda w: [w.a_invoice],
    ),
    Case("v1:credit-note-detail", "object", _credit_note, MISSING_PK),
    Case("v1:credit-note-pdf", "object", _credit_note, MISSING_PK),
    Case("v1:debit-note-list", "list", marker=lambda w: w.a_debit_note.pk),
    Case("v1:debit-note-detail", "object", _debit_note, MISSING_PK),
    Case("v1:debit-note-pdf", "object", _debit_note, MISSING_PK),
    # finance's: customers are refused, another operator's finance sees none of A's biller's
    Case(
        "v1:late-adjustment-list",
        "list",
        marker=lambda w: w.a_late.pk,
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
        Case(
            f"v1:late-adjustment-{step}",
            "action",
            _late,
            MISSING_PK,
            method="post",
            data=lambda w: {"reason": "not mine"},
            refused=FINANCE_ACT,
            owner="azt_finance",
            objects=lambda w: [w.a_late],
        )
        for step in ("bill", "dismiss")
    ),
    Case(
        "v1:period-close-list",
        "list",
        marker=lambda w: w.closing.pk,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    Case(
        "v1:period-close-detail",
        "object",
        lambda w: {"pk": w.closing.pk},
        MISSING_PK,
        refused=FINANCE_READ,
        owner="azt_finance",
    ),
    # API keys: managed with a browser session
    Case("v1:api-key-list", "list", field="prefix", marker=lambda w: w.a_key.prefix, session=True),
    Case("v1:api-key-detail", "object", _key, {"prefix": MISSING_PREFIX}, session=True),
    Case(
        "v1:api-key-revoke",
        "action",
        _key,
        {"prefix": MISSING_PREFIX},
        method="post",
        objects=lambda w: [w.a_key],
        session=True,
    ),
]

TENANT_CASES = PORTAL_CASES + API_CASES

# URL patterns that show no organisation's objects, with why. ``operator`` ones are for
# operators' (or platform admins') staff: a customer is refused them (403), which
# tests/test_tenant_isolation.py checks too; ``ANY`` ones are open to every signed-in role (or
# to nobody signed in).
OPERATOR = "operator"
ANY = "any"
NOT_TENANT: dict[str, tuple[str, str]] = {
    "dashboard": (ANY, "the viewer's own landing page: its organisation, its own key count"),
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
    "v1:outage-list": (OPERATOR, "network staff's outages"),
    "v1:outage-detail": (OPERATOR, "network staff's outages"),
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
}
