"""The counts kept on each campaign for the dashboard (issue 22: Campaign.sent_count …): "sent" counted once when the
campaign finishes, the ESP's reports counted when a delivery's time is first set (a repeated or second event for the
same message counts once), unsubscribes counted as they are made; they agree with the campaign's own report, which
counts the rows. (The data migration that fills them for older campaigns: test_campaign_counts_migration.py.)"""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Delivery, TrackingEvent, Unsubscribe
from campaigns.selectors import campaign_report, newsletter_results
from campaigns.services.newsletters import ambassador_unsubscribe, campaign_send_test
from campaigns.services.outbox import deliveries_send
from campaigns.services.tracking import campaign_counts_recount, tracking_event_process
from tests.factories import AmbassadorFactory, CampaignFactory, start_sending

pytestmark = pytest.mark.django_db

COUNTED = ["sent", "delivered", "bounced", "complained", "opened", "clicked", "unsubscribed"]


@pytest.fixture
def newsletter(smtp_server):
    """A newsletter sent through the outbox to four ambassadors, each message with its ESP message id; and a test
    copy to the coordinator (not counted)."""
    for name in ("anna", "bo", "cilla", "dan"):
        AmbassadorFactory(email=f"{name}@example.se")
    campaign = CampaignFactory(name="Vårbrevet")
    ids = start_sending(campaign)
    copy = campaign_send_test(campaign=campaign, to_email="samordnare@kramfors.se", to_name="Samordnaren")
    deliveries_send([copy.pk, *ids])
    for delivery in Delivery.objects.filter(campaign=campaign):
        Delivery.objects.filter(pk=delivery.pk).update(esp_message_id=f"esp-{delivery.to_email}")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    return campaign


def report(event_id: str, event_type: str, to: str) -> None:
    """An ESP event about the message to `to`, stored (as the webhook stores it) and applied (as Celery does)."""
    event = TrackingEvent.objects.create(
        esp="Postmark",
        event_id=event_id,
        event_type=event_type,
        message_id=f"esp-{to}",
        recipient=to,
        occurred_at=timezone.now(),
    )
    tracking_event_process(event.pk)


def counts(campaign: Campaign) -> dict:
    campaign.refresh_from_db()
    return {name: getattr(campaign, f"{name}_count") for name in COUNTED}


def test_sent_is_counted_once_when_the_campaign_finishes_without_the_test_copy(newsletter):
    assert Delivery.objects.filter(campaign=newsletter, status=Delivery.Status.SENT).count() == 5  # with the copy
    assert counts(newsletter)["sent"] == 4 == campaign_report(newsletter)["sent"]


def test_a_repeated_or_second_event_for_the_same_message_counts_once(newsletter):
    for event_id in ("open-1", "open-2", "open-3"):  # the reader opens it three times: three ESP events
        report(event_id, "opened", "anna@example.se")
    report("click-1", "clicked", "anna@example.se")
    report("click-2", "clicked", "anna@example.se")
    for event_id in ("bounce-1", "bounce-2"):  # a bounce reported twice under two ids
        report(event_id, "bounced", "bo@example.se")
    report("complaint-1", "complained", "cilla@example.se")
    report("delivered-1", "delivered", "cilla@example.se")
    report("delivered-2", "delivered", "dan@example.se")
    report("delivered-3", "delivered", "samordnare@kramfors.se")  # the test copy: not the campaign's count
    tracking_event_process(TrackingEvent.objects.get(event_id="open-1").pk)  # Celery delivers a task twice

    expected = {"sent": 4, "delivered": 2, "bounced": 1, "complained": 1, "opened": 1, "clicked": 1, "unsubscribed": 0}
    assert counts(newsletter) == expected
    assert {name: campaign_report(newsletter)[name] for name in COUNTED} == expected


def test_an_unsubscribe_from_the_campaign_counts_once(newsletter):
    anna = Delivery.objects.get(campaign=newsletter, to_email="anna@example.se").ambassador
    for _ in range(2):  # the link clicked twice: the second finds her unsubscribed already
        ambassador_unsubscribe(
            ambassador_id=anna.pk, kind=newsletter.kind, source=Unsubscribe.Source.LINK, campaign=newsletter
        )
    bo = Delivery.objects.get(campaign=newsletter, to_email="bo@example.se").ambassador
    ambassador_unsubscribe(ambassador_id=bo.pk, kind=newsletter.kind, source=Unsubscribe.Source.PREFERENCES)

    assert counts(newsletter)["unsubscribed"] == 1 == campaign_report(newsletter)["unsubscribed"]


def test_an_unsubscribe_reported_by_the_esp_counts_on_the_campaign(newsletter):
    report("unsub-1", "unsubscribed", "cilla@example.se")
    report("unsub-2", "unsubscribed", "cilla@example.se")
    assert counts(newsletter)["unsubscribed"] == 1 == campaign_report(newsletter)["unsubscribed"]


def test_the_dashboard_reads_the_same_figures_as_the_campaign_report(newsletter):
    report("open-1", "opened", "anna@example.se")
    report("bounce-1", "bounced", "bo@example.se")
    report("unsub-1", "unsubscribed", "dan@example.se")
    [row] = newsletter_results()
    exact = campaign_report(newsletter)
    assert {name: row[name] for name in COUNTED} == {name: exact[name] for name in COUNTED}
    assert (row["sent"], row["opened"], row["bounced"], row["unsubscribed"]) == (4, 1, 1, 1)


def test_a_recount_from_the_rows_gives_the_counts_the_services_kept(newsletter):
    report("open-1", "opened", "anna@example.se")
    report("click-1", "clicked", "anna@example.se")
    report("unsub-1", "unsubscribed", "dan@example.se")
    kept = counts(newsletter)
    Campaign.objects.filter(pk=newsletter.pk).update(sent_count=0, opened_count=0, clicked_count=0)
    assert campaign_counts_recount([newsletter.pk]) == 1
    assert counts(newsletter) == kept
