"""ESP tracking webhooks through django-anymail (Amazon SES via SNS, and Postmark), authenticated with the
webhook secret, routed only for the ESPs in EMAIL_WEBHOOK_ESPS, and answering 400 (never 500) to a body they
cannot read. The payloads follow the formats in anymail's own tests. The view only stores the event;
campaigns.tasks.process_tracking_event applies it (run here by hand with tracking_event_process)."""

from __future__ import annotations

import base64
import json

import pytest

from campaigns.models import Delivery, Suppression, TrackingEvent
from campaigns.selectors import campaign_report
from campaigns.services.tracking import tracking_event_process
from tests.factories import AmbassadorFactory, CampaignFactory, start_sending

pytestmark = pytest.mark.django_db

SES_URL = "/webhooks/anymail/amazon_ses/tracking/"
POSTMARK_URL = "/webhooks/anymail/postmark/tracking/"
SES_MESSAGE_ID = "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000"
POSTMARK_MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


ROUTED = ["amazon_ses", "postmark"]


@pytest.fixture(autouse=True)
def secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    settings.EMAIL_WEBHOOK_ESPS = ROUTED


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


# Routing: only the configured ESPs, only tracking ------------------------------------------------------------


def test_only_the_configured_esps_are_routed(client, settings):
    settings.EMAIL_WEBHOOK_ESPS = ["postmark"]
    assert post_postmark(client, postmark_delivery("anna@example.se"), **auth()).status_code == 200
    assert post_ses(client, sns(ses_delivery("anna@example.se")), **auth()).status_code == 404
    for other in ("sendgrid", "mailgun", "brevo", "sparkpost", "mandrill"):
        assert client.post(f"/webhooks/anymail/{other}/tracking/", data="[]", content_type="application/json",
                           **auth()).status_code == 404, other  # fmt: skip
    # anymail's inbound webhooks are not routed at all
    assert client.post("/webhooks/anymail/postmark/inbound/", data="{}", content_type="application/json",
                       **auth()).status_code == 404  # fmt: skip
    assert TrackingEvent.objects.count() == 1


def test_no_webhook_is_routed_when_none_is_configured(client, settings):
    settings.EMAIL_WEBHOOK_ESPS = []
    assert post_postmark(client, postmark_delivery("anna@example.se"), **auth()).status_code == 404
    assert post_ses(client, sns(ses_delivery("anna@example.se")), **auth()).status_code == 404
    assert not TrackingEvent.objects.exists()


# Bodies the parser cannot read: 400 for each routed ESP, never 500, nothing stored ----------------------------

BAD_BODIES = {
    "malformed-json": b'{"RecordType": "Delivery", ',
    "json-list": b"[]",
    "json-list-of-events": json.dumps([postmark_delivery("anna@example.se")]).encode(),
    "json-string": b'"Notification"',
    "invalid-utf8": b'{"RecordType": "Delivery", "Recipient": "\xff\xfe@example.se"}',
    "nul-byte": b'{"RecordType": "Delivery", "Recipient": "anna\x00@example.se"}',
    "escaped-nul": json.dumps(postmark_delivery("anna\u0000@example.se")).encode(),
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "empty": b"",
}


def post_raw(client, esp: str, body: bytes):
    """As the ESP would post it (SNS's headers for SES), authenticated."""
    headers = auth()
    if esp == "amazon_ses":
        headers |= {"HTTP_X_AMZ_SNS_MESSAGE_ID": "19ba9823", "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification"}
        content_type = (
            "text/plain; charset=utf-8"  # as SNS posts it (lowercase: the test client sends the bytes as they are)
        )
    else:
        content_type = "application/json"
    return client.post(f"/webhooks/anymail/{esp}/tracking/", data=body, content_type=content_type, **headers)


@pytest.mark.parametrize("esp", ROUTED)
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_an_unreadable_body_is_a_400_and_stores_nothing(client, esp, body):
    response = post_raw(client, esp, body)
    assert response.status_code == 400
    assert not TrackingEvent.objects.exists()


def ses_notification_with(message) -> bytes:
    return json.dumps({**sns(ses_delivery("anna@example.se"), sns_id="19ba9823"), "Message": message}).encode()


SES_BAD_MESSAGES = {
    "message-not-json": "{not json",
    "message-a-list": json.dumps([ses_delivery("anna@example.se")]),
    "message-a-number": 5,
    "message-missing": None,
    "message-with-nul": json.dumps(ses_delivery("anna\u0000@example.se")),
    "bounce-without-recipients": json.dumps({**ses_bounce("anna@example.se"), "bounce": {"bounceType": "Permanent"}}),
    "recipient-not-text": json.dumps(ses_delivery("anna@example.se") | {"delivery": {"recipients": [{"a": 1}]}}),
}


@pytest.mark.parametrize("message", SES_BAD_MESSAGES.values(), ids=SES_BAD_MESSAGES.keys())
def test_an_unreadable_ses_message_inside_a_good_notification_is_a_400(client, message):
    assert post_raw(client, "amazon_ses", ses_notification_with(message)).status_code == 400
    assert not TrackingEvent.objects.exists()


def test_an_unknown_sns_message_type_is_a_400(client):
    body = json.dumps({**sns(ses_delivery("anna@example.se"), sns_id="19ba9823"), "Type": "Surprise"}).encode()
    response = client.post(
        SES_URL,
        data=body,
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_ID="19ba9823",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Surprise",
        **auth(),
    )
    assert response.status_code == 400


POSTMARK_BAD_EVENTS = {
    "recipient-a-number": postmark_delivery("anna@example.se") | {"Recipient": 5},
    "recipient-an-object": postmark_bounce("anna@example.se") | {"Email": {"address": "anna@example.se"}},
    "metadata-a-list": postmark_delivery("anna@example.se") | {"Metadata": ["anymail_id"]},
    "date-out-of-range": postmark_delivery("anna@example.se") | {"DeliveredAt": "2026-13-45T10:00:00Z"},
    "message-id-a-list": postmark_delivery("anna@example.se") | {"MessageID": ["x"]},
}


@pytest.mark.parametrize("event", POSTMARK_BAD_EVENTS.values(), ids=POSTMARK_BAD_EVENTS.keys())
def test_a_postmark_event_of_the_wrong_shape_is_a_400(client, event):
    assert post_postmark(client, event, **auth()).status_code == 400
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("esp", ROUTED)
def test_without_the_secret_an_unreadable_body_is_still_refused_before_it_is_read(client, esp):
    headers = {"HTTP_AUTHORIZATION": auth("user:wrong")["HTTP_AUTHORIZATION"]}
    response = client.post(f"/webhooks/anymail/{esp}/tracking/", data=b"[", content_type="application/json", **headers)
    assert response.status_code in (400, 401)
    assert not TrackingEvent.objects.exists()


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


# Start-up refuses webhooks without the secret (campaigns.checks) ----------------------------------------------


def check_ids() -> list[str]:
    from django.core import checks

    return [message.id for message in checks.run_checks() if message.id and message.id.startswith("campaigns.")]


def test_routed_webhooks_without_the_secret_are_a_system_check_error_with_debug_off(settings):
    settings.DEBUG = False
    settings.ANYMAIL = {}
    assert check_ids() == ["campaigns.E001"]
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    assert check_ids() == ["campaigns.E001"]


def test_the_secret_or_no_webhooks_or_debug_pass_the_check(settings):
    settings.DEBUG = False
    assert check_ids() == []  # the secret is set (the autouse fixture)
    settings.ANYMAIL = {}
    settings.EMAIL_WEBHOOK_ESPS = []
    assert check_ids() == []
    settings.EMAIL_WEBHOOK_ESPS = ROUTED
    settings.DEBUG = True
    assert check_ids() == []


def test_an_esp_without_a_tracking_webhook_here_is_a_system_check_error(settings):
    settings.EMAIL_WEBHOOK_ESPS = ["postmark", "sendgrid"]
    assert check_ids() == ["campaigns.E002"]
