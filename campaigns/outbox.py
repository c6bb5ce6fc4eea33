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
import uuid
from datetime import datetime, timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django import db
from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from network.models import Ambassador

from .emails import build_message
from .esp_batch import LIMIT as BATCH_LIMIT
from .esp_batch import REFUSED as BATCH_REFUSED
from .esp_batch import SENT as BATCH_SENT
from .esp_batch import Batch
from .esp_batch import supported as batch_supported
from .models import Campaign, Delivery, SendClock, Suppression
from .selectors import PREFERENCE, erased_member_ids
from .wire import Wire
from .wire import supported as wire_supported

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
    task_publish(send_deliveries, *[(ids[start : start + size],) for start in range(0, len(ids), size)])


def task_publish(task, *calls: tuple) -> None:
    """Publish calls of a task with one producer from the app's pool (its broker connection is kept between
    requests: opening one, with its channel and declarations, cost more than the rest of a signup). Fails fast
    when the broker is unreachable (one short connect, no retry loop), so a request never waits for it: the beat
    tasks pick the work up from the database."""
    with task.app.producer_pool.acquire(block=True) as producer:
        producer.connection.ensure_connection(max_retries=0)
        for args in calls:
            task.apply_async(args, retry=False, producer=producer)


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


CLAIM_SIZE = 50  # rows claimed per statement: a pause stops a batch within this many messages
MARK_EVERY = 5  # sent messages recorded per statement: what a crash of the worker can send twice


def _claim_size() -> int:
    """Rows to claim at once: CLAIM_SIZE, fewer under a slow rate limit, so that a claim is sent well within the
    lease. The lease is also renewed while a claim is sent (see _Claim), so this bounds latency, not safety."""
    per_minute = settings.EMAIL_RATE_PER_MINUTE
    if per_minute <= 0:
        return CLAIM_SIZE
    return max(1, min(CLAIM_SIZE, int(settings.EMAIL_SENDING_LEASE_SECONDS / 4 * per_minute / 60)))


def _sendable() -> Q:
    """Rows that may be sent now: transactional mail, test copies, and rows of campaigns that are sending. The
    campaign test is a subquery on the campaign table, never a join, so that the claim's UPDATE filters on the
    row's own columns and PostgreSQL re-checks them on a row another claimer has just changed."""
    sending = Campaign.objects.filter(status=Campaign.Status.SENDING).values("pk")
    return Q(campaign_id__isnull=True) | Q(is_test=True) | Q(campaign_id__in=sending)


def _db_retry(write):
    """Run a database write, retrying through a short outage. Used where giving up would send a message twice
    (recording that it went out) or send it without holding it (renewing the lease), and for the send clock."""
    deadline = time.monotonic() + settings.EMAIL_SENDING_LEASE_SECONDS / 2
    pause = 0.2
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            logger.warning("Database unavailable while recording sends; retrying in %.1fs", pause)
            try:
                db.connection.close()  # the next query opens a fresh connection
            except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail; it is discarded anyway
                pass
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


class _Claim:
    """Rows this worker holds: claimed with a fresh token in one UPDATE (queued → sending), kept by renewing the
    lease while they are sent, released row by row as sent, retried, failed or skipped."""

    def __init__(self, ids: list[int], now: datetime):
        self.token = uuid.uuid4()
        self.renewed = time.monotonic()
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        ).filter(_sendable()).update(
            status=Delivery.Status.SENDING, claimed_at=now, claim_token=self.token, attempts=F("attempts") + 1
        )
        self.deliveries = list(
            Delivery.objects.select_related("step", "campaign", "ambassador__locality")
            .filter(claim_token=self.token, status=Delivery.Status.SENDING)
            .order_by("pk")
        )
        self.held = {d.pk for d in self.deliveries}
        self.sent: list[tuple[int, str]] = []

    def rows(self):
        return Delivery.objects.filter(claim_token=self.token, status=Delivery.Status.SENDING)

    def holds(self, delivery: Delivery) -> bool:
        """True if the row is still ours to send. Renews the lease when a quarter of it has passed, so the sweeper
        never takes back a row that is about to be sent; a row it has taken back is not sent by us."""
        if time.monotonic() - self.renewed > settings.EMAIL_SENDING_LEASE_SECONDS / 4:
            self.record_sent()
            pending = self.held - {pk for pk, _esp in self.sent}

            def renew() -> int:
                return self.rows().filter(pk__in=pending).update(claimed_at=timezone.now())

            if _db_retry(renew) != len(pending):
                self.held = set(self.rows().filter(pk__in=pending).values_list("pk", flat=True))
            self.renewed = time.monotonic()
        return delivery.pk in self.held

    def finish(self, delivery: Delivery, status: str, **fields) -> None:
        self.rows().filter(pk=delivery.pk).update(status=status, **fields)
        self.held.discard(delivery.pk)

    def sent_one(self, delivery: Delivery, esp_message_id: str) -> None:
        self.sent.append((delivery.pk, esp_message_id))
        self.held.discard(delivery.pk)
        if len(self.sent) >= MARK_EVERY:
            self.record_sent()

    def sent_together(self, sent: list[tuple[Delivery, str]]) -> None:
        """Messages that went out in one call (an ESP batch): recorded in one statement."""
        self.sent += [(delivery.pk, esp_message_id) for delivery, esp_message_id in sent]
        self.held -= {delivery.pk for delivery, _esp_message_id in sent}
        self.record_sent()

    def record_sent(self) -> None:
        """Mark what went out, retrying through a database outage. A row the sweeper took back meanwhile (queued
        again, not yet claimed by anyone) is marked too: we know it went out."""
        if not self.sent:
            return
        now = timezone.now()
        mine = Q(claim_token=self.token, status=Delivery.Status.SENDING) | Q(status=Delivery.Status.QUEUED)
        fields = {"status": Delivery.Status.SENT, "sent_at": now, "last_error": "", "claim_token": None}
        esp_ids = [When(pk=pk, then=Value(esp_id[:200])) for pk, esp_id in self.sent if esp_id]
        if esp_ids:  # the ESP's id, for matching its webhooks later
            fields["esp_message_id"] = Case(*esp_ids, default=F("esp_message_id"))
        ids = [pk for pk, _esp_id in self.sent]
        _db_retry(lambda: Delivery.objects.filter(mine, pk__in=ids).update(**fields))  # idempotent: retried as is
        self.sent = []


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


def _failed(claim: _Claim, delivery: Delivery, error: Exception, connection, now: datetime) -> float | None:
    """Record a send error: back to queued with a delay when it is worth retrying, else failed (and a hard
    bounce suppresses the address). Returns the retry delay."""
    transient, hard_bounce = _classify(error)
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
    ids: list[int], connection, clock, now: datetime, campaigns: set[int] | None = None, wire: Wire | None = None
) -> list[tuple[int, float]]:
    """Claim, send and mark a few deliveries with a handful of statements. A crash leaves the unrecorded ones in
    sending; the sweeper resends them after the lease, with the same Message-ID."""
    claim = _Claim(ids, now)
    if campaigns is not None:  # the caller checks afterwards whether these campaigns are done
        campaigns.update(d.campaign_id for d in claim.deliveries if d.campaign_id)
    suppressed = set(
        Suppression.objects.filter(email__in={d.to_email for d in claim.deliveries}).values_list("email", flat=True)
    )
    # Someone erased and brought back by an old member list (not by signing up again) is mailed nothing, whatever
    # queued it: an onboarding started by hand, say. Campaign rows need no check here: the audience left them out
    # at the fan-out, and erasing someone skips their queued rows.
    people = {d.ambassador_id for d in claim.deliveries if d.ambassador_id and not d.campaign_id}
    erased = set(erased_member_ids(Ambassador.objects.filter(pk__in=people))) if people else set()
    skipped: dict[str, list[int]] = {}
    retries = []
    # Campaign messages to an ESP that takes a batch go in one call per claim; under a rate limit one by one.
    batch = Batch(connection) if batch_supported(connection) and not RateClock.limited() else None
    try:  # whatever stops the loop (the database gone for good), what went out is recorded first
        for delivery in claim.deliveries:
            if reason := _skip_reason(delivery, suppressed, erased):
                skipped.setdefault(reason, []).append(delivery.pk)
                continue
            batched = batch is not None and delivery.campaign_id is not None
            try:
                message = batch.entry(delivery) if batched else _message(delivery, connection, wire)
            except Exception as error:  # noqa: BLE001 - one bad template or row must not stop the others
                logger.exception("Delivery %s could not be rendered", delivery.pk)
                claim.finish(delivery, Delivery.Status.FAILED, last_error=f"render: {error}"[:2000], claim_token=None)
                continue
            if clock is not None:
                clock.wait()
            if not claim.holds(delivery):  # the lease ran out while we waited: someone else sends it now
                continue
            if batched:
                if not batch.fits(delivery):
                    retries += _send_batch(claim, batch, connection, now)
                batch.add(delivery, message)
                continue
            try:
                connection.open()  # a no-op while the session lasts; a fresh one after an error
                message.send()
            except Exception as error:  # noqa: BLE001 - sorted by _classify
                if (delay := _failed(claim, delivery, error, connection, now)) is not None:
                    retries.append((delivery.pk, delay))
                continue
            status = getattr(message, "anymail_status", None)
            claim.sent_one(delivery, (status.message_id or "") if status else "")
        if batch:
            retries += _send_batch(claim, batch, connection, now)
    finally:
        claim.record_sent()
    for reason, skipped_ids in skipped.items():
        claim.rows().filter(pk__in=skipped_ids).update(
            status=Delivery.Status.SKIPPED, last_error=reason, claim_token=None
        )
    return retries


def _send_batch(claim: _Claim, batch: Batch, connection, now: datetime) -> list[tuple[int, float]]:
    """Send a gathered batch in one call and record each recipient's result: accepted → sent with the ESP's id;
    refused as invalid or rejected → failed and suppressed (as AnymailRecipientsRefused is one by one); any other
    answer → failed. When the call itself fails, every row is sorted by _classify, as if sent one by one."""
    batch.keep(claim.holds)  # rows the sweeper took back meanwhile are not ours to send
    items = batch.take()
    if not items:
        return []
    try:
        results = batch.send(items)
    except Exception as error:  # noqa: BLE001 - sorted by _classify
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
    retries = _send_claimed([delivery_id], connection, clock, now or timezone.now(), wire=_wire(connection))
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
    size = BATCH_LIMIT if batch_supported(connection) and not clock.limited() else _claim_size()
    wire = _wire(connection)
    try:
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            if clock.limited():  # slots first, then the claim: rows are never held while waiting for the rate
                sendable = Delivery.objects.filter(_sendable(), pk__in=chunk, status=Delivery.Status.QUEUED)
                if not (count := sendable.count()):
                    continue
                clock.reserve(count)
            retries += _send_claimed(chunk, connection, clock, timezone.now(), campaigns, wire)
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
        _publish(ids)
    return len(ids)


def suppression_add(*, email: str, reason: str, detail: str = "") -> None:
    Suppression.objects.get_or_create(email=email.lower(), defaults={"reason": reason, "detail": detail})


def campaign_finish_if_done(campaign_id: int) -> bool:
    """Sending → sent once every recipient has a row (the fan-out is complete) and none is still on its way.
    Decided from the rows in one UPDATE, so it holds after a resume, a crash or for an empty audience."""
    pending = Delivery.objects.filter(
        campaign_id=OuterRef("pk"), is_test=False, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    )
    return bool(
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING, fanned_out_at__isnull=False)
        .filter(~Exists(pending))
        .update(status=Campaign.Status.SENT, finished_at=timezone.now())
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
    """Send slots from the shared clock, reserved for one claim at a time before it is claimed: the slots are
    contiguous, so a claim of n rows is sent within n intervals however many workers share the rate (it never
    outlives its lease waiting for them), and only rows that may be sent are counted."""

    def __init__(self):
        self.slots: list[float] = []

    @staticmethod
    def limited() -> bool:
        return settings.EMAIL_RATE_PER_MINUTE > 0

    def reserve(self, count: int) -> None:
        """Take `count` slots and wait for the first."""
        if self.limited() and count > 0:
            self.slots = _db_retry(lambda: send_slots(count))
            if (pause := self.slots[0] - time.time()) > 0:
                time.sleep(pause)

    def wait(self) -> None:
        if not self.limited():
            return
        interval = 60.0 / settings.EMAIL_RATE_PER_MINUTE
        while self.slots:
            pause = self.slots.pop(0) - time.time()
            # A slot missed by more than one interval (the worker was busy) is given up rather than used late,
            # so that late sends never bunch up above the rate.
            if pause >= -interval:
                if pause > 0:
                    time.sleep(pause)
                return
        # A fresh slot is used however late: reserving it may itself take longer than an interval (a busy
        # database at a high rate), and giving it up would only reserve the next one, for ever.
        (slot,) = _db_retry(lambda: send_slots(1))
        if (pause := slot - time.time()) > 0:
            time.sleep(pause)
