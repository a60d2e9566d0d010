from django.urls import path, re_path

from . import views

CIRCUIT = r"(?P<circuit_id>TCFO-[A-Z0-9-]{1,58})"

urlpatterns = [
    re_path(rf"^services/{CIRCUIT}/usage/$", views.UsageView.as_view(), name="usage"),
    re_path(rf"^services/{CIRCUIT}/usage\.csv$", views.UsageCsvView.as_view(), name="usage-csv"),
    path("usage/upload/", views.UsageUploadView.as_view(), name="usage-upload"),
]
