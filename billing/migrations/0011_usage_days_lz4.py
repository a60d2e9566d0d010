"""On PostgreSQL a day's packed rates are compressed with LZ4, not pglz.

A day row (two 2,304-byte arrays) is over the TOAST threshold, so PostgreSQL compresses the arrays
before moving them out of line. pglz spends about four times as long as the rest of the insert on
arrays of rates and mostly gives up; LZ4 is as fast as no compression at all and stores them a
little smaller (bench/usage.py (c)). A server built without LZ4 stores them uncompressed
(EXTERNAL) instead, which is as fast. Rows already stored keep their compression until rewritten.
"""

from django.db import migrations

FORWARDS = """
DO $$
BEGIN
    ALTER TABLE billing_usageday
        ALTER COLUMN in_bps SET COMPRESSION lz4,
        ALTER COLUMN out_bps SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    ALTER TABLE billing_usageday
        ALTER COLUMN in_bps SET STORAGE EXTERNAL,
        ALTER COLUMN out_bps SET STORAGE EXTERNAL;
END
$$;
"""

BACKWARDS = """
ALTER TABLE billing_usageday
    ALTER COLUMN in_bps SET STORAGE EXTENDED,
    ALTER COLUMN out_bps SET STORAGE EXTENDED,
    ALTER COLUMN in_bps SET COMPRESSION DEFAULT,
    ALTER COLUMN out_bps SET COMPRESSION DEFAULT;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0010_credit_notes_are_final")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
