"""ESP tracking webhooks through django-anymail (Amazon SES via SNS, and Postmark), authenticated with the
webhook secret: the view only stores the event; campaigns.tasks.process_tracking_event applies it (run here by hand
with tracking_event_process). (Routing, and the 400 for a body they cannot read:
test_webhook_routing_and_unreadable_bodies.py.)"""

from __future__ import annotations

import json

import pytest

from campaigns.models import Delivery, Suppression, TrackingEvent
from campaigns.selectors import campaign_report
from campaigns.services.tracking import tracking_event_process
from tests.campaigns.esp_webhooks import (
    POSTMARK_MESSAGE_ID,
    SES_MESSAGE_ID,
    auth,
    post_postmark,
    post_ses,
    postmark_bounce,
    postmark_delivery,
    ses_bounce,
    ses_complaint,
    ses_delivery,
    sns,
)
from tests.factories import AmbassadorFactory, CampaignFactory, start_sending

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secret")]


@pytest.fixture
def sent():
    """A newsletter to Anna, sent through the ESP (which returned its message id)."""
    anna = AmbassadorFactory(email="anna@example.se")
    newsletter = CampaignFactory()
    start_sending(newsletter)
    Delivery.objects.filter(campaign=newsletter).update(status=Delivery.Status.SENT)
    return newsletter, Delivery.objects.get(campaign=newsletter, ambassador=anna)


def with_message_id(delivery: Delivery, esp_message_id: str) -> Delivery:
    Delivery.objects.filter(pk=delivery.pk).update(esp_message_id=esp_message_id)
    return delivery


def process_all() -> None:
    for event_id in TrackingEvent.objects.filter(processed=False).values_list("pk", flat=True):
        tracking_event_process(event_id)


def fresh(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


# Authentication ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, auth("user:wrong"), auth("someone:else")], ids=["missing", "wrong", "other"])
def test_postmark_without_the_right_secret_is_rejected_and_nothing_stored(client, sent, headers):
    _newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    response = post_postmark(client, postmark_bounce("anna@example.se"), **headers)

    assert response.status_code in (400, 401, 403)
    assert not TrackingEvent.objects.exists()
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("headers", [{}, auth("user:wrong")], ids=["missing", "wrong"])
def test_ses_without_the_right_secret_is_rejected_and_nothing_stored(client, sent, headers):
    _newsletter, delivery = sent
    with_message_id(delivery, SES_MESSAGE_ID)
    response = post_ses(client, sns(ses_bounce("anna@example.se")), **headers)

    assert response.status_code in (400, 401, 403)
    assert not TrackingEvent.objects.exists()
    assert not Suppression.objects.exists()


# The view stores, the task processes ------------------------------------------------------------------------


def test_the_view_only_stores_the_event_and_enqueues_its_processing(client, sent, django_capture_on_commit_callbacks):
    _newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_postmark(client, postmark_delivery("anna@example.se"), **auth())

    assert response.status_code == 200
    assert len(callbacks) == 1
    event = TrackingEvent.objects.get()
    assert (event.esp, event.event_type, event.message_id, event.processed) == (
        "Postmark",
        "delivered",
        POSTMARK_MESSAGE_ID,
        False,
    )
    assert fresh(delivery).delivered_at is None  # nothing applied yet

    tracking_event_process(event.pk)
    assert fresh(delivery).delivered_at is not None
    event.refresh_from_db()
    assert event.processed


def test_a_postmark_delivered_event_stamps_the_delivery(client, sent):
    _newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    assert post_postmark(client, postmark_delivery("anna@example.se"), **auth()).status_code == 200
    process_all()
    assert fresh(delivery).delivered_at.isoformat().startswith("2026-03-26T17:28:10")


def test_an_ses_delivered_event_stamps_the_delivery(client, sent):
    _newsletter, delivery = sent
    with_message_id(delivery, SES_MESSAGE_ID)
    assert post_ses(client, sns(ses_delivery("anna@example.se")), **auth()).status_code == 200
    process_all()
    assert fresh(delivery).delivered_at is not None


def later_campaign_skips_anna() -> None:
    AmbassadorFactory(email="bo@example.se")
    later = CampaignFactory(name="Nästa brev")
    start_sending(later)
    assert list(Delivery.objects.filter(campaign=later).values_list("to_email", flat=True)) == ["bo@example.se"]
    later.refresh_from_db()
    assert later.skipped_suppressed == 1


def test_a_postmark_hard_bounce_suppresses_the_address_for_later_campaigns(client, sent):
    newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    assert post_postmark(client, postmark_bounce("Anna@Example.se"), **auth()).status_code == 200
    process_all()

    assert fresh(delivery).bounced_at is not None
    assert Suppression.objects.get().email == "anna@example.se"
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    assert campaign_report(newsletter)["bounced"] == 1
    later_campaign_skips_anna()


def test_an_ses_permanent_bounce_suppresses_the_address_for_later_campaigns(client, sent):
    _newsletter, delivery = sent
    with_message_id(delivery, SES_MESSAGE_ID)
    assert post_ses(client, sns(ses_bounce("anna@example.se")), **auth()).status_code == 200
    process_all()

    assert fresh(delivery).bounced_at is not None
    assert Suppression.objects.filter(email="anna@example.se", reason=Suppression.Reason.HARD_BOUNCE).exists()
    later_campaign_skips_anna()


def test_a_postmark_soft_bounce_does_not_suppress_the_address(client, sent):
    _newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    event = postmark_bounce("anna@example.se", kind="SoftBounce", type_code=4096) | {"Name": "Soft bounce"}
    assert post_postmark(client, event, **auth()).status_code == 200
    process_all()
    assert not Suppression.objects.exists()


def test_an_ses_transient_bounce_does_not_suppress_the_address(client, sent):
    _newsletter, delivery = sent
    with_message_id(delivery, SES_MESSAGE_ID)
    assert post_ses(client, sns(ses_bounce("anna@example.se", "Transient", "MailboxFull")), **auth()).status_code == 200
    process_all()
    assert not Suppression.objects.exists()


def test_a_postmark_spam_complaint_suppresses_the_address(client, sent):
    newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    complaint = postmark_bounce("anna@example.se", kind="SpamComplaint", type_code=512, record="SpamComplaint")
    assert post_postmark(client, complaint | {"Name": "Spam complaint", "Description": ""}, **auth()).status_code == 200
    process_all()

    assert fresh(delivery).complained_at is not None
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
    assert campaign_report(newsletter)["complained"] == 1


def test_an_ses_complaint_suppresses_the_address(client, sent):
    _newsletter, delivery = sent
    with_message_id(delivery, SES_MESSAGE_ID)
    assert post_ses(client, sns(ses_complaint("anna@example.se")), **auth()).status_code == 200
    process_all()

    assert fresh(delivery).complained_at is not None
    assert Suppression.objects.get(email="anna@example.se").reason == Suppression.Reason.COMPLAINT


def test_a_replayed_postmark_event_is_stored_and_counted_once(client, sent):
    newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    for _ in range(2):
        assert post_postmark(client, postmark_delivery("anna@example.se"), **auth()).status_code == 200
        assert post_postmark(client, postmark_bounce("anna@example.se"), **auth()).status_code == 200
        process_all()

    assert TrackingEvent.objects.count() == 2
    assert campaign_report(newsletter)["delivered"] == 1
    assert campaign_report(newsletter)["bounced"] == 1
    assert Suppression.objects.count() == 1


def test_a_replayed_ses_notification_is_stored_and_counted_once(client, sent):
    newsletter, delivery = sent
    with_message_id(delivery, SES_MESSAGE_ID)
    for _ in range(2):
        assert post_ses(client, sns(ses_delivery("anna@example.se")), **auth()).status_code == 200
        process_all()

    assert TrackingEvent.objects.count() == 1
    assert campaign_report(newsletter)["delivered"] == 1


def test_processing_an_event_twice_changes_nothing_more(client, sent):
    _newsletter, delivery = sent
    with_message_id(delivery, POSTMARK_MESSAGE_ID)
    post_postmark(client, postmark_delivery("anna@example.se"), **auth())
    event = TrackingEvent.objects.get()
    tracking_event_process(event.pk)
    first = fresh(delivery).delivered_at
    tracking_event_process(event.pk)
    assert fresh(delivery).delivered_at == first


# One SES notification, several recipients --------------------------------------------------------------------


def ses_multiple_bounce() -> dict:
    """anymail's own multi-recipient example (tests/test_amazon_ses_webhooks.py, test_multiple_bounce_event): two
    of the message's three recipients bounced, under one SNS message id."""
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": "jane@example.com"},
                {"emailAddress": "richard@example.com"},
            ],
        },
        "mail": {
            "messageId": "00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000",
            "destination": ["jane@example.com", "mary@example.com", "richard@example.com"],
        },
    }


def test_an_ses_bounce_with_several_recipients_suppresses_every_one_of_them(client):
    notification = {
        "Type": "Notification",
        "MessageId": "19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
        "Message": json.dumps(ses_multiple_bounce()) + "\n",
        "Timestamp": "2018-03-26T17:58:59.675Z",
    }
    for _ in range(2):  # SNS delivers at least once: the replay changes nothing
        assert post_ses(client, notification, **auth()).status_code == 200
        process_all()

    assert sorted(TrackingEvent.objects.values_list("recipient", flat=True)) == [
        "jane@example.com",
        "richard@example.com",
    ]
    assert sorted(Suppression.objects.values_list("email", flat=True)) == ["jane@example.com", "richard@example.com"]
    assert set(Suppression.objects.values_list("reason", flat=True)) == {Suppression.Reason.HARD_BOUNCE}
