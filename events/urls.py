from django.urls import path

from . import views

urlpatterns = [
    # --- events list (issue 14, helper B) ---
    path("events/", views.EventsView.as_view(), name="events"),
    # --- end events list ---
]
