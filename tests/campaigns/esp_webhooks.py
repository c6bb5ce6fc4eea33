"""The ESPs' tracking webhooks as they post them (Amazon SES via SNS, and Postmark), in the formats of anymail's own
tests: shared by tests/campaigns/test_webhooks.py and test_webhook_routing_and_unreadable_bodies.py. The secret they
authenticate with is set by the `webhook_secret` fixture (tests/campaigns/conftest.py)."""

from __future__ import annotations

import base64
import json

SES_URL = "/webhooks/anymail/amazon_ses/tracking/"
POSTMARK_URL = "/webhooks/anymail/postmark/tracking/"
SES_MESSAGE_ID = "0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000"
POSTMARK_MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


ROUTED = ["amazon_ses", "postmark"]


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
