from pathlib import Path

from django.db import migrations

INTERESTS = ["Evenemang", "Friluftsliv", "Föreningsliv", "Kultur", "Mat och dryck", "Näringsliv", "Sociala medier", "Turism", "Unga"]


def seed(apps, schema_editor):
    Locality = apps.get_model("network", "Locality")
    Interest = apps.get_model("network", "Interest")
    lines = (Path(__file__).resolve().parent.parent / "data" / "kramfors-localities.txt").read_text("utf-8").splitlines()
    names = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    Locality.objects.bulk_create([Locality(name=name) for name in names], ignore_conflicts=True)
    Interest.objects.bulk_create([Interest(name=name) for name in INTERESTS], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
