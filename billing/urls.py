from django.urls import path, re_path

from leasing.constants import CIRCUIT_ID_PATTERN

from .views import closing, invoice_forms, invoices, usage

CIRCUIT = rf"(?P<circuit_id>{CIRCUIT_ID_PATTERN})"

urlpatterns = [
    re_path(rf"^services/{CIRCUIT}/usage/$", usage.UsageView.as_view(), name="usage"),
    re_path(rf"^services/{CIRCUIT}/usage\.csv$", usage.UsageCsvView.as_view(), name="usage-csv"),
    path("usage/upload/", usage.UsageUploadView.as_view(), name="usage-upload"),
]

urlpatterns += [
    path("invoices/", invoices.InvoiceListView.as_view(), name="invoices"),
    path("invoices.csv", invoices.InvoiceCsvView.as_view(), name="invoices-csv"),
    path("invoices/issue/", invoices.IssueManyView.as_view(), name="invoices-issue"),
    path("invoices/<int:pk>/", invoices.InvoiceView.as_view(), name="invoice"),
    path("invoices/<int:pk>/pdf/", invoices.InvoicePdfView.as_view(), name="invoice-pdf"),
    path(
        "invoices/<int:pk>/delete/",
        invoice_forms.DeleteDraftView.as_view(),
        name="invoice-delete",
    ),
    path("billing/", invoices.BillingView.as_view(), name="billing"),
    path("billing/aging/", invoices.AgingView.as_view(), name="aging"),
    path("billing/pdfs/", invoices.RenderMissingPdfsView.as_view(), name="render-missing-pdfs"),
    path(
        "invoices/<int:pk>/payments/new/",
        invoice_forms.PaymentView.as_view(),
        name="invoice-payment",
    ),
    path(
        "invoices/<int:pk>/payments/<int:payment_pk>/reverse/",
        invoice_forms.ReversePaymentView.as_view(),
        name="invoice-payment-reverse",
    ),
    path(
        "invoices/<int:pk>/lines/new/",
        invoice_forms.ManualLineView.as_view(),
        name="invoice-lines",
    ),
    path(
        "invoices/<int:pk>/lines/<int:line_pk>/remove/",
        invoices.RemoveLineView.as_view(),
        name="invoice-line-remove",
    ),
    path("billing/settlement/", invoices.SettlementView.as_view(), name="settlement"),
    path(
        "billing/settlement/<str:period>/<int:first>-<int:second>-<str:currency>.pdf",
        invoices.SettlementPdfView.as_view(),
        name="settlement-pdf",
    ),
    path("billing/revenue/", invoices.RevenueView.as_view(), name="revenue"),
    path("billing/revenue.csv", invoices.RevenueCsvView.as_view(), name="revenue-csv"),
    path(
        "invoices/<int:pk>/credit-notes/new/",
        invoice_forms.CreditNoteView.as_view(),
        name="invoice-credit-note",
    ),
    path(
        "credit-notes/<int:pk>/pdf/",
        invoices.CreditNotePdfView.as_view(),
        name="credit-note-pdf",
    ),
    path("billing/late/", closing.LateAdjustmentsView.as_view(), name="late-adjustments"),
    path("billing/close/", closing.ClosePeriodView.as_view(), name="close-period"),
    path(
        "billing/late/<int:pk>/<str:decision>/",
        closing.DecideLateAdjustmentView.as_view(),
        name="late-adjustment-decide",
    ),
    path("debit-notes/<int:pk>/pdf/", closing.DebitNotePdfView.as_view(), name="debit-note-pdf"),
]

# --- i15-c begin ---
from .views import usage_decisions  # noqa: E402 - kept in this block for merging

urlpatterns += [
    path(
        "usage/decisions/",
        usage_decisions.UsageDecisionsView.as_view(),
        name="usage-decisions",
    ),
    path(
        "usage/decisions/<int:pk>/",
        usage_decisions.UsageDecisionView.as_view(),
        name="usage-decision",
    ),
]
# --- i15-c end ---
