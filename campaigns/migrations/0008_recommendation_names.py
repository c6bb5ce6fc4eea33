"""One name per concept: the email to the coordinator about a new recommendation is `recommendation_received`
(was `tip_received`, keyed "tip:<id>"), its context names the recommender, and the daily digest's too. Stored rows
are renamed, so that what was sent still reads (and what is queued still sends) under the new names."""

from django.db import migrations

CONTEXT = {"referrer_name": "recommender_name", "referrer_email": "recommender_email", "referred_by": "recommended_by"}


def _renamed(entry: dict, names: dict) -> dict:
    return {names.get(key, key): value for key, value in entry.items()}


def deliveries_rename(apps, schema_editor, forward=True):
    Delivery = apps.get_model("campaigns", "Delivery")
    old, new = ("tip_received", "recommendation_received") if forward else ("recommendation_received", "tip_received")
    old_key, new_key = ("tip:", "recommendation:") if forward else ("recommendation:", "tip:")
    context = CONTEXT if forward else {value: key for key, value in CONTEXT.items()}
    digest = {"tipper": "recommender"} if forward else {"recommender": "tipper"}
    for delivery in Delivery.objects.filter(template=old).iterator():
        delivery.template = new
        delivery.context = _renamed(delivery.context or {}, context)
        if delivery.key and delivery.key.startswith(old_key):
            delivery.key = new_key + delivery.key[len(old_key) :]
        delivery.save(update_fields=["template", "context", "key"])
    for delivery in Delivery.objects.filter(template="coordinator_digest").iterator():
        contacts = (delivery.context or {}).get("contacts")
        if contacts:
            delivery.context["contacts"] = [_renamed(entry, digest) for entry in contacts]
            delivery.save(update_fields=["context"])


def deliveries_restore(apps, schema_editor):
    deliveries_rename(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_invitation_event_and_training_segment"),
        ("network", "0011_recommendation_names"),
    ]

    operations = [migrations.RunPython(deliveries_rename, deliveries_restore)]
