"""Usage decisions in the portal and the API, and resolving a conflict (issue 15): network staff
choose which value counts, with a reason, before the month is billed; the stored bucket changes,
so the month's 95th and its rating follow; customers read their own decisions only."""

from __future__ import annotations

import datetime

import pytest

from billing.choices import LineKind, UsageEventKind
from billing.models import InvoiceLine, UsageEvent, UsagePercentile, UsageResolution
from billing.services.runs import start_run
from billing.services.usage import ingest
from billing.services.usage_decisions import resolve_conflict
from billing.services.usage_percentiles import (
    month_usage,
    percentiles,
    record_percentiles,
    services_for_usage,
)
from organisations.choices import Role
from tcfo_portal.exceptions import Forbidden, InvalidTransition

from ..conftest import key_client
from .conftest import OCT_BAKU

pytestmark = pytest.mark.django_db
G = 1_000_000_000


def _sample(circuit_id: str, bucket: int, in_bps: int) -> dict:
    moment = OCT_BAKU + datetime.timedelta(days=2, minutes=5 * bucket)
    return {"circuit_id": circuit_id, "ts": moment.isoformat(), "in_bps": in_bps, "out_bps": 5}


@pytest.fixture
def conflicted(usage):
    """October of the transit (commit 2 Gbit/s): 18 buckets at 1 Gbit/s and 2 at 3 Gbit/s, so
    its 95th (rank 19 of 20) is 3 Gbit/s; then another value (1 Gbit/s) sent for bucket 19,
    refused as a conflict."""
    circuit = usage.transit.circuit_id
    rates = [G] * 18 + [3 * G] * 2
    ingest(samples=[_sample(circuit, i, v) for i, v in enumerate(rates)], actor=usage.noc)
    ingest(samples=[_sample(circuit, 19, G)], actor=usage.noc)
    usage.conflict = UsageEvent.objects.get(kind=UsageEventKind.CONFLICT)
    return usage


def _p95(service) -> int:
    month = month_usage([services_for_usage().get(pk=service.pk)], "2026-10")[service.pk]
    return percentiles(month).billable_bps


def test_taking_the_value_received_changes_the_months_95th_and_what_is_rated(
    conflicted, django_capture_on_commit_callbacks
):
    net = conflicted
    service = services_for_usage().get(pk=net.transit.pk)
    stored = record_percentiles(services=[service], period="2026-10")[service.pk]
    assert stored.billable_bps == 3 * G == _p95(net.transit)

    resolution = resolve_conflict(
        event=net.conflict,
        keep="received",
        reason="router replaced: the new one is right",
        actor=net.noc,
    )

    assert (resolution.before_in_bps, resolution.in_bps) == (3 * G, G)
    assert resolution.resolved_by == net.noc.username
    assert resolution.reason == "router replaced: the new one is right"
    assert _p95(net.transit) == G  # rank 19 of 20 is now 1 Gbit/s
    stored = UsagePercentile.objects.get(service=net.transit, period="2026-10")
    assert stored.billable_bps == G  # the stored 95th follows
    # The month's billing uses it: 1 Gbit/s is under the 2 Gbit/s commit, no burst.
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    lines = InvoiceLine.objects.filter(contract=net.transit.contract, invoice__period="2026-10")
    assert set(lines.values_list("kind", flat=True)) == {LineKind.TRANSIT_COMMIT}
    assert UsagePercentile.objects.get(service=net.transit, period="2026-10").billable_bps == G


def test_keeping_the_value_stored_changes_nothing_but_is_recorded(conflicted):
    net = conflicted
    resolution = resolve_conflict(
        event=net.conflict, keep="stored", reason="the retry was wrong", actor=net.noc
    )
    assert (resolution.before_in_bps, resolution.in_bps, resolution.kept) == (
        3 * G,
        3 * G,
        "stored",
    )
    assert _p95(net.transit) == 3 * G
    with pytest.raises(InvalidTransition, match="resolved already"):
        resolve_conflict(event=net.conflict, keep="received", reason="again", actor=net.noc)


def test_refused_once_the_month_is_billed_and_for_customers(
    conflicted, django_capture_on_commit_callbacks
):
    net = conflicted
    with pytest.raises(Forbidden):
        resolve_conflict(event=net.conflict, keep="received", reason="mine", actor=net.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    with pytest.raises(InvalidTransition, match="Too late to resolve: 2026-10 is billed"):
        resolve_conflict(event=net.conflict, keep="received", reason="late", actor=net.noc)
    assert not UsageResolution.objects.exists()
    assert _p95(net.transit) == 3 * G


def test_the_portal_page_resolves_with_a_confirmation_and_shows_who_and_why(conflicted, client):
    net = conflicted
    client.force_login(net.noc)
    listing = client.get("/usage/decisions/?kind=conflict&resolved=false")
    assert listing.status_code == 200
    assert f'href="/usage/decisions/{net.conflict.pk}/"' in listing.content.decode()
    url = f"/usage/decisions/{net.conflict.pk}/"
    page = client.get(url).content.decode()
    assert "Take the value received: 1 Gbit/s in, 5 bit/s out" in page
    assert "capped at the port" not in page  # 1 Gbit/s on a 10G port is stored as received

    # No reason: the form says so on the field, nothing is resolved.
    missing = client.post(url, {"keep": "received", "reason": ""})
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    asked = client.post(url, {"keep": "received", "reason": "new router"})
    assert asked.status_code == 200 and "Resolve the conflict on" in asked.content.decode()
    assert not UsageResolution.objects.exists()  # nothing until confirmed
    done = client.post(url, {"keep": "received", "reason": "new router", "confirmed": "yes"})
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert net.noc.username in page and "new router" in page and "Take the value received" in page
    listing = client.get("/usage/decisions/?resolved=true").content.decode()
    assert "new router" in listing


def test_the_portal_refuses_a_billed_month_with_a_clear_message(
    conflicted, client, django_capture_on_commit_callbacks
):
    net = conflicted
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    client.force_login(net.noc)
    url = f"/usage/decisions/{net.conflict.pk}/"
    assert "Too late to resolve: 2026-10 is billed" in client.get(url).content.decode()
    refused = client.post(url, {"keep": "received", "reason": "x", "confirmed": "yes"})
    assert refused.status_code == 409
    assert "Too late to resolve" in refused.content.decode()


def test_customers_read_their_own_decisions_only(conflicted, client):
    net = conflicted
    url = f"/usage/decisions/{net.conflict.pk}/"
    client.force_login(net.buyer)
    page = client.get(url)
    assert page.status_code == 200 and 'name="keep"' not in page.content.decode()
    assert net.transit.circuit_id in client.get("/usage/decisions/").content.decode()
    assert (
        client.post(url, {"keep": "received", "reason": "x", "confirmed": "yes"}).status_code == 403
    )
    client.force_login(net.rival_user)
    assert client.get(url).status_code == 404
    assert net.transit.circuit_id not in client.get("/usage/decisions/").content.decode()
    assert client.post(url, {"keep": "received", "reason": "x"}).status_code == 404
    assert not UsageResolution.objects.exists()


def test_filters_and_a_bad_filter(conflicted, client):
    net = conflicted
    client.force_login(net.noc)
    assert net.transit.circuit_id in client.get("/usage/decisions/?period=2026-10").content.decode()
    empty = client.get("/usage/decisions/?period=2026-11").content.decode()
    assert "No usage decision matches these filters" in empty
    bad = client.get("/usage/decisions/?period=2026-13&kind=nope")
    assert bad.status_code == 400


def test_the_api_lists_and_resolves(conflicted):
    net = conflicted
    api = net.collector  # AZT's network key
    listing = api.get("/api/v1/usage-decisions/?kind=conflict&resolved=false")
    assert listing.status_code == 200, listing.content
    [row] = listing.json()["results"]
    assert (row["id"], row["period"], row["detail"]) == (
        net.conflict.pk,
        "2026-10",
        {"stored": [3 * G, 5], "received": [G, 5]},
    )
    customer, _ = key_client(net.customer, Role.CUSTOMER_MEMBER)
    url = f"/api/v1/usage-decisions/{net.conflict.pk}/resolve/"
    assert customer.post(url, {"keep": "received", "reason": "x"}, format="json").status_code == 403
    bad = api.post(url, {"keep": "both", "reason": ""}, format="json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"keep", "reason"}
    done = api.post(url, {"keep": "received", "reason": "new router"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["resolution"]["kept"] == "received"
    assert done.json()["resolution"]["in_bps"] == G
    again = api.post(url, {"keep": "stored", "reason": "again"}, format="json")
    assert again.status_code == 409
    rival, _ = key_client(net.other_customer, Role.CUSTOMER_MEMBER)
    assert rival.get(f"/api/v1/usage-decisions/{net.conflict.pk}/").status_code == 404
    assert rival.get("/api/v1/usage-decisions/").json()["count"] == 0


def test_the_choice_says_capped_only_for_a_value_above_the_port_speed(conflicted, client):
    net = conflicted
    ingest(samples=[_sample(net.transit.circuit_id, 18, 30 * G)], actor=net.noc)
    above = UsageEvent.objects.filter(kind=UsageEventKind.CONFLICT).latest("pk")
    assert above.pk != net.conflict.pk
    client.force_login(net.noc)
    page = client.get(f"/usage/decisions/{above.pk}/").content.decode()
    assert (
        "Take the value received: 30 Gbit/s in, 5 bit/s out (capped at the port&#x27;s 10 Gbit/s)"
        in page
    )
