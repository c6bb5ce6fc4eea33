# The page about the network (/) with the text shipped in pages/defaults/, for the coordinator to edit.

from django.db import migrations


def create(apps, schema_editor):
    from pages.content import default_fields

    Page = apps.get_model("pages", "Page")
    Page.objects.get_or_create(slug="about", defaults=default_fields("about"))


class Migration(migrations.Migration):
    dependencies = [("pages", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
