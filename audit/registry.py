"""Which records the audit log follows, and whose they are.

Every model holding prices, products, inventory and capacity, ownership, organisations, users,
roles and API keys, and every money document (invoices, credit and debit notes, payments and
their reversals, period closes, late adjustments) is registered with django-auditlog. Secrets
and hashes are never logged: a user's password, an API key's hash (its primary key embeds the
hash: entries name the key by its prefix), an authenticator's key.

Each model also says whose records it holds (``Scope``): the organisations it belongs to, or
the consortium as a whole. ``audit.selectors.entries_for`` shows an operator's staff the entries
of their organisation's records and of the consortium's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from auditlog.registry import auditlog
from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models


@dataclass(frozen=True)
class Scope:
    organisation_ids: frozenset[int] = frozenset()
    consortium: bool = False


CONSORTIUM = Scope(consortium=True)


def _owned_by(*paths: str, consortium: bool = False) -> Callable[[models.Model], Scope]:
    """A scope of the organisations at the dotted attribute ``paths`` (e.g.
    ``"invoice.billing_party_id"``)."""

    def scope(instance: models.Model) -> Scope:
        ids: set[int] = set()
        for path in paths:
            value: Any = instance
            try:
                for name in path.split("."):
                    value = getattr(value, name) if value is not None else None
            except ObjectDoesNotExist:
                value = None
            if value is not None:
                ids.add(value)
        return Scope(frozenset(ids), consortium)

    return scope


def _consortium(instance: models.Model) -> Scope:
    return CONSORTIUM


@dataclass(frozen=True)
class Followed:
    model: str
    scope: Callable[[models.Model], Scope]
    options: dict[str, Any] = field(default_factory=dict)


# Timestamps that change on every use are left out: they are no one's decision.
FOLLOWED: tuple[Followed, ...] = (
    # Organisations, users and their roles, API keys, authenticators.
    Followed("organisations.Organisation", _owned_by("pk")),
    Followed(
        "organisations.User",
        _owned_by("organisation_id"),
        {"exclude_fields": ["password", "last_login"]},
    ),
    Followed(
        "organisations.ApiKey",
        _owned_by("organisation_id"),
        {"exclude_fields": ["id", "hashed_key", "last_used_at"]},
    ),
    Followed(
        "otp_totp.TOTPDevice",
        _owned_by("user.organisation_id"),
        {"include_fields": ["user", "name", "confirmed"]},
    ),
    # The network inventory and who owns it.
    Followed("leasing.Site", _owned_by("operator_id")),
    Followed("leasing.SiteOwnership", _owned_by("operator_id", "site.operator_id")),
    Followed("leasing.Segment", _consortium),
    Followed("leasing.SegmentOwnership", _consortium),
    Followed("leasing.OwnershipShare", _owned_by("operator_id", consortium=True)),
    Followed("leasing.SegmentWeight", _consortium),
    Followed("leasing.Path", _consortium),
    Followed("leasing.PathSegment", _consortium),
    Followed("leasing.FiberPair", _consortium),
    Followed("leasing.LitCarrier", _owned_by("operator_id")),
    Followed("leasing.LitCarrierOperator", _owned_by("operator_id", "carrier.operator_id")),
    Followed("leasing.TransitPortPool", _owned_by("site.operator_id")),
    # Capacity: who holds what (operators see the whole inventory).
    Followed("leasing.CapacityAllocation", _owned_by("holder_id", consortium=True)),
    Followed("leasing.SpectrumReservation", _consortium),
    Followed("leasing.LitCapacityReservation", _consortium),
    Followed("leasing.TransitPortReservation", _consortium),
    # Products and prices: the consortium's catalog; a contract's prices are its parties'.
    Followed("leasing.Product", _consortium),
    Followed("leasing.Price", _consortium),
    Followed(
        "leasing.Contract",
        _owned_by("customer_id", "billing_party_id"),
        {"exclude_fields": ["order_form", "order_form_sha256"]},
    ),
    Followed("billing.TaxRate", _consortium),
    # Money: issuing, crediting, debiting, payments and their reversals, closing a month.
    Followed(
        "billing.Invoice",
        _owned_by("billing_party_id", "customer_id"),
        {"exclude_fields": ["pdf", "pdf_sha256"]},
    ),
    Followed(
        "billing.CreditNote",
        _owned_by("invoice.billing_party_id", "invoice.customer_id"),
        {"exclude_fields": ["pdf", "pdf_sha256"]},
    ),
    Followed(
        "billing.CreditNoteLine",
        _owned_by("credit_note.invoice.billing_party_id", "credit_note.invoice.customer_id"),
    ),
    Followed(
        "billing.DebitNote",
        _owned_by("invoice.billing_party_id", "invoice.customer_id"),
        {"exclude_fields": ["pdf", "pdf_sha256"]},
    ),
    Followed(
        "billing.DebitNoteLine",
        _owned_by("debit_note.invoice.billing_party_id", "debit_note.invoice.customer_id"),
    ),
    Followed("billing.Payment", _owned_by("invoice.billing_party_id", "invoice.customer_id")),
    Followed(
        "billing.PaymentReversal",
        _owned_by("payment.invoice.billing_party_id", "payment.invoice.customer_id"),
    ),
    Followed("billing.PeriodClose", _owned_by("billing_party_id")),
    Followed(
        "billing.LateAdjustment",
        _owned_by("contract.billing_party_id", "contract.customer_id"),
        {"exclude_fields": ["updated_at"]},
    ),
    # --- i15-c begin ---
    # Usage conflicts resolved by network staff: which value counts, who and why.
    Followed(
        "billing.UsageResolution",
        _owned_by("event.port.service.contract.billing_party_id", "event.port.service.customer_id"),
    ),
    # --- i15-c end ---
)

_SCOPES: dict[type[models.Model], Callable[[models.Model], Scope]] = {}


def register_models() -> None:
    for followed in FOLLOWED:
        model = apps.get_model(followed.model)
        options = dict(followed.options)
        if "include_fields" not in options:
            # The record's own columns: not the reverse relations (an invoice's lines...).
            left_out = set(options.get("exclude_fields", ()))
            options["include_fields"] = [
                f.name for f in model._meta.concrete_fields if f.name not in left_out
            ]
        auditlog.register(model, **options)
        _SCOPES[model] = followed.scope


def followed_models() -> Iterable[type[models.Model]]:
    return _SCOPES.keys()


def scope_of(instance: models.Model) -> Scope:
    """Whose record ``instance`` is (nobody's, for a model the log does not follow)."""
    scope = _SCOPES.get(type(instance))
    return scope(instance) if scope is not None else Scope()
