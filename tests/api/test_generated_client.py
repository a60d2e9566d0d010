"""A partner's client generated from the served schema works untouched.

The client is generated once per session with openapi-python-client (the version pinned in
requirements-dev.txt) from ``/api/schema/`` of the live server, imported as it comes out, and used
the way integrators do: an ``AuthenticatedClient`` with the API key as its (Bearer) token, the typed
models in and out, every documented status parsed, an undocumented one raised.
"""

from __future__ import annotations

import datetime
import importlib
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from billing.periods import add_months, last_ended, period_days
from organisations.choices import Role
from organisations.services import create_api_key

from ..billing.conftest import transit_service
from ..leasing.conftest import net, sales_net

__all__ = ["net", "sales_net"]

pytestmark = pytest.mark.postgres

PACKAGE = "tcfo_partner_client"


@pytest.fixture(scope="session")
def partner_client(
    live_server: object, tmp_path_factory: pytest.TempPathFactory
) -> types.ModuleType:
    """The generated package, imported; generated once per session."""
    import urllib.request

    folder = tmp_path_factory.mktemp("generated")
    schema = folder / "schema.json"
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as response:  # noqa: S310
        schema.write_bytes(response.read())
    bin_dir = Path(sys.executable).parent  # the generator's post-hooks run this venv's ruff
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every operation and model made it: the generator skips (with a warning) what it cannot read.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
    return package


def _module(package: types.ModuleType, name: str) -> types.ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


@pytest.fixture
def partner(
    partner_client: types.ModuleType, live_server: object, sales_net: object
) -> Iterator[object]:
    """The sale's world, keys for the customer and the operator's staff, and a client per key."""
    net = sales_net
    net.azt.time_zone = "Asia/Baku"
    net.azt.save()
    client_module = _module(partner_client, "client")

    def client_for(organisation: object, role: str | None = None) -> object:
        _, secret = create_api_key(organisation=organisation, name="partner", role=role)
        return client_module.AuthenticatedClient(
            base_url=live_server.url, token=secret, raise_on_unexpected_status=True
        )

    net.buyer_api = client_for(net.customer)
    net.noc_api = client_for(net.azt, Role.OPERATOR_NETWORK)
    net.finance_api = client_for(net.azt, Role.OPERATOR_FINANCE)
    # A transit service that has run since before the last month ended, to measure and bill.
    net.period = last_ended("Asia/Baku", timezone.now())
    net.transit = transit_service(
        net, activated_on=period_days(add_months(net.period, -1))[0], commit=1000
    )
    yield net
    for client in (net.buyer_api, net.noc_api, net.finance_api):
        client.get_httpx_client().close()  # idle keep-alive connections hold the test database


def test_a_partner_buys_measures_and_is_billed_through_a_generated_client(partner, partner_client):
    models = _module(partner_client, "models")

    def call(operation: str) -> types.ModuleType:  # e.g. "orders.orders_create"
        return _module(partner_client, f"api.{operation}")

    buyer, noc, finance = partner.buyer_api, partner.noc_api, partner.finance_api

    # Catalog: products with their prices as Money, paths with their ends as sites.
    products = call("products.products_list").sync(client=buyer, page_size=100)
    wl100 = next(product for product in products.results if product.code == "WL100")
    price = wl100.prices[0]
    assert (price.mrc.amount, price.mrc.currency, price.site) == ("12500.00", "USD", None)
    path = call("paths.paths_list").sync(client=buyer).results[0]
    assert (path.code, path.a_site.code, path.z_site.code) == ("BAK-AKT", "BAK", "AKT")
    start = timezone.localdate() + datetime.timedelta(days=7)
    availability = call("availability.availability_retrieve").sync(
        client=buyer, product="WL100", path="BAK-AKT", start_date=start
    )
    assert availability.available and availability.free_units >= 1

    # A quote, ordered with an Idempotency-Key: the retry gets the same order back.
    quote = call("quotes.quotes_create").sync(
        client=buyer,
        body=models.QuoteRequestRequest(
            product="WL100", path="BAK-AKT", term_months=12, start_date=start
        ),
    )
    assert quote.mrc.amount == "12500.00" and quote.path == "BAK-AKT" and quote.site is None
    orders_create = call("orders.orders_create")
    order = orders_create.sync(
        client=buyer,
        body=models.OrderRequestRequest(quote=quote.id),
        idempotency_key="partner-order-1",
    )
    assert order.state == models.OrderStateEnum.SUBMITTED
    assert order.history[0].from_state is None
    assert order.history[0].to_state == models.OrderStateEnum.SUBMITTED
    again = orders_create.sync_detailed(
        client=buyer,
        body=models.OrderRequestRequest(quote=quote.id),
        idempotency_key="partner-order-1",
    )
    assert again.status_code == 201 and again.parsed.id == order.id
    assert again.headers["Idempotent-Replayed"] == "true"

    # The operator works the order to completion.
    order_id = order.id
    order = call("orders.orders_acknowledge_create").sync(
        order_id, client=noc, body=models.AcknowledgeRequest(note="capacity held")
    )
    assert order.state == models.OrderStateEnum.ACKNOWLEDGED
    order = call("orders.orders_provision_create").sync(
        order_id, client=noc, body=models.ProvisionRequest()
    )
    assert order.state == models.OrderStateEnum.IN_PROGRESS
    order = call("orders.orders_complete_create").sync(
        order_id, client=noc, body=models.CompleteRequest(ready_for_service_date=start)
    )
    assert order.state == models.OrderStateEnum.COMPLETED and order.circuit_id
    assert [step.from_state for step in order.history] == [
        None,
        models.OrderStateEnum.SUBMITTED,
        models.OrderStateEnum.ACKNOWLEDGED,
        models.OrderStateEnum.IN_PROGRESS,
    ]

    # The customer sees its service and contracts (a lease has no 95th rule: null) and the
    # signed order form.
    service = call("services.services_retrieve").sync(order.circuit_id, client=buyer)
    assert (service.path, service.site) == ("BAK-AKT", None)
    contracts = {
        contract.circuit_id: contract
        for contract in call("contracts.contracts_list").sync(client=buyer).results
    }
    lease = contracts[order.circuit_id]
    assert lease.p95_rule is None and lease.mrc.amount == "12500.00"
    assert contracts[partner.transit.circuit_id].p95_rule == models.P95RuleEnum.GREATER_OF
    order_form = call("contracts.contracts_pdf_retrieve").sync(lease.id, client=buyer)
    assert order_form.payload.read().startswith(b"%PDF")

    # The operator's collector sends the transit's usage of the month; the customer reads it.
    first_day = datetime.datetime.combine(
        period_days(partner.period)[0], datetime.time(), tzinfo=datetime.UTC
    )
    samples = [
        models.SampleRequest(
            circuit_id=partner.transit.circuit_id,
            ts=first_day + datetime.timedelta(days=1, minutes=5 * i),
            in_bps=400_000_000 + i,
            out_bps=100_000_000,
        )
        for i in range(20)
    ]
    ingested = call("usage.usage_samples_create").sync(
        client=noc, body=models.IngestRequestRequest(samples=samples)
    )
    assert (ingested.accepted, ingested.rejected) == (20, 0)
    usage = call("services.services_usage_retrieve").sync(
        partner.transit.circuit_id, client=buyer, period=partner.period
    )
    assert usage.samples == 20 and usage.p95_in_bps == 400_000_018

    # Finance bills the month and issues the invoice; the customer reads it and its PDF.
    run = call("billing_runs.billing_runs_create").sync(
        client=finance, body=models.BillingRunRequestRequest(period=partner.period)
    )
    assert run.period == partner.period
    drafts = call("invoices.invoices_list").sync(client=finance).results
    draft = next(invoice for invoice in drafts if invoice.customer == partner.customer.name)
    assert draft.number is None
    issued = call("invoices.invoices_issue_create").sync(draft.id, client=finance)
    assert issued.status == models.InvoiceStatusEnum.ISSUED and issued.number
    mine = call("invoices.invoices_list").sync(client=buyer).results
    assert [invoice.number for invoice in mine] == [issued.number]
    invoice = mine[0]
    assert invoice.total.currency == "USD" and invoice.lines
    assert invoice.history[0].from_state == models.InvoiceStateEnum.DRAFT
    pdf = call("invoices.invoices_pdf_retrieve").sync(invoice.id, client=buyer)
    assert pdf.payload.read().startswith(b"%PDF")

    # Refusals come back as the typed Error, field by field.
    refused = call("quotes.quotes_create").sync_detailed(
        client=buyer,
        body=models.QuoteRequestRequest(
            product="WL100", path="BAK-AKT", term_months=7, start_date=start
        ),
    )
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.type_ == "not_sellable"
    assert refused.parsed.detail == "WL100 is sold for 12, 36, 60 months."
    assert refused.parsed.errors["term_months"] == ["One of 12, 36, 60."]
    forbidden = call("orders.orders_acknowledge_create").sync_detailed(
        order_id, client=buyer, body=models.AcknowledgeRequest()
    )
    assert forbidden.status_code == 403
    assert forbidden.parsed.type_ == "permission_denied"
