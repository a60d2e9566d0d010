"""Each leasing rule has one home, and every entry point answers as that home says: where a
product is sold (``Product.sold_at``), the circuit ID (``leasing.constants``), the price terms a
quote and a contract copy (``PriceTerms``), the consortium's operators, provisioning's bounds."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest

from billing.services.usage_days import circuit_id_ok
from leasing import constants
from leasing.api.sales_serializers import AcknowledgeSerializer
from leasing.api.serializers import AvailabilityQuerySerializer
from leasing.exceptions import NotSellable
from leasing.forms import AcknowledgeForm, AvailabilityForm
from leasing.models import Product, Service
from leasing.services import orders as sales
from leasing.services.capacity import check_availability
from organisations.choices import Role
from organisations.models import Organisation
from organisations.selectors import consortium_operators
from tcfo_portal.exceptions import DomainError

from ..conftest import key_client
from ..factories import OperatorFactory
from .test_orders import _order

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 12, 1)


# --- where a product is sold ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "given", "missing"),
    [("ipt10", {"path": "path"}, "site"), ("wl100", {"site": "bak"}, "path")],
)
def test_every_entry_point_asks_for_the_place_the_product_is_sold_at(
    sales_net, product, given, missing
):
    net = sales_net
    product = getattr(net, product)
    objects = {field: getattr(net, name) for field, name in given.items()}
    codes = {field: obj.code for field, obj in objects.items()}
    place = {"path": None, "site": None, **objects}

    with pytest.raises(NotSellable) as refused:
        product.sold_at(**place)
    assert set(refused.value.errors) == {missing}
    with pytest.raises(NotSellable) as refused:
        check_availability(product=product, start_date=DAY, **place)
    assert set(refused.value.errors) == {missing}
    with pytest.raises(NotSellable) as refused:
        sales.create_quote(
            customer=net.customer,
            product=product,
            term_months=12,
            start_date=DAY,
            commit_mbps=100,
            by="t",
            **place,
        )
    assert set(refused.value.errors) == {missing}

    form = AvailabilityForm({"product": product.code, "start_date": DAY, **codes})
    assert not form.is_valid() and set(form.errors) == {missing}
    query = AvailabilityQuerySerializer(data={"product": product.code, **codes})
    assert not query.is_valid() and set(query.errors) == {missing}


def test_the_place_a_product_is_not_sold_at_is_dropped(sales_net):
    net = sales_net
    assert net.ipt10.sold_at(path=net.path, site=net.bak) == (None, net.bak)
    assert net.wl100.sold_at(path=net.path, site=net.bak) == (net.path, None)
    assert (net.ipt10.place_field, net.wl100.place_field) == ("site", "path")


# --- circuit IDs ----------------------------------------------------------------------------------


def test_the_longest_circuit_id_fits_every_reader_and_a_longer_one_is_never_built():
    longest = constants.circuit_id("W" * constants.CODE_MAX_LENGTH, 2**63 - 1)
    assert len(longest) == constants.CIRCUIT_ID_MAX_LENGTH == 57
    assert Service._meta.get_field("circuit_id").max_length >= constants.CIRCUIT_ID_MAX_LENGTH
    assert re.fullmatch(constants.CIRCUIT_ID_PATTERN, longest)
    assert circuit_id_ok(longest)
    assert not circuit_id_ok(longest + "0")
    assert not re.fullmatch(constants.CIRCUIT_ID_PATTERN, longest + "0")
    assert constants.circuit_id("WL100", 123) == "TCFO-WL100-000123"
    # The millionth service still gets an ID every reader accepts.
    millionth = constants.circuit_id("W" * constants.CODE_MAX_LENGTH, 1_000_000)
    assert millionth.endswith("-1000000") and circuit_id_ok(millionth)
    assert re.fullmatch(constants.CIRCUIT_ID_PATTERN, millionth)
    with pytest.raises(ValueError, match="longer than a circuit ID"):
        constants.circuit_id("W" * (constants.CODE_MAX_LENGTH + 1), 1)
    with pytest.raises(ValueError, match="longer than a circuit ID"):
        constants.circuit_id("W" * constants.CODE_MAX_LENGTH, 10**19)


def test_product_codes_are_as_long_as_circuit_ids_allow():
    assert Product._meta.get_field("code").max_length == constants.CODE_MAX_LENGTH


# --- price terms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("product", "term"), [("wl100", 12), ("ipt10", 12), ("iru", 180)])
def test_a_quote_and_its_contract_keep_every_price_term_of_the_price_book(sales_net, product, term):
    net = sales_net
    product = getattr(net, product)
    place = {"site": net.bak} if product.is_transit else {"path": net.path}
    quote = sales.create_quote(
        customer=net.customer,
        product=product,
        term_months=term,
        start_date=datetime.date(2026, 12, 1),
        commit_mbps=100,
        by="t",
        **place,
    )
    terms = quote.price.price_terms()
    assert set(terms) == {"currency", *quote.AMOUNT_FIELDS}
    assert any(isinstance(v, Decimal) for v in terms.values())
    assert quote.price_terms() == terms
    order = sales.place_order(quote=quote, by="t")
    sales.acknowledge_order(order=order, by="t")
    sales.start_provisioning(order=order, by="t")
    service = sales.complete_order(order=order, by="t", ready_for_service_date=quote.start_date)
    assert service.contract.price_terms() == terms


# --- the consortium's operators -------------------------------------------------------------------


def test_only_active_operators_may_be_named_billing_party(sales_net):
    net = sales_net
    gone = OperatorFactory(name="Gone", is_active=False)
    assert set(consortium_operators()) == {net.azt, net.ktc}
    for name, known in ((net.ktc.name, True), (gone.name, False), (net.customer.name, False)):
        assert AcknowledgeForm({"billing_party": _pk(name)}).is_valid() is known
        assert AcknowledgeSerializer(data={"billing_party": name}).is_valid() is known


def _pk(name: str) -> int:
    return Organisation.objects.get(name=name).pk


# --- provisioning ---------------------------------------------------------------------------------


def test_provisioning_is_refused_once_whoever_asks(sales_net, client):
    net = sales_net
    order = _order(net)
    sales.acknowledge_order(order=order, by="t")
    with pytest.raises(DomainError) as refused:
        sales.start_provisioning(order=order, by="t", start=constants.UNIT_BOUND + 1)
    assert set(refused.value.errors) == {"start"}
    assert refused.value.status_code == 400
    with pytest.raises(DomainError) as refused:
        sales.start_provisioning(order=order, by="t", note="x" * 2001)
    assert set(refused.value.errors) == {"note"}

    client.force_login(net.noc)
    portal = client.post(
        f"/orders/{order.pk}/", {"action": "provision", "provision-start": constants.UNIT_BOUND + 1}
    )
    assert portal.status_code == 400
    order.refresh_from_db()
    assert order.state == "acknowledged"
    assert "Ensure this value is less than or equal to 10000" in portal.content.decode()


def test_an_api_unit_out_of_range_is_a_validation_error_whatever_the_orders_state(sales_net):
    net = sales_net
    noc = key_client(net.azt, Role.OPERATOR_NETWORK)[0]
    order = _order(net)  # submitted: the step itself would be refused, but the input is read first
    for start in (constants.UNIT_BOUND + 1, -constants.UNIT_BOUND - 1):
        answer = noc.post(f"/api/v1/orders/{order.pk}/provision/", {"start": start}, format="json")
        assert answer.status_code == 400, answer.content
        assert answer.json()["type"] == "validation_error"
        assert set(answer.json()["errors"]) == {"start"}
    order.refresh_from_db()
    assert order.state == "submitted"
