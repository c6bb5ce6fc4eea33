"""The data migration campaigns 0012_campaign_counts fills the counts of the campaigns sent before them, as the
campaign's report counts the rows (test copies left out); a campaign still sending gets "sent" when it finishes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors import campaign_report

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("campaigns", "0011_one_sender_name")]


def migrate(targets=None):
    """Migrate to `targets` (None: the latest, where every other test expects the schema) and return the apps."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_migration_counts_the_rows_of_the_campaigns_there_are():
    old = migrate(BEFORE)
    Ambassador = old.get_model("network", "Ambassador")
    Campaign_, Delivery = old.get_model("campaigns", "Campaign"), old.get_model("campaigns", "Delivery")
    segment = old.get_model("campaigns", "Segment").objects.create(name="Alla")
    sent = Campaign_.objects.create(name="Mars", subject="S", body="B", segment=segment, status="sent")
    sending = Campaign_.objects.create(name="April", subject="S", body="B", segment=segment, status="sending")
    now = timezone.now()
    people = [Ambassador.objects.create(first_name=f"P{i}", email=f"p{i}@example.se") for i in range(5)]
    for index, person in enumerate(people):
        Delivery.objects.create(
            template="campaign",
            campaign=sent,
            ambassador=person,
            to_email=person.email,
            status="sent" if index < 4 else "failed",
            delivered_at=now if index < 3 else None,
            bounced_at=now if index == 3 else None,
            opened_at=now if index < 2 else None,
            clicked_at=now if index == 0 else None,
            complained_at=now if index == 1 else None,
        )
        Delivery.objects.create(
            template="campaign", campaign=sending, ambassador=person, to_email=person.email, status="sent"
        )
    Delivery.objects.create(template="campaign", campaign=sent, to_email="s@x.se", status="sent", is_test=True)
    old.get_model("campaigns", "Unsubscribe").objects.create(
        ambassador=people[2], category="newsletter", source="link", campaign=sent
    )

    migrate()
    filled = Campaign.objects.get(pk=sent.pk)
    counts = {
        name: getattr(filled, f"{name}_count")
        for name in ("sent", "delivered", "bounced", "complained", "opened", "clicked", "unsubscribed")
    }
    assert counts == {
        "sent": 4,
        "delivered": 3,
        "bounced": 1,
        "complained": 1,
        "opened": 2,
        "clicked": 1,
        "unsubscribed": 1,
    }
    assert counts == {name: campaign_report(filled)[name] for name in counts}
    assert Campaign.objects.get(pk=sending.pk).sent_count == 0  # counted when it finishes
