"""The usage decisions list (issue 15 review): a portal list like every other (search, sort,
pages "1-N of N", CSV of the filtered rows), and its month filter reading the billing month in
each service's billing party's time zone, as its "Billing month" column and resolving do, the
same rows for every reader whatever their own zone."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest

from billing.models import UsageEvent
from billing.services.usage import ingest
from organisations.choices import Role

from ..conftest import key_client
from ..factories import UserFactory
from .test_usage_conflict_resolution import conflicted

__all__ = ["conflicted"]

pytestmark = pytest.mark.django_db
#: 31 Oct 21:00 UTC: still October in UTC and New York, already 1 November in Baku (UTC+4).
BOUNDARY = datetime.datetime(2026, 10, 31, 21, 0, tzinfo=datetime.UTC)
ROW = re.compile(r'href="/usage/decisions/([0-9]+)/"')


def _conflict_at(net, moment: datetime.datetime) -> UsageEvent:
    sample = {"circuit_id": net.transit.circuit_id, "ts": moment.isoformat(), "out_bps": 1}
    ingest(samples=[{**sample, "in_bps": 7}], actor=net.noc)
    ingest(samples=[{**sample, "in_bps": 9}], actor=net.noc)
    return UsageEvent.objects.get(kind="conflict", ts=int(moment.timestamp()))


def _listed(client, query: str) -> set[int]:
    response = client.get(f"/usage/decisions/?{query}")
    assert response.status_code == 200, response.content
    return {int(pk) for pk in ROW.findall(response.content.decode())}


def test_the_month_filter_is_the_billing_partys_month_for_every_reader(conflicted, client):
    net = conflicted
    assert net.transit.contract.billing_party.time_zone == "Asia/Baku"
    late = _conflict_at(net, BOUNDARY)
    # The customer reads from New York: the month of its own zone would be October.
    net.customer.time_zone = "America/New_York"
    net.customer.save(update_fields=["time_zone"])
    readers = [
        net.noc,
        net.buyer,
        UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK, time_zone="UTC"),
        UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK, time_zone="America/New_York"),
        UserFactory(organisation=net.customer, role=Role.CUSTOMER_MEMBER, time_zone="Asia/Tokyo"),
        UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True),
    ]
    for reader in readers:
        client.force_login(reader)
        november = _listed(client, "period=2026-11")
        october = _listed(client, "period=2026-10")
        assert late.pk in november, reader
        assert late.pk not in october, reader
        assert net.conflict.pk in october and net.conflict.pk not in november
        # The column says the same month as the filter.
        page = client.get(f"/usage/decisions/?period=2026-11&circuit_id={net.transit.circuit_id}")
        assert "<td>2026-11</td>" in page.content.decode()
    # The API reads it the same, for the operator and for the customer.
    customer, _ = key_client(net.customer)
    for api in (net.collector, customer):
        listing = api.get("/api/v1/usage-decisions/?period=2026-11&kind=conflict")
        assert [row["id"] for row in listing.json()["results"]] == [late.pk]
        listing = api.get("/api/v1/usage-decisions/?period=2026-10&kind=conflict")
        assert [row["id"] for row in listing.json()["results"]] == [net.conflict.pk]


def test_the_list_searches_sorts_pages_and_exports(conflicted, client):
    net = conflicted
    client.force_login(net.noc)
    counted = UsageEvent.objects.count()
    page = client.get("/usage/decisions/").content.decode()
    assert f"1\u2013{counted} of {counted}" in page
    assert 'name="q"' in page and "Download CSV" in page
    assert _listed(client, f"q={net.transit.circuit_id}") == set(
        UsageEvent.objects.values_list("pk", flat=True)
    )
    assert _listed(client, "q=no-such-circuit") == set()
    oldest_first = ROW.findall(client.get("/usage/decisions/?ordering=ts").content.decode())
    newest_first = ROW.findall(client.get("/usage/decisions/?ordering=-ts").content.decode())
    assert oldest_first and [int(p) for p in oldest_first] == sorted(
        UsageEvent.objects.values_list("pk", flat=True),
        key=lambda pk: (UsageEvent.objects.get(pk=pk).ts, pk),
    )
    assert len(newest_first) == len(oldest_first)
    assert client.get("/usage/decisions/?ordering=nope").status_code == 400

    response = client.get("/usage/decisions/?kind=conflict&resolved=false&format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["id"]) for r in rows] == [net.conflict.pk]
    assert rows[0]["billing_month"] == "2026-10" and rows[0]["kind"] == "conflict"
    assert rows[0]["detail"].startswith("Stored 3 Gbit/s in")
