"""Indexes for the admin's prefix search on PostgreSQL: UPPER(column) LIKE 'ANNA%' can use them."""

from django.db import migrations

COLUMNS = ["first_name", "last_name", "email"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS ambassador_{column}_prefix "
            f"ON network_ambassador (UPPER({column}::text) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS ambassador_{column}_prefix")


class Migration(migrations.Migration):
    dependencies = [("network", "0002_seed_localities_and_interests")]
    operations = [migrations.RunPython(create, drop)]
