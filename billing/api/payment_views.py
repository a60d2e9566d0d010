"""Payments and credit notes over the API: thin views over ``services.payments`` and
``services.credit_notes``, which check who may act (the billing party's finance staff).

Reads go through ``selectors.payments_for`` / ``credit_notes_for``: customers see those of
their own issued invoices; operators those of the invoices they issue or share revenue in.
Anything else answers 404, as if it did not exist.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.choices import Capability
from tcfo_portal.api.documents import PDF_RESPONSES, PdfNegotiation, pdf_response
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import idempotent_post

from ..filtersets import CreditNoteFilterSet, PaymentFilterSet
from ..models import CreditNote, CreditNoteLine, Invoice, Payment
from ..selectors import credit_notes_for, invoices_for, payments_for
from ..services.credit_notes import issue_credit_note
from ..services.payments import record_payment, reverse_payment
from . import serializers as s

REFUSED = {
    403: OpenApiResponse(description="Not the billing party's finance staff."),
    404: OpenApiResponse(description="No such invoice (or not yours)."),
}


def _visible_invoice(request: Request, pk: int) -> Invoice:
    invoice = invoices_for(request.user).filter(pk=pk).first()
    if invoice is None:
        raise Http404
    return invoice


class PaymentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments received against invoices: finance of the billing party records and reverses
    them; customers and the operators sharing the revenue read them."""

    serializer_class = s.PaymentSerializer
    required_capability = {
        "list": Capability.VIEW_OWN_INVOICES,
        "retrieve": Capability.VIEW_OWN_INVOICES,
        "create": Capability.RUN_BILLING,
        "reverse": Capability.RUN_BILLING,
    }
    filter_backends = LIST_FILTERS
    filterset_class = PaymentFilterSet
    ordering_fields = {"received_on": "received_on", "amount": "amount", "created_at": "created_at"}

    def get_queryset(self) -> QuerySet[Payment]:
        return payments_for(self.request.user).order_by("-received_on", "-pk")

    def _answer(self, payment: Payment, code: int = status.HTTP_200_OK) -> Response:
        fresh = payments_for(self.request.user).get(pk=payment.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        request=s.PaymentRequestSerializer,
        responses={201: s.PaymentSerializer, **REFUSED},
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        """Record a payment received; the invoice becomes partially paid, or paid."""

        body = s.PaymentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        invoice = _visible_invoice(request, data["invoice"])
        if data["currency"] != invoice.currency:
            raise ValidationError(
                {"currency": [f"{invoice.number} is in {invoice.currency}; pay in it."]}
            )
        payment = record_payment(
            invoice=invoice,
            amount=data["amount"],
            received_on=data["received_on"],
            reference=data["reference"],
            actor=request.user,
        )
        return self._answer(payment, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PaymentReversalRequestSerializer,
        responses={200: s.PaymentSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"])
    @idempotent_post
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        """Take back a payment recorded in error, saying why; it stays listed as reversed."""
        payment = self.get_object()

        body = s.PaymentReversalRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reverse_payment(payment=payment, reason=body.validated_data["reason"], actor=request.user)
        return self._answer(payment)


class CreditNoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Credit notes: finance of the billing party issues them; customers and the operators
    sharing the revenue read them and fetch their PDF."""

    serializer_class = s.CreditNoteSerializer
    required_capability = {
        "list": Capability.VIEW_OWN_INVOICES,
        "retrieve": Capability.VIEW_OWN_INVOICES,
        "pdf": Capability.VIEW_OWN_INVOICES,
        "create": Capability.RUN_BILLING,
    }
    filter_backends = LIST_FILTERS
    filterset_class = CreditNoteFilterSet
    ordering_fields = {"issued_at": "issued_at", "number": "number"}

    def get_queryset(self) -> QuerySet[CreditNote]:
        lines = CreditNoteLine.objects.select_related("invoice_line")
        queryset = credit_notes_for(self.request.user).prefetch_related(Prefetch("lines", lines))
        return queryset.order_by("-issued_at", "-pk")

    @extend_schema(
        request=s.CreditNoteRequestSerializer,
        responses={201: s.CreditNoteSerializer, **REFUSED},
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        """Give back amounts of an issued invoice's lines (net; VAT follows). With its VAT a
        credit note is at most the invoice's balance due; its PDF is rendered and mailed to
        the customer's billing contacts after."""

        body = s.CreditNoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        invoice = _visible_invoice(request, data["invoice"])
        note = issue_credit_note(
            invoice=invoice,
            amounts={line["invoice_line"]: line["amount"] for line in data["lines"]},
            reason=data["reason"],
            actor=request.user,
        )
        fresh = self.get_queryset().get(pk=note.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=PDF_RESPONSES)
    @action(detail=True, methods=["get"], content_negotiation_class=PdfNegotiation)
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        """The credit note's PDF (rendered once, just after it is issued)."""
        note = self.get_object()
        if not note.pdf:
            raise Http404("The PDF is being rendered.")
        return pdf_response(request, note.pdf, f"{note.number}.pdf")
