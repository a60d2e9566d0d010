from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

api_v1 = [
    path("", include("organisations.api.urls")),
    path("", include("leasing.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("events.api.urls")),
    path("", include("audit.api.urls")),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/", include("organisations.urls")),
    path("", include("leasing.urls")),
    path("", include("billing.urls")),
    path("", include("events.urls")),
    # The admin's own login would skip the code step: ours serves it.
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
    path("audit/", include("audit.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's settings as a script file: nothing inline, as the
    # Content-Security-Policy requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "tcfo_portal.views.bad_request"
handler404 = "tcfo_portal.views.not_found"
handler500 = "tcfo_portal.views.server_error"
