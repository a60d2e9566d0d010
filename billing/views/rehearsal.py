"""Rehearsing an action before it is confirmed: the service decides, nothing is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

T = TypeVar("T")


class _RolledBack(Exception):
    pass


def rehearse(act: Callable[[], Any], describe: Callable[[Any], T]) -> T:
    """``describe(act())`` in a savepoint that is then rolled back: what the service would do,
    and its refusal (raised, a ``DomainError``) if it would refuse, so a confirmation names
    exactly what will happen and a form shows a refusal at its fields before asking. Tasks
    queued on commit are dropped with the savepoint: nothing is mailed, rendered or queued.
    Only for services that change nothing but rows (no file is written)."""
    described: list[T] = []
    try:
        with transaction.atomic():
            described.append(describe(act()))
            raise _RolledBack
    except _RolledBack:
        pass
    return described[0]
