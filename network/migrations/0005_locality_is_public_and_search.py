"""Localities an import creates are hidden from the signup form until the coordinator ticks them; the admin's
search by any part of a name, accents ignored (network/search.py).

On PostgreSQL: the unaccent and pg_trgm extensions, the IMMUTABLE function search_fold(text) = lower(unaccent(text))
that the search compares with, and trigram indexes on search_fold(first_name), search_fold(last_name) and email,
replacing the prefix indexes of 0003 (the search no longer compares prefixes). On SQLite crm/sqlite.py registers
search_fold as a Python function, and no index is made.
"""

from pathlib import Path

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

SEARCH_FOLD = (
    "CREATE OR REPLACE FUNCTION search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$"
)
TRIGRAM_INDEXES = {
    "ambassador_first_name_trgm": "search_fold(first_name) gin_trgm_ops",
    "ambassador_last_name_trgm": "search_fold(last_name) gin_trgm_ops",
    "ambassador_email_trgm": "email gin_trgm_ops",
}
PREFIX_COLUMNS = ["first_name", "last_name", "email"]  # the indexes of 0003


def search_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SEARCH_FOLD)
    for name, expression in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON network_ambassador USING gin ({expression})")
    for column in PREFIX_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS ambassador_{column}_prefix")


def search_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS search_fold(text)")
    for column in PREFIX_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS ambassador_{column}_prefix "
            f"ON network_ambassador (UPPER({column}::text) text_pattern_ops)"
        )


def hide_unlisted_localities(apps, schema_editor):
    """The municipality's localities (seeded by 0002) stay on the form; any other came from an import or was
    typed in the admin, and waits for the coordinator to tick it."""
    Locality = apps.get_model("network", "Locality")
    lines = (Path(__file__).resolve().parent.parent / "data" / "kramfors-localities.txt").read_text("utf-8")
    listed = {line.strip().casefold() for line in lines.splitlines() if line.strip() and not line.startswith("#")}
    unlisted = [pk for pk, name in Locality.objects.values_list("pk", "name") if name.casefold() not in listed]
    Locality.objects.filter(pk__in=unlisted).update(is_public=False)


class Migration(migrations.Migration):
    dependencies = [("network", "0004_privacy_consent_retention")]

    operations = [
        migrations.AddField(
            model_name="locality",
            name="is_public",
            field=models.BooleanField(
                default=True,
                help_text="Offered as a choice on the public signup form. Localities created by an import start hidden.",
                verbose_name="shown on the signup form",
            ),
        ),
        migrations.RunPython(hide_unlisted_localities, migrations.RunPython.noop),
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(search_create, search_drop),
    ]
