"""Which campaigns may go back to draft (campaigns.services.newsletters.campaign_may_unschedule), asked directly:
what the change page offers is what campaign_unschedule does."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services.newsletters import campaign_may_unschedule, campaign_unschedule
from tests.factories import CampaignFactory, SegmentFactory

pytestmark = pytest.mark.django_db

Status = Campaign.Status


def campaign(status: str, *, started: bool = False) -> Campaign:
    return CampaignFactory(
        name="Vårbrevet",
        subject="Hej",
        body="Hej!",
        segment=SegmentFactory(name="Alla"),
        status=status,
        started_at=timezone.now() if started else None,
    )


@pytest.mark.parametrize(
    ("status", "started", "may"),
    [
        (Status.DRAFT, False, False),
        (Status.SCHEDULED, False, True),
        (Status.PAUSED, False, True),  # paused before it started
        (Status.PAUSED, True, False),  # paused while sending
        (Status.SENDING, True, False),
        (Status.SENT, True, False),
        (Status.CANCELLED, False, False),
    ],
)
def test_a_campaign_goes_back_to_draft_only_when_scheduled_or_paused_before_it_started(status, started, may):
    target = campaign(status, started=started)
    assert campaign_may_unschedule(target) is may
    assert campaign_unschedule(campaign=target) is may
