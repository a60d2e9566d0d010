"""The two ingest paths decide alike; concurrent batches; payloads kept as received."""

import datetime
import gzip
import hashlib
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from django.db import connections

from billing.models import UsageBatch, UsageDay, UsageEvent, UsagePort
from billing.services.usage import ingest, ingest_json
from billing.services.usage_archive import compact_payloads, read_payload
from billing.services.usage_days import claim_days
from billing.services.usage_percentiles import month_usage, services_for_usage
from organisations.choices import Role

from ..factories import UserFactory
from .conftest import transit_service

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC)


def _rate(circuit_id: str, bucket: int, value: int, **extra: object) -> dict:
    ts = (START + datetime.timedelta(minutes=5 * bucket)).isoformat().replace("+00:00", "Z")
    return {"circuit_id": circuit_id, "ts": ts, "in_bps": value, "out_bps": value // 3, **extra}


def _stored(service) -> tuple[list[int], list[int]]:
    month = month_usage([services_for_usage().get(pk=service.pk)], "2026-10")[service.pk]
    return month.in_bps.tolist(), month.out_bps.tolist()


@pytest.mark.parametrize("seed", range(4))
def test_the_column_path_decides_as_the_per_sample_path(usage, seed):
    """Two identical services get the same history and the same batch, one batch through the
    column path and the other sample by sample (a port named forces it): every result, event
    and stored bucket is the same."""
    rng = random.Random(seed)
    twin = transit_service(usage, activated_on=datetime.date(2026, 1, 1))
    # Three days of buckets; some stored before, the batch then repeats, changes or adds them.
    buckets = rng.sample(range(3 * 288), 400)
    before = {b: rng.randrange(10**9) for b in buckets[:150]}
    batch_values = {}
    for bucket in buckets:
        if bucket in before and rng.random() < 0.5:
            batch_values[bucket] = before[bucket]  # a duplicate
        else:
            batch_values[bucket] = rng.randrange(10**9)  # new, or a conflict
    for service in (usage.transit, twin):
        prior = [_rate(service.circuit_id, b, v) for b, v in before.items()]
        assert ingest(samples=prior, actor=usage.noc).count("accepted") == len(before)
    order = rng.sample(buckets, len(buckets))

    body = {"samples": [_rate(usage.transit.circuit_id, b, batch_values[b]) for b in order]}
    by_columns = ingest_json(json.dumps(body).encode(), actor=usage.noc)
    named = [_rate(twin.circuit_id, b, batch_values[b], port="default") for b in order]
    by_samples = ingest(samples=named, actor=usage.noc)

    assert by_columns.by_columns and not by_samples.by_columns
    assert [(r.status, r.reason) for r in by_columns.results] == [
        (r.status, r.reason) for r in by_samples.results
    ]
    assert by_columns.count("duplicate") > 0 and by_columns.count("rejected") > 0
    assert _stored(usage.transit) == _stored(twin)
    events = {
        port: sorted((e.ts, e.kind, json.dumps(e.detail)) for e in UsageEvent.objects.filter(
            port__service=service, batch=result.batch
        ))
        for port, service, result in (("a", usage.transit, by_columns), ("b", twin, by_samples))
    }  # fmt: skip
    assert events["a"] == events["b"] and len(events["a"]) == by_columns.count("rejected")
    stored = _stored(usage.transit)[0]
    first = int((START - datetime.datetime(2026, 9, 30, 20, tzinfo=datetime.UTC)).total_seconds())
    for bucket in buckets:
        expected = before.get(bucket, batch_values[bucket])
        assert stored[first // 300 + bucket] == expected


def test_a_batch_the_column_path_cannot_take_goes_sample_by_sample(usage):
    circuit = usage.transit.circuit_id
    samples = [_rate(circuit, b, 1000 + b) for b in range(10)]
    samples[4]["in_bps"] = True  # a bool is no number
    samples[7]["in_bps"] = 10**11  # above the 10G port: clamped, recorded
    result = ingest_json(json.dumps({"samples": samples}).encode(), actor=usage.noc)
    assert not result.by_columns
    assert [r.status for r in result.results] == ["accepted"] * 4 + ["rejected"] + ["accepted"] * 5
    assert result.results[4].reason == "in_bps must be a whole number"
    assert UsageEvent.objects.get(kind="clamp").detail["in_bps"] == 10**11
    again = ingest_json(json.dumps({"samples": samples[:4]}).encode(), actor=usage.noc)
    assert again.by_columns and again.count("duplicate") == 4


def test_the_column_path_finds_each_services_port_and_its_speed(usage):
    """A service's first batch gets its ``default`` port and takes the column path; a port's
    own speed (not the product's) bounds its rates; a service of two ports, an unknown circuit
    and a terminated service's later buckets leave the batch to the per-sample path."""
    first = usage.transit
    assert not UsagePort.objects.filter(service=first).exists()
    result = ingest_json(
        json.dumps({"samples": [_rate(first.circuit_id, 0, 9_000_000_000)]}).encode(),
        actor=usage.noc,
    )
    assert result.by_columns and result.count("accepted") == 1
    port = UsagePort.objects.get(service=first)
    assert port.name == "default"

    port.speed_mbps = 1_000  # a 1G port on the 10G product
    port.save()
    slow = ingest_json(
        json.dumps({"samples": [_rate(first.circuit_id, 1, 2_000_000_000)]}).encode(),
        actor=usage.noc,
    )
    assert not slow.by_columns and slow.count("accepted") == 1
    clamp = UsageEvent.objects.get(kind="clamp", batch=slow.batch)
    assert clamp.detail["speed_bps"] == 1_000_000_000

    other = transit_service(usage, activated_on=datetime.date(2026, 1, 1))
    UsagePort.objects.create(service=other, name="a")
    UsagePort.objects.create(service=other, name="b")

    def mixed_with(circuit: str, bucket: int) -> list[tuple[str, str]]:
        samples = [_rate(first.circuit_id, bucket, 5), _rate(circuit, bucket, 5)]
        mixed = ingest_json(json.dumps({"samples": samples}).encode(), actor=usage.noc)
        assert not mixed.by_columns
        return [(r.status, r.reason) for r in mixed.results]

    two_ports = f"{other.circuit_id} has 2 ports: name the port"
    assert mixed_with(other.circuit_id, 2) == [("accepted", ""), ("rejected", two_ports)]
    unknown = "unknown circuit TCFO-NOPE-1"
    assert mixed_with("TCFO-NOPE-1", 3) == [("accepted", ""), ("rejected", unknown)]
    UsagePort.objects.filter(service=other, name="b").delete()
    other.terminated_on = START.date()  # its buckets from 5 October on are refused
    other.save()
    ended = "outside the service's active period"
    assert mixed_with(other.circuit_id, 4) == [("accepted", ""), ("rejected", ended)]


def test_claim_days_across_chunks_inserts_new_days_and_hands_back_stored_ones(usage):
    """1,200 day rows of two ports, more than two statements' worth: the days not stored yet are
    inserted with the proposed rates, the stored ones come back as they are, unchanged."""
    ports = [UsagePort.objects.create(service=usage.transit, name=n).pk for n in ("a", "b")]
    keys = [(port, day) for port in ports for day in range(20_000, 20_600)]

    def rates(key: tuple[int, int], salt: int) -> tuple[bytes, bytes]:
        day = np.full(288, key[0] * 1_000_000 + key[1] + salt, dtype="<i8")
        return day.tobytes(), (day // 3).tobytes()

    before = keys[::3]
    first = claim_days({key: rates(key, 1) for key in before})
    assert all(day.inserted for day in first.values()) and len(first) == len(before)
    claimed = claim_days({key: rates(key, 2) for key in keys})
    assert len(claimed) == len(keys) == UsageDay.objects.count()
    for key in keys:
        day = claimed[key]
        stored = key in first
        assert day.inserted is not stored
        assert (day.in_bps, day.out_bps) == rates(key, 1 if stored else 2)
        if stored:
            assert day.pk == first[key].pk
    rows = UsageDay.objects.filter(pk__in=[claimed[keys[1]].pk, claimed[keys[3]].pk])
    assert {bytes(row.in_bps) for row in rows} == {rates(keys[1], 2)[0], rates(keys[3], 1)[0]}


def test_an_api_body_of_another_type_is_a_415(usage):
    body = json.dumps({"samples": [_rate(usage.transit.circuit_id, 0, 5)]})
    response = usage.collector.post("/api/v1/usage/samples/", body, content_type="text/plain")
    assert response.status_code == 415
    assert not UsageDay.objects.exists()


def test_the_payload_is_kept_as_received_and_gzipped_once_its_day_is_over(usage, client):
    body = json.dumps({"samples": [_rate(usage.transit.circuit_id, b, 7) for b in range(3)]})
    raw = body.encode()
    response = usage.collector.post("/api/v1/usage/samples/", raw, content_type="application/json")
    assert response.status_code == 200
    batch = UsageBatch.objects.get(pk=response.json()["batch"])
    assert batch.payload.name.endswith(".json")
    with batch.payload.open("rb") as file:
        assert file.read() == raw  # byte for byte, not re-encoded
    assert batch.payload_sha256 == hashlib.sha256(raw).hexdigest()
    assert batch.payload_bytes == len(raw)

    assert compact_payloads(before=batch.received_at) == 0  # its day is not over
    assert compact_payloads(before=batch.received_at + datetime.timedelta(days=1)) == 1
    old = batch.payload.name
    batch.refresh_from_db()
    assert batch.payload.name == old + ".gz"
    assert not batch.payload.storage.exists(old)
    with batch.payload.open("rb") as file:
        assert gzip.decompress(file.read()) == raw
    assert read_payload(batch) == raw
    assert compact_payloads(before=batch.received_at + datetime.timedelta(days=1)) == 0

    client.force_login(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    page = client.get(f"/admin/billing/usagebatch/{batch.pk}/change/")
    assert batch.payload_sha256 in page.content.decode()
    download = client.get(f"/admin/billing/usagebatch/{batch.pk}/payload/")
    assert download.status_code == 200 and download.content == raw
    assert download["Content-Disposition"].endswith('.json"')
    client.force_login(UserFactory(organisation=usage.azt, role=Role.OPERATOR_NETWORK))
    assert client.get(f"/admin/billing/usagebatch/{batch.pk}/payload/").status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_on_the_same_days_lose_nothing_and_never_deadlock(usage):
    """Eight collectors at once send overlapping buckets of four days, two of them partly stored
    already (merged under a lock) and two not stored yet (inserted): each day row is made once,
    every bucket lands, a bucket sent again is a duplicate."""
    circuit = usage.transit.circuit_id
    rng = np.random.default_rng(7)
    values = rng.integers(1, 10**9, size=4 * 288)
    stored_before = [int(b) for b in rng.choice(2 * 288, 200, replace=False)]  # days 1 and 2
    prior = [_rate(circuit, b, int(values[b])) for b in stored_before]
    assert ingest_json(json.dumps({"samples": prior}).encode(), actor=usage.noc).by_columns
    batches = [
        [_rate(circuit, int(b), int(values[b])) for b in rng.choice(4 * 288, 500, replace=False)]
        for _ in range(8)
    ]
    barrier = threading.Barrier(len(batches))

    def send(samples: list[dict]) -> tuple[int, int]:
        try:
            barrier.wait()
            result = ingest_json(json.dumps({"samples": samples}).encode(), actor=usage.noc)
            assert result.by_columns
            return result.count("accepted"), result.count("duplicate")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        counts = list(pool.map(send, batches))
    sent = {s["ts"] for samples in batches for s in samples}
    new = sent - {s["ts"] for s in prior}
    assert len(new) < len(sent)  # some of the sent buckets were stored before
    assert sum(accepted for accepted, _ in counts) == len(new)
    assert sum(duplicates for _, duplicates in counts) == 8 * 500 - len(new)
    assert UsageDay.objects.count() == 4
    stored = _stored(usage.transit)[0]
    first = int((START - datetime.datetime(2026, 9, 30, 20, tzinfo=datetime.UTC)).total_seconds())
    for samples in batches:
        for sample in samples:
            bucket = round(
                (datetime.datetime.fromisoformat(sample["ts"]) - START).total_seconds() / 300
            )
            assert stored[first // 300 + bucket] == sample["in_bps"]
    assert not UsageEvent.objects.filter(kind="conflict").exists()


def test_a_bucket_twice_in_one_batch_is_taken_in_order(usage):
    circuit = usage.transit.circuit_id
    samples = [_rate(circuit, 0, 500), _rate(circuit, 1, 600), _rate(circuit, 0, 500)]
    samples.append(_rate(circuit, 1, 601))
    result = ingest_json(json.dumps({"samples": samples}).encode(), actor=usage.noc)
    assert not result.by_columns
    assert [r.status for r in result.results] == ["accepted", "accepted", "duplicate", "rejected"]
    assert (
        result.results[3].reason == "conflict: the bucket already holds 600 bit/s in, 200 bit/s out"
    )


@pytest.mark.django_db(transaction=True)
def test_payloads_stored_in_the_database_move_to_files():
    """Migration 0012: a payload kept gzip'd in the database becomes a ``.gz`` file as it is."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("billing", "0011_usage_days_lz4")], [("billing", "0012_usage_payload_files")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_model = executor.loader.project_state(before).apps.get_model("billing", "UsageBatch")
    raw = b"circuit_id,ts,in_bps,out_bps\nTCFO-IPT10-000001,2026-10-01T00:00:00Z,5,2\n"
    old = old_model.objects.create(source="csv", submitted_by="x", raw=gzip.compress(raw))
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    batch = UsageBatch.objects.get(pk=old.pk)
    assert batch.payload.name.endswith(f"csv-batch-{old.pk}.csv.gz")
    assert read_payload(batch) == raw
    assert batch.payload_sha256 == hashlib.sha256(raw).hexdigest()
    assert batch.payload_bytes == len(raw)

    executor = MigrationExecutor(connection)
    executor.migrate(before)  # and back: the file's bytes return to the column, still gzip'd
    back = executor.loader.project_state(before).apps.get_model("billing", "UsageBatch")
    assert gzip.decompress(bytes(back.objects.get(pk=old.pk).raw)) == raw
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.postgres
def test_day_rows_are_compressed_with_lz4_on_postgresql():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression, attstorage FROM pg_attribute "
            "WHERE attrelid = 'billing_usageday'::regclass AND attname IN ('in_bps', 'out_bps')"
        )
        columns = {name: (compression, storage) for name, compression, storage in cursor}
    # LZ4 ('l'), or stored uncompressed out of line ('e') where the server has no LZ4.
    assert columns in (
        {"in_bps": ("l", "x"), "out_bps": ("l", "x")},
        {"in_bps": ("", "e"), "out_bps": ("", "e")},
    )


@pytest.mark.postgres
def test_a_batch_that_fails_to_save_leaves_no_payload_file(usage, settings):
    """A submitter name too long for its column fails the batch's insert on PostgreSQL: nothing
    is stored, the payload file included."""
    from django.db import DataError

    from organisations.access import SystemActor

    actor = SystemActor(usage.azt, Role.OPERATOR_NETWORK, "x" * 200)
    with pytest.raises(DataError):
        ingest(samples=[_rate(usage.transit.circuit_id, 0, 5)], actor=actor)
    assert not UsageDay.objects.exists() and not UsageBatch.objects.exists()
    assert not list((settings.MEDIA_ROOT / "usage").rglob("*.*"))


def test_compaction_skips_an_unreadable_file_and_deletes_files_of_no_batch(usage, caplog):
    """A payload file gone missing is logged and the others are still compacted; a file no
    batch names (its ingest rolled back after writing it) is deleted from the days swept."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    first, second = (
        ingest(samples=[_rate(usage.transit.circuit_id, b, 9)], actor=usage.noc).batch
        for b in (0, 1)
    )
    default_storage.delete(first.payload.name)
    folder = first.payload.name.rsplit("/", 1)[0]
    orphan = default_storage.save(f"{folder}/api-orphan.json", ContentFile(b"{}"))
    tomorrow = second.received_at + datetime.timedelta(days=1)

    assert compact_payloads(before=tomorrow) == 1
    assert "not compacted" in caplog.text
    second.refresh_from_db()
    assert second.payload.name.endswith(".json.gz")
    assert json.loads(read_payload(second))[0]["in_bps"] == 9  # the samples, as written
    assert not default_storage.exists(orphan)
    first.refresh_from_db()
    assert first.payload.name.endswith(".json")  # left as it is, for someone to look into


def test_a_body_that_is_not_utf8_is_a_parse_error(usage):
    body = b'{"samples": [{"circuit_id": "A\xff", "ts": "x", "in_bps": 1, "out_bps": 1}]}'
    response = usage.collector.post("/api/v1/usage/samples/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"


def test_a_rate_a_fraction_of_a_second_off_its_bucket_is_refused_on_both_paths(usage):
    circuit = usage.transit.circuit_id
    off = _rate(circuit, 1, 5)
    off["ts"] = off["ts"].replace(":00Z", ":00.9Z")
    exact = _rate(circuit, 2, 5)
    exact["ts"] = exact["ts"].replace(":00Z", ":00.000Z")  # the start, written to the millisecond
    for samples in ([off, exact], [{**off, "port": "default"}, {**exact, "port": "default"}]):
        result = ingest(samples=samples, actor=usage.noc)
        assert not result.by_columns
        assert result.results[0].reason.startswith("a rate's ts is the start of its 5-minute")
    assert [r.status for r in result.results] == ["rejected", "duplicate"]
