from django.db import migrations

PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION invoices_statuschange_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'invoices_statuschange is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoices_statuschange_no_update_delete
    BEFORE UPDATE OR DELETE ON invoices_statuschange
    FOR EACH ROW EXECUTE FUNCTION invoices_statuschange_append_only();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS invoices_statuschange_no_update_delete ON invoices_statuschange;
DROP FUNCTION IF EXISTS invoices_statuschange_append_only();
"""


def create_roles(apps, schema_editor):
    from invoices.roles import sync_roles

    sync_roles(apps)


def append_only_trigger(apps, schema_editor):
    # PostgreSQL only: SQLite's test flush deletes rows one table at a time, which a DELETE trigger would block.
    # (PostgreSQL flushes with TRUNCATE, which row triggers do not see.) The model refuses edits on every backend.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_APPEND_ONLY, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0001_initial"),
        ("providers", "0001_initial"),
        ("sandbox", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(append_only_trigger, drop_trigger),
    ]
