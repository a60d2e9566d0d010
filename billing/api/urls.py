from django.urls import re_path
from rest_framework.routers import SimpleRouter

from leasing.constants import CIRCUIT_ID_PATTERN

from . import late_views, payment_views, views

router = SimpleRouter()
router.register("billing-runs", views.BillingRunViewSet, basename="billing-run")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("payments", payment_views.PaymentViewSet, basename="payment")
router.register("credit-notes", payment_views.CreditNoteViewSet, basename="credit-note")
router.register("debit-notes", late_views.DebitNoteViewSet, basename="debit-note")
router.register("late-adjustments", late_views.LateAdjustmentViewSet, basename="late-adjustment")
router.register("period-closes", late_views.PeriodCloseViewSet, basename="period-close")

CIRCUIT = rf"(?P<circuit_id>{CIRCUIT_ID_PATTERN})"

urlpatterns = [
    re_path(r"^usage/samples/$", views.UsageSamplesView.as_view(), name="usage-samples"),
    re_path(r"^usage/series/$", views.UsageSeriesView.as_view(), name="usage-series"),
    re_path(
        rf"^services/{CIRCUIT}/usage/$", views.ServiceUsageView.as_view(), name="service-usage"
    ),
    re_path(
        rf"^services/{CIRCUIT}/usage/samples/$",
        views.ServiceUsageSamplesView.as_view(),
        name="service-usage-samples",
    ),
    *router.urls,
]
