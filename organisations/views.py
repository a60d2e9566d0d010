from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.generic import ListView

from .access import visible_to
from .choices import Capability
from .forms import ApiKeyCreateForm, QueuedPasswordResetForm
from .mixins import CapabilityRequiredMixin
from .models import ApiKey
from .services import create_api_key, revoke_api_key


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("password_reset_done")


_NEW_KEY_COOKIE = "new_api_key"


def _hand_over_secret(request: HttpRequest, response: HttpResponse, *, name: str, key: str) -> None:
    """Carry a new key's secret over the redirect to the one page load that shows it.

    The secret travels in a short-lived signed cookie to the browser of the admin who made it,
    never into the session or any other server-side store: only the key's hash is kept.
    """
    response.set_signed_cookie(
        _NEW_KEY_COOKIE,
        json.dumps({"name": name, "key": key}),
        salt=_NEW_KEY_COOKIE,
        max_age=60,
        path=reverse("api-keys"),
        secure=request.is_secure(),
        httponly=True,
        samesite="Strict",
    )


class ApiKeyListView(CapabilityRequiredMixin, ListView):
    required_capability = Capability.MANAGE_API_KEYS
    template_name = "organisations/api_keys.html"
    context_object_name = "api_keys"

    def get_queryset(self) -> QuerySet[ApiKey]:
        queryset = ApiKey.objects.select_related("organisation", "created_by").order_by(
            "revoked", "-created"
        )
        return visible_to(queryset, self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organisation = self.request.user.organisation
        if organisation is not None:
            context.setdefault("form", ApiKeyCreateForm(organisation=organisation))
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        new_key = request.get_signed_cookie(
            _NEW_KEY_COOKIE, default=None, salt=_NEW_KEY_COOKIE, max_age=60
        )
        self.object_list = self.get_queryset()
        context = self.get_context_data(new_key=json.loads(new_key) if new_key else None)
        response = self.render_to_response(context)
        if new_key:
            response.delete_cookie(_NEW_KEY_COOKIE, path=reverse("api-keys"))
            add_never_cache_headers(response)
        return response

    def post(self, request: HttpRequest) -> HttpResponse:
        organisation = request.user.organisation
        if organisation is None:
            messages.error(request, "Platform admins create keys with manage.py create_api_key.")
            return redirect("api-keys")
        form = ApiKeyCreateForm(request.POST, organisation=organisation)
        if form.is_valid():
            try:
                api_key, secret = create_api_key(
                    organisation=organisation, created_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                response = redirect("api-keys")
                _hand_over_secret(request, response, name=api_key.name, key=secret)
                return response
        self.object_list = self.get_queryset()
        return render(request, self.template_name, self.get_context_data(form=form), status=400)


class ApiKeyRevokeView(CapabilityRequiredMixin, View):
    required_capability = Capability.MANAGE_API_KEYS

    def post(self, request: HttpRequest, prefix: str) -> HttpResponse:
        api_key = get_object_or_404(visible_to(ApiKey.objects.all(), request.user), prefix=prefix)
        revoke_api_key(api_key=api_key)
        messages.success(request, f"The key “{api_key.name}” ({api_key.prefix}…) is revoked.")
        return redirect("api-keys")
