"""Many buyers, one last unit, at the same instant: one order, the rest a clear 409.

Real concurrent HTTP requests against a live server on PostgreSQL, each in its own thread and
database connection, released together by a barrier.
"""

import pytest
from django.db import connection

from leasing.models import Order
from leasing.services.capacity import allocate_capacity
from leasing.services.orders import reject_order

from ..conftest import key_client
from ..factories import CustomerFactory
from ..served import all_at_once, post_json
from .conftest import START

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BUYERS = 32
ROUNDS = 3


def _overlapping_live_reservations() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM leasing_spectrumreservation a
            JOIN leasing_spectrumreservation b
              ON a.fiber_pair_id = b.fiber_pair_id AND a.id < b.id
             AND int4range(a.start, a."end") && int4range(b.start, b."end")
             AND daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)
            """
        )
        return cursor.fetchone()[0]


def test_exactly_one_of_32_concurrent_orders_gets_the_last_unit(live_server, net):
    for _ in range(3):  # 4 channels: leave one
        allocate_capacity(
            product=net.wl100, holder=net.other_customer, start_date=START, path=net.path
        )
    buyers = []
    for _ in range(BUYERS):
        customer = CustomerFactory()
        client, _ = key_client(customer)
        secret = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Api-Key ")
        buyers.append(secret)

    for round_number in range(ROUNDS):
        quotes = []
        for secret in buyers:
            status, body = post_json(
                f"{live_server.url}/api/v1/quotes/",
                secret,
                {
                    "product": "WL100",
                    "path": "BAK-AKT",
                    "term_months": 12,
                    "start_date": str(START),
                },
            )
            assert status == 201, body
            quotes.append(body["id"])

        def order(pair: tuple[str, int]) -> tuple[int, dict]:
            secret, quote_id = pair
            return post_json(f"{live_server.url}/api/v1/orders/", secret, {"quote": quote_id})

        results = all_at_once(order, zip(buyers, quotes, strict=True))

        statuses = sorted(status for status, _ in results)
        assert statuses == [201] + [409] * (BUYERS - 1), (round_number, statuses)
        refused = [body for status, body in results if status == 409]
        assert {body["type"] for body in refused} == {"capacity_unavailable"}
        assert all("no" in body["detail"].lower() for body in refused)
        assert _overlapping_live_reservations() == 0
        winner = next(body for status, body in results if status == 201)
        # Free the unit again for the next round.
        reject_order(order=Order.objects.get(pk=winner["id"]), by="test", reason="next round")
