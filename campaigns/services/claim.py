"""A worker's claim on the rows it sends: taken in one conditional UPDATE (queued → sending) with a fresh token,
kept by renewing the lease while they are sent, released row by row. What went out is recorded by a recorder
(campaigns.services.recorder), never more than MARK_EVERY messages behind: that is what a crash of the worker can
send twice (with the same Message-ID)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from ..models import Campaign, Delivery
from .recorder import Background, Inline, db_retry, recorder_for_this_connection

CLAIM_SIZE = 50  # rows claimed per statement: a pause stops a batch within this many messages


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


# What sending never reads: left out of the claim's SELECT (a dozen timestamps to parse per row).
NOT_READ = [
    "created_at", "queued_at", "next_attempt_at", "claimed_at", "sent_at", "delivered_at", "bounced_at",
    "complained_at", "opened_at", "clicked_at", "last_error", "esp_message_id",
]  # fmt: skip


class Claim:
    """Rows this worker holds: claimed with a fresh token in one UPDATE (queued → sending), kept by renewing the
    lease while they are sent, released row by row as sent (to the recorder), retried, failed or skipped."""

    def __init__(self, ids: list[int], now: datetime, recorder: Inline | Background | None = None):
        self.token = uuid.uuid4()
        self.renewed = time.monotonic()
        self.recorder = recorder or recorder_for_this_connection()
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        ).filter(sendable()).update(
            status=Delivery.Status.SENDING, claimed_at=now, claim_token=self.token, attempts=F("attempts") + 1
        )
        self.deliveries = list(
            Delivery.objects.select_related("step", "ambassador__locality")
            .defer(*NOT_READ)
            .filter(claim_token=self.token, status=Delivery.Status.SENDING)
            .order_by("pk")
        )
        # Each campaign once, not once per row: its body is the longest text we read.
        campaigns = Campaign.objects.in_bulk({d.campaign_id for d in self.deliveries if d.campaign_id})
        for delivery in self.deliveries:
            if delivery.campaign_id:
                delivery.campaign = campaigns[delivery.campaign_id]
        self.held = {d.pk for d in self.deliveries}

    def rows(self):
        return Delivery.objects.filter(claim_token=self.token, status=Delivery.Status.SENDING)

    def holds(self, delivery: Delivery) -> bool:
        """True if the row is still ours to send. Renews the lease when a quarter of it has passed, so the sweeper
        never takes back a row that is about to be sent; a row it has taken back is not sent by us."""
        if time.monotonic() - self.renewed > settings.EMAIL_SENDING_LEASE_SECONDS / 4:
            self.record_sent()  # what went out is recorded before the sweeper may take it back
            pending = set(self.held)

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
        self.held.discard(delivery.pk)
        self.recorder.add([(self.token, delivery.pk, esp_message_id)])

    def sent_together(self, sent: list[tuple[Delivery, str]]) -> None:
        """Messages that went out in one call (an ESP batch): recorded in one statement, before anything else."""
        self.held -= {delivery.pk for delivery, _esp_message_id in sent}
        self.recorder.add([(self.token, delivery.pk, esp_message_id) for delivery, esp_message_id in sent])
        self.record_sent()

    def record_sent(self) -> None:
        """Return once everything this worker sent is recorded."""
        self.recorder.flush()
