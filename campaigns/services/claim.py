"""A worker's claim on the rows it sends: taken in one conditional UPDATE (queued → sending) with a fresh token,
kept by renewing the lease while they are sent, released row by row. What went out is recorded MARK_EVERY
messages at a time: that is what a crash of the worker can send twice (with the same Message-ID)."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime

from django import db
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from ..models import Campaign, Delivery

logger = logging.getLogger(__name__)


CLAIM_SIZE = 50  # rows claimed per statement: a pause stops a batch within this many messages
MARK_EVERY = 5  # sent messages recorded per statement: what a crash of the worker can send twice


def claim_size() -> int:
    """Rows to claim at once: CLAIM_SIZE, fewer under a slow rate limit, so that a claim is sent well within the
    lease. The lease is also renewed while a claim is sent (see Claim), so this bounds latency, not safety."""
    per_minute = settings.EMAIL_RATE_PER_MINUTE
    if per_minute <= 0:
        return CLAIM_SIZE
    return max(1, min(CLAIM_SIZE, int(settings.EMAIL_SENDING_LEASE_SECONDS / 4 * per_minute / 60)))


def sendable() -> Q:
    """Rows that may be sent now: transactional mail, test copies, and rows of campaigns that are sending. The
    campaign test is a subquery on the campaign table, never a join, so that the claim's UPDATE filters on the
    row's own columns and PostgreSQL re-checks them on a row another claimer has just changed."""
    sending = Campaign.objects.filter(status=Campaign.Status.SENDING).values("pk")
    return Q(campaign_id__isnull=True) | Q(is_test=True) | Q(campaign_id__in=sending)


def db_retry(write):
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


class Claim:
    """Rows this worker holds: claimed with a fresh token in one UPDATE (queued → sending), kept by renewing the
    lease while they are sent, released row by row as sent, retried, failed or skipped."""

    def __init__(self, ids: list[int], now: datetime):
        self.token = uuid.uuid4()
        self.renewed = time.monotonic()
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        ).filter(sendable()).update(
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

            if db_retry(renew) != len(pending):
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
        db_retry(lambda: Delivery.objects.filter(mine, pk__in=ids).update(**fields))  # idempotent: retried as is
        self.sent = []
