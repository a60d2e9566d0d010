from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import maintenance_views, network_views, sales_views, ticket_views, views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("prices", views.PriceViewSet, basename="price")
router.register("paths", views.PathViewSet, basename="path")
router.register("sites", views.SiteViewSet, basename="site")
router.register("segments", views.SegmentViewSet, basename="segment")
router.register("fiber-pairs", views.FiberPairViewSet, basename="fiber-pair")
router.register("lit-carriers", views.LitCarrierViewSet, basename="lit-carrier")
router.register("outages", views.OutageViewSet, basename="outage")
router.register("maintenance", maintenance_views.MaintenanceViewSet, basename="maintenance")
router.register("quotes", sales_views.QuoteViewSet, basename="quote")
router.register("orders", sales_views.OrderViewSet, basename="order")
router.register("services", sales_views.ServiceViewSet, basename="service")
router.register("contracts", sales_views.ContractViewSet, basename="contract")
router.register("trouble-tickets", ticket_views.TroubleTicketViewSet, basename="trouble-ticket")

urlpatterns = [
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    # the network's capacity (leasing/api/network_views.py)
    path(
        "utilisation/fiber-pairs/",
        network_views.FiberPairUtilisationView.as_view(),
        name="utilisation-fiber-pairs",
    ),
    path(
        "utilisation/paths/",
        network_views.PathUtilisationView.as_view(),
        name="utilisation-paths",
    ),
    re_path(
        r"^fiber-pairs/(?P<pk>[0-9]{1,18})/spectrum/$",
        network_views.SpectrumView.as_view(),
        name="fiber-pair-spectrum",
    ),
    *router.urls,
]
