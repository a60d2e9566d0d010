from django.urls import path, re_path

from . import closing_views, invoice_views, payment_views, views

CIRCUIT = r"(?P<circuit_id>TCFO-[A-Z0-9-]{1,58})"

urlpatterns = [
    re_path(rf"^services/{CIRCUIT}/usage/$", views.UsageView.as_view(), name="usage"),
    re_path(rf"^services/{CIRCUIT}/usage\.csv$", views.UsageCsvView.as_view(), name="usage-csv"),
    path("usage/upload/", views.UsageUploadView.as_view(), name="usage-upload"),
]

urlpatterns += [
    path("invoices/", invoice_views.InvoiceListView.as_view(), name="invoices"),
    path("invoices.csv", invoice_views.InvoiceCsvView.as_view(), name="invoices-csv"),
    path("invoices/issue/", invoice_views.IssueManyView.as_view(), name="invoices-issue"),
    path("invoices/<int:pk>/", invoice_views.InvoiceView.as_view(), name="invoice"),
    path("invoices/<int:pk>/pdf/", invoice_views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path(
        "invoices/<int:pk>/delete/",
        invoice_views.DeleteDraftView.as_view(),
        name="invoice-delete",
    ),
    path("billing/", invoice_views.BillingView.as_view(), name="billing"),
    path("billing/aging/", invoice_views.AgingView.as_view(), name="aging"),
    path(
        "billing/pdfs/", invoice_views.RenderMissingPdfsView.as_view(), name="render-missing-pdfs"
    ),
    path(
        "invoices/<int:pk>/payments/", invoice_views.PaymentView.as_view(), name="invoice-payment"
    ),
    path(
        "invoices/<int:pk>/payments/<int:payment_pk>/reverse/",
        payment_views.ReversePaymentView.as_view(),
        name="invoice-payment-reverse",
    ),
    path("invoices/<int:pk>/lines/", invoice_views.ManualLineView.as_view(), name="invoice-lines"),
    path(
        "invoices/<int:pk>/lines/<int:line_pk>/remove/",
        invoice_views.RemoveLineView.as_view(),
        name="invoice-line-remove",
    ),
    path("billing/settlement/", invoice_views.SettlementView.as_view(), name="settlement"),
    path(
        "billing/settlement/<str:period>/<int:first>-<int:second>-<str:currency>.pdf",
        invoice_views.SettlementPdfView.as_view(),
        name="settlement-pdf",
    ),
    path("billing/revenue/", invoice_views.RevenueView.as_view(), name="revenue"),
    path("billing/revenue.csv", invoice_views.RevenueCsvView.as_view(), name="revenue-csv"),
    path(
        "invoices/<int:pk>/credit-notes/",
        invoice_views.CreditNoteView.as_view(),
        name="invoice-credit-note",
    ),
    path(
        "credit-notes/<int:pk>/pdf/",
        invoice_views.CreditNotePdfView.as_view(),
        name="credit-note-pdf",
    ),
    path("billing/late/", closing_views.LateAdjustmentsView.as_view(), name="late-adjustments"),
    path("billing/close/", closing_views.ClosePeriodView.as_view(), name="close-period"),
    path(
        "billing/late/<int:pk>/<str:decision>/",
        closing_views.DecideLateAdjustmentView.as_view(),
        name="late-adjustment-decide",
    ),
    path(
        "debit-notes/<int:pk>/pdf/", closing_views.DebitNotePdfView.as_view(), name="debit-note-pdf"
    ),
]
