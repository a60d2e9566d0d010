from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.defaults import bad_request as page_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import server_error as page_server_error

from organisations.access import capabilities_of, visible_to
from organisations.choices import Role
from organisations.models import ApiKey, Organisation, User

from . import dashboards
from .api.errors import json_bad_request, json_not_found, json_server_error

_DASHBOARDS = {
    Role.CUSTOMER_ADMIN: "portal/dashboard_customer.html",
    Role.CUSTOMER_MEMBER: "portal/dashboard_customer.html",
    Role.OPERATOR_FINANCE: "portal/dashboard_operator_finance.html",
    Role.OPERATOR_NETWORK: "portal/dashboard_operator_network.html",
    Role.PLATFORM_ADMIN: "portal/dashboard_platform_admin.html",
}

# --- i15-c begin ---
# What each role has to act on (``dashboards``), above what it is.
_BLOCKS = {
    Role.CUSTOMER_ADMIN: dashboards.customer_dashboard,
    Role.CUSTOMER_MEMBER: dashboards.customer_dashboard,
    Role.OPERATOR_FINANCE: dashboards.finance_dashboard,
    Role.OPERATOR_NETWORK: dashboards.network_dashboard,
    Role.PLATFORM_ADMIN: dashboards.platform_dashboard,
}
# --- i15-c end ---


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The landing page: one per role, showing what that role works on."""
    user = request.user
    context: dict[str, object] = {
        "organisation": user.organisation,
        "capabilities": sorted(capabilities_of(user)),
        "active_api_keys": visible_to(ApiKey.objects.usable(), user).count(),
    }
    if user.role == Role.PLATFORM_ADMIN:
        context["organisation_count"] = Organisation.objects.count()
        context["user_count"] = User.objects.count()
    # --- i15-c begin ---
    context["blocks"] = _BLOCKS[user.role](user)
    # --- i15-c end ---
    return render(request, _DASHBOARDS[user.role], context)


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for whatever the page's ``<link rel=icon>`` says:
    the portal's icon (the SVG every page links), so no page leaves a 404 in the log."""
    response = FileResponse(
        staticfiles_storage.open("portal/favicon.svg"), content_type="image/svg+xml"
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's login: ours (with its code step) for someone not signed in; the "Not allowed"
    page for someone signed in whom the admin does not let in (the admin would send them back to
    a login that sends them back to the admin, for ever)."""
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "403.html", status=403)
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{reverse('login')}?{query}" if query else reverse("login"))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 (a request Django refuses before any view, e.g. too many fields) in the API's error
    format under /api/, the portal's page elsewhere."""
    if request.path.startswith("/api/"):
        return json_bad_request(request, exception)
    return page_bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in the API's error format under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return page_server_error(request)
