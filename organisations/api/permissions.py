from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework import permissions
from rest_framework.request import Request

from ..access import capabilities_of

ANY_ACTOR = "any_actor"


class HasCapability(permissions.BasePermission):
    """Lets a request through when its actor holds the view's ``required_capability``.

    Every view names it: one capability for all actions, ``ANY_ACTOR`` for any authenticated
    actor of an active organisation, or a dict from action (``list``, ``create``, a custom
    ``@action``...) to either; an action missing from the dict is refused. Which objects the
    actor sees is the queryset's business (``organisations.access.visible_to``).
    """

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        held = capabilities_of(request.user)
        if not held:
            return False
        if not hasattr(view, "required_capability"):
            raise ImproperlyConfigured(f"{type(view).__name__} names no required_capability.")
        required = view.required_capability
        if isinstance(required, dict):
            action = getattr(view, "action", None)
            if action is None and request.method.lower() not in getattr(view, "action_map", {}):
                return True  # no handler for this method: DRF answers 405, nothing runs
            required = required.get(action)
            if required is None:
                return False
        return required == ANY_ACTOR or required in held
