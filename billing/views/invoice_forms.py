"""The finance clerk's forms on an invoice, each on a page of its own (a manual line, a payment,
a credit note, deleting a draft, reversing a payment) and the confirmations of issuing.

Every form keeps what was typed and shows each error at its field, with a summary at the top
linking to the fields. An irreversible or costly action is confirmed first
(``tcfo_portal.confirm``): the first valid post is rehearsed, the service taking the action in a
savepoint that is rolled back (``rehearse``), so its refusals show at the fields before the
confirmation and the confirmation names exactly what it would do; nothing changes until the
confirmed post. Who may act is the services' rule (``require_finance_of``), asked before a
form is shown: a customer who may read the invoice is refused (403), anybody who may not read
it gets a 404 like a missing invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError, Forbidden
from tcfo_portal.formatting import NO_VALUE, format_date, format_money
from tcfo_portal.forms import add_domain_error, refusal_status

from ..choices import OPEN_STATUSES
from ..forms import CreditNoteForm, ManualLineForm, PaymentForm, ReasonForm
from ..models import Invoice, Payment
from ..services.acting import require_finance_of
from ..services.balances import balance_of
from ..services.credit_notes import credit_note_totals, issue_credit_note, left_to_credit
from ..services.drafts import add_manual_line
from ..services.invoices import delete_draft
from ..services.payments import record_payment, reverse_payment
from ..services.runs import invoice_totals
from .invoices import InvoiceView
from .rehearsal import rehearse


def finance_invoice(request: HttpRequest, view: InvoiceView, pk: int) -> Invoice:
    """The invoice (404 unless the viewer may read it), once its billing party's finance
    staff is asking (403 otherwise: reading it is not changing it)."""
    invoice = view._invoice(request, pk)
    try:
        require_finance_of(request.user, invoice.billing_party)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from None
    return invoice


def invoice_name(invoice: Invoice) -> str:
    return f"invoice {invoice.number}" if invoice.number else f"the draft of {invoice.period}"


@dataclass
class FormPage:
    """One form page about an invoice: what it says around the form."""

    heading: str
    submit_label: str
    lead: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    unavailable: str = ""  # why the form is not offered (the invoice's state)
    danger: bool = False
    template: str = "billing/invoice_form.html"


def _page(
    request: HttpRequest, invoice: Invoice, form: forms.Form, page: FormPage, status: int = 200
) -> HttpResponse:
    return render(
        request,
        page.template,
        {"invoice": invoice, "form": form, "page": page, "invoice_name": invoice_name(invoice)},
        status=status,
    )


def confirmed_form(
    request: HttpRequest,
    *,
    invoice: Invoice,
    form: forms.Form,
    page: FormPage,
    service: Callable[..., Any],
    arguments: Callable[[], dict[str, Any]],
    confirmation: Callable[[Any], Confirmation] | None,
    done: Callable[[Any], str],
) -> HttpResponse:
    """The life of a form page: shown (GET, or "Go back and change" with the values typed),
    refused at its fields (400, or the refusal's status), confirmed (``confirmation`` of what the
    rehearsal of ``service(**arguments())`` gave; ``None``: nothing to confirm) and then acted
    on, back to the invoice with ``done(result)`` said."""
    if request.method == "GET" or page.unavailable or wants_changes(request):
        refused = page.unavailable and request.method == "POST"
        return _page(request, invoice, form, page, status=409 if refused else 200)
    if not form.is_valid():
        return _page(request, invoice, form, page, status=400)
    try:
        if confirmation is not None and not is_confirmed(request):
            return confirmation_page(request, rehearse(service, confirmation, **arguments()))
        result = service(**arguments())
    except DomainError as error:
        add_domain_error(form, error)
        return _page(request, invoice, form, page, status=refusal_status(error))
    messages.success(request, done(result))
    return redirect("invoice", pk=invoice.pk)


def _due_after(invoice: Invoice) -> str:
    """The balance due of ``invoice`` as it stands (read inside a rehearsal: after the act)."""
    return format_money(balance_of(Invoice.objects.get(pk=invoice.pk)).due, invoice.currency)


def _invoice_facts(invoice: Invoice) -> list[tuple[str, str]]:
    totals = invoice_totals(invoice)
    facts = [
        ("Customer", invoice.customer.legal_name),
        ("Period", invoice.period),
        ("Total", format_money(totals.total.amount, invoice.currency)),
    ]
    if not invoice.is_draft:
        balance = balance_of(invoice)
        facts.append(("Balance due", format_money(balance.due, invoice.currency)))
    return facts


class ManualLineView(InvoiceView):
    """Add a line by hand to a draft (a draft is edited freely until issued: no confirmation;
    a line added in error is removed, with a reason)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.post(request, pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = finance_invoice(request, self, pk)
        form = ManualLineForm(request.POST if request.method == "POST" else None)
        page = FormPage(
            heading="Add a manual line",
            submit_label="Add the line",
            lead="A charge the billing run does not make (remote hands, a one-off fee). VAT is "
            "taken at the rate of the customer's country on the service date.",
            facts=_invoice_facts(invoice),
            unavailable="" if invoice.is_draft else _not_a_draft(invoice),
        )
        return confirmed_form(
            request,
            invoice=invoice,
            form=form,
            page=page,
            service=add_manual_line,
            arguments=lambda: {"invoice": invoice, "actor": request.user, **form.cleaned_data},
            confirmation=None,
            done=lambda line: (
                f"Line added: {line.description}, {format_money(line.amount, invoice.currency)}."
            ),
        )


def _not_a_draft(invoice: Invoice) -> str:
    return (
        f"Invoice {invoice.number} is issued: an issued invoice never changes. Correct it with a "
        "credit note."
    )


class PaymentView(InvoiceView):
    """Record money received against an issued invoice not paid in full."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.post(request, pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = finance_invoice(request, self, pk)
        form = PaymentForm(request.POST if request.method == "POST" else None)
        unavailable = ""
        if invoice.is_draft:
            unavailable = "A payment is recorded against an issued invoice; this one is a draft."
        elif invoice.status not in OPEN_STATUSES:
            state = invoice.get_status_display().lower()
            unavailable = f"Invoice {invoice.number} is {state}: nothing is due on it."
        page = FormPage(
            heading=f"Record a payment of {invoice_name(invoice)}",
            submit_label="Record the payment",
            lead="Money received from the customer. At most the balance due; the day it was "
            "received, not after today.",
            facts=_invoice_facts(invoice),
            unavailable=unavailable,
        )

        def confirmation(payment: Payment) -> Confirmation:
            amount = format_money(payment.amount, invoice.currency)
            return Confirmation(
                title=f"Record a payment of {amount}?",
                action=(
                    f"{amount} received on {format_date(payment.received_on)} is recorded "
                    f"against invoice {invoice.number} of {invoice.customer.legal_name}. A "
                    "payment is never edited: one recorded in error is reversed, with a reason."
                ),
                amount=amount,
                facts=[
                    ("Invoice", invoice.number),
                    ("Customer", invoice.customer.legal_name),
                    ("Received on", format_date(payment.received_on)),
                    ("Reference", payment.reference or NO_VALUE),
                    ("Balance due after it", _due_after(invoice)),
                ],
                confirm_label="Record the payment",
                cancel_url=reverse("invoice", args=[invoice.pk]),
            )

        return confirmed_form(
            request,
            invoice=invoice,
            form=form,
            page=page,
            service=record_payment,
            arguments=lambda: {"invoice": invoice, "actor": request.user, **form.cleaned_data},
            confirmation=confirmation,
            done=lambda payment: (
                f"Payment of {format_money(payment.amount, invoice.currency)} recorded."
            ),
        )


class CreditNoteView(InvoiceView):
    """Credit amounts of an issued invoice's lines: only lines with something left to credit
    are offered, each with what is left."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.post(request, pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = finance_invoice(request, self, pk)
        left = {} if invoice.is_draft else left_to_credit(invoice)
        form = CreditNoteForm(
            request.POST if request.method == "POST" else None, invoice=invoice, left=left
        )
        unavailable = ""
        if invoice.is_draft:
            unavailable = "Only an issued invoice is corrected by a credit note: edit the draft."
        elif invoice.status not in OPEN_STATUSES or not left:
            unavailable = f"Nothing is left to credit on invoice {invoice.number}."
        due = format_money(balance_of(invoice).due, invoice.currency)
        page = FormPage(
            heading=f"Issue a credit note against {invoice_name(invoice)}",
            submit_label="Issue the credit note",
            lead=(
                "The net amount to give back per line (its VAT follows); leave empty what is not "
                f"credited. With its VAT a credit note is at most the balance due ({due}): money "
                "received is not given back by a credit note."
            ),
            facts=_invoice_facts(invoice),
            unavailable=unavailable,
        )

        def arguments() -> dict[str, Any]:
            return {
                "invoice": invoice,
                "amounts": form.amounts(),
                "reason": form.cleaned_data["reason"],
                "actor": request.user,
            }

        def confirmation(note: Any) -> Confirmation:
            totals = credit_note_totals(note)
            total = format_money(totals.total.amount, invoice.currency)
            lines = [
                (line.invoice_line.description, format_money(line.amount, invoice.currency))
                for line in note.lines.select_related("invoice_line").order_by("pk")
            ]
            return Confirmation(
                title=f"Issue a credit note of {total}?",
                action=(
                    f"A credit note of {total} (VAT included) against invoice {invoice.number} is "
                    f"numbered, made into a PDF and sent to {invoice.customer.legal_name}'s "
                    "billing contacts. An issued credit note is never changed or withdrawn."
                ),
                amount=total,
                facts=[
                    *lines,
                    ("Net", format_money(totals.subtotal.amount, invoice.currency)),
                    ("VAT", format_money(totals.tax.amount, invoice.currency)),
                    ("Reason", note.reason),
                    ("Balance due after it", _due_after(invoice)),
                ],
                confirm_label="Issue the credit note",
                cancel_url=reverse("invoice", args=[invoice.pk]),
                danger=True,
            )

        return confirmed_form(
            request,
            invoice=invoice,
            form=form,
            page=page,
            service=issue_credit_note,
            arguments=arguments,
            confirmation=confirmation,
            done=lambda note: f"Credit note {note.number} issued.",
        )


class DeleteDraftView(InvoiceView):
    """Delete a draft, saying why; a rerun of the period bills its lines again."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.post(request, pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = finance_invoice(request, self, pk)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        page = FormPage(
            heading=f"Delete {invoice_name(invoice)} of {invoice.customer.legal_name}",
            submit_label="Delete the draft",
            lead=(
                f"A rerun of {invoice.period} bills its lines again (lines removed from it stay "
                "removed). What it was and why is kept."
            ),
            facts=_invoice_facts(invoice),
            unavailable="" if invoice.is_draft else _not_a_draft(invoice),
            danger=True,
        )
        total = format_money(invoice_totals(invoice).total.amount, invoice.currency)

        def confirmation(record: Any) -> Confirmation:
            return Confirmation(
                title=f"Delete the draft of {total}?",
                action=(
                    f"The draft of {invoice.customer.legal_name} for {invoice.period} and its "
                    f"lines are deleted; a record of what it was and why is kept. A rerun of "
                    f"{invoice.period} bills its lines again."
                ),
                amount=total,
                facts=[
                    ("Customer", invoice.customer.legal_name),
                    ("Period", invoice.period),
                    ("Reason", record.reason),
                ],
                confirm_label="Delete the draft",
                cancel_url=reverse("invoice", args=[invoice.pk]),
                danger=True,
            )

        response = confirmed_form(
            request,
            invoice=invoice,
            form=form,
            page=page,
            service=delete_draft,
            arguments=lambda: {"invoice": invoice, "actor": request.user, **form.cleaned_data},
            confirmation=confirmation,
            done=lambda record: (
                f"Draft {record.invoice_id} ({record.customer}, {record.period}) "
                f"deleted: a rerun of {record.period} bills its lines again."
            ),
        )
        if response.status_code == 302:  # the invoice is no more
            return redirect("invoices")
        return response


class ReversePaymentView(InvoiceView):
    """Take back a payment recorded in error, saying why."""

    def get(self, request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
        return self.post(request, pk, payment_pk)

    def post(self, request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
        invoice = finance_invoice(request, self, pk)
        payment = get_object_or_404(Payment, pk=payment_pk, invoice=invoice)
        amount = format_money(payment.amount, invoice.currency)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        page = FormPage(
            heading=f"Reverse the payment of {amount}",
            submit_label="Reverse the payment",
            lead=(
                "For a payment recorded in error (wrong invoice or amount, a bounced transfer). "
                "It stays listed as reversed, with who, when and why, and no longer counts."
            ),
            facts=[
                ("Invoice", invoice.number),
                ("Received on", format_date(payment.received_on)),
                ("Reference", payment.reference or NO_VALUE),
                *_invoice_facts(invoice)[2:],
            ],
            unavailable="This payment is reversed already." if payment.is_reversed else "",
            danger=True,
        )

        def confirmation(reversal: Any) -> Confirmation:
            return Confirmation(
                title=f"Reverse the payment of {amount}?",
                action=(
                    f"The payment of {amount} received on {format_date(payment.received_on)} no "
                    f"longer counts against invoice {invoice.number}: the balance due goes back "
                    "up. A reversal is never undone; a correct payment is recorded anew."
                ),
                amount=amount,
                facts=[("Reason", reversal.reason), ("Balance due after it", _due_after(invoice))],
                confirm_label="Reverse the payment",
                cancel_url=reverse("invoice", args=[invoice.pk]),
                danger=True,
            )

        return confirmed_form(
            request,
            invoice=invoice,
            form=form,
            page=page,
            service=reverse_payment,
            arguments=lambda: {"payment": payment, "actor": request.user, **form.cleaned_data},
            confirmation=confirmation,
            done=lambda reversal: f"Payment of {amount} reversed.",
        )
