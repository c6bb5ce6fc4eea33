"""One bad recipient never stops the others: a name longer than a delivery row holds, an address no mail server
takes, in a newsletter's fan-out and in an onboarding batch. Sent over a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Delivery, Sequence
from campaigns.services import outbox
from campaigns.services.newsletters import campaign_schedule, campaigns_start_due
from campaigns.services.sequences import enroll
from network.models import Ambassador
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def poisoned_people() -> list[Ambassador]:
    """Ten ordinary people and two poisons, written as an old import could have (no validation on the way)."""
    return Ambassador.objects.bulk_create(
        [Ambassador(first_name=f"Eva{i}", last_name="Ek", email=f"eva{i}@example.se") for i in range(10)]
        + [
            Ambassador(first_name="Å" * 100, last_name="Ö" * 100, email="lang@example.se"),
            Ambassador(first_name="Åsa", last_name="Ö", email="åsa@example.se"),  # a non-ASCII local part
        ]
    )


def sent_to(inbox) -> set[str]:
    return {message["To"].addresses[0].addr_spec for message in inbox.messages}


def test_a_poison_recipient_in_a_fan_out_fails_alone_and_the_campaign_says_so(smtp_server, seed_data):
    poisoned_people()
    campaign = CampaignFactory(subject="Hej {{ first_name }}", body="Hej!")
    campaign_schedule(campaign=campaign, at=timezone.now() + timedelta(minutes=1))
    campaigns_start_due(now=timezone.now() + timedelta(minutes=2))

    ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
    assert len(ids) == 12  # the long name has its row too
    outbox.deliveries_send(ids)

    inbox = smtp_server.recorder
    assert {f"eva{i}@example.se" for i in range(10)} <= sent_to(inbox)
    assert "lang@example.se" in sent_to(inbox)
    long_name = Delivery.objects.get(to_email="lang@example.se")
    assert long_name.status == Delivery.Status.SENT
    assert long_name.to_name.startswith("Å" * 100)
    poison = Delivery.objects.get(to_email="åsa@example.se")
    assert poison.status in (Delivery.Status.SENT, Delivery.Status.FAILED)
    if poison.status == Delivery.Status.FAILED:
        assert poison.last_error
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    progress = services_progress(campaign)
    assert progress.sent + progress.failed == 12


def services_progress(campaign):
    from campaigns.selectors import campaign_progress

    return campaign_progress(campaign)


def test_a_poison_recipient_in_an_onboarding_batch_does_not_stop_the_others(smtp_server, seed_data):
    people = poisoned_people()
    now = timezone.now()
    for person in people:
        enroll(ambassador=person, sequence_slug=Sequence.ONBOARDING, now=now)

    ids = list(Delivery.objects.filter(step__isnull=False).values_list("pk", flat=True))
    assert len(ids) == 12
    outbox.deliveries_send(ids)

    assert {f"eva{i}@example.se" for i in range(10)} <= sent_to(smtp_server.recorder)
    assert Delivery.objects.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]).count() == 0
