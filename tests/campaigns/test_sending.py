"""Sending the outbox: claims, retries, permanent failures, suppression and the sweeper, over real SMTP."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused, AnymailRequestsAPIError
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from campaigns.emails import message_id
from campaigns.models import Delivery, Suppression
from campaigns.services import outbox
from campaigns.services.outbox import deliveries_send, deliveries_sweep, delivery_send
from campaigns.services.send_errors import error_classify, retry_delay
from tests.conftest import body_html, body_text
from tests.factories import DeliveryFactory, SuppressionFactory

pytestmark = pytest.mark.django_db


def queued(to_email="anna@example.se", template="application_confirm", **fields) -> Delivery:
    return DeliveryFactory(
        template=template,
        to_email=to_email,
        to_name="Anna Ödmark",
        context={"first_name": "Anna", "confirm_url": "http://testserver/bekrafta/abc/"},
        **fields,
    )


def fresh(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


# Sent ---------------------------------------------------------------------------------------------------------


def test_a_sent_delivery_is_marked_sent_with_its_headers_and_both_parts(smtp_server):
    delivery = queued()
    assert deliveries_send([delivery.pk]) == []

    message = smtp_server.recorder.wait_for(1)[0]
    delivery = fresh(delivery)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.last_error == ""
    assert message["Message-ID"] == message_id(delivery.pk)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["To"].addresses[0].addr_spec == "anna@example.se"
    assert message["To"].addresses[0].display_name == "Anna Ödmark"
    assert message.get_content_type() == "multipart/alternative"
    assert "http://testserver/bekrafta/abc/" in body_text(message)
    assert 'href="http://testserver/bekrafta/abc/"' in body_html(message)


def test_the_confirmation_email_is_in_swedish(smtp_server):
    deliveries_send([queued().pk])
    message = smtp_server.recorder.wait_for(1)[0]
    assert "Bekräfta" in message["Subject"]
    assert "Hej Anna!" in body_text(message)
    assert 'lang="sv"' in body_html(message)


def test_the_message_id_is_the_same_for_the_same_delivery_and_differs_between_deliveries(settings):
    assert message_id(41) == message_id(41)
    assert message_id(41) != message_id(42)
    assert message_id(41).startswith("<41.") and message_id(41).endswith("@kramfors.se>")


class ESPBackend(BaseEmailBackend):
    """Stands in for an anymail ESP backend: sets anymail_status on success, or raises `error`."""

    error: Exception | None = None

    def send_messages(self, messages):
        if ESPBackend.error is not None:
            raise ESPBackend.error
        for message in messages:
            message.anymail_status = SimpleNamespace(message_id=f"esp-{message.extra_headers['Message-ID']}")
        return len(messages)


@pytest.fixture
def esp(settings):
    settings.EMAIL_BACKEND = f"{__name__}.ESPBackend"
    ESPBackend.error = None
    yield ESPBackend
    ESPBackend.error = None


def test_an_esp_message_id_is_recorded(esp):
    delivery = queued()
    deliveries_send([delivery.pk])
    delivery = fresh(delivery)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.esp_message_id == f"esp-{message_id(delivery.pk)}"


def esp_error(status: int) -> AnymailRequestsAPIError:
    response = requests.Response()
    response.status_code = status
    response.reason = "Error"
    response._content = b'{"message": "nope"}'
    return AnymailRequestsAPIError(email_message=None, payload={}, response=response, backend=None)


def test_an_esp_rate_limit_is_retried_and_an_esp_rejection_fails(esp):
    busy, rejected = queued("busy@example.se"), queued("rejected@example.se")
    esp.error = esp_error(429)
    assert [pk for pk, _delay in deliveries_send([busy.pk])] == [busy.pk]
    esp.error = AnymailRecipientsRefused(email_message=None, payload={}, response={}, backend=None)
    assert deliveries_send([rejected.pk]) == []
    assert fresh(busy).status == Delivery.Status.QUEUED
    assert fresh(rejected).status == Delivery.Status.FAILED
    assert Suppression.objects.filter(email="rejected@example.se").exists()


# Transient and permanent errors -------------------------------------------------------------------------------


def test_a_4xx_answer_puts_the_delivery_back_in_the_queue_with_a_retry_time(smtp_server, settings):
    smtp_server.recorder.replies.append("451 4.3.0 Try again later")
    delivery = queued()
    before = timezone.now()

    retries = deliveries_send([delivery.pk])

    assert [pk for pk, _delay in retries] == [delivery.pk]
    delay = retries[0][1]
    assert settings.EMAIL_RETRY_BASE_SECONDS <= delay <= settings.EMAIL_RETRY_MAX_SECONDS
    delivery = fresh(delivery)
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.attempts == 1
    assert "451" in delivery.last_error
    assert before + timedelta(seconds=delay) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=delay)
    assert smtp_server.recorder.messages == []


def test_two_4xx_answers_then_250_delivers_exactly_once(smtp_server):
    smtp_server.recorder.replies.extend(["451 4.3.0 Try again later", "421 4.7.0 Busy"])
    delivery = queued()
    connection = get_connection()

    assert deliveries_send([delivery.pk])
    due = fresh(delivery).next_attempt_at
    assert delivery_send(delivery.pk, connection, now=due - timedelta(seconds=1)) is None  # not yet due
    assert fresh(delivery).attempts == 1
    assert delivery_send(delivery.pk, connection, now=due + timedelta(seconds=1)) is not None
    due = fresh(delivery).next_attempt_at
    assert delivery_send(delivery.pk, connection, now=due + timedelta(seconds=1)) is None
    assert delivery_send(delivery.pk, connection, now=due + timedelta(hours=1)) is None  # done: not again
    connection.close()

    assert len(smtp_server.recorder.wait_for(1)) == 1
    delivery = fresh(delivery)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 3
    assert delivery.last_error == ""


def test_transient_errors_fail_after_the_maximum_number_of_attempts(smtp_server, settings):
    settings.EMAIL_MAX_ATTEMPTS = 1
    smtp_server.recorder.replies.append("451 4.3.0 Try again later")
    delivery = queued()
    assert deliveries_send([delivery.pk]) == []
    assert fresh(delivery).status == Delivery.Status.FAILED
    assert not Suppression.objects.exists()


def test_a_550_answer_fails_at_once_and_suppresses_the_address(smtp_server):
    smtp_server.recorder.replies.append("550 5.1.1 No such user here")
    delivery = queued(to_email="Gone@Example.se")

    assert deliveries_send([delivery.pk]) == []

    delivery = fresh(delivery)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert "No such user" in delivery.last_error
    assert delivery.next_attempt_at is None
    suppression = Suppression.objects.get()
    assert suppression.email == "gone@example.se"
    assert suppression.reason == Suppression.Reason.HARD_BOUNCE
    assert smtp_server.recorder.messages == []


def test_a_suppressed_address_is_skipped_at_send_time(smtp_server):
    delivery = queued(to_email="gone@example.se")
    SuppressionFactory(email="gone@example.se", reason=Suppression.Reason.UNSUBSCRIBE)
    deliveries_send([delivery.pk])
    delivery = fresh(delivery)
    assert delivery.status == Delivery.Status.SKIPPED
    assert delivery.last_error == "suppressed"
    assert smtp_server.recorder.messages == []


def test_a_row_claimed_by_another_worker_is_not_sent_again(smtp_server):
    claimed = queued(status=Delivery.Status.SENDING, claimed_at=timezone.now(), attempts=1)
    deliveries_send([claimed.pk])
    claimed = fresh(claimed)
    assert claimed.status == Delivery.Status.SENDING
    assert claimed.attempts == 1
    assert smtp_server.recorder.messages == []


def test_sending_the_same_batch_twice_sends_each_email_once(smtp_server):
    ids = [queued(to_email=f"p{n}@example.se").pk for n in range(3)]
    deliveries_send(ids)
    deliveries_send(ids)
    assert len(smtp_server.recorder.wait_for(3)) == 3
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.Status.SENT, 1)}


def test_a_delivery_that_cannot_be_rendered_fails_and_the_rest_of_the_batch_is_sent(smtp_server):
    broken = queued(to_email="broken@example.se", template="does_not_exist")
    good = queued(to_email="good@example.se")

    assert deliveries_send([broken.pk, good.pk]) == []

    broken = fresh(broken)
    assert broken.status == Delivery.Status.FAILED
    assert broken.last_error.startswith("render:")
    assert "does_not_exist" in broken.last_error
    assert fresh(good).status == Delivery.Status.SENT
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.recorder.wait_for(1)] == ["good@example.se"]


# The sweeper --------------------------------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(outbox, "deliveries_publish", ids.extend)
    return ids


def test_the_sweeper_takes_back_rows_stuck_in_sending_past_the_lease_and_publishes_them_at_once(settings, published):
    now = timezone.now()
    lease = timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)
    stuck = queued(status=Delivery.Status.SENDING, claimed_at=now - lease - timedelta(seconds=1), attempts=1)
    busy = queued(status=Delivery.Status.SENDING, claimed_at=now - lease + timedelta(seconds=5), attempts=1)

    # Recovery takes the lease, not the lease plus the grace for queued rows.
    assert deliveries_sweep(now=now) == 1

    assert published == [stuck.pk]
    assert fresh(stuck).status == Delivery.Status.QUEUED
    assert fresh(stuck).claim_token is None
    assert fresh(busy).status == Delivery.Status.SENDING


def test_the_sweeper_publishes_queued_rows_older_than_the_grace(settings, published):
    now = timezone.now()
    grace = timedelta(seconds=settings.EMAIL_SWEEP_GRACE_SECONDS)
    left = queued(to_email="left@example.se")
    Delivery.objects.filter(pk=left.pk).update(queued_at=now - grace - timedelta(seconds=1))
    queued(to_email="new@example.se")  # just written: its own on-commit publish will handle it
    waiting = queued(to_email="retry@example.se", next_attempt_at=now + timedelta(minutes=5))
    Delivery.objects.filter(pk=waiting.pk).update(queued_at=now - timedelta(hours=1))
    queued(to_email="done@example.se", status=Delivery.Status.SENT)

    assert deliveries_sweep(now=now) == 1
    assert published == [left.pk]
    assert fresh(left).status == Delivery.Status.QUEUED


def test_the_sweeper_publishes_nothing_when_all_is_well(published):
    queued(status=Delivery.Status.SENT)
    assert deliveries_sweep() == 0
    assert published == []


# Sorting errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.se": (550, b"5.1.1 No such user")}), (False, True)),
        (smtplib.SMTPRecipientsRefused({"a@example.se": (450, b"4.2.1 Mailbox busy")}), (True, False)),
        (smtplib.SMTPDataError(451, b"4.3.0 Try again"), (True, False)),
        (smtplib.SMTPDataError(554, b"5.7.1 Rejected"), (False, False)),
        (smtplib.SMTPDataError(550, b"5.1.1 No such user"), (False, True)),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), (True, False)),
        (smtplib.SMTPConnectError(421, b"Too many connections"), (True, False)),
        (ConnectionRefusedError(111, "Connection refused"), (True, False)),
        (TimeoutError("timed out"), (True, False)),
        (esp_error(429), (True, False)),
        (esp_error(503), (True, False)),
        (esp_error(400), (False, False)),
        (AnymailAPIError("no response at all"), (True, False)),
        (AnymailRecipientsRefused(email_message=None, payload={}, response={}, backend=None), (False, True)),
        (ValueError("a bug"), (False, False)),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_errors_are_sorted_into_transient_permanent_and_hard_bounce(error, expected):
    assert error_classify(error) == expected


def test_a_refused_sender_does_not_suppress_the_recipient():
    """A 553 to MAIL FROM is about our own From address (configuration), not about the recipient."""
    error = smtplib.SMTPSenderRefused(553, b"5.7.1 Sender address rejected", "ambassador@kramfors.se")
    _transient, hard_bounce = error_classify(error)
    assert hard_bounce is False


def test_the_retry_delay_grows_exponentially_and_is_capped(settings, monkeypatch):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    settings.EMAIL_RETRY_MAX_SECONDS = 3600
    monkeypatch.setattr("campaigns.services.send_errors.random.uniform", lambda low, high: high)
    assert [retry_delay(attempt) for attempt in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_the_retry_delay_is_jittered_between_the_base_and_the_ceiling(settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    settings.EMAIL_RETRY_MAX_SECONDS = 3600
    delays = [retry_delay(3) for _ in range(200)]
    assert all(30 <= delay <= 240 for delay in delays)
    assert len(set(delays)) > 1
    assert all(30 <= retry_delay(20) <= 3600 for _ in range(50))
