"""Guards only PostgreSQL can give; on SQLite (the embedded default) the services alone enforce.

- exclusion constraints: no two reservations hold overlapping units of the same resource on
  overlapping dates; no two prices of the same product, place and term overlap in time;
- a deferred constraint trigger: at commit, the shares of every segment ownership sum to 100%.
"""

from django.db import migrations

RESERVATION_TABLES = {
    "leasing_spectrumreservation": ("fiber_pair_id", "spectrum_no_double_allocation"),
    "leasing_litcapacityreservation": ("carrier_id", "lit_capacity_no_double_allocation"),
    "leasing_transitportreservation": ("pool_id", "transit_port_no_double_allocation"),
}

OWNERSHIP_FUNCTIONS = """
CREATE OR REPLACE FUNCTION leasing_assert_ownership_total(ownership bigint) RETURNS void AS $$
DECLARE
    total numeric;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM leasing_segmentownership WHERE id = ownership) THEN
        RETURN;
    END IF;
    SELECT COALESCE(SUM(percent), 0) INTO total
        FROM leasing_ownershipshare WHERE ownership_id = ownership;
    IF total <> 100 THEN
        RAISE EXCEPTION 'the shares of segment ownership % sum to %, not 100', ownership, total
            USING ERRCODE = 'check_violation';
    END IF;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION leasing_ownership_total_trigger() RETURNS trigger AS $$
BEGIN
    PERFORM leasing_assert_ownership_total(NEW.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION leasing_share_total_trigger() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM leasing_assert_ownership_total(NEW.ownership_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM leasing_assert_ownership_total(OLD.ownership_id);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table, (resource, name) in RESERVATION_TABLES.items():
        execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f'({resource} WITH =, int4range("start", "end") WITH &&, '
            "daterange(valid_from, valid_to) WITH &&)"
        )
    execute(
        "ALTER TABLE leasing_price ADD CONSTRAINT price_no_overlapping_validity EXCLUDE USING gist "
        "(product_id WITH =, (COALESCE(path_id, 0)) WITH =, (COALESCE(site_id, 0)) WITH =, "
        "term_months WITH =, daterange(valid_from, valid_to) WITH &&)"
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(OWNERSHIP_FUNCTIONS)  # plain execute: the body's % are PL/pgSQL's own
    for table, events, function in (
        ("leasing_ownershipshare", "INSERT OR UPDATE OR DELETE", "leasing_share_total_trigger"),
        ("leasing_segmentownership", "INSERT", "leasing_ownership_total_trigger"),
    ):
        execute(
            f"CREATE CONSTRAINT TRIGGER {table}_total_is_100 AFTER {events} ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for table in ("leasing_ownershipshare", "leasing_segmentownership"):
        execute(f"DROP TRIGGER IF EXISTS {table}_total_is_100 ON {table}")
    for function in (
        "leasing_share_total_trigger()",
        "leasing_ownership_total_trigger()",
        "leasing_assert_ownership_total(bigint)",
    ):
        execute(f"DROP FUNCTION IF EXISTS {function}")
    execute("ALTER TABLE leasing_price DROP CONSTRAINT IF EXISTS price_no_overlapping_validity")
    for table, (_, name) in RESERVATION_TABLES.items():
        execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("leasing", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
