"""The ambassador list at 100,000 ambassadors (issue 22): search through one folded column, pages in name order
straight from an index, and counts from the planner where exact ones would read the whole register.

- `search_text`: first name, last name and address folded by search_fold (lower(unaccent(…)), network/0005), a
  generated column the database keeps. On PostgreSQL one trigram (GIN) index on it replaces the three of 0005 on
  search_fold(first_name), search_fold(last_name) and email (network/search.py).
- The name index gets `id`, the list's last sort key (Meta.ordering), so a page of a filtered or searched list is
  read in order and stops after 50 rows, instead of sorting every row of each name.
- On PostgreSQL, `planner_row_estimate(query)`: the number of rows the planner expects a SELECT to return (EXPLAIN,
  which plans the query and does not run it). The admin's paginator (network/admin_paging.py) shows it, as "about",
  for lists longer than it counts exactly.

On SQLite the column is made (crm/sqlite.py gives search_fold), and neither the trigram index nor the function.
"""

import django.db.models.functions.comparison
import django.db.models.functions.text
from django.db import migrations, models

import network.search

OLD_TRIGRAM_INDEXES = {  # network/0005
    "ambassador_first_name_trgm": "search_fold(first_name) gin_trgm_ops",
    "ambassador_last_name_trgm": "search_fold(last_name) gin_trgm_ops",
    "ambassador_email_trgm": "email gin_trgm_ops",
}
ROW_ESTIMATE = """
CREATE OR REPLACE FUNCTION planner_row_estimate(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    IF query !~* '^\\s*SELECT\\s' THEN
        RAISE EXCEPTION 'planner_row_estimate plans a SELECT only';
    END IF;
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END
$$
"""


def postgresql_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS ambassador_search_text_trgm ON network_ambassador USING gin "
        "(search_text gin_trgm_ops)"
    )
    for name in OLD_TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute(ROW_ESTIMATE)


def postgresql_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS planner_row_estimate(text)")
    for name, expression in OLD_TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON network_ambassador USING gin ({expression})")
    schema_editor.execute("DROP INDEX IF EXISTS ambassador_search_text_trgm")


class Migration(migrations.Migration):
    dependencies = [("network", "0016_dashboard_indexes")]

    operations = [
        migrations.RemoveIndex(model_name="ambassador", name="network_amb_last_na_f0f8b7_idx"),
        migrations.AddIndex(
            model_name="ambassador",
            index=models.Index(fields=["last_name", "first_name", "id"], name="network_amb_last_na_c15a43_idx"),
        ),
        migrations.AddField(
            model_name="ambassador",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=network.search.SearchFold(
                    django.db.models.functions.text.Concat(
                        "first_name",
                        models.Value(" "),
                        "last_name",
                        models.Value(" "),
                        django.db.models.functions.comparison.Coalesce(
                            "email", models.Value(""), output_field=models.TextField()
                        ),
                        output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(postgresql_create, postgresql_drop),
    ]
