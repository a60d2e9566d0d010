"""Ingest says what it did: each sample's decision (accepted, capped with the rates stored,
duplicate, conflict, baseline, reset, late, rejected), bounds that say they are bounds, and
times in the contract's format only, alike on the column path, the per-sample path, the series
endpoint, the CSV upload and the command."""

import datetime
import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from billing.models import UsageBatch, UsageEvent, UsagePort
from billing.services.usage import ingest, ingest_json
from billing.services.usage_percentiles import month_usage, services_for_usage

pytestmark = pytest.mark.django_db
URL = "/api/v1/usage/samples/"
START = datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC)
SPEED = 10_000_000_000  # the 10G transit port
DECISIONS = ("accepted", "capped", "duplicate", "conflict", "baseline", "reset", "late", "rejected")


def _ts(bucket: int, seconds: int = 0) -> str:
    moment = START + datetime.timedelta(minutes=5 * bucket, seconds=seconds)
    return moment.isoformat().replace("+00:00", "Z")


def _rate(circuit_id: str, bucket: int, in_bps: int, out_bps: int = 5, **extra: object) -> dict:
    return {
        "circuit_id": circuit_id,
        "ts": _ts(bucket),
        "in_bps": in_bps,
        "out_bps": out_bps,
        **extra,
    }


def _post(client, samples: list, query: str = "") -> dict:
    response = client.post(
        URL + query, json.dumps({"samples": samples}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _counts(body: dict, **nonzero: int) -> None:
    assert body["decisions"] == {d: nonzero.get(d, 0) for d in DECISIONS}


def _stored_in(service) -> list[int]:
    month = month_usage([services_for_usage().get(pk=service.pk)], "2026-10")[service.pk]
    return month.in_bps.tolist()


# The bucket of START in October (Baku): the month starts on 30 September, 20:00 UTC.
FIRST = (
    int((START - datetime.datetime(2026, 9, 30, 20, tzinfo=datetime.UTC)).total_seconds()) // 300
)


def test_a_rate_above_the_port_speed_is_answered_capped_with_the_rates_stored(usage):
    circuit = usage.transit.circuit_id
    body = _post(usage.collector, [_rate(circuit, 0, 3 * SPEED), _rate(circuit, 1, 7)])
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 0)  # the contract's
    assert body["results"] == [
        {
            "index": 0,
            "status": "accepted",
            "decision": "capped",
            "reason": "above the port's speed of 10 Gbit/s: stored capped at "
            "10 Gbit/s in, 5 bit/s out",
            "stored": {"in_bps": SPEED, "out_bps": 5},
        }
    ]
    _counts(body, accepted=1, capped=1)
    assert _stored_in(usage.transit)[FIRST : FIRST + 2] == [SPEED, 7]
    [clamp] = UsageEvent.objects.filter(kind="clamp")
    assert (clamp.ts, clamp.detail) == (
        int(START.timestamp()),
        {"in_bps": 3 * SPEED, "out_bps": 5, "speed_bps": SPEED},
    )


def test_another_value_above_the_port_speed_for_a_capped_bucket_is_a_conflict(usage):
    circuit = usage.transit.circuit_id
    _post(usage.collector, [_rate(circuit, 0, 3 * SPEED)])

    same = _post(usage.collector, [_rate(circuit, 0, 3 * SPEED)])
    assert (same["duplicates"], same["results"][0]["decision"]) == (1, "duplicate")
    _counts(same, duplicate=1)

    other = _post(usage.collector, [_rate(circuit, 0, 4 * SPEED)])
    assert (other["accepted"], other["duplicates"], other["rejected"]) == (0, 0, 1)
    assert other["results"] == [
        {
            "index": 0,
            "status": "rejected",
            "decision": "conflict",
            "reason": "conflict: the bucket already holds 10 Gbit/s in, 5 bit/s out, capped "
            "from 30 Gbit/s in, 5 bit/s out received before",
            "stored": {"in_bps": SPEED, "out_bps": 5},
        }
    ]
    conflict = UsageEvent.objects.get(kind="conflict")
    assert conflict.detail == {"stored": [SPEED, 5], "received": [4 * SPEED, 5]}
    assert UsageEvent.objects.filter(kind="clamp").count() == 1  # only the one stored
    assert _stored_in(usage.transit)[FIRST] == SPEED  # never overwritten

    # Exactly the port's speed is not what was received either, on the column path too.
    at_speed = ingest_json(
        json.dumps({"samples": [_rate(circuit, 0, SPEED)]}).encode(), actor=usage.noc
    )
    assert at_speed.by_columns
    assert [(r.decision, r.stored) for r in at_speed.results] == [("conflict", (SPEED, 5))]
    # The same bucket twice in one batch, capped: what the first sent decides the second.
    twice = _post(usage.collector, [_rate(circuit, 9, 2 * SPEED), _rate(circuit, 9, 5 * SPEED)])
    assert [r["decision"] for r in twice["results"]] == ["capped", "conflict"]


def test_counter_readings_that_bill_nothing_say_so(usage):
    circuit = usage.transit.circuit_id

    def reading(seconds: int, octets_in: int, octets_out: int) -> dict:
        return {
            "circuit_id": circuit,
            "ts": _ts(0, 10 + seconds),
            "in_octets": octets_in,
            "out_octets": octets_out,
        }

    body = _post(
        usage.collector,
        [
            reading(0, 0, 0),  # the port's first reading
            reading(300, 375_000_000, 37_500_000),  # 10 Mbit/s: billed
            reading(600, 1_000, 80_000_000),  # in went down: a reset
            reading(900, 1_000 + 10**12, 80_000_000),  # 26.7 Gbit/s on a 10G port: capped
            reading(2700, 2_000 + 10**12, 90_000_000),  # 30 minutes later: a gap
        ],
    )
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (5, 0, 0)
    _counts(body, accepted=1, baseline=2, reset=1, capped=1)
    results = {r["index"]: r for r in body["results"]}
    assert results[0]["decision"] == "baseline" and "first reading" in results[0]["reason"]
    assert results[2]["decision"] == "reset" and "not billed" in results[2]["reason"]
    assert results[3]["decision"] == "capped"
    assert results[3]["stored"] == {"in_bps": SPEED, "out_bps": 0}
    assert results[4]["decision"] == "baseline"
    assert "1800 s after the port's last reading" in results[4]["reason"]
    assert all(r["status"] == "accepted" for r in body["results"])
    # Only the 10 Mbit/s interval and the capped one were billed.
    assert [v for v in _stored_in(usage.transit) if v >= 0] == [10_000_000, SPEED]
    assert sorted(UsageEvent.objects.values_list("kind", flat=True)) == ["clamp", "gap", "reset"]


def test_values_beyond_the_bounds_say_which_bound(usage):
    circuit = usage.transit.circuit_id
    samples = (
        '{"samples": ['
        f'{{"circuit_id": "{circuit}", "ts": "{_ts(0)}", "in_bps": 1180591620717411303424, "out_bps": 1}},'  # noqa: E501 - 2^70 as sent
        f'{{"circuit_id": "{circuit}", "ts": "{_ts(1)}", "in_bps": 10000000000000, "out_bps": 1}},'
        f'{{"circuit_id": "{circuit}", "ts": "{_ts(2)}", "in_octets": 1180591620717411303424, "out_octets": 1}},'  # noqa: E501
        f'{{"circuit_id": "{circuit}", "ts": "{_ts(3)}", "in_octets": 1, "out_octets": 18446744073709551616}},'  # noqa: E501 - 2^64
        f'{{"circuit_id": "{circuit}", "ts": "{_ts(4)}", "in_bps": 1.5, "out_bps": 1}},'
        f'{{"circuit_id": "{circuit}", "ts": "{_ts(5)}", "in_bps": -1, "out_bps": 1}}'
        "]}"
    )
    response = usage.collector.post(URL, samples, content_type="application/json")
    assert response.status_code == 200, response.content
    reasons = [r["reason"] for r in response.json()["results"]]
    rate_bound = "the rate bound: at most 9,999,999,999,999 bit/s (10 Tbit/s)"
    counter_bound = "the 64-bit counter bound: at most 18,446,744,073,709,551,615 (2^64 - 1)"
    assert reasons == [
        f"in_bps is beyond {rate_bound}",
        f"in_bps is beyond {rate_bound}",
        f"in_octets is beyond {counter_bound}",
        f"out_octets is beyond {counter_bound}",
        "in_bps must be a whole number",
        "in_bps must be from 0 to 9,999,999,999,999",
    ]

    # A 32-bit counter's reading beyond 32 bits.
    UsagePort.objects.create(service=usage.transit, name="default", counter_bits=32)
    beyond = _post(
        usage.collector,
        [{"circuit_id": circuit, "ts": _ts(9), "in_octets": 2**32, "out_octets": 0}],
    )
    assert beyond["results"][0]["reason"] == (
        "in_octets is beyond the port's 32-bit counter bound: at most 4,294,967,295"
    )


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        ("20261005T000000Z", "ts must be ISO 8601 with separators, a T and its offset"),
        ("2026-10-05 00:00:00Z", "ts must be ISO 8601 with separators, a T and its offset"),
        ("2026-10-05T00:00:00+0000", "ts must be ISO 8601 with separators, a T and its offset"),
        ("2026-10-05T00:00:00", "ts needs an offset (Z or +04:00)"),
        ("20261005T000000", "ts needs an offset (Z or +04:00)"),
    ],
)
def test_only_times_in_the_contracts_format_are_taken(usage, ts, reason):
    circuit = usage.transit.circuit_id
    # A plain batch (the column path would take it) and a named port (sample by sample).
    for extra in ({}, {"port": "default"}):
        body = _post(usage.collector, [{**_rate(circuit, 0, 7, **extra), "ts": ts}])
        assert body["rejected"] == 1
        assert body["results"][0]["decision"] == "rejected"
        assert body["results"][0]["reason"].startswith(reason)
    series = usage.collector.post(
        "/api/v1/usage/series/",
        {"series": [{"circuit_id": circuit, "start": ts, "in_bps": [1], "out_bps": [1]}]},
        format="json",
    )
    assert series.status_code == 400
    expected = reason.replace("ts", "series[0].start", 1)
    assert series.json()["errors"]["series"][0].startswith(expected)


def test_times_in_the_contracts_format_are_taken_with_any_offset(usage):
    circuit = usage.transit.circuit_id
    body = _post(
        usage.collector,
        [
            {**_rate(circuit, 0, 1), "ts": "2026-10-05T04:00:00+04:00"},
            {**_rate(circuit, 1, 2), "ts": "2026-10-05T00:05Z"},
            {**_rate(circuit, 2, 3), "ts": "2026-10-04T19:10:00.000-05:00"},
        ],
    )
    assert (body["accepted"], body["results"]) == (3, [])
    assert _stored_in(usage.transit)[FIRST : FIRST + 3] == [1, 2, 3]


def test_every_result_on_request_and_a_bad_choice_is_a_400(usage):
    circuit = usage.transit.circuit_id
    samples = [_rate(circuit, 0, 1), _rate(circuit, 1, 3 * SPEED), {"circuit_id": circuit}]
    body = _post(usage.collector, samples, "?results=all")
    assert [(r["index"], r["status"], r["decision"]) for r in body["results"]] == [
        (0, "accepted", "accepted"),
        (1, "accepted", "capped"),
        (2, "rejected", "rejected"),
    ]
    one = {"circuit_id": circuit, "start": _ts(0), "in_bps": [1, 3 * SPEED, 4], "out_bps": [5] * 3}
    series = usage.collector.post(
        "/api/v1/usage/series/?results=all", {"series": [one]}, format="json"
    ).json()
    assert [(r["ts"], r["decision"]) for r in series["results"]] == [
        (_ts(0), "duplicate"),
        (_ts(1), "duplicate"),  # what was sent, though more than the rates stored
        (_ts(2), "accepted"),
    ]
    _counts(series, accepted=1, duplicate=2)
    batches = UsageBatch.objects.count()
    bad = usage.collector.post(URL + "?results=some", {"samples": samples}, format="json")
    assert bad.status_code == 400 and "results" in bad.json()["errors"]
    assert UsageBatch.objects.count() == batches  # refused before anything was taken


def test_the_csv_upload_and_the_command_name_the_decisions(usage, client, tmp_path):
    circuit = usage.transit.circuit_id
    lines = [
        "circuit_id,ts,in_bps,out_bps",
        f"{circuit},{_ts(0)},{3 * SPEED},5",
        f"{circuit},{_ts(1)},7,5",
        f"{circuit},20261005T001000Z,7,5",
    ]
    client.force_login(usage.noc)
    upload = SimpleUploadedFile("usage.csv", "\n".join(lines).encode(), content_type="text/csv")
    page = client.post("/usage/upload/", {"file": upload}).content.decode()
    assert "2 accepted, 0 duplicates, 1 rejected" in page
    assert "Decisions: 1 accepted, 1 capped, 1 rejected." in page
    assert "ts must be ISO 8601 with separators" in page

    path = tmp_path / "usage.csv"
    path.write_text("\n".join([lines[0], f"{circuit},{_ts(0)},{4 * SPEED},5"]) + "\n")
    out, err = StringIO(), StringIO()
    call_command("ingest_usage", str(path), "--operator", usage.azt.name, stdout=out, stderr=err)
    assert "0 accepted, 0 duplicates, 1 rejected of 1 rows." in out.getvalue()
    assert "Decisions: 1 conflict." in out.getvalue()
    assert "line 2: conflict: the bucket already holds" in err.getvalue()


def test_the_per_sample_and_column_paths_agree_on_each_decision(usage):
    """The column path declines a batch with a rate above a port's speed; for the others it
    decides each sample as the per-sample path does (a named port forces that path)."""
    circuit = usage.transit.circuit_id
    prior = [_rate(circuit, 0, SPEED), _rate(circuit, 1, 5), _rate(circuit, 2, 3 * SPEED)]
    ingest(samples=prior, actor=usage.noc)
    batch = [_rate(circuit, b, v) for b, v in ((0, SPEED), (1, 6), (2, SPEED), (3, 8))]
    by_columns = ingest_json(json.dumps({"samples": batch}).encode(), actor=usage.noc)
    assert by_columns.by_columns
    by_samples = ingest(samples=[{**s, "port": "default"} for s in batch], actor=usage.noc)
    assert not by_samples.by_columns
    expected = [
        ("duplicate", None),
        ("conflict", (5, 5)),
        ("conflict", (SPEED, 5)),  # capped from 3 x the speed: the speed itself is another value
        ("accepted", None),
    ]
    assert [(r.decision, r.stored) for r in by_columns.results] == expected
    assert [(r.decision, r.stored) for r in by_samples.results][:3] == expected[:3]
    assert by_samples.results[3].decision == "duplicate"  # stored by the column batch
