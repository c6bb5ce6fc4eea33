"""The outbox: every email is a Delivery row, queued in the caller's transaction, sent by Celery after commit.

A task claims its row (queued → sending) with a conditional UPDATE, so a message delivered twice, two workers or a
crash never send it twice. Errors are sorted: transient ones retry with backoff, permanent ones fail at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from network.models import Ambassador

from ..emails import build_message
from ..esp_batch import LIMIT as BATCH_LIMIT
from ..esp_batch import REFUSED as BATCH_REFUSED
from ..esp_batch import SENT as BATCH_SENT
from ..esp_batch import Batch
from ..esp_batch import supported as batch_supported
from ..models import Campaign, Delivery, Suppression
from ..selectors import PREFERENCE, erased_member_ids
from ..wire import Wire
from ..wire import supported as wire_supported
from .claim import Claim, claim_size, sendable
from .rate_clock import RateClock
from .recorder import recorder_for_this_connection
from .send_errors import error_classify, retry_delay

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
            deliveries_publish(ids)

        transaction.on_commit(publish_deliveries, robust=True)


SEND_DELIVERIES = "campaigns.tasks.send_deliveries"


def deliveries_publish(ids: list[int]) -> None:
    """Hand the ids to the workers now, EMAIL_BATCH_SIZE to a task."""
    size = settings.EMAIL_BATCH_SIZE
    tasks_publish(SEND_DELIVERIES, *[(ids[start : start + size],) for start in range(0, len(ids), size)])


def tasks_publish(name: str, *calls: tuple) -> None:
    """Publish calls of the task named `name` (by name: the services never import the tasks that call them)
    with one producer from the app's pool (its broker connection is kept between requests: opening one, with its
    channel and declarations, cost more than the rest of a signup). Fails fast when the broker is unreachable
    (one short connect, no retry loop), so a request never waits for it: the beat tasks pick the work up from
    the database."""
    with current_app.producer_pool.acquire(block=True) as producer:
        producer.connection.ensure_connection(max_retries=0)
        for args in calls:
            current_app.send_task(name, args, retry=False, producer=producer)


# Sending -----------------------------------------------------------------------------------------------------


def _skip_reason(delivery: Delivery, suppressed: set[str], erased: set[int]) -> str:
    if delivery.to_email in suppressed:
        return "suppressed"
    if delivery.ambassador_id in erased and not delivery.is_test:
        return "erased"
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


def _failed(claim: Claim, delivery: Delivery, error: Exception, connection, now: datetime) -> float | None:
    """Record a send error: back to queued with a delay when it is worth retrying, else failed (and a hard
    bounce suppresses the address). Returns the retry delay."""
    transient, hard_bounce = error_classify(error)
    reason = f"{type(error).__name__}: {error}"[:2000]
    _reset(connection)
    if transient and delivery.attempts < settings.EMAIL_MAX_ATTEMPTS:
        delay = retry_delay(delivery.attempts)
        claim.finish(
            delivery,
            Delivery.Status.QUEUED,
            last_error=reason,
            queued_at=now,
            claim_token=None,
            next_attempt_at=now + timedelta(seconds=delay),
        )
        logger.info("Delivery %s failed transiently, retry in %.1fs", delivery.pk, delay)
        return delay
    claim.finish(delivery, Delivery.Status.FAILED, last_error=reason, claim_token=None)
    if hard_bounce:
        suppression_add(email=delivery.to_email, reason=Suppression.Reason.HARD_BOUNCE, detail=reason[:500])
    return None


def _send_claimed(
    ids: list[int], connection, clock, now: datetime, recorder, campaigns: set[int] | None = None, wire=None
) -> list[tuple[int, float]]:
    """Claim, send and mark a few deliveries with a handful of statements (the caller flushes `recorder`). A crash
    leaves the unrecorded ones in sending; the sweeper resends them after the lease, with the same Message-ID."""
    claim = Claim(ids, now, recorder)
    if campaigns is not None:  # the caller checks afterwards whether these campaigns are done
        campaigns.update(d.campaign_id for d in claim.deliveries if d.campaign_id)
    skip_reason = _skip_reasons(claim.deliveries)
    skipped: dict[str, list[int]] = {}
    retries = []
    # Campaign messages to an ESP that takes a batch go in one call per claim; under a rate limit one by one.
    batch = Batch(connection) if batch_supported(connection) and not RateClock.limited() else None
    for delivery in claim.deliveries:
        if reason := skip_reason(delivery):
            skipped.setdefault(reason, []).append(delivery.pk)
            continue
        batched = batch is not None and delivery.campaign_id is not None
        message = _rendered(claim, delivery, batch if batched else None, connection, wire)
        if message is None:
            continue
        if clock is not None:
            clock.wait()
        if not claim.holds(delivery):  # the lease ran out while we waited: someone else sends it now
            continue
        if batched:
            if not batch.fits(delivery):
                retries += _send_batch(claim, batch, connection, now)
            batch.add(delivery, message)
        elif (delay := _send_one(claim, delivery, message, connection, now)) is not None:
            retries.append((delivery.pk, delay))
    if batch:
        retries += _send_batch(claim, batch, connection, now)
    for reason, skipped_ids in skipped.items():
        claim.rows().filter(pk__in=skipped_ids).update(
            status=Delivery.Status.SKIPPED, last_error=reason, claim_token=None
        )
    return retries


def _skip_reasons(deliveries: list[Delivery]):
    """Why each of the claimed rows is not to be sent (an empty string: it is), read in two queries."""
    suppressed = set(
        Suppression.objects.filter(email__in={d.to_email for d in deliveries}).values_list("email", flat=True)
    )
    # Someone erased and brought back by an old member list (not by signing up again) is mailed nothing, whatever
    # queued it: an onboarding started by hand, say. Campaign rows need no check here: the audience left them out
    # at the fan-out, and erasing someone skips their queued rows.
    people = {d.ambassador_id for d in deliveries if d.ambassador_id and not d.campaign_id}
    erased = set(erased_member_ids(Ambassador.objects.filter(pk__in=people))) if people else set()
    return lambda delivery: _skip_reason(delivery, suppressed, erased)


def _rendered(claim: Claim, delivery: Delivery, batch: Batch | None, connection, wire: Wire | None):
    """The message (or the batch's entry) for a row; None when it cannot be rendered (the row has failed)."""
    try:
        return batch.entry(delivery) if batch is not None else _message(delivery, connection, wire)
    except Exception as error:  # noqa: BLE001 - one bad template or row must not stop the others
        logger.exception("Delivery %s could not be rendered", delivery.pk)
        claim.finish(delivery, Delivery.Status.FAILED, last_error=f"render: {error}"[:2000], claim_token=None)
        return None


def _send_one(claim: Claim, delivery: Delivery, message, connection, now: datetime) -> float | None:
    """Send one message and record it (sent, or failed with a retry delay, returned)."""
    claim.recorder.room()  # never more than MARK_EVERY messages sent and not yet recorded
    try:
        connection.open()  # a no-op while the session lasts; a fresh one after an error
        message.send()
    except Exception as error:  # noqa: BLE001 - sorted by error_classify
        return _failed(claim, delivery, error, connection, now)
    status = getattr(message, "anymail_status", None)
    claim.sent_one(delivery, (status.message_id or "") if status else "")
    return None


def _send_batch(claim: Claim, batch: Batch, connection, now: datetime) -> list[tuple[int, float]]:
    """Send a gathered batch in one call and record each recipient's result: accepted → sent with the ESP's id;
    refused as invalid or rejected → failed and suppressed (as AnymailRecipientsRefused is one by one); any other
    answer → failed. When the call itself fails, every row is sorted by error_classify, as if sent one by one."""
    batch.keep(claim.holds)  # rows the sweeper took back meanwhile are not ours to send
    items = batch.take()
    if not items:
        return []
    try:
        results = batch.send(items)
    except Exception as error:  # noqa: BLE001 - sorted by error_classify
        retries = []
        for delivery, _entry in items:
            if (delay := _failed(claim, delivery, error, connection, now)) is not None:
                retries.append((delivery.pk, delay))
        return retries
    claim.sent_together([(delivery, esp_id) for delivery, status, esp_id, _error in results if status in BATCH_SENT])
    for delivery, status, _esp_id, error in results:
        if status in BATCH_SENT:
            continue
        reason = f"{connection.esp_name} batch: {status} {error}".strip()[:2000]
        claim.finish(delivery, Delivery.Status.FAILED, last_error=reason, claim_token=None)
        if status in BATCH_REFUSED:
            suppression_add(email=delivery.to_email, reason=Suppression.Reason.HARD_BOUNCE, detail=reason[:500])
    return []


def _message(delivery: Delivery, connection, wire: Wire | None):
    """The message to send: over Django's SMTP backend a campaign's is written straight as bytes (campaigns.wire,
    the same bytes at a fraction of the cost), anything else is an EmailMessage."""
    if wire is not None and delivery.campaign_id:
        try:
            if (message := wire.message(delivery, connection)) is not None:
                return message
        except Exception:  # noqa: BLE001 - what the wire path fails to write, build_message writes (or reports)
            logger.debug("Delivery %s: no wire message, building an EmailMessage", delivery.pk, exc_info=True)
    return build_message(delivery, connection)


def _wire(connection) -> Wire | None:
    """One writer per batch of sends (it caches the folded headers that repeat), for Django's SMTP backend only."""
    return Wire() if wire_supported(connection) else None


def delivery_send(delivery_id: int, connection, *, now: datetime | None = None, clock=None) -> float | None:
    """Claim and send one delivery over `connection`. Returns a retry delay when it should be tried again."""
    recorder = recorder_for_this_connection()
    try:
        retries = _send_claimed(
            [delivery_id], connection, clock, now or timezone.now(), recorder, wire=_wire(connection)
        )
    finally:
        recorder.flush()
    return retries[0][1] if retries else None


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
    campaigns: set[int] = set()
    # Campaign messages to an ESP that takes a batch: one claim is one call, as large as the ESP allows.
    size = BATCH_LIMIT if batch_supported(connection) and not clock.limited() else claim_size()
    wire = _wire(connection)
    recorder = recorder_for_this_connection()
    try:
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            if clock.limited():  # slots first, then the claim: rows are never held while waiting for the rate
                ready = Delivery.objects.filter(sendable(), pk__in=chunk, status=Delivery.Status.QUEUED)
                if not (count := ready.count()):
                    continue
                clock.reserve(count)
            retries += _send_claimed(chunk, connection, clock, timezone.now(), recorder, campaigns, wire)
    finally:
        try:
            # Whatever stopped the loop (the database gone for good), what went out is recorded first; and before
            # the campaigns are checked.
            recorder.flush()
        finally:
            _reset(connection)
    for campaign_id in campaigns:
        campaign_finish_if_done(campaign_id)
    return retries


SWEEP_LIMIT = 10_000  # ids published per sweep


def deliveries_sweep(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Re-publish what may be sent but is not moving: rows left queued (broker down, a lost message) and rows
    stuck in sending past the lease (a dead worker), the latter at once. Only rows that may be sent now, so a
    paused campaign's thousands never crowd out a signup confirmation: transactional mail first, then an
    equal share for each sending campaign."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)
    stuck = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).values_list("pk", flat=True)[
            :limit
        ]
    )
    if stuck:  # conditional: a worker that renewed its lease meanwhile keeps its rows
        Delivery.objects.filter(pk__in=stuck, status=Delivery.Status.SENDING, claimed_at__lt=stale).update(
            status=Delivery.Status.QUEUED, claim_token=None, next_attempt_at=None
        )
    grace = now - timedelta(seconds=settings.EMAIL_SWEEP_GRACE_SECONDS)
    waiting = Delivery.objects.filter(status=Delivery.Status.QUEUED).filter(
        Q(queued_at__lte=grace, next_attempt_at__isnull=True) | Q(next_attempt_at__lte=grace) | Q(pk__in=stuck)
    )
    ids = list(
        waiting.filter(Q(campaign_id__isnull=True) | Q(is_test=True))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    sending = list(Campaign.objects.filter(status=Campaign.Status.SENDING).order_by("pk").values_list("pk", flat=True))
    for campaign_id in sending:
        share = (limit - len(ids)) // max(1, len(sending))
        if share > 0:
            ids += (
                waiting.filter(campaign_id=campaign_id, is_test=False)
                .order_by("pk")
                .values_list("pk", flat=True)[:share]
            )
    if ids:
        # Published again no sooner than after another grace, so a backlog waiting for a slow rate limit is not
        # published anew at every sweep.
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).update(queued_at=now, next_attempt_at=None)
        deliveries_publish(ids)
    return len(ids)


def suppression_add(*, email: str, reason: str, detail: str = "") -> None:
    Suppression.objects.get_or_create(email=email.lower(), defaults={"reason": reason, "detail": detail})


def campaign_finish_if_done(campaign_id: int) -> bool:
    """Sending → sent once every recipient has a row (the fan-out is complete) and none is still on its way.
    Decided from the rows in one UPDATE, so it holds after a resume, a crash or for an empty audience. The same
    UPDATE counts the messages sent onto the campaign (`sent_count`, for the dashboard): a count evaluated only
    for the campaign that finishes, once, when no row can change any more."""
    pending = Delivery.objects.filter(
        campaign_id=OuterRef("pk"), is_test=False, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    sent = (
        Delivery.objects.filter(campaign_id=OuterRef("pk"), is_test=False, status=Delivery.Status.SENT)
        .order_by()
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING, fanned_out_at__isnull=False)
        .filter(~Exists(pending))
        .update(status=Campaign.Status.SENT, finished_at=timezone.now(), sent_count=Coalesce(Subquery(sent), 0))
    )
