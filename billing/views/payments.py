"""Portal pages of payments: reversing one recorded in error (recording is on the invoice)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from tcfo_portal.exceptions import DomainError
from tcfo_portal.forms import flash_domain_error

from ..models import Payment
from ..services.payments import reverse_payment
from .invoices import InvoiceView


class ReversePaymentView(InvoiceView):
    """The billing party's finance staff take back a payment, saying why (the service checks
    who may); anyone who cannot see the invoice gets a 404."""

    def get(self, request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
        return redirect("invoice", pk=pk)

    def post(self, request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        payment = get_object_or_404(Payment, pk=payment_pk, invoice=invoice)
        try:
            reverse_payment(
                payment=payment, reason=request.POST.get("reason", ""), actor=request.user
            )
        except DomainError as error:
            flash_domain_error(request, error)
        else:
            messages.success(request, f"Payment of {payment.amount} {invoice.currency} reversed.")
        return redirect("invoice", pk=pk)
