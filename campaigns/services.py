"""Writes for email: queue deliveries (the outbox), send them, sweep, and run sequences."""

from __future__ import annotations

import logging
import random
import smtplib
import socket
from datetime import datetime, timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from network import selectors
from network.models import Ambassador

from .emails import build_message
from .models import Delivery, Enrollment, Sequence, Step, Suppression

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


class TransientError(Exception):
    pass


def _classify(error: Exception) -> tuple[bool, bool]:
    """(transient, hard_bounce) for an error raised while sending."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        permanent = any(code >= 500 for code in codes)
        return not permanent, permanent
    if isinstance(error, smtplib.SMTPResponseException):
        if 400 <= error.smtp_code < 500:
            return True, False
        return False, error.smtp_code in (550, 551, 553)
    if isinstance(error, AnymailRecipientsRefused):
        return False, True
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status == 429 or status >= 500, False
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError)):
        return True, False
    return False, False


def retry_delay(attempt: int) -> float:
    """Exponential backoff with full jitter and a cap (seconds)."""
    base = settings.EMAIL_RETRY_BASE_SECONDS
    cap = settings.EMAIL_RETRY_MAX_SECONDS
    return random.uniform(base, min(cap, base * 2**attempt))


def _claim(delivery_id: int, now: datetime) -> bool:
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _finish(delivery: Delivery, status: str, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(status=status, **fields)


def _skip_reason(delivery: Delivery) -> str:
    if Suppression.objects.filter(email=delivery.to_email).exists():
        return "suppressed"
    if delivery.step_id and delivery.ambassador and delivery.ambassador.status != Ambassador.Status.ACTIVE:
        return "ambassador not active"
    return ""


def delivery_send(delivery_id: int, connection, *, now: datetime | None = None) -> float | None:
    """Claim and send one delivery over `connection`. Returns a retry delay when it should be tried again."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None  # someone else has it, or it is done
    delivery = Delivery.objects.select_related("step", "ambassador__locality").get(pk=delivery_id)
    if reason := _skip_reason(delivery):
        _finish(delivery, Delivery.Status.SKIPPED, last_error=reason)
        return None
    try:
        message = build_message(delivery, connection)
    except Exception as error:  # noqa: BLE001 - one bad template or row must not stop the others
        logger.exception("Delivery %s could not be rendered", delivery_id)
        _finish(delivery, Delivery.Status.FAILED, last_error=f"render: {error}"[:2000])
        return None
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
    """Send a batch over one reused connection. Returns (id, delay) for those to retry."""
    retries = []
    connection = get_connection()
    try:
        for delivery_id in ids:
            delay = delivery_send(delivery_id, connection)
            if delay is not None:
                retries.append((delivery_id, delay))
    finally:
        _reset(connection)
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


# Sequences ---------------------------------------------------------------------------------------------------


def _first_step(sequence: Sequence, after: Step | None = None) -> Step | None:
    steps = sequence.steps.filter(is_active=True)
    if after is not None:
        steps = steps.filter(Q(delay_days__gt=after.delay_days) | Q(delay_days=after.delay_days, pk__gt=after.pk))
    return steps.order_by("delay_days", "pk").first()


def enroll(*, ambassador: Ambassador, sequence_slug: str = Sequence.ONBOARDING, now: datetime | None = None):
    """Start the sequence for an ambassador (once: enrolling again changes nothing)."""
    now = now or timezone.now()
    sequence = Sequence.objects.filter(slug=sequence_slug, is_active=True).first()
    if sequence is None:
        return None
    step = _first_step(sequence)
    enrollment, created = Enrollment.objects.get_or_create(
        ambassador=ambassador,
        sequence=sequence,
        defaults={
            "enrolled_at": now,
            "next_step": step,
            "next_send_at": now + timedelta(days=step.delay_days) if step else None,
        },
    )
    if created and step and step.delay_days == 0:
        enrollments_advance(now=now, ambassador_ids=[ambassador.pk])  # the welcome goes now, not at the next beat
    return enrollment


def step_reschedule(step: Step) -> None:
    """After the coordinator changes a step's delay, those still waiting for it get the new date."""
    Enrollment.objects.filter(next_step=step).update(next_send_at=F("enrolled_at") + timedelta(days=step.delay_days))


def enrollments_advance(
    *, now: datetime | None = None, limit: int = 10_000, ambassador_ids: list[int] | None = None
) -> int:
    """Claim due enrollments, queue their step's delivery and move them on. Safe to run concurrently:
    rows are locked with SKIP LOCKED (PostgreSQL) or the write lock (SQLite), and (step, ambassador) is unique."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollments = Enrollment.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            next_step__isnull=False, next_send_at__lte=now, ambassador__status=Ambassador.Status.ACTIVE
        )
        if ambassador_ids is not None:
            enrollments = enrollments.filter(ambassador_id__in=ambassador_ids)
        due = list(enrollments.values_list("pk", "ambassador_id", "next_step_id")[:limit])
        if not due:
            return 0
        steps = {step.pk: step for step in Step.objects.select_related("sequence").filter(pk__in={s for *_, s in due})}
        ambassadors = {
            a.pk: a
            for a in Ambassador.objects.filter(pk__in=[a for _, a, _ in due]).only("pk", "email", "first_name", "last_name", "language")
        }
        new_deliveries = []
        by_step: dict[int, list[int]] = {}
        for enrollment_id, ambassador_id, step_id in due:
            ambassador = ambassadors[ambassador_id]
            by_step.setdefault(step_id, []).append(enrollment_id)
            if ambassador.email:
                new_deliveries.append(
                    Delivery(
                        template="step",
                        step_id=step_id,
                        ambassador_id=ambassador_id,
                        to_email=ambassador.email,
                        to_name=ambassador.full_name,
                        language=ambassador.language,
                    )
                )
        Delivery.objects.bulk_create(new_deliveries, batch_size=1000, ignore_conflicts=True)
        for step_id, enrollment_ids in by_step.items():
            following = _first_step(steps[step_id].sequence, after=steps[step_id])
            Enrollment.objects.filter(pk__in=enrollment_ids, next_step_id=step_id).update(
                next_step=following,
                next_send_at=(F("enrolled_at") + timedelta(days=following.delay_days)) if following else None,
            )
        ids = list(
            Delivery.objects.filter(
                status=Delivery.Status.QUEUED, step_id__in=list(by_step), ambassador_id__in=[a for _, a, _ in due]
            ).values_list("pk", flat=True)
        )
        deliveries_enqueue(ids)
    return len(due)


# The coordinator's daily digest ------------------------------------------------------------------------------


def coordinator_digest_queue(*, now: datetime | None = None) -> Delivery | None:
    """Newly confirmed applications and new recommendations since the last digest; nothing when there are none."""
    now = now or timezone.now()
    previous = Delivery.objects.filter(template="coordinator_digest").order_by("-created_at").first()
    since = previous.created_at if previous else now - timedelta(days=1)
    applications = list(selectors.applications_confirmed_between(since, now))
    contacts = list(selectors.recruitment_contacts_created_between(since, now))
    if not applications and not contacts:
        return None
    return email_queue(
        template="coordinator_digest",
        to_email=settings.COORDINATOR_EMAIL,
        key=f"digest:{timezone.localdate(now).isoformat()}",
        context={
            "applications": [
                {"name": f"{a.first_name} {a.last_name}", "email": a.email, "locality": str(a.locality or "")}
                for a in applications
            ],
            "contacts": [{"name": c.name, "contact": c.contact, "tipper": c.tipper_name} for c in contacts],
            "admin_url": f"{settings.SITE_URL}/admin/network/application/?status__exact=confirmed",
        },
    )
