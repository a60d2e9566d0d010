"""Who may see and do what: the one place the portal and the API ask.

An *actor* is whoever makes a request: a logged-in ``User`` or an API key
(``organisations.api.authentication.ApiKeyActor``). Both have an ``organisation`` (None for a
platform admin) and a ``role``.

- ``has_capability(actor, capability)``: may the actor do this kind of thing at all?
- ``visible_to(queryset, actor)``: the objects of a model this actor may see. A model opts in by
  naming the field that holds its owning organisation (``tenant_field = "customer"``) and, when
  operators see more than their own objects, a classmethod ``operator_visibility(operator) -> Q``
  (e.g. invoices an operator issues or shares revenue in). Anything else is invisible, so an
  object of another organisation answers 404 exactly as one that does not exist.
- ``editable_by(queryset, actor)``: the shared consortium objects (inventory) an operator may
  change: those the model's classmethod ``operator_editable(operator) -> Q`` allows (a site its
  operator owns, a segment it holds a share of...). Everybody with the capability may read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from django.db import models

from .choices import ROLES_BY_KIND, Capability, Role

if TYPE_CHECKING:
    from .models import Organisation


class Actor(Protocol):
    @property
    def organisation(self) -> Organisation | None: ...

    @property
    def role(self) -> str: ...

    @property
    def is_authenticated(self) -> bool: ...


_CUSTOMER = frozenset(
    {
        Capability.VIEW_CATALOG,
        Capability.PLACE_ORDERS,
        Capability.VIEW_OWN_SERVICES,
        Capability.VIEW_OWN_INVOICES,
    }
)
_OPERATOR = frozenset(
    {
        Capability.VIEW_CATALOG,
        Capability.VIEW_OWN_SERVICES,
        Capability.VIEW_INVENTORY,
        # There is no "operator admin" role: an operator's finance and network staff together
        # answer for its records, so both read its audit log (``audit.selectors``).
        Capability.VIEW_AUDIT_LOG,
        # An operator's staff, not its customers: every note of an order's history
        # (``leasing.selectors.sees_internal_notes``), the audit entries of the consortium's
        # shared records (``audit.selectors.entries_for``).
        Capability.VIEW_INTERNAL,
    }
)

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    # Webhooks: a partner's integration, managed by its admins and, at an operator, by finance
    # and network staff alike; API keys of those roles too (machine to machine).
    Role.CUSTOMER_ADMIN: _CUSTOMER | {Capability.MANAGE_API_KEYS, Capability.MANAGE_WEBHOOKS},
    Role.CUSTOMER_MEMBER: _CUSTOMER,
    Role.OPERATOR_NETWORK: _OPERATOR
    | {
        Capability.MANAGE_INVENTORY,
        Capability.PROVISION_ORDERS,
        Capability.INGEST_USAGE,
        Capability.MANAGE_WEBHOOKS,
    },
    Role.OPERATOR_FINANCE: _OPERATOR
    | {
        Capability.VIEW_OWN_INVOICES,
        Capability.MANAGE_CATALOG,
        Capability.RUN_BILLING,
        Capability.VIEW_SETTLEMENT,
        Capability.MANAGE_WEBHOOKS,
    },
    Role.PLATFORM_ADMIN: frozenset(Capability),
}

M = TypeVar("M", bound=models.Model)


# What a person may do but an API key acting with the same role may not: a leaked key must not
# be able to make itself a successor that outlives its revocation.
PEOPLE_ONLY = frozenset(
    {Capability.MANAGE_API_KEYS, Capability.ADMINISTER_PLATFORM, Capability.VIEW_AUDIT_LOG}
)


def capabilities_of(actor: Actor | None) -> frozenset[Capability]:
    """Every capability the actor holds; none for an anonymous or inactive one."""
    if actor is None or not actor.is_authenticated or not getattr(actor, "is_active", True):
        return frozenset()
    organisation = actor.organisation
    if organisation is not None and not organisation.is_active:
        return frozenset()
    if organisation is not None and actor.role not in ROLES_BY_KIND.get(organisation.kind, ()):
        # A role its organisation's kind does not have (an operator's role in a customer, once
        # the kind changed): nothing, rather than an operator's staff's reach.
        return frozenset()
    held = ROLE_CAPABILITIES.get(actor.role, frozenset())
    if getattr(actor, "is_api_key", False):
        held = held - PEOPLE_ONLY
    return held


def has_capability(actor: Actor | None, capability: Capability | str) -> bool:
    return capability in capabilities_of(actor)


def is_platform_admin(actor: Actor | None) -> bool:
    return actor is not None and actor.is_authenticated and actor.role == Role.PLATFORM_ADMIN


def visible_to(queryset: models.QuerySet[M], actor: Actor | None) -> models.QuerySet[M]:
    """The part of ``queryset`` that ``actor`` may see."""
    if actor is None or not capabilities_of(actor):
        return queryset.none()
    if is_platform_admin(actor):
        return queryset
    model = queryset.model
    organisation = actor.organisation
    tenant_field = getattr(model, "tenant_field", None)
    if organisation is None or tenant_field is None:
        return queryset.none()
    own = models.Q(**{tenant_field: organisation})
    operator_visibility = getattr(model, "operator_visibility", None)
    if organisation.is_operator and operator_visibility is not None:
        return queryset.filter(own | operator_visibility(organisation)).distinct()
    return queryset.filter(own)


def editable_by(queryset: models.QuerySet[M], actor: Actor | None) -> models.QuerySet[M]:
    """The shared objects of ``queryset`` that ``actor``'s organisation may change."""
    if actor is None or not capabilities_of(actor):
        return queryset.none()
    if is_platform_admin(actor):
        return queryset
    organisation = actor.organisation
    operator_editable = getattr(queryset.model, "operator_editable", None)
    if organisation is None or not organisation.is_operator or operator_editable is None:
        return queryset.none()
    return queryset.filter(operator_editable(organisation)).distinct()


@dataclass(frozen=True)
class SystemActor:
    """A job of the portal acting for an organisation in a role (a command, the SNMP poller)."""

    organisation: Organisation
    role: str
    label: str

    is_authenticated = True
    is_active = True
    is_api_key = True  # holds no person-only capability

    def __str__(self) -> str:
        return self.label


def describe_actor(actor: Actor | None) -> str:
    """Who did it, for histories: a username, an API key with its organisation, a job."""
    if actor is None or not actor.is_authenticated:
        return "system"
    if isinstance(actor, SystemActor):
        return actor.label
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return f"API key {api_key.prefix} ({actor.organisation})"
    return actor.get_username()
