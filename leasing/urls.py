from django.urls import path, register_converter

from . import order_views, views


class CodeConverter:
    """Codes (BAK-AKT) and circuit IDs (TCFO-WL100-000123): capitals, digits, dashes."""

    regex = "[A-Z0-9][A-Z0-9-]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")

urlpatterns = [
    path("catalog/", views.CatalogView.as_view(), name="catalog"),
    path("catalog/availability/", views.AvailabilityView.as_view(), name="availability"),
    path("network/", views.NetworkView.as_view(), name="network"),
    path("network/paths/<code:code>/", views.PathView.as_view(), name="path"),
    path(
        "network/fiber-pairs/<int:pk>/spectrum/",
        views.SpectrumMapView.as_view(),
        name="spectrum-map",
    ),
    path("network/utilisation/", views.UtilisationView.as_view(), name="utilisation"),
    path("network/outages/", views.OutagesView.as_view(), name="outages"),
    path("network/outages/<int:pk>/", views.OutageView.as_view(), name="outage"),
    path(
        "network/outages/<int:pk>/end/", views.OutageView.as_view(action="end"), name="outage-end"
    ),
    path(
        "network/outages/<int:pk>/correct/",
        views.OutageView.as_view(action="correct"),
        name="outage-correct",
    ),
]

urlpatterns += [
    path("orders/quote/", order_views.QuoteCreateView.as_view(), name="quote-new"),
    path("orders/quotes/<int:pk>/", order_views.QuoteView.as_view(), name="quote"),
    path("orders/", order_views.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>/", order_views.OrderView.as_view(), name="order"),
    path("services/", order_views.ServiceListView.as_view(), name="services"),
    path("services/<code:circuit_id>/", order_views.ServiceView.as_view(), name="service"),
    path("contracts/", order_views.ContractListView.as_view(), name="contracts"),
    path("contracts/<int:pk>/", order_views.ContractView.as_view(), name="contract"),
    path("contracts/<int:pk>/pdf/", order_views.ContractPdfView.as_view(), name="contract-pdf"),
]
