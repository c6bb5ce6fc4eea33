"""Which sending errors retry, which fail, and which may suppress the address for good."""

from __future__ import annotations

import smtplib

import pytest

from campaigns.services import rate_clock
from campaigns.services.send_errors import error_classify


@pytest.mark.parametrize(
    ("error", "transient", "hard_bounce"),
    [
        (smtplib.SMTPDataError(550, b"5.1.1 <x@y.se>: Recipient address rejected: User unknown"), False, True),
        (smtplib.SMTPDataError(550, b"5.7.1 Message rejected as spam"), False, False),
        (smtplib.SMTPDataError(554, b"Transaction failed"), False, False),
        (smtplib.SMTPDataError(550, b"Mailbox unavailable"), False, True),
        (smtplib.SMTPRecipientsRefused({"x@y.se": (550, b"5.1.1 No such user")}), False, True),
        (smtplib.SMTPRecipientsRefused({"x@y.se": (554, b"5.7.1 Relay access denied")}), False, False),
        (smtplib.SMTPRecipientsRefused({"x@y.se": (452, b"4.2.2 Mailbox full")}), True, False),
        (smtplib.SMTPConnectError(554, b"No service for you"), True, False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, False),
        (ConnectionRefusedError(111, "Connection refused"), True, False),
    ],
)
def test_errors_are_sorted_into_retry_fail_and_suppress(error, transient, hard_bounce):
    assert error_classify(error) == (transient, hard_bounce)


def test_a_spam_rejection_fails_the_message_but_keeps_the_address(smtp_server, db):
    from campaigns.models import Delivery, Suppression
    from campaigns.services.outbox import deliveries_send, email_queue

    smtp_server.recorder.replies.append("550 5.7.1 Message rejected as spam")
    delivery = email_queue(template="application_confirm", to_email="anna@example.se", context={"first_name": "Anna"})
    deliveries_send([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert not Suppression.objects.exists()


def test_a_slow_rate_limit_claims_fewer_rows_so_claims_never_outlive_the_lease(settings):
    from campaigns.services.claim import CLAIM_SIZE, claim_size

    settings.EMAIL_SENDING_LEASE_SECONDS = 600
    settings.EMAIL_RATE_PER_MINUTE = 0
    assert claim_size() == CLAIM_SIZE
    settings.EMAIL_RATE_PER_MINUTE = 600
    assert claim_size() == CLAIM_SIZE
    settings.EMAIL_RATE_PER_MINUTE = 2  # 20 rows would take 10 minutes; a quarter lease holds 5
    assert claim_size() == 5
    settings.EMAIL_RATE_PER_MINUTE = 1
    settings.EMAIL_SENDING_LEASE_SECONDS = 60
    assert claim_size() == 1


def test_a_send_slot_missed_by_more_than_one_interval_is_given_up_not_used_late(settings, monkeypatch):
    import time

    settings.EMAIL_RATE_PER_MINUTE = 600  # one slot every 0.1 s
    pauses = []
    monkeypatch.setattr(rate_clock.time, "sleep", pauses.append)
    clock = rate_clock.RateClock()
    now = time.time()
    clock.slots = [now - 5.0, now - 0.05, now + 30.0]
    clock.wait()  # the slot 5 s ago is dropped; the one 0.05 s ago is still within an interval: go now
    assert pauses == [] and clock.slots == [now + 30.0]
    clock.wait()
    assert 29 < pauses[0] <= 30


def test_a_fresh_slot_is_used_even_when_reserving_it_took_longer_than_an_interval(settings, monkeypatch):
    """At 60,000 a minute a slot lasts 1 ms; a busy database takes longer than that to hand one out. Giving the fresh
    slot up would reserve another, and another, for ever (a worker spinning on the clock's row)."""
    import time

    settings.EMAIL_RATE_PER_MINUTE = 60_000
    reserved = []

    def slow_reservation(count):
        reserved.append(count)
        return [time.time() - 0.010]  # the reservation came back 10 ms after its slot

    monkeypatch.setattr("campaigns.services.rate_clock.send_slots", slow_reservation)
    clock = rate_clock.RateClock()
    clock.wait()
    assert reserved == [1]
    assert clock.slots == []
