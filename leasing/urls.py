from django.urls import path, register_converter

from .constants import CIRCUIT_ID_PATTERN, CODE_PATTERN
from .services.calendar_feed import TOKEN_PATTERN
from .views import maintenance, network, sales, tickets


class CodeConverter:
    """Codes (BAK-AKT): capitals, digits, dashes."""

    regex = CODE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CircuitIdConverter(CodeConverter):
    """Circuit IDs (TCFO-WL100-000123)."""

    regex = CIRCUIT_ID_PATTERN


class FeedTokenConverter(CodeConverter):
    """A calendar feed's secret token."""

    regex = TOKEN_PATTERN


register_converter(CodeConverter, "code")
register_converter(CircuitIdConverter, "circuit_id")
register_converter(FeedTokenConverter, "feed_token")

urlpatterns = [
    path("catalog/", network.CatalogView.as_view(), name="catalog"),
    path("catalog/availability/", network.AvailabilityView.as_view(), name="availability"),
    path("network/", network.NetworkView.as_view(), name="network"),
    path("network/paths/<code:code>/", network.PathView.as_view(), name="path"),
    path(
        "network/fiber-pairs/<int:pk>/spectrum/",
        network.SpectrumMapView.as_view(),
        name="spectrum-map",
    ),
    path("network/utilisation/", network.UtilisationView.as_view(), name="utilisation"),
    path("network/outages/", network.OutagesView.as_view(), name="outages"),
    path("network/outages/<int:pk>/", network.OutageView.as_view(), name="outage"),
    path(
        "network/outages/<int:pk>/end/", network.OutageView.as_view(action="end"), name="outage-end"
    ),
    path(
        "network/outages/<int:pk>/correct/",
        network.OutageView.as_view(action="correct"),
        name="outage-correct",
    ),
]

urlpatterns += [
    path("quotes/", sales.QuoteListView.as_view(), name="quotes"),
    path("orders/quote/", sales.QuoteCreateView.as_view(), name="quote-new"),
    path("orders/quotes/<int:pk>/", sales.QuoteView.as_view(), name="quote"),
    path("orders/", sales.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>/", sales.OrderView.as_view(), name="order"),
    path("services/", sales.ServiceListView.as_view(), name="services"),
    path("services/<circuit_id:circuit_id>/", sales.ServiceView.as_view(), name="service"),
    path("contracts/", sales.ContractListView.as_view(), name="contracts"),
    path("contracts/<int:pk>/", sales.ContractView.as_view(), name="contract"),
    path("contracts/<int:pk>/pdf/", sales.ContractPdfView.as_view(), name="contract-pdf"),
]

urlpatterns += [
    path(
        "network/maintenance/", maintenance.MaintenanceListView.as_view(), name="maintenance-list"
    ),
    path(
        "network/maintenance/new/",
        maintenance.MaintenanceCreateView.as_view(),
        name="maintenance-new",
    ),
    path(
        "network/maintenance/<int:pk>/", maintenance.MaintenanceView.as_view(), name="maintenance"
    ),
    *(
        path(
            f"network/maintenance/<int:pk>/{step}/",
            maintenance.MaintenanceView.as_view(action=step),
            name=f"maintenance-{step}",
        )
        for step in ("edit", "cancel", "start", "complete")
    ),
    path("planned-work/", maintenance.PlannedWorkView.as_view(), name="planned-work"),
    # --- i15-i begin ---
    path("planned-work/outages/", maintenance.PlannedOutagesView.as_view(), name="planned-outages"),
    # --- i15-i end ---
    path(
        "planned-work/calendar/",
        maintenance.CalendarFeedNewView.as_view(),
        name="calendar-feed-new",
    ),
    path("calendar/<feed_token:token>.ics", maintenance.calendar_feed, name="calendar-feed"),
]

urlpatterns += [
    path("tickets/", tickets.TicketListView.as_view(), name="tickets"),
    path("tickets/new/", tickets.TicketCreateView.as_view(), name="ticket-new"),
    path("tickets/<int:pk>/", tickets.TicketView.as_view(), name="ticket"),
]
