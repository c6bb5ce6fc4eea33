"""Writes for email: queue deliveries (the outbox), send them, sweep, and run sequences."""

from __future__ import annotations

import hashlib
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
from django.utils.translation import gettext as _

from network import selectors
from network.models import Ambassador

from .emails import build_message
from .merge import merge_fields_unknown
from .models import (
    Campaign,
    Delivery,
    Enrollment,
    SendClock,
    Sequence,
    Step,
    Suppression,
    TrackingEvent,
    Unsubscribe,
)
from .selectors import PREFERENCE, audience

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
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own From address was refused: a configuration problem, never the recipient's fault.
        return 400 <= error.smtp_code < 500, False
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


# Sequences ---------------------------------------------------------------------------------------------------


def _active_steps(sequence_id: int) -> list[Step]:
    return list(Step.objects.filter(sequence_id=sequence_id, is_active=True).order_by("delay_days", "pk"))


def _next_steps(sequence_id: int, ambassador_ids: list[int]) -> dict[int, Step | None]:
    """Each ambassador's next step: the first active step (by delay) they have no delivery for. Working from what
    was actually sent keeps the sequence whole when the coordinator reorders, adds or switches off steps."""
    steps = _active_steps(sequence_id)
    received: set[tuple[int, int]] = set()
    for start in range(0, len(ambassador_ids), 5000):
        received.update(
            Delivery.objects.filter(
                step__sequence_id=sequence_id, ambassador_id__in=ambassador_ids[start : start + 5000]
            ).values_list("ambassador_id", "step_id")
        )
    return {a: next((s for s in steps if (a, s.pk) not in received), None) for a in ambassador_ids}


def _move_on(enrollments: list[tuple[int, int, int | None]], sequence_id: int) -> None:
    """Point each (enrollment, ambassador, current step) at its next step, grouped into a few UPDATEs."""
    following = _next_steps(sequence_id, [a for _e, a, _s in enrollments])
    groups: dict[tuple[int | None, Step | None], list[int]] = {}
    for enrollment_id, ambassador_id, current in enrollments:
        groups.setdefault((current, following[ambassador_id]), []).append(enrollment_id)
    for (current, step), ids in groups.items():
        Enrollment.objects.filter(pk__in=ids, next_step_id=current).update(
            next_step=step, next_send_at=(F("enrolled_at") + timedelta(days=step.delay_days)) if step else None
        )


def enroll(*, ambassador: Ambassador, sequence_slug: str = Sequence.ONBOARDING, now: datetime | None = None):
    """Start the sequence for an ambassador (once: enrolling again changes nothing)."""
    now = now or timezone.now()
    sequence = Sequence.objects.filter(slug=sequence_slug, is_active=True).first()
    if sequence is None:
        return None
    steps = _active_steps(sequence.pk)
    step = steps[0] if steps else None
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


def sequence_reschedule(sequence: Sequence) -> None:
    """After the coordinator edits the steps (delays, order, on/off, deleted), everyone's next step and date
    follow the new plan; what they have already received is not sent again."""
    with transaction.atomic():
        enrollments = list(
            Enrollment.objects.select_for_update()
            .filter(sequence=sequence)
            .values_list("pk", "ambassador_id", "next_step_id")
        )
        _move_on(enrollments, sequence.pk)


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
        due = list(enrollments.values_list("pk", "ambassador_id", "next_step_id", "sequence_id")[:limit])
        if not due:
            return 0
        active = set(Step.objects.filter(pk__in={row[2] for row in due}, is_active=True).values_list("pk", flat=True))
        people = Ambassador.objects.filter(pk__in=[row[1] for row in due]).only(
            "pk", "email", "first_name", "last_name", "language"
        )
        ambassadors = {a.pk: a for a in people}
        deliveries = []
        for _enrollment_id, ambassador_id, step_id, _sequence_id in due:
            if step_id not in active:
                continue  # switched off after it was planned: move on without sending
            ambassador = ambassadors[ambassador_id]
            deliveries.append(
                Delivery(
                    template="step",
                    step_id=step_id,
                    ambassador_id=ambassador_id,
                    to_email=ambassador.email or "",
                    to_name=ambassador.full_name,
                    language=ambassador.language,
                    # Recorded even without an address, so the sequence knows the step is behind them.
                    status=Delivery.Status.QUEUED if ambassador.email else Delivery.Status.SKIPPED,
                    last_error="" if ambassador.email else "no email address",
                )
            )
        Delivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
        by_sequence: dict[int, list[tuple[int, int, int]]] = {}
        for enrollment_id, ambassador_id, step_id, sequence_id in due:
            by_sequence.setdefault(sequence_id, []).append((enrollment_id, ambassador_id, step_id))
        for sequence_id, rows in by_sequence.items():
            _move_on(rows, sequence_id)
        ids = list(
            Delivery.objects.filter(
                status=Delivery.Status.QUEUED, step_id__in=active, ambassador_id__in=list(ambassadors)
            ).values_list("pk", flat=True)
        )
        deliveries_enqueue(ids)
    return len(due)


# The coordinator's daily digest ------------------------------------------------------------------------------


def coordinator_digest_queue(*, now: datetime | None = None) -> Delivery | None:
    """Newly confirmed applications and new recommendations since the last digest; nothing when there are none."""
    now = now or timezone.now()
    previous = Delivery.objects.filter(template="coordinator_digest").order_by("-created_at").first()
    since = (
        datetime.fromisoformat(previous.context["until"])
        if previous and "until" in previous.context
        else now - timedelta(days=1)
    )
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
            "until": now.isoformat(),
        },
    )


# Campaigns ---------------------------------------------------------------------------------------------------


class CampaignError(Exception):
    pass


def campaign_checklist(campaign: Campaign) -> list[tuple[str, bool]]:
    """What must hold before a campaign may be sent, as (label, ok) pairs for the confirmation page."""
    count = audience(campaign.segment, campaign.kind).recipients.count()
    unknown = merge_fields_unknown(f"{campaign.subject} {campaign.body}")
    return [
        (_("The subject is set"), bool(campaign.subject.strip())),
        (_("The email has an unsubscribe link"), True),
        (
            _("All merge fields are known") if not unknown else _("Unknown merge fields: %s") % ", ".join(unknown),
            not unknown,
        ),
        (_("%(count)d recipients") % {"count": count}, count > 0),
        (_("Sender address configured: %s") % settings.DEFAULT_FROM_EMAIL, "@" in settings.DEFAULT_FROM_EMAIL),
    ]


def campaign_schedule(*, campaign: Campaign, at: datetime | None = None, now: datetime | None = None) -> None:
    """Schedule (or, without `at`, send now). Only a draft can be scheduled, so nobody sends it twice."""
    now = now or timezone.now()
    if not all(ok for _label, ok in campaign_checklist(campaign)):
        raise CampaignError("checklist")
    updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=at or now
    )
    if not updated:
        raise CampaignError("not a draft")
    if at is None or at <= now:
        from .tasks import start_due_campaigns

        transaction.on_commit(start_due_campaigns.delay, robust=True)


def campaigns_start_due(*, now: datetime | None = None) -> int:
    """Start every scheduled campaign whose time has come (the beat task; a conditional update claims each)."""
    now = now or timezone.now()
    started = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now):
        claimed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(
            status=Campaign.Status.SENDING, started_at=now
        )
        if claimed:
            campaign_fan_out(campaign=campaign)
            started += 1
    return started


def campaign_fan_out(*, campaign: Campaign, chunk: int = 2000) -> int:
    """One Delivery per recipient (unique per campaign and person, so running twice adds nobody), then enqueue."""
    reached = audience(campaign.segment, campaign.kind)
    Campaign.objects.filter(pk=campaign.pk).update(
        skipped_no_email=reached.no_email,
        skipped_unsubscribed=reached.unsubscribed,
        skipped_suppressed=reached.suppressed,
    )
    rows = reached.recipients.values_list("pk", "email", "first_name", "last_name", "language").order_by("pk")
    batch = []
    for pk, address, first, last, language in rows.iterator(chunk_size=chunk):
        batch.append(
            Delivery(
                template="campaign",
                campaign=campaign,
                ambassador_id=pk,
                to_email=address,
                to_name=f"{first} {last}".strip(),
                language=language,
            )
        )
        if len(batch) >= chunk:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Delivery.objects.bulk_create(batch, ignore_conflicts=True)
    return campaign_enqueue(campaign)


def campaign_enqueue(campaign: Campaign) -> int:
    ids = list(
        Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        deliveries_enqueue(ids)
    return len(ids)


def campaign_pause(*, campaign: Campaign) -> bool:
    """Stop sending: queued rows stay queued (workers skip them) until resumed."""
    return bool(
        Campaign.objects.filter(pk=campaign.pk, status__in=[Campaign.Status.SENDING, Campaign.Status.SCHEDULED]).update(
            status=Campaign.Status.PAUSED
        )
    )


def campaign_resume(*, campaign: Campaign) -> bool:
    """Carry on: a campaign paused before it started goes back to its schedule; one paused half-way re-enqueues
    what is still queued (claims make anything already in the broker harmless)."""
    resumed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PAUSED, started_at__isnull=True).update(
        status=Campaign.Status.SCHEDULED
    )
    if resumed:
        campaigns_start_due()
        return True
    resumed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PAUSED).update(
        status=Campaign.Status.SENDING
    )
    if resumed:
        campaign_enqueue(campaign)
    return bool(resumed)


def campaign_cancel(*, campaign: Campaign) -> bool:
    cancelled = Campaign.objects.filter(
        pk=campaign.pk,
        status__in=[Campaign.Status.DRAFT, Campaign.Status.SCHEDULED, Campaign.Status.SENDING, Campaign.Status.PAUSED],
    ).update(status=Campaign.Status.CANCELLED, finished_at=timezone.now())
    if cancelled:
        Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SKIPPED, last_error="cancelled"
        )
    return bool(cancelled)


def campaign_finish_if_done(campaign_id: int) -> None:
    pending = Delivery.objects.filter(
        campaign_id=campaign_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    if not pending.exists():
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=timezone.now()
        )


def campaign_send_test(*, campaign: Campaign, to_email: str, to_name: str) -> Delivery:
    """A copy to the coordinator, filled with their own name; it is not part of the campaign's counts."""
    delivery = Delivery.objects.create(
        template="campaign", campaign=campaign, is_test=True, to_email=to_email, to_name=to_name or to_email
    )
    deliveries_enqueue([delivery.pk])
    return delivery


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


# Unsubscribe and preferences ---------------------------------------------------------------------------------


def unsubscribe(*, ambassador_id: int, kind: str, source: str, campaign: Campaign | None = None) -> bool:
    """Stop this kind of mail for the person; recorded with time and source. False if already unsubscribed."""
    field = PREFERENCE[kind]
    with transaction.atomic():
        changed = Ambassador.objects.filter(pk=ambassador_id, **{field: True}).update(**{field: False})
        if changed:
            Unsubscribe.objects.create(ambassador_id=ambassador_id, category=kind, source=source, campaign=campaign)
    return bool(changed)


def preferences_set(*, ambassador: Ambassador, newsletters: bool, invitations: bool) -> None:
    with transaction.atomic():
        for kind, wanted in ((Campaign.Kind.NEWSLETTER, newsletters), (Campaign.Kind.INVITATION, invitations)):
            if not wanted:
                unsubscribe(ambassador_id=ambassador.pk, kind=kind, source=Unsubscribe.Source.PREFERENCES)
        Ambassador.objects.filter(pk=ambassador.pk).update(wants_newsletters=newsletters, wants_invitations=invitations)


# Tracking webhooks -------------------------------------------------------------------------------------------

TRACKED = {
    "delivered": "delivered_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
}


def _permanent_bounce(esp: str, event) -> bool:
    """anymail reports soft and hard bounces alike as "bounced"; the ESP's own payload tells them apart."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp == "Postmark":
        return raw.get("Type") in ("HardBounce", "BadEmailAddress", "ManuallyDeactivated")
    if esp == "Amazon SES":
        return (raw.get("bounce") or {}).get("bounceType") == "Permanent"
    return True


def tracking_event_record(*, esp: str, event) -> TrackingEvent | None:
    """Store an ESP event once (the same event twice counts once) and leave the work to Celery."""
    event_id = (
        event.event_id
        or hashlib.sha256(
            f"{event.event_type}|{event.message_id}|{event.recipient}|{event.timestamp}".encode()
        ).hexdigest()
    )
    try:
        with transaction.atomic():
            record = TrackingEvent.objects.create(
                esp=esp,
                event_id=str(event_id)[:200],
                event_type=event.event_type or "unknown",
                message_id=str(event.message_id or "")[:200],
                recipient=(event.recipient or "")[:254],
                description=(event.description or event.mta_response or "")[:2000],
                occurred_at=event.timestamp,
                permanent=_permanent_bounce(esp, event),
            )
    except IntegrityError:
        return None

    def process() -> None:
        from .tasks import process_tracking_event

        process_tracking_event.apply_async((record.pk,), retry=False)

    transaction.on_commit(process, robust=True)
    return record


def tracking_event_process(event_id: int) -> None:
    """Apply a stored event: stamp the Delivery, suppress hard bounces and complaints, record unsubscribes."""
    with transaction.atomic():
        event = TrackingEvent.objects.select_for_update().filter(pk=event_id, processed=False).first()
        if event is None:
            return
        delivery = (
            Delivery.objects.filter(esp_message_id=event.message_id).select_related("campaign").first()
            if event.message_id
            else None
        )
        when = event.occurred_at or timezone.now()
        if delivery is not None and event.event_type in TRACKED:
            field = TRACKED[event.event_type]
            Delivery.objects.filter(pk=delivery.pk, **{f"{field}__isnull": True}).update(**{field: when})
        address = (event.recipient or (delivery.to_email if delivery else "")).lower()
        if address and event.event_type == "bounced" and event.permanent:
            suppression_add(email=address, reason=Suppression.Reason.HARD_BOUNCE, detail=event.description[:500])
        elif address and event.event_type == "complained":
            suppression_add(email=address, reason=Suppression.Reason.COMPLAINT, detail=event.esp)
        elif event.event_type == "unsubscribed" and delivery is not None and delivery.ambassador_id:
            kind = delivery.campaign.kind if delivery.campaign else Campaign.Kind.NEWSLETTER
            unsubscribe(
                ambassador_id=delivery.ambassador_id,
                kind=kind,
                source=Unsubscribe.Source.ESP,
                campaign=delivery.campaign,
            )
        event.processed = True
        event.save(update_fields=["processed"])
