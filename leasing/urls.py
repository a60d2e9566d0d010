from django.urls import path

from . import order_views, views

urlpatterns = [
    path("catalog/", views.CatalogView.as_view(), name="catalog"),
    path("catalog/availability/", views.AvailabilityView.as_view(), name="availability"),
    path("network/", views.NetworkView.as_view(), name="network"),
    path("network/paths/<str:code>/", views.PathView.as_view(), name="path"),
    path(
        "network/fiber-pairs/<int:pk>/spectrum/",
        views.SpectrumMapView.as_view(),
        name="spectrum-map",
    ),
    path("network/utilisation/", views.UtilisationView.as_view(), name="utilisation"),
]

urlpatterns += [
    path("orders/quote/", order_views.QuoteCreateView.as_view(), name="quote-new"),
    path("orders/quotes/<int:pk>/", order_views.QuoteView.as_view(), name="quote"),
    path("orders/", order_views.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>/", order_views.OrderView.as_view(), name="order"),
    path("services/", order_views.ServiceListView.as_view(), name="services"),
    path("services/<str:circuit_id>/", order_views.ServiceView.as_view(), name="service"),
    path("contracts/", order_views.ContractListView.as_view(), name="contracts"),
    path("contracts/<int:pk>/", order_views.ContractView.as_view(), name="contract"),
    path("contracts/<int:pk>/pdf/", order_views.ContractPdfView.as_view(), name="contract-pdf"),
]
