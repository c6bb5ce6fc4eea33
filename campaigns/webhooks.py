"""The ESP tracking webhooks we route: django-anymail's views for the ESPs named in settings.EMAIL_WEBHOOK_ESPS,
and no others (nor anymail's inbound views).

anymail answers a body its parser cannot read with a 500, which the ESP takes as "try again later" and repeats;
here it is a 400: a body that is not UTF-8 JSON of the ESP's shape, holds a NUL character (PostgreSQL refuses it
in text), or that anymail's parser fails on. An error while storing the events is still a 500, so the ESP retries.
Authentication (ANYMAIL_WEBHOOK_SECRET, HTTP basic auth) is checked first; campaigns.checks refuses to start
without it when DEBUG is off."""

from __future__ import annotations

import json
from datetime import datetime

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.base import AnymailBasicAuthMixin
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.conf import settings
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt

# What anymail's parsers raise on a payload of an unexpected shape.
PARSE_ERRORS = (AnymailError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError)
# The event attributes campaigns.services.tracking stores.
TEXT_ATTRIBUTES = ("event_type", "event_id", "message_id", "recipient", "description", "mta_response")


class BadPayload(AnymailWebhookValidationFailure):
    """A SuspiciousOperation: Django answers 400 and logs it to django.security."""


def _has_nul(data) -> bool:
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def json_payload(body: bytes, shape: type = dict):
    """The body as JSON of the given shape, or BadPayload."""
    if b"\x00" in body:
        raise BadPayload("The webhook body holds a NUL byte.")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadPayload("The webhook body is not UTF-8.") from None
    except (ValueError, RecursionError):
        raise BadPayload("The webhook body is not JSON.") from None
    if not isinstance(data, shape):
        raise BadPayload(f"The webhook body is JSON but not a {shape.__name__}.")
    if _has_nul(data):
        raise BadPayload("The webhook body holds a NUL character.")
    return data


class StrictPayloadMixin(AnymailBasicAuthMixin):
    """For an anymail tracking view: authenticate, then check the payload, then let anymail parse it; whatever
    goes wrong before the events are stored is the sender's mistake (400)."""

    def payload_check(self, body: bytes) -> None:
        json_payload(body, dict)

    def run_validators(self, request):
        AnymailBasicAuthMixin.validate_request(self, request)  # who is asking comes first
        self.payload_check(request.body)
        try:
            super().run_validators(request)
        except AnymailWebhookValidationFailure:
            raise
        except PARSE_ERRORS as error:
            raise BadPayload(f"Unreadable {self.esp_name} webhook: {error}") from error

    def parse_events(self, request):
        try:
            events = super().parse_events(request)
        except AnymailWebhookValidationFailure:
            raise
        except PARSE_ERRORS as error:
            raise BadPayload(f"Unreadable {self.esp_name} webhook: {error}") from error
        for event in events:
            for name in TEXT_ATTRIBUTES:
                value = getattr(event, name, None)
                if value is not None and (not isinstance(value, str) or "\x00" in value):
                    raise BadPayload(f"{self.esp_name} webhook: {name} is not text.")
            if event.timestamp is not None and not isinstance(event.timestamp, datetime):
                raise BadPayload(f"{self.esp_name} webhook: the timestamp is not a time.")
        return events


class AmazonSESTracking(StrictPayloadMixin, AmazonSESTrackingWebhookView):
    """SNS posts a notification whose Message is the SES event, itself JSON in a string."""

    def payload_check(self, body: bytes) -> None:
        notification = json_payload(body, dict)
        if notification.get("Type") != "Notification":
            return  # a subscription confirmation: anymail checks it
        message = notification.get("Message")
        if not isinstance(message, str):
            raise BadPayload("The SNS notification has no Message.")
        try:
            event = json.loads(message)
        except (ValueError, RecursionError):
            return  # anymail accepts SNS's own "Successfully validated SNS topic ..." text and refuses the rest
        if not isinstance(event, dict) or _has_nul(event):
            raise BadPayload("The SNS Message is not an SES event.")


class PostmarkTracking(StrictPayloadMixin, PostmarkTrackingWebhookView):
    pass


# Every ESP whose tracking webhook can be routed (campaigns.services.tracking knows how each reports hard bounces).
TRACKING_VIEWS = {
    "amazon_ses": AmazonSESTracking.as_view(),
    "postmark": PostmarkTracking.as_view(),
}


@csrf_exempt
def tracking_webhook(request, esp: str):
    """/webhooks/anymail/<esp>/tracking/ for the ESPs in settings.EMAIL_WEBHOOK_ESPS; 404 for any other."""
    if esp not in settings.EMAIL_WEBHOOK_ESPS or esp not in TRACKING_VIEWS:
        raise Http404("No such webhook.")
    return TRACKING_VIEWS[esp](request)
