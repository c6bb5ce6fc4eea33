"""ESP tracking webhooks are routed only for the ESPs in EMAIL_WEBHOOK_ESPS (tracking only), answer 400 (never
500) to a body they cannot read, and start-up refuses them without the webhook secret (campaigns.checks)."""

from __future__ import annotations

import json

import pytest

from campaigns.models import TrackingEvent
from tests.campaigns.esp_webhooks import (
    ROUTED,
    SES_URL,
    auth,
    post_postmark,
    post_ses,
    postmark_bounce,
    postmark_delivery,
    ses_bounce,
    ses_delivery,
    sns,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secret")]


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
