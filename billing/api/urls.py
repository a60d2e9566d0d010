from django.urls import re_path
from rest_framework.routers import SimpleRouter

from leasing.constants import CIRCUIT_ID_PATTERN

from . import finance_views, late_views, payment_views, views

router = SimpleRouter()
router.register("billing-runs", views.BillingRunViewSet, basename="billing-run")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("payments", payment_views.PaymentViewSet, basename="payment")
router.register("credit-notes", payment_views.CreditNoteViewSet, basename="credit-note")
router.register("debit-notes", late_views.DebitNoteViewSet, basename="debit-note")
router.register("late-adjustments", late_views.LateAdjustmentViewSet, basename="late-adjustment")
router.register("period-closes", late_views.PeriodCloseViewSet, basename="period-close")
router.register("deleted-drafts", finance_views.DeletedDraftViewSet, basename="deleted-draft")

CIRCUIT = rf"(?P<circuit_id>{CIRCUIT_ID_PATTERN})"
# a settlement statement: the period, the pair of operators (ids, in name order), the currency
STATEMENT = (
    r"(?P<period>[0-9]{4}-[0-9]{2})/"
    r"(?P<first>[0-9]{1,18})-(?P<second>[0-9]{1,18})-(?P<currency>[A-Z]{3})"
)

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
    # operators' finance reports (billing/api/finance_views.py)
    re_path(
        r"^settlement-statements/$",
        finance_views.SettlementStatementListView.as_view(),
        name="settlement-statement-list",
    ),
    re_path(
        rf"^settlement-statements/{STATEMENT}/$",
        finance_views.SettlementStatementView.as_view(),
        name="settlement-statement-detail",
    ),
    re_path(
        rf"^settlement-statements/{STATEMENT}/pdf/$",
        finance_views.SettlementStatementPdfView.as_view(),
        name="settlement-statement-pdf",
    ),
    re_path(r"^revenue/$", finance_views.RevenueView.as_view(), name="revenue"),
    re_path(r"^aging/$", finance_views.AgingView.as_view(), name="aging"),
    *router.urls,
]

# --- i15-c begin ---
from .usage_decision_views import UsageDecisionViewSet  # noqa: E402 - kept in this block

decisions = SimpleRouter()
decisions.register("usage-decisions", UsageDecisionViewSet, basename="usage-decision")
urlpatterns += decisions.urls
# --- i15-c end ---
