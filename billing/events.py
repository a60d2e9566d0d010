"""What the billing app tells partners: the customer's events of its money documents and of
late usage (``events.services.outbox``).

Services call one function here inside the transaction of the change, with what they have
loaded already (lines, totals), so an event costs its insert and no extra reads. A customer
never reads the split between the operators (``allocations``) nor who of the finance staff
acted: the events carry neither.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.urls import reverse

from events.choices import EventType
from events.services.outbox import record_event, utc_iso
from tcfo_portal.money import Money

from .choices import InvoiceStatus
from .documents import totals_of
from .models import CreditNote, DebitNote, Invoice, Payment


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return Money(amount, currency).as_dict()


def _circuit_id(line: Any) -> str | None:
    contract = getattr(line, "contract", None)
    service = getattr(contract, "service", None) if contract is not None else None
    return service.circuit_id if service is not None else None


def _totals(lines: list[Any], currency: str) -> dict[str, dict[str, str]]:
    totals = totals_of(lines, currency)
    return {
        "subtotal": totals.subtotal.as_dict(),
        "tax": totals.tax.as_dict(),
        "total": totals.total.as_dict(),
    }


def _contract_status(status: str) -> str:
    """The contract's four ``status`` values: partially paid is issued there (see ``state``)."""
    return InvoiceStatus.ISSUED if status == InvoiceStatus.PARTIALLY_PAID else status


def invoice_data(invoice: Invoice, lines: Iterable[Any]) -> dict[str, Any]:
    """An issued invoice as its customer reads it (``GET /invoices/{id}/`` without the split).
    ``lines`` loaded with ``contract__service``."""
    lines = list(lines)
    currency = invoice.currency
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "status": _contract_status(invoice.status),
        "state": invoice.status,
        "billing_party": invoice.billing_party.name,
        "customer": invoice.customer.name,
        "period": invoice.period,
        "currency": currency,
        **_totals(lines, currency),
        "issued_at": utc_iso(invoice.issued_at),
        "due_date": _day(invoice.due_date),
        "lines": [
            {
                "id": line.pk,
                "kind": line.kind,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": {"amount": str(line.unit_price), "currency": currency},
                "amount": _money(line.amount, currency),
                "tax_rate": str(line.tax_rate),
                "tax_amount": _money(line.tax_amount, currency),
                "tax_note": line.tax_note,
                "circuit_id": _circuit_id(line),
            }
            for line in lines
        ],
        "url": reverse("v1:invoice-detail", args=[invoice.pk]),
    }


def invoice_issued(invoice: Invoice, lines: Iterable[Any]) -> None:
    """``invoice.issued`` to the invoice's customer."""
    record_event(
        type=EventType.INVOICE_ISSUED,
        organisation=invoice.customer,
        subject_type="invoice",
        subject_id=invoice.pk,
        data=invoice_data(invoice, lines),
        occurred_at=invoice.issued_at,
    )


def _note_lines(lines: Iterable[Any], currency: str, *, invoice_lines: bool) -> list[dict]:
    result = []
    for line in lines:
        entry: dict[str, Any] = {"id": line.pk}
        if invoice_lines:  # a credit note's line gives back part of an invoice line
            entry["invoice_line"] = line.invoice_line_id
            entry["description"] = line.invoice_line.description
            entry["circuit_id"] = _circuit_id(line.invoice_line)
        else:
            entry["kind"] = line.kind
            entry["description"] = line.description
            entry["circuit_id"] = _circuit_id(line)
        entry["amount"] = _money(line.amount, currency)
        entry["tax_amount"] = _money(line.tax_amount, currency)
        result.append(entry)
    return result


def _note_issued(
    type: EventType,
    subject_type: str,
    note: CreditNote | DebitNote,
    invoice: Invoice,
    lines: Iterable[Any],
    **fields: Any,
) -> None:
    """A credit or debit note's event to the invoice's customer: what both say, then
    ``fields``, then the note's lines and its ``url``."""
    lines = list(lines)
    currency = invoice.currency
    record_event(
        type=type,
        organisation=invoice.customer,
        subject_type=subject_type,
        subject_id=note.pk,
        data={
            "id": note.pk,
            "number": note.number,
            "invoice": invoice.pk,
            "invoice_number": invoice.number,
            "billing_party": invoice.billing_party.name,
            "customer": invoice.customer.name,
            "currency": currency,
            "reason": note.reason,
            "issued_at": utc_iso(note.issued_at),
            **fields,
            **_totals(lines, currency),
            "lines": _note_lines(lines, currency, invoice_lines=subject_type == "credit_note"),
            "url": reverse(f"v1:{subject_type.replace('_', '-')}-detail", args=[note.pk]),
        },
        occurred_at=note.issued_at,
    )


def credit_note_issued(note: CreditNote, invoice: Invoice, lines: Iterable[Any]) -> None:
    """``credit_note.issued`` to the invoice's customer; ``lines`` the note's lines (each with
    its ``invoice_line`` loaded)."""
    _note_issued(
        EventType.CREDIT_NOTE_ISSUED,
        "credit_note",
        note,
        invoice,
        lines,
        invoice_state=invoice.status,
    )


def debit_note_issued(note: DebitNote, invoice: Invoice, lines: Iterable[Any]) -> None:
    """``debit_note.issued`` to the invoice's customer."""
    _note_issued(
        EventType.DEBIT_NOTE_ISSUED,
        "debit_note",
        note,
        invoice,
        lines,
        period=invoice.period,
        due_date=_day(note.due_date),
    )


def _payment_data(payment: Payment, invoice: Invoice, *, balance_due: Decimal) -> dict:
    currency = invoice.currency
    return {
        "id": payment.pk,
        "invoice": invoice.pk,
        "invoice_number": invoice.number,
        "amount": _money(payment.amount, currency),
        "received_on": _day(payment.received_on),
        "reference": payment.reference,
        "recorded_at": utc_iso(payment.created_at),
        "invoice_state": invoice.status,
        "balance_due": _money(balance_due, currency),
        "url": reverse("v1:payment-detail", args=[payment.pk]),
    }


def payment_recorded(payment: Payment, invoice: Invoice, *, balance_due: Decimal) -> None:
    """``payment.recorded`` to the invoice's customer, with the invoice's state and balance
    due after it."""
    record_event(
        type=EventType.PAYMENT_RECORDED,
        organisation=invoice.customer,
        subject_type="payment",
        subject_id=payment.pk,
        data={**_payment_data(payment, invoice, balance_due=balance_due), "reversed": False},
    )


def payment_reversed(
    payment: Payment, invoice: Invoice, *, reason: str, at: datetime.datetime, balance_due: Decimal
) -> None:
    """``payment.reversed`` to the invoice's customer (the reason is the customer's to read, as
    the API's ``reversal`` shows it)."""
    record_event(
        type=EventType.PAYMENT_REVERSED,
        organisation=invoice.customer,
        subject_type="payment",
        subject_id=payment.pk,
        data={
            **_payment_data(payment, invoice, balance_due=balance_due),
            "reversed": True,
            "reversal": {"reason": reason, "reversed_at": utc_iso(at)},
        },
    )


def usage_late(
    *, service: Any, period: str, time_zone: str, billed_bps: int | None, now: Any
) -> None:
    """``usage.late`` to the service's customer: usage arrived for a month already billed.
    What it changes is finance's to decide (a debit or credit note, or nothing): the event says
    what the month's figures are now (``now``, its ``Percentiles``) and what was billed, not an
    amount."""
    url = reverse("v1:service-usage", kwargs={"circuit_id": service.circuit_id})
    record_event(
        type=EventType.USAGE_LATE,
        organisation=service.customer,
        subject_type="service",
        subject_id=service.circuit_id,
        data={
            "circuit_id": service.circuit_id,
            "period": period,
            "time_zone": time_zone,
            "samples": now.samples,
            "missing": now.missing,
            "p95_in_bps": now.p95_in_bps,
            "p95_out_bps": now.p95_out_bps,
            "billable_bps": now.billable_bps,
            "billed_bps": billed_bps,
            "rule": now.rule,
            "url": f"{url}?period={period}",
        },
    )
