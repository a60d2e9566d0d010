"""Usage payloads kept as received, for disputes: a file per batch in the default storage.

Every batch's payload (the API body, the CSV file, the poller's readings as JSON) is written as it
came, with its SHA-256, so what an operator sent can be shown and checked later. A file costs the
ingest far less than a compressed blob in the database (no compression, no TOAST or WAL for a
megabyte a request); the nightly ``compact_payloads`` gzips the files of the days before and
removes any file no batch names.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import logging
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ..choices import UsageSource
from ..models import UsageBatch

GZIP = ".gz"
PAYLOADS = "usage"  # the folder of UsageBatch.payload's upload_to
logger = logging.getLogger(__name__)


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
    """Gzip the payload files of batches received before ``before``; how many were.

    A file that cannot be read is logged and left for the next run. Files of the three days
    before ``before`` that no batch names (written by an ingest whose transaction then rolled
    back) are deleted.
    """
    compacted = 0
    batches = UsageBatch.objects.filter(received_at__lt=before).exclude(payload="")
    for batch in batches.exclude(payload__endswith=GZIP).iterator(chunk_size=100):
        old = batch.payload.name
        try:
            packed = gzip.compress(read_payload(batch))
        except OSError as error:
            logger.warning("usage batch %s: payload %s not compacted: %s", batch.pk, old, error)
            continue
        target = old + GZIP
        if default_storage.exists(target):  # left by a run that stopped before the update
            default_storage.delete(target)
        new = default_storage.save(target, ContentFile(packed))
        UsageBatch.objects.filter(pk=batch.pk, payload=old).update(payload=new)
        default_storage.delete(old)
        compacted += 1
    _delete_orphans(before)
    return compacted


def _delete_orphans(before: datetime.datetime) -> None:
    for days_back in range(1, 4):
        folder = f"{PAYLOADS}/{before - datetime.timedelta(days=days_back):%Y/%m/%d}"
        try:
            names = default_storage.listdir(folder)[1]
        except FileNotFoundError:
            continue
        paths = {f"{folder}/{name}" for name in names}
        named = set(UsageBatch.objects.filter(payload__in=paths).values_list("payload", flat=True))
        for path in sorted(paths - named):
            logger.info("usage payload %s belongs to no batch: deleted", path)
            default_storage.delete(path)
