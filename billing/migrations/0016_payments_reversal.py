"""Payment reversals: a payment recorded in error is taken back by a row of its own.

On PostgreSQL the database refuses any change to a payment or a reversal once written: a
payment is never edited or deleted (a reversal says it no longer counts), and a reversal is
final (a payment taken back in error is recorded again as a new payment).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

FUNCTIONS = """
CREATE OR REPLACE FUNCTION billing_payment_is_final() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payments and their reversals cannot change'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_payment_is_final BEFORE UPDATE OR DELETE ON billing_payment
    FOR EACH ROW EXECUTE FUNCTION billing_payment_is_final();
CREATE TRIGGER billing_paymentreversal_is_final BEFORE UPDATE OR DELETE
    ON billing_paymentreversal FOR EACH ROW EXECUTE FUNCTION billing_payment_is_final();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_payment_is_final ON billing_payment;
DROP TRIGGER IF EXISTS billing_paymentreversal_is_final ON billing_paymentreversal;
DROP FUNCTION IF EXISTS billing_payment_is_final();
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
    dependencies = [
        ("billing", "0015_issuing_outcomes"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentReversal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.CharField(max_length=300)),
                ("reversed_by", models.CharField(max_length=150)),
                ("reversed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "payment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reversal",
                        to="billing.payment",
                    ),
                ),
            ],
            options={
                "ordering": ["reversed_at", "pk"],
            },
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
