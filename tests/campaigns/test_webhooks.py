"""ESP tracking webhooks through django-anymail (Amazon SES via SNS, and Postmark), authenticated with the
webhook secret. The payloads follow the formats in anymail's own tests. The view only stores the event;
campaigns.tasks.process_tracking_event applies it (run here by hand with tracking_event_process)."""

from __future__ import annotations

import base64
import json

import pytest

from campaigns.models import Delivery, Suppression, TrackingEvent
from campaigns.selectors import campaign_report
from campaigns.services import tracking_event_process
from tests.factories import AmbassadorFactory

from .newsletter_helpers import campaign, start

pytestmark = pytest.mark.django_db

SES_URL = "/webhooks/anymail/amazon_ses/tracking/"
POSTMARK_URL = "/webhooks/anymail/postmark/tracking/"
SES_MESSAGE_ID = "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000"
POSTMARK_MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}


def auth(credentials: str = "user:pass") -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def sns(ses_event: dict, sns_id: str = "19ba9823-d7f2-53c1-860e-cb10e0d13dfc") -> dict:
    """An SNS Notification wrapping an SES event, as SNS posts it."""
    return {
        "Type": "Notification",
        "MessageId": sns_id,
        "TopicArn": "arn:aws:sns:eu-north-1:123456789012:ses-events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event) + "\n",
        "Timestamp": "2026-03-26T17:58:59.675Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE-SIGNATURE==",
        "SigningCertURL": "https://sns.eu-north-1.amazonaws.com/SimpleNotificationService-12345abcde.pem",
        "UnsubscribeURL": "https://sns.eu-north-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn...",
    }


def post_ses(client, message: dict, **headers):
    return client.post(
        SES_URL,
        data=json.dumps(message),
        content_type="text/plain; charset=UTF-8",  # SNS posts JSON as text/plain
        HTTP_X_AMZ_SNS_MESSAGE_ID=message["MessageId"],
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message["Type"],
        **headers,
    )


def post_postmark(client, event: dict, **headers):
    return client.post(POSTMARK_URL, data=json.dumps(event), content_type="application/json", **headers)


def ses_delivery(to: str) -> dict:
    return {
        "notificationType": "Delivery",
        "mail": {"timestamp": "2026-03-26T17:58:58.237Z", "messageId": SES_MESSAGE_ID, "destination": [to]},
        "delivery": {
            "timestamp": "2026-03-26T17:58:59.237Z",
            "recipients": [to],
            "processingTimeMillis": 546,
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
            "smtpResponse": "250 ok:  Message 64111812 accepted",
            "remoteMtaIp": "127.0.2.0",
        },
    }


def ses_bounce(to: str, bounce_type: str = "Permanent", sub_type: str = "General") -> dict:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": sub_type,
            "bouncedRecipients": [
                {
                    "emailAddress": to,
                    "status": "5.1.1",
                    "action": "failed",
                    "diagnosticCode": "smtp; 550 5.1.1 User unknown",
                }
            ],
            "reportingMTA": "dns; email.example.com",
            "timestamp": "2026-03-26T17:58:59.101Z",
            "feedbackId": "00000138111222aa-44455566-cccc-cccc-cccc-ddddaaaa068a-000000",
        },
        "mail": {"timestamp": "2026-03-26T17:58:58.237Z", "messageId": SES_MESSAGE_ID, "destination": [to]},
    }


def ses_complaint(to: str) -> dict:
    return {
        "notificationType": "Complaint",
        "complaint": {
            "userAgent": "AnyCompany Feedback Loop (V0.01)",
            "complainedRecipients": [{"emailAddress": to}],
            "complaintFeedbackType": "abuse",
        },
        "mail": {"messageId": SES_MESSAGE_ID, "destination": [to]},
    }


def postmark_delivery(to: str) -> dict:
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageID": POSTMARK_MESSAGE_ID,
        "Recipient": to,
        "Tag": "newsletter",
        "Metadata": {},
        "DeliveredAt": "2026-03-26T13:28:10.2735393-04:00",
        "Details": "Test delivery webhook details",
    }


def postmark_bounce(to: str, kind: str = "HardBounce", type_code: int = 1, record: str = "Bounce") -> dict:
    return {
        "RecordType": record,
        "ID": 901542550,
        "Type": kind,
        "TypeCode": type_code,
        "ServerID": 23,
        "Name": "Hard bounce",
        "MessageID": POSTMARK_MESSAGE_ID,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": to,
        "From": "ambassador@kramfors.se",
        "BouncedAt": "2026-03-26T16:28:50.3963933-04:00",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Vårbrevet",
    }


@pytest.fixture
def sent():
    """A newsletter to Anna, sent through the ESP (which returned its message id)."""
    anna = AmbassadorFactory(email="anna@example.se")
    newsletter = campaign()
    start(newsletter)
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
    later = campaign(name="Nästa brev")
    start(later)
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
