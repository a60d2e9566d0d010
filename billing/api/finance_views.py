"""Operators' finance over the API, as in the portal's billing pages: settlement statements
(with their PDF), revenue, aging, manual lines on drafts and rendering missing PDFs. Thin views
over the same services and selectors as the portal (``services.settlement``,
``services.payments.aging``, ``services.drafts``, ``services.invoices.render_missing_pdfs``).

Settlement and revenue are for operators' finance staff (``VIEW_SETTLEMENT``): each sees the
statements its operator is party to and its own revenue (a platform admin every operator's);
any other role is refused (403), a statement of other operators is answered 404.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.choices import Capability
from tcfo_portal.api.documents import PDF_RESPONSES, PdfNegotiation, pdf_bytes_response
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import idempotent_post
from tcfo_portal.inputs import whole_number

from ..filtersets import DeletedDraftFilterSet
from ..models import DeletedDraft, InvoiceLine
from ..periods import PeriodError, parse_period, periods_of_year
from ..selectors import deleted_drafts_for, issued_without_pdf, last_ended_period, this_year
from ..services.drafts import add_manual_line, remove_line
from ..services.invoices import render_missing_pdfs
from ..services.payments import AGING_BUCKETS, LEGACY_AGING_BUCKETS, aging
from ..services.settlement import (
    Statement,
    find_statement,
    revenue_report,
    settlement_pdf,
    settlement_statements,
    statement_invoices,
)
from . import finance_serializers as s
from .serializers import DeletedDraftSerializer, InvoiceSerializer, period_parameter

CURRENCY = OpenApiParameter(
    "currency", str, required=False, description="Only in this currency (ISO 4217, e.g. USD)."
)
STATEMENT_PERIOD = period_parameter(
    required=False, description="YYYY-MM; by default the last month that has ended."
)


def _text_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value else None


class _ReportList(GenericAPIView):
    """A report's rows (a list made by a service, not a queryset), paginated like every list."""

    def paginated(self, rows: list[Any]) -> Response:
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _period(request: Request) -> str:
    period = request.query_params.get("period") or last_ended_period(request.user)
    try:
        parse_period(period)
    except PeriodError as error:
        raise ValidationError({"period": [str(error)]}) from None
    return period


class SettlementStatementListView(_ReportList):
    """A period's settlement statements: per pair of operators and currency, what each owes
    the other from the issued invoices (and their credit notes), netted."""

    required_capability = Capability.VIEW_SETTLEMENT
    serializer_class = s.SettlementSerializer

    @extend_schema(
        parameters=[STATEMENT_PERIOD, CURRENCY],
        responses=s.SettlementSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        statements = settlement_statements(
            period=_period(request), operator=request.user.organisation
        )
        currency = _text_param(request, "currency")
        if currency is not None:
            statements = [st for st in statements if st.currency == currency]
        return self.paginated(statements)


def _statement(request: Request, period: str, first: str, second: str, currency: str) -> Statement:
    try:
        parse_period(period)
    except PeriodError:
        raise Http404 from None
    statement = find_statement(
        period=period,
        first=int(first),
        second=int(second),
        currency=currency,
        operator=request.user.organisation,
    )
    if statement is None:
        raise Http404
    return statement


class SettlementStatementView(GenericAPIView):
    """One statement, with the invoices and credit notes behind it."""

    required_capability = Capability.VIEW_SETTLEMENT
    serializer_class = s.SettlementDetailSerializer

    @extend_schema(operation_id="settlement_statements_retrieve")
    def get(
        self, request: Request, period: str, first: str, second: str, currency: str
    ) -> Response:
        statement = _statement(request, period, first, second, currency)
        documents = [
            SimpleNamespace(**row, currency=statement.currency)
            for row in statement_invoices(statement)
        ]
        body = SimpleNamespace(**vars(statement), documents=documents)
        for name in ("net", "payer", "payee"):
            setattr(body, name, getattr(statement, name))
        return Response(self.get_serializer(body).data)


class SettlementStatementPdfView(GenericAPIView):
    """The statement as a PDF, for both operators' finance teams (made on each request)."""

    required_capability = Capability.VIEW_SETTLEMENT
    content_negotiation_class = PdfNegotiation

    @extend_schema(responses=PDF_RESPONSES, operation_id="settlement_statements_pdf")
    def get(
        self, request: Request, period: str, first: str, second: str, currency: str
    ) -> HttpResponse:
        statement = _statement(request, period, first, second, currency)
        pair = f"{statement.first.invoice_prefix}-{statement.second.invoice_prefix}"
        return pdf_bytes_response(
            request, lambda: settlement_pdf(statement), f"settlement-{period}-{pair}-{currency}.pdf"
        )


class RevenueView(_ReportList):
    """Revenue by month, operator and product for a year: issued invoices less their credit
    notes, net of tax, per currency (the caller's operator only; a platform admin every one)."""

    required_capability = Capability.VIEW_SETTLEMENT
    serializer_class = s.RevenueRowSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "year", int, required=False, description="2000 to 2100; by default this year."
            ),
            period_parameter(required=False, description="YYYY-MM: only this month of it."),
            CURRENCY,
            OpenApiParameter("product", str, required=False, description="Only this product."),
        ],
        responses=s.RevenueRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("year")  # given empty, refused like any non-number
        year = (
            this_year(request.user)
            if raw is None
            else whole_number(raw, name="year", minimum=2000, maximum=2100)
        )
        periods = periods_of_year(year)
        period = _text_param(request, "period")
        if period is not None:
            try:
                parse_period(period)
            except PeriodError as error:
                raise ValidationError({"period": [str(error)]}) from None
            periods = [p for p in periods if p == period]
        rows = revenue_report(periods=periods, operator=request.user.organisation)
        wanted = {
            key: value
            for key in ("currency", "product")
            if (value := _text_param(request, key)) is not None
        }
        return self.paginated(
            [
                SimpleNamespace(**row)
                for row in rows
                if all(row[key] == value for key, value in wanted.items())
            ]
        )


BUCKETS = [name for _, _, name in AGING_BUCKETS]
BUCKET_CHOICES = [*BUCKETS, *LEGACY_AGING_BUCKETS]


class AgingView(_ReportList):
    """Open invoices (issued or partly paid) the caller's operator issued, by days past their
    due date, with their balance due (a platform admin: every billing party's)."""

    required_capability = Capability.RUN_BILLING
    serializer_class = s.AgingRowSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "bucket",
                str,
                required=False,
                enum=BUCKET_CHOICES,
                description='Only it ("current": not yet due). "0-30", as before "current" was'
                ' apart, is "current" and "1-30" together.',
            ),
            CURRENCY,
            OpenApiParameter("customer", str, required=False, description="Its name."),
        ],
        responses=s.AgingRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        bucket = _text_param(request, "bucket")
        if bucket is not None and bucket not in BUCKET_CHOICES:
            raise ValidationError({"bucket": [f"One of {', '.join(BUCKETS)}."]})
        wanted = LEGACY_AGING_BUCKETS.get(bucket, (bucket,)) if bucket is not None else None
        currency, customer = _text_param(request, "currency"), _text_param(request, "customer")
        rows = [
            SimpleNamespace(
                **vars(row),
                currency=row.invoice.currency,
                bucket_label=row.bucket_label,
                not_yet_due=row.not_yet_due,
            )
            for row in aging(billing_party=request.user.organisation).rows
            if (wanted is None or row.bucket in wanted)
            and (currency is None or row.invoice.currency == currency)
            and (customer is None or row.invoice.customer.name == customer)
        ]
        return self.paginated(rows)


class DeletedDraftViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Drafts the caller's operator deleted, with why and what they held, as the portal's
    billing page lists them (``selectors.deleted_drafts_for``); a rerun of the period bills
    their lines again."""

    serializer_class = DeletedDraftSerializer
    required_capability = Capability.RUN_BILLING
    filter_backends = LIST_FILTERS
    filterset_class = DeletedDraftFilterSet
    ordering_fields = {"deleted_at": "deleted_at", "period": "period"}

    def get_queryset(self) -> QuerySet[DeletedDraft]:
        return deleted_drafts_for(self.request.user)


# --- drafts and missing PDFs (actions of ``views.InvoiceViewSet``) --------------------------------


LINE_REFUSED = {
    400: OpenApiResponse(
        description="A value is wrong, or the invoice is no longer a draft (it changes only "
        "through a credit note)."
    ),
    403: OpenApiResponse(description="Not the billing party's finance staff."),
    404: OpenApiResponse(description="No such invoice or line (or not yours)."),
}


class DraftActionsMixin:
    """Manual lines on drafts and missing PDFs, as on the portal's invoice and billing pages.
    The services refuse anybody but the billing party's finance staff."""

    DRAFT_CAPABILITIES = {
        "add_line": Capability.RUN_BILLING,
        "remove_line": Capability.RUN_BILLING,
        "render_missing_pdfs": Capability.RUN_BILLING,
    }

    @extend_schema(
        request=s.ManualLineRequestSerializer,
        responses={201: InvoiceSerializer, **LINE_REFUSED},
        operation_id="invoices_lines_create",
    )
    @action(detail=True, methods=["post"], url_path="lines", url_name="lines")
    @idempotent_post
    def add_line(self, request: Request, pk: str | None = None) -> Response:
        """Add a line by hand to a draft: taxed and split between the operators like any
        other (by the route's ownership on ``service_date``, or to the site's owner). Answers
        the invoice."""
        invoice = self.get_object()
        body = s.ManualLineRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        add_manual_line(invoice=invoice, actor=request.user, **body.validated_data)
        return self._answer(invoice, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("reason", str, required=False, description="Why (or in the body).")
        ],
        request=None,
        responses={200: InvoiceSerializer, **LINE_REFUSED},
        operation_id="invoices_lines_destroy",
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"lines/(?P<line>[0-9]+)",
        url_name="line",
    )
    def remove_line(self, request: Request, pk: str | None = None, line: str = "") -> Response:
        """Take a line off a draft, saying why (``?reason=`` or ``{"reason": ...}``); a rerun
        of the period will not bill it again. Answers the invoice."""
        invoice = self.get_object()
        found = get_object_or_404(InvoiceLine, pk=line, invoice=invoice)
        reason = request.query_params.get("reason")
        if reason is None and isinstance(request.data, dict):
            reason = request.data.get("reason")
        remove_line(
            line=found, reason=reason if isinstance(reason, str) else "", actor=request.user
        )
        return self._answer(invoice)

    @extend_schema(request=None, responses={202: s.RenderMissingResultSerializer})
    @action(detail=False, methods=["post"], url_path="render-missing-pdfs")
    def render_missing_pdfs(self, request: Request) -> Response:
        """Have the PDFs of the caller's issued invoices that have none rendered, then mailed;
        at most 100 a request (``?has_pdf=false`` on the list shows them)."""
        queued = render_missing_pdfs(
            invoices=list(issued_without_pdf(request.user)[:100]), actor=request.user
        )
        body = {"queued": [{"id": invoice.pk, "number": invoice.number} for invoice in queued]}
        return Response(s.RenderMissingResultSerializer(body).data, status=202)
