from django.urls import path

from . import views

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
