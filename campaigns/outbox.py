"""The outbox: every email is a Delivery row, queued in the caller's transaction, sent by Celery after commit.

A task claims its row (queued → sending) with a conditional UPDATE, so a message delivered twice, two workers or a
crash never send it twice. Errors are sorted: transient ones retry with backoff, permanent ones fail at once.
"""

from __future__ import annotations

import logging
import random
import smtplib
import socket
import time
from datetime import datetime, timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from network.models import Ambassador

from .emails import build_message
from .models import Campaign, Delivery, SendClock, Suppression
from .selectors import PREFERENCE

logger = logging.getLogger(__name__)


# Queueing ----------------------------------------------------------------------------------------------------


def email_queue(
    *,
    template: str,
    to_email: str,
    to_name: str = "",
    language: str = "sv",
    context: dict | None = None,
    key: str | None = None,
    ambassador: Ambassador | None = None,
    application=None,
) -> Delivery | None:
    """Write the outbox row in the caller's transaction; the send is enqueued once it commits.

    With a `key`, a second call for the same key queues nothing (returns None).
    """
    delivery = Delivery(
        template=template,
        to_email=to_email,
        to_name=to_name,
        language=language,
        context=context or {},
        key=key,
        ambassador=ambassador,
        application=application,
    )
    if key is not None:
        try:
            with transaction.atomic():
                delivery.save()
        except IntegrityError:
            return None
    else:
        delivery.save()
    deliveries_enqueue([delivery.pk])
    return delivery


def deliveries_enqueue(ids: list[int]) -> None:
    """After commit, hand the ids to Celery in batches. If the broker is down the rows stay queued and the
    sweeper enqueues them later, so a failure here is logged, never raised into the request."""
    if ids:
        ids = list(ids)

        def publish_deliveries() -> None:
            _publish(ids)

        transaction.on_commit(publish_deliveries, robust=True)


def _publish(ids: list[int]) -> None:
    from .tasks import send_deliveries

    size = settings.EMAIL_BATCH_SIZE
    for start in range(0, len(ids), size):
        send_deliveries.apply_async((ids[start : start + size],), retry=False)


# Sending -----------------------------------------------------------------------------------------------------


def _bad_address(code: int, message) -> bool:
    """A permanent refusal that is about the address (5.1.x: no such mailbox or domain), not about the message
    or our server (5.7.x policy, spam): only the former may suppress the address for good."""
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    enhanced = text.strip().split(" ", 1)[0]
    if enhanced[:2] == "5." and enhanced.count(".") == 2:
        return enhanced.startswith("5.1.")
    return code in (550, 551, 553)


def _classify(error: Exception) -> tuple[bool, bool]:
    """(transient, hard_bounce) for an error raised while sending."""
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout)):
        return True, False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = list(error.recipients.values())
        if all(400 <= code < 500 for code, _msg in refusals):
            return True, False
        return False, any(code >= 500 and _bad_address(code, msg) for code, msg in refusals)
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own From address was refused: a configuration problem, never the recipient's fault.
        return 400 <= error.smtp_code < 500, False
    if isinstance(error, smtplib.SMTPResponseException):
        if 400 <= error.smtp_code < 500:
            return True, False
        return False, _bad_address(error.smtp_code, error.smtp_error)
    if isinstance(error, AnymailRecipientsRefused):
        return False, True
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status == 429 or status >= 500, False
    if isinstance(error, OSError):  # connection refused or reset, DNS
        return True, False
    return False, False


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter and a cap (seconds)."""
    base = settings.EMAIL_RETRY_BASE_SECONDS
    cap = settings.EMAIL_RETRY_MAX_SECONDS
    return random.uniform(base, min(cap, base * 2**attempt))


def _claim(delivery_id: int, now: datetime) -> bool:
    """Queued → sending, for exactly one caller; never for a paused or cancelled campaign (tests to itself pass)."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(campaign__isnull=True) | Q(is_test=True) | Q(campaign__status=Campaign.Status.SENDING))
        .update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _finish(delivery: Delivery, status: str, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(status=status, **fields)


def _skip_reason(delivery: Delivery) -> str:
    if Suppression.objects.filter(email=delivery.to_email).exists():
        return "suppressed"
    if delivery.campaign_id and not delivery.is_test:
        if delivery.ambassador is None:
            return "ambassador deleted"
        if not getattr(delivery.ambassador, PREFERENCE[delivery.campaign.kind]):
            return "unsubscribed"
    if delivery.template == "step" and delivery.step_id is None:
        return "step deleted"
    if delivery.step_id and delivery.ambassador and delivery.ambassador.status != Ambassador.Status.ACTIVE:
        return "ambassador not active"
    return ""


def delivery_send(delivery_id: int, connection, *, now: datetime | None = None, clock=None) -> float | None:
    """Claim and send one delivery over `connection`. Returns a retry delay when it should be tried again.

    `clock` (a RateClock) waits for a send slot once the row is ours: the rate limit counts real sends."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None  # someone else has it, or it is done
    delivery = Delivery.objects.select_related("step", "campaign", "ambassador__locality").get(pk=delivery_id)
    if reason := _skip_reason(delivery):
        _finish(delivery, Delivery.Status.SKIPPED, last_error=reason)
        return None
    try:
        message = build_message(delivery, connection)
    except Exception as error:  # noqa: BLE001 - one bad template or row must not stop the others
        logger.exception("Delivery %s could not be rendered", delivery_id)
        _finish(delivery, Delivery.Status.FAILED, last_error=f"render: {error}"[:2000])
        return None
    if clock is not None:
        clock.wait()
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - sorted by _classify below
        transient, hard_bounce = _classify(error)
        reason = f"{type(error).__name__}: {error}"[:2000]
        _reset(connection)
        if transient and delivery.attempts < settings.EMAIL_MAX_ATTEMPTS:
            delay = retry_delay(delivery.attempts)
            _finish(
                delivery,
                Delivery.Status.QUEUED,
                last_error=reason,
                queued_at=now,
                next_attempt_at=now + timedelta(seconds=delay),
            )
            logger.info("Delivery %s failed transiently, retry in %.1fs", delivery_id, delay)
            return delay
        _finish(delivery, Delivery.Status.FAILED, last_error=reason)
        if hard_bounce:
            suppression_add(email=delivery.to_email, reason=Suppression.Reason.HARD_BOUNCE, detail=reason[:500])
        return None
    status = getattr(message, "anymail_status", None)
    _finish(
        delivery,
        Delivery.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        esp_message_id=(status.message_id or "") if status else "",
    )
    return None


def _reset(connection) -> None:
    """After an error the SMTP session may be unusable; the next message opens a fresh one."""
    try:
        connection.close()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail; it is discarded anyway
        pass


def deliveries_send(ids: list[int]) -> list[tuple[int, float]]:
    """Send a batch over one reused connection, at the configured rate. Returns (id, delay) for those to retry."""
    retries = []
    connection = get_connection()
    clock = RateClock()
    try:
        for delivery_id in ids:
            delay = delivery_send(delivery_id, connection, clock=clock)
            if delay is not None:
                retries.append((delivery_id, delay))
    finally:
        _reset(connection)
    for campaign_id in set(
        Delivery.objects.filter(pk__in=ids, campaign__isnull=False).values_list("campaign_id", flat=True)
    ):
        campaign_finish_if_done(campaign_id)
    return retries


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Re-enqueue rows left queued (broker down, lost message) or stuck in sending past the lease."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)
    Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).update(
        status=Delivery.Status.QUEUED, queued_at=now, next_attempt_at=None
    )
    grace = now - timedelta(seconds=settings.EMAIL_SWEEP_GRACE_SECONDS)
    ids = list(
        Delivery.objects.filter(status=Delivery.Status.QUEUED, queued_at__lte=grace)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=grace))
        .order_by("pk")
        .values_list("pk", flat=True)[:10_000]
    )
    if ids:
        _publish(ids)
    return len(ids)


def suppression_add(*, email: str, reason: str, detail: str = "") -> None:
    Suppression.objects.get_or_create(email=email.lower(), defaults={"reason": reason, "detail": detail})


def campaign_finish_if_done(campaign_id: int) -> None:
    pending = Delivery.objects.filter(
        campaign_id=campaign_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    if not pending.exists():
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=timezone.now()
        )


# Rate limit --------------------------------------------------------------------------------------------------


def send_slots(count: int, *, now: float | None = None) -> list[float]:
    """Reserve `count` send times (epoch seconds) spaced by the configured rate, shared by all workers."""
    per_minute = settings.EMAIL_RATE_PER_MINUTE
    now = time.time() if now is None else now
    if per_minute <= 0 or count <= 0:
        return [now] * count
    interval = 60.0 / per_minute
    with transaction.atomic():
        clock, _created = SendClock.objects.select_for_update().get_or_create(pk=1)
        first = max(now, clock.next_slot)
        clock.next_slot = first + interval * count
        clock.save(update_fields=["next_slot"])
    return [first + interval * i for i in range(count)]


class RateClock:
    """Send slots for one batch, reserved a few at a time from the shared clock and spent only on real sends."""

    def __init__(self, reserve: int = 10):
        self.reserve = reserve
        self.slots: list[float] = []

    def wait(self) -> None:
        if settings.EMAIL_RATE_PER_MINUTE <= 0:
            return
        if not self.slots:
            self.slots = send_slots(self.reserve)
        pause = self.slots.pop(0) - time.time()
        if pause > 0:
            time.sleep(pause)
