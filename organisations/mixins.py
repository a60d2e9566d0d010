from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .access import has_capability
from .choices import Capability


class CapabilityRequiredMixin(LoginRequiredMixin):
    """A portal view for actors holding ``required_capability`` (the same rule as the API)."""

    required_capability: Capability | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.required_capability is not None and not has_capability(
            request.user, self.required_capability
        ):
            raise PermissionDenied("Your role does not allow this page.")
        return super().dispatch(request, *args, **kwargs)
