"""On PostgreSQL the database refuses any change to a credit note once written: its PDF may be
stored once; its lines and their operators' parts can be neither changed nor deleted."""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION billing_credit_note_is_final() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'credit note % cannot be deleted', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.invoice_id, NEW.number, NEW.reason, NEW.issued_at, NEW.issued_by)
       IS DISTINCT FROM (OLD.invoice_id, OLD.number, OLD.reason, OLD.issued_at, OLD.issued_by)
       OR (OLD.pdf <> '' AND (NEW.pdf, NEW.pdf_sha256) IS DISTINCT FROM (OLD.pdf, OLD.pdf_sha256))
    THEN
        RAISE EXCEPTION 'credit note % cannot change', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_credit_part_is_final() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'credit notes cannot change' USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_creditnote_is_final BEFORE UPDATE OR DELETE ON billing_creditnote
    FOR EACH ROW EXECUTE FUNCTION billing_credit_note_is_final();
CREATE TRIGGER billing_creditnoteline_is_final BEFORE UPDATE OR DELETE ON billing_creditnoteline
    FOR EACH ROW EXECUTE FUNCTION billing_credit_part_is_final();
CREATE TRIGGER billing_creditallocation_is_final BEFORE UPDATE OR DELETE
    ON billing_creditallocation FOR EACH ROW EXECUTE FUNCTION billing_credit_part_is_final();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_creditnote_is_final ON billing_creditnote;
DROP TRIGGER IF EXISTS billing_creditnoteline_is_final ON billing_creditnoteline;
DROP TRIGGER IF EXISTS billing_creditallocation_is_final ON billing_creditallocation;
DROP FUNCTION IF EXISTS billing_credit_note_is_final();
DROP FUNCTION IF EXISTS billing_credit_part_is_final();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTIONS)  # plain execute: PL/pgSQL's own % signs


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("billing", "0009_credit_notes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
