from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from ..access import capabilities_of


class HasCapability(permissions.BasePermission):
    """Lets a request through when its actor holds the view's ``required_capability``.

    A view may name one capability for all actions, or a dict from action (``list``, ``create``,
    a custom ``@action``...) to capability; a view that names none needs only an authenticated
    actor of an active organisation. Which objects the actor sees is the queryset's business
    (``organisations.access.visible_to``).
    """

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        held = capabilities_of(request.user)
        if not held:
            return False
        required = getattr(view, "required_capability", None)
        if isinstance(required, dict):
            required = required.get(getattr(view, "action", None))
        return required is None or required in held
