"""On PostgreSQL the database itself refuses any change to an issued invoice and its lines.

Once an invoice is no longer a draft, the only changes allowed are its status moving on (issued
to paid or void) and its PDF being stored once. Lines and their revenue parts of such an invoice
can be neither added, changed nor deleted.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION billing_invoice_is_final() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'invoice % is issued and cannot be deleted', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.billing_party_id, NEW.customer_id, NEW.period, NEW.currency, NEW.number,
        NEW.issued_at, NEW.due_date)
       IS DISTINCT FROM
       (OLD.billing_party_id, OLD.customer_id, OLD.period, OLD.currency, OLD.number,
        OLD.issued_at, OLD.due_date)
       OR (OLD.pdf <> '' AND (NEW.pdf, NEW.pdf_sha256) IS DISTINCT FROM (OLD.pdf, OLD.pdf_sha256))
       OR (NEW.status <> OLD.status AND NOT (OLD.status = 'issued' AND NEW.status IN ('paid', 'void')))
    THEN
        RAISE EXCEPTION 'invoice % is issued and cannot change', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_line_is_final() RETURNS trigger AS $$
DECLARE
    line_invoice bigint;
BEGIN
    IF TG_TABLE_NAME = 'billing_invoiceline' THEN
        line_invoice := CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
    ELSE
        SELECT invoice_id INTO line_invoice FROM billing_invoiceline
         WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.line_id ELSE NEW.line_id END;
    END IF;
    IF EXISTS (SELECT 1 FROM billing_invoice WHERE id = line_invoice AND status <> 'draft') THEN
        RAISE EXCEPTION 'the lines of an issued invoice cannot change'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_invoice_is_final BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_is_final();
CREATE TRIGGER billing_invoiceline_is_final BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_line_is_final();
CREATE TRIGGER billing_lineallocation_is_final BEFORE INSERT OR UPDATE OR DELETE
    ON billing_lineallocation FOR EACH ROW EXECUTE FUNCTION billing_line_is_final();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_invoice_is_final ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoiceline_is_final ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_lineallocation_is_final ON billing_lineallocation;
DROP FUNCTION IF EXISTS billing_invoice_is_final();
DROP FUNCTION IF EXISTS billing_line_is_final();
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
    dependencies = [("billing", "0005_issuing")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
