"""Usage payloads move from a gzip column of the database to files (default storage).

A payload is written as received, with its SHA-256; a nightly task gzips the files of days gone by.
Payloads stored so far were gzip'd already: each becomes a ``.gz`` file as it is.
"""

import gzip
import hashlib

from django.core.files.base import ContentFile
from django.db import migrations, models

EXTENSIONS = {"api": "json", "csv": "csv"}  # the poller's readings were a Python repr


def to_files(apps, schema_editor):
    UsageBatch = apps.get_model("billing", "UsageBatch")
    for batch in UsageBatch.objects.exclude(raw=b"").iterator(chunk_size=100):
        packed = bytes(batch.raw)
        raw = gzip.decompress(packed)
        extension = EXTENSIONS.get(batch.source, "txt")
        name = f"{batch.source}-batch-{batch.pk}.{extension}.gz"
        batch.payload.save(name, ContentFile(packed), save=False)
        batch.payload_sha256 = hashlib.sha256(raw).hexdigest()
        batch.payload_bytes = len(raw)
        batch.save(update_fields=["payload", "payload_sha256", "payload_bytes"])


def to_column(apps, schema_editor):
    UsageBatch = apps.get_model("billing", "UsageBatch")
    for batch in UsageBatch.objects.exclude(payload="").iterator(chunk_size=100):
        with batch.payload.open("rb") as file:
            data = file.read()
        batch.raw = data if batch.payload.name.endswith(".gz") else gzip.compress(data)
        batch.save(update_fields=["raw"])
        batch.payload.delete(save=False)


class Migration(migrations.Migration):
    dependencies = [("billing", "0011_usage_days_lz4")]

    operations = [
        migrations.AddField(
            model_name="usagebatch",
            name="payload",
            field=models.FileField(
                default="",
                help_text="The payload as received (gzip-compressed once its day is over).",
                upload_to="usage/%Y/%m/%d/",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="usagebatch",
            name="payload_sha256",
            field=models.CharField(
                default="", help_text="Of the payload as received.", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="usagebatch",
            name="payload_bytes",
            field=models.PositiveIntegerField(default=0, help_text="Its size as received."),
        ),
        migrations.AlterField(
            model_name="usagebatch",
            name="raw",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(to_files, to_column),
        migrations.RemoveField(model_name="usagebatch", name="raw"),
    ]
