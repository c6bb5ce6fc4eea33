from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0008_recruitment_pipeline_timeline"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="ambassador",
            options={
                "ordering": ["last_name", "first_name", "id"],
                "permissions": [
                    ("import_ambassador", "Can import ambassadors"),
                    ("erase_ambassador", "Can erase ambassadors and all their data"),
                    ("export_ambassador", "Can export ambassadors' personal data"),
                ],
                "verbose_name": "ambassador",
                "verbose_name_plural": "ambassadors",
            },
        ),
    ]
