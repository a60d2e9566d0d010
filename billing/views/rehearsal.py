"""Rehearsing an action before it is confirmed: the service decides, nothing is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

from ..services.closing import close_period
from ..services.credit_notes import issue_credit_note
from ..services.drafts import add_manual_line
from ..services.invoices import delete_draft
from ..services.payments import record_payment, reverse_payment
from ..services.runs import start_run

T = TypeVar("T")

#: The services a rehearsal may run: they change rows only, and whatever else they do (a PDF
#: rendered, a mail sent, a task queued) waits for the commit (``tcfo_portal.queue``), which a
#: rolled-back savepoint never reaches. ``issue_invoice`` is not one: it stores its PDF at once.
#: Add a service only after checking that of it (and of everything it calls).
REHEARSABLE: frozenset[Callable[..., Any]] = frozenset(
    {
        add_manual_line,
        close_period,
        delete_draft,
        issue_credit_note,
        record_payment,
        reverse_payment,
        start_run,
    }
)


class NotRehearsable(RuntimeError):
    """A programming error: ``rehearse`` was asked to run a service that is not known to leave
    nothing behind when rolled back."""


class _RolledBack(Exception):
    pass


def rehearse(service: Callable[..., Any], describe: Callable[[Any], T], **arguments: Any) -> T:
    """``describe(service(**arguments))`` in a savepoint that is then rolled back: what the
    service would do, and its refusal (raised, a ``DomainError``) if it would refuse, so a
    confirmation names exactly what will happen and a form shows a refusal at its fields before
    asking. Tasks queued on commit are dropped with the savepoint: nothing is mailed, rendered or
    queued. Only the services of ``REHEARSABLE`` (they change nothing but rows); any other is
    refused with ``NotRehearsable`` before it runs."""
    if service not in REHEARSABLE:
        name = getattr(service, "__qualname__", repr(service))
        raise NotRehearsable(
            f"{name} is not rehearsable: only services that change rows and nothing else "
            "(billing.views.rehearsal.REHEARSABLE) are run and rolled back."
        )
    described: list[T] = []
    try:
        with transaction.atomic():
            described.append(describe(service(**arguments)))
            raise _RolledBack
    except _RolledBack:
        pass
    return described[0]
