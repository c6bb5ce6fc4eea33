"""One name per concept: a recommendation (not a referral or a tip), its recommender, and a recruitment contact's
`contact_details` (how to reach them, as typed). Renames only; the stored source "referral" becomes "recommendation"."""

import django.db.models.deletion
from django.db import migrations, models

RENAMED = {"referral": "recommendation"}


def sources_rename(apps, schema_editor, renamed=RENAMED):
    for model in ("Ambassador", "RecruitmentContact"):
        rows = apps.get_model("network", model).objects
        for old, new in renamed.items():
            rows.filter(source=old).update(source=new)


def sources_restore(apps, schema_editor):
    sources_rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0010_contact_address_indexes"),
    ]

    operations = [
        migrations.RemoveIndex("recruitmentcontact", "contact_referrer_email"),
        migrations.RenameField("ambassador", "referred_by", "recommended_by"),
        migrations.RenameField("recruitmentcontact", "referred_by", "recommended_by"),
        migrations.RenameField("recruitmentcontact", "referrer_name", "recommender_name"),
        migrations.RenameField("recruitmentcontact", "referrer_email", "recommender_email"),
        migrations.RenameField("recruitmentcontact", "contact", "contact_details"),
        migrations.AddIndex(
            "recruitmentcontact", models.Index(fields=["recommender_email"], name="contact_recommender_email")
        ),
        migrations.AlterField(
            model_name="ambassador",
            name="source",
            field=models.CharField(
                choices=[
                    ("import", "Import"),
                    ("signup", "Signup"),
                    ("recommendation", "Recommendation"),
                    ("manual", "Manual"),
                ],
                default="manual",
                max_length=20,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="recruitmentcontact",
            name="source",
            field=models.CharField(
                choices=[
                    ("recommendation", "Recommendation"),
                    ("event", "Event"),
                    ("phone", "Phone call"),
                    ("manual", "Other"),
                ],
                default="manual",
                max_length=20,
                verbose_name="source",
            ),
        ),
        migrations.AlterField(
            model_name="ambassador",
            name="recommended_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to="network.ambassador",
                verbose_name="recommended by",
            ),
        ),
        migrations.AlterField(
            model_name="recruitmentcontact",
            name="recommended_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to="network.ambassador",
                verbose_name="recommended by",
            ),
        ),
        migrations.RunPython(sources_rename, sources_restore),
    ]
