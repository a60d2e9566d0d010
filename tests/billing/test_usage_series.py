"""``POST /api/v1/usage/series/``: rates a service at a time, decided as sample by sample."""

import datetime
import json
import random

import pytest
from rest_framework.test import APIClient

from billing.models import UsageBatch, UsageDay, UsageEvent, UsagePort
from billing.services.usage import ingest_json, ingest_series
from billing.services.usage_archive import read_payload
from billing.services.usage_percentiles import month_usage, services_for_usage
from billing.services.usage_series import MAX_SERIES_SAMPLES
from organisations.choices import Role

from ..conftest import key_client
from ..factories import OperatorFactory
from .conftest import transit_service

pytestmark = pytest.mark.django_db
URL = "/api/v1/usage/series/"
START = datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC)
FIRST = 4 * 288 + 48  # 5 October 00:00 UTC in October's buckets as billed in Baku (+04:00)


def _text(moment: datetime.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _ts(bucket: int) -> str:
    return _text(START + datetime.timedelta(minutes=5 * bucket))


def _series(circuit_id, in_bps, out_bps=None, start=0, **extra):
    out_bps = [None if v is None else v // 3 for v in in_bps] if out_bps is None else out_bps
    return {"circuit_id": circuit_id, "start": _ts(start), "in_bps": in_bps, "out_bps": out_bps,
            **extra}  # fmt: skip


def _stored(service) -> tuple[list[int], list[int]]:
    month = month_usage([services_for_usage().get(pk=service.pk)], "2026-10")[service.pk]
    return month.in_bps.tolist(), month.out_bps.tolist()


def _post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_operators_post_series_and_hear_of_each_sample_not_accepted(usage):
    circuit = usage.transit.circuit_id
    values = [3_000_000_000, None, 1_000_000_000, 2_000_000_000]
    response = _post(usage.collector, {"series": [_series(circuit, values, start=1)]})
    assert response.status_code == 200, response.content
    body = response.json()
    # The null bucket is a gap, not a sample: three accepted, nothing else to say.
    assert (body["accepted"], body["duplicates"], body["rejected"], body["results"]) == (
        3,
        0,
        0,
        [],
    )
    stored_in, stored_out = _stored(usage.transit)
    assert stored_in[FIRST : FIRST + 6] == [-1, 3_000_000_000, -1, 1_000_000_000, 2_000_000_000, -1]
    assert stored_out[FIRST + 1] == 1_000_000_000

    # Again, one changed: duplicates, and a conflict that says where it is.
    values[3] = 2_500_000_000
    again = _post(usage.collector, {"series": [_series(circuit, values, start=1)]}).json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, 1)
    assert again["results"][0] == {
        "series": 0,
        "ts": _ts(1),
        "status": "duplicate",
        "decision": "duplicate",
    }
    assert again["results"][2]["series"] == 0 and again["results"][2]["ts"] == _ts(4)
    assert (again["results"][2]["status"], again["results"][2]["decision"]) == (
        "rejected",
        "conflict",
    )
    assert again["results"][2]["reason"].startswith("conflict")
    assert _stored(usage.transit)[0][FIRST + 4] == 2_000_000_000  # never silently overwritten
    assert UsageEvent.objects.filter(kind="conflict").count() == 1

    batch = UsageBatch.objects.get(pk=body["batch"])
    assert json.loads(read_payload(batch))["series"][0]["in_bps"] == [
        3_000_000_000,
        None,
        1_000_000_000,
        2_000_000_000,
    ]
    assert (batch.samples, batch.accepted) == (3, 3)


@pytest.mark.parametrize("seed", range(4))
def test_a_series_is_decided_as_its_samples_would_be(usage, seed):
    """Two identical services get the same history; then one gets a body of series and the
    other the same buckets as samples: every result, stored bucket and event is the same.
    Bodies with gaps only take the column path; bodies with a half-null bucket, a negative
    rate or one above the port's speed go sample by sample."""
    rng = random.Random(seed)
    twin = transit_service(usage, activated_on=datetime.date(2026, 1, 1))
    before = {b: rng.randrange(10**9) for b in rng.sample(range(2 * 288), 150)}
    for service in (usage.transit, twin):
        prior = [
            {"circuit_id": service.circuit_id, "ts": _ts(b), "in_bps": v, "out_bps": v // 3}
            for b, v in before.items()
        ]
        assert ingest_json(json.dumps({"samples": prior}).encode(), actor=usage.noc).by_columns

    def values(start, length):
        out = []
        for bucket in range(start, start + length):
            roll = rng.random()
            if roll < 0.1:
                out.append((None, None))
            elif bucket in before and roll < 0.5:
                out.append((before[bucket], before[bucket] // 3))  # a duplicate
            else:
                out.append((rng.randrange(10**9), rng.randrange(10**9)))  # new, or a conflict
        if seed % 2:  # values the column path declines
            out[3] = (None, 5)
            out[5] = (-1, 1)
            out[7] = (10**11, 1)  # above the 10G port: clamped, recorded
        return out

    # Two series of the service; with an odd seed the second overlaps the first's last buckets.
    second = 290 if seed % 2 else 300
    pieces = [(0, values(0, 300)), (second, values(second, 200))]

    def series_body(circuit):
        return {
            "series": [
                {
                    "circuit_id": circuit,
                    "start": _ts(start),
                    "in_bps": [a for a, _ in piece],
                    "out_bps": [b for _, b in piece],
                }
                for start, piece in pieces
            ]
        }

    samples = [
        {"circuit_id": twin.circuit_id, "ts": _ts(start + i), "in_bps": a, "out_bps": b}
        for start, piece in pieces
        for i, (a, b) in enumerate(piece)
        if (a, b) != (None, None)
    ]
    by_series, series = ingest_series(
        json.dumps(series_body(usage.transit.circuit_id)).encode(), actor=usage.noc
    )
    by_samples = ingest_json(json.dumps({"samples": samples}).encode(), actor=usage.noc)

    assert by_series.size == len(samples) == by_samples.size
    assert by_series.by_columns == by_samples.by_columns == (seed % 2 == 0)
    assert [(r.status, r.reason) for r in by_series.results] == [
        (r.status, r.reason) for r in by_samples.results
    ]
    assert [ts for _, ts in series.where(list(range(series.size)))] == [s["ts"] for s in samples]
    assert by_series.count("duplicate") > 0 and by_series.count("rejected") > 0
    assert _stored(usage.transit) == _stored(twin)
    events = [
        sorted(
            (e.ts, e.kind, json.dumps(e.detail))
            for e in UsageEvent.objects.filter(port__service=service, batch=result.batch)
        )
        for service, result in ((usage.transit, by_series), (twin, by_samples))
    ]
    assert events[0] == events[1]


def test_plain_series_take_the_column_path_and_others_the_sample_path(usage):
    circuit = usage.transit.circuit_id
    plain, _ = ingest_series(
        json.dumps({"series": [_series(circuit, [5, None, 7])]}).encode(), actor=usage.noc
    )
    assert plain.by_columns and plain.size == 2
    half, _ = ingest_series(
        json.dumps({"series": [_series(circuit, [8, 9], [None, 3], start=10)]}).encode(),
        actor=usage.noc,
    )
    assert not half.by_columns
    assert [(r.status, r.reason) for r in half.results] == [
        ("rejected", "out_bps must be a whole number"),
        ("accepted", ""),
    ]
    named, _ = ingest_series(
        json.dumps({"series": [_series(circuit, [4], start=20, port="default")]}).encode(),
        actor=usage.noc,
    )
    assert not named.by_columns and named.count("accepted") == 1


def _good(circuit):
    return _series(circuit, [1, 2])


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (lambda c: {}, "missing required field `series`"),
        (lambda c: {"series": "all"}, "Expected `array`"),
        (lambda c: {"series": [_good(c), {"circuit_id": c, "start": _ts(0)}]}, "`in_bps`"),
        (lambda c: {"series": [_good(c), {**_good(c), "in_bps": 5}]}, "`$.series[1].in_bps`"),
        (lambda c: {"series": [_good(c), _series(c, [1], extra=1)]}, "unknown field `extra`"),
        (
            lambda c: {"series": [_good(c), {**_good(c), "start": "2026-10-05T00:01:00Z"}]},
            "series[1].start must be the start of a 5-minute bucket",
        ),
        (
            lambda c: {"series": [_good(c), {**_good(c), "start": "2026-10-05T00:00:00"}]},
            "series[1].start needs an offset (Z or +04:00)",
        ),
        (
            lambda c: {"series": [_good(c), {**_good(c), "start": "9999-12-31T23:55:00Z"}]},
            "series[1]: its buckets must fall in the years 1 to 9999",
        ),
        (
            lambda c: {"series": [{**_good(c), "start": "0001-01-01T00:00:00+14:00"}]},
            "series[0]: its buckets must fall in the years 1 to 9999",
        ),
        (lambda c: {"series": [_good(c), _series(c, [1, 2], [1])]}, "same length"),
        (
            lambda c: {"series": [_series(c, [1] * (MAX_SERIES_SAMPLES // 2 + 1))] * 2},
            f"at most {MAX_SERIES_SAMPLES} buckets",
        ),
    ],
)
def test_a_body_not_of_series_is_a_400_that_says_where(usage, body, says):
    response = _post(usage.collector, body(usage.transit.circuit_id))
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["type"] and says in error["errors"]["series"][0]
    assert not UsageDay.objects.exists() and not UsageBatch.objects.exists()  # nothing kept


def test_a_rate_that_is_no_whole_number_is_refused_alone(usage):
    """As in /usage/samples/: a bool, a fraction, text or a number beyond 64 bits is that
    sample's refusal; the other buckets of the body are stored."""
    circuit = usage.transit.circuit_id
    values = [7, True, 1.5, "8", 2**64, 9, 1.0]
    body = {"series": [_series(circuit, values, [1] * len(values))]}
    answer = _post(usage.collector, body).json()
    assert (answer["accepted"], answer["rejected"]) == (2, 5)
    assert [(r["ts"], r["reason"]) for r in answer["results"]] == [
        (_ts(1), "in_bps must be a whole number"),
        (_ts(2), "in_bps must be a whole number"),
        (_ts(3), "in_bps must be a whole number"),
        (_ts(4), "in_bps is beyond the rate bound: at most 9,999,999,999,999 bit/s (10 Tbit/s)"),
        (_ts(6), "in_bps must be a whole number"),
    ]
    stored_in, _ = _stored(usage.transit)
    assert stored_in[FIRST : FIRST + 7] == [7, -1, -1, -1, -1, 9, -1]


def test_series_of_several_services_each_decided_on_its_own(usage):
    """Several circuits in one body: an unknown one, a service of two ports (fed by naming its
    port), a start with an offset, and buckets before a service's activation."""
    two = transit_service(usage, activated_on=datetime.date(2026, 10, 5))
    UsagePort.objects.create(service=two, name="a")
    UsagePort.objects.create(service=two, name="b")
    circuit = usage.transit.circuit_id
    baku = START.astimezone(datetime.timezone(datetime.timedelta(hours=4))).isoformat()
    assert baku == "2026-10-05T04:00:00+04:00"
    body = {
        "series": [
            {**_series(circuit, [10, 11]), "start": baku},
            _series("TCFO-NOPE-9", [12]),
            _series(two.circuit_id, [13, 14], start=-1),  # from 4 October 23:55Z
            _series(two.circuit_id, [15], start=5, port="b"),
        ]
    }
    answer = _post(usage.collector, body).json()
    assert (answer["accepted"], answer["rejected"]) == (3, 3)
    assert [(r["series"], r["ts"], r["reason"]) for r in answer["results"]] == [
        (1, _ts(0), "unknown circuit TCFO-NOPE-9"),
        (2, _ts(-1), "outside the service's active period"),
        (2, _ts(0), f"{two.circuit_id} has 2 ports: name the port"),
    ]
    assert _stored(usage.transit)[0][FIRST : FIRST + 2] == [10, 11]
    port_b = UsagePort.objects.get(service=two, name="b")
    assert UsageDay.objects.filter(port=port_b).count() == 1


def test_a_plain_body_across_series_takes_the_column_path_and_finds_repeats(usage):
    """Two series of one service in one plain body: the column path takes it unless they share
    a bucket, which then goes sample by sample (the second a duplicate or a conflict)."""
    circuit = usage.transit.circuit_id
    apart, _ = ingest_series(
        json.dumps({"series": [_series(circuit, [1, 2]), _series(circuit, [3], start=2)]}).encode(),
        actor=usage.noc,
    )
    assert apart.by_columns and apart.count("accepted") == 3
    body = {"series": [_series(circuit, [4, 5], start=3), _series(circuit, [5, 6], start=4)]}
    overlapping, decoded = ingest_series(json.dumps(body).encode(), actor=usage.noc)
    assert not overlapping.by_columns
    assert [(r.status, r.reason.split(":")[0]) for r in overlapping.results] == [
        ("accepted", ""),
        ("accepted", ""),
        ("duplicate", ""),
        ("accepted", ""),
    ]
    assert decoded.where([2]) == [(1, _ts(4))]


def test_a_body_that_is_not_json_or_not_json_typed_is_refused(usage):
    response = usage.collector.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    body = json.dumps({"series": []})
    assert usage.collector.post(URL, body, content_type="text/plain").status_code == 415
    empty = _post(usage.collector, {"series": []}).json()
    assert (empty["accepted"], empty["rejected"]) == (0, 0)


def test_only_the_operators_of_a_service_feed_it(usage):
    body = {"series": [_series(usage.transit.circuit_id, [1, 2])]}
    customer = key_client(usage.customer)[0]
    finance = key_client(usage.azt, Role.OPERATOR_FINANCE)[0]
    assert _post(customer, body).status_code == 403
    assert _post(finance, body).status_code == 403
    assert APIClient().post(URL, body, format="json").status_code == 401

    stranger = key_client(OperatorFactory(), Role.OPERATOR_NETWORK)[0]
    answer = _post(stranger, body).json()
    assert answer["rejected"] == 2 and answer["accepted"] == 0
    reason = f"unknown circuit {usage.transit.circuit_id}"
    assert [r["reason"] for r in answer["results"]] == [reason, reason]
    assert not UsageDay.objects.exists()
    assert not UsagePort.objects.filter(service=usage.transit).exists()  # nor a port made


def test_the_schema_documents_the_series_endpoint(client):
    schema = client.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/usage/series/"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/UsageSeriesRequest")
