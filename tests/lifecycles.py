"""Trying one step of a lifecycle module (``leasing.order_lifecycle``,
``billing.invoice_lifecycle``): each has ``lock`` and ``move``, and refuses a step it does not
allow with ``InvalidTransition``."""

from __future__ import annotations

from types import ModuleType

import pytest
from django.db import models, transaction

from tcfo_portal.exceptions import InvalidTransition


def try_step(lifecycle: ModuleType, obj: models.Model, to_state: str, *, allowed: bool) -> None:
    """Lock ``obj`` and move it to ``to_state`` through ``lifecycle``: the step is taken when
    ``allowed``, else refused with ``InvalidTransition``."""
    with transaction.atomic():
        locked = lifecycle.lock(obj)
        if allowed:
            lifecycle.move(locked, to_state, by="test")
        else:
            with pytest.raises(InvalidTransition):
                lifecycle.move(locked, to_state, by="test")
