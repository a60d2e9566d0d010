"""The contract's order form: rendered once, stored with its SHA-256, never re-rendered."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from tcfo_portal.pdf import render_pdf, sha256

from ..models import Contract


@transaction.atomic
def store_order_form(*, contract: Contract) -> Contract:
    """Render and store the order form of ``contract`` unless it is stored already."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related(
            "service__product",
            "service__path__a_site",
            "service__path__z_site",
            "service__site",
            "customer",
            "billing_party",
        )
        .get(pk=contract.pk)
    )
    if contract.order_form:
        return contract
    pdf = render_pdf(
        "leasing/pdf/order_form.html",
        {
            "contract": contract,
            "service": contract.service,
            "tiers": list(contract.sla_tiers.all()),
            "installments": list(contract.installments.all()),
        },
    )
    contract.order_form.save(
        f"{contract.service.circuit_id}-order-form.pdf", ContentFile(pdf), save=False
    )
    contract.order_form_sha256 = sha256(pdf)
    contract.save(update_fields=["order_form", "order_form_sha256"])
    return contract
