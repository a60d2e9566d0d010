"""Usage payloads kept as received, for disputes: a file per batch in the default storage.

Every batch's payload (the API body, the CSV file, the poller's readings as JSON) is written as it
came, with its SHA-256, so what an operator sent can be shown and checked later. A file costs the
ingest far less than a compressed blob in the database (no compression, no TOAST or WAL for a
megabyte a request); the nightly ``compact_payloads`` gzips the files of the days before.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ..choices import UsageSource
from ..models import UsageBatch

GZIP = ".gz"


def store_payload(batch: UsageBatch, raw: bytes) -> None:
    """Write ``raw`` as the payload of ``batch`` (not saved yet) under a name of its own."""
    extension = "csv" if batch.source == UsageSource.CSV else "json"
    name = f"{batch.source}-{secrets.token_hex(8)}.{extension}"
    batch.payload.save(name, ContentFile(raw), save=False)
    batch.payload_sha256 = hashlib.sha256(raw).hexdigest()
    batch.payload_bytes = len(raw)


def read_payload(batch: UsageBatch) -> bytes:
    """The payload of ``batch`` as received (uncompressed if it was gzip'd since)."""
    with batch.payload.open("rb") as file:
        data = file.read()
    return gzip.decompress(data) if batch.payload.name.endswith(GZIP) else data


def payload_filename(batch: UsageBatch) -> str:
    """The name to download the payload under (without the storage's folders and ``.gz``)."""
    name = batch.payload.name.rsplit("/", 1)[-1]
    return name.removesuffix(GZIP)


def compact_payloads(*, before: datetime.datetime) -> int:
    """Gzip the payload files of batches received before ``before``; how many were."""
    compacted = 0
    batches = UsageBatch.objects.filter(received_at__lt=before).exclude(payload="")
    for batch in batches.exclude(payload__endswith=GZIP).iterator(chunk_size=100):
        old = batch.payload.name
        new = default_storage.save(old + GZIP, ContentFile(gzip.compress(read_payload(batch))))
        UsageBatch.objects.filter(pk=batch.pk).update(payload=new)
        default_storage.delete(old)
        compacted += 1
    return compacted
