"""Who may change money: the one check every billing service makes of its actor.

Services that change an invoice, a payment or a note take the acting user or API key (an
``organisations.access.Actor``, or a ``SystemActor`` for a job) and call ``require_finance_of``
first, so the portal, the API, the admin, commands and tasks cannot disagree.
"""

from __future__ import annotations

from organisations.access import Actor, describe_actor, has_capability
from organisations.choices import Capability
from organisations.models import Organisation
from tcfo_portal.exceptions import Forbidden


def require_finance_of(actor: Actor | None, billing_party: Organisation) -> str:
    """Refuse (``Forbidden``, 403) unless ``actor`` is finance staff of ``billing_party`` or a
    platform admin; return how histories name the actor."""
    if not has_capability(actor, Capability.RUN_BILLING):
        raise Forbidden("Only operators' finance staff change invoices and payments.")
    organisation = actor.organisation
    if organisation is not None and organisation.pk != billing_party.pk:
        raise Forbidden(f"Only {billing_party}'s finance staff act on its invoices.")
    return describe_actor(actor)


def require_billing_staff(actor: Actor | None) -> str:
    """Refuse unless ``actor`` may run billing at all (finance staff of an operator, a platform
    admin or a job); return how histories name the actor."""
    if not has_capability(actor, Capability.RUN_BILLING):
        raise Forbidden("Only operators' finance staff run billing.")
    return describe_actor(actor)
