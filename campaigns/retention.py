"""Retention for the email rows (RETENTION_DELIVERY_LOG_DAYS): old deliveries are anonymised, not deleted.

A delivery keeps its campaign, status and times, so every count in the campaign reports
(campaigns.selectors.campaign_progress and campaign_report) stays as it was; what goes is everything that says who
it was for: the address, the name, the merge context, the link to the person or application, an error message
(which may quote the address) and the deduplication key (which may hold it). Called by the nightly job in
crm.retention.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from crm.retention import Step, expired_before

from .models import Campaign, Delivery, TrackingEvent
from .privacy import DELIVERY_ERASED

BATCH = 1000
FINAL = [Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.SKIPPED]


def _anonymise(queryset) -> int:
    count = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True)[:BATCH])
            if not ids:
                return count
            count += Delivery.objects.filter(pk__in=ids).update(**DELIVERY_ERASED)


def deliveries_anonymise(*, before: datetime) -> int:
    """Deliveries created before `before` that are done with, of campaigns that are done with (a campaign still
    fanning out needs to know who has a row)."""
    done = Q(campaign__isnull=True) | Q(campaign__status__in=[Campaign.Status.SENT, Campaign.Status.CANCELLED])
    return _anonymise(
        Delivery.objects.filter(done, created_at__lt=before, status__in=FINAL).exclude(to_email="").order_by()
    )


def tracking_events_erase(*, before: datetime) -> int:
    """Processed webhook events received before `before` (they hold the recipient's address)."""
    count = 0
    while True:
        with transaction.atomic():
            ids = list(
                TrackingEvent.objects.filter(processed=True, received_at__lt=before).values_list("pk", flat=True)[
                    :BATCH
                ]
            )
            if not ids:
                return count
            count += TrackingEvent.objects.filter(pk__in=ids).delete()[0]


def retention_steps(now: datetime) -> list[Step]:
    """Delivery logs anonymised, and processed tracking events deleted, RETENTION_DELIVERY_LOG_DAYS after."""
    before = expired_before(now, "RETENTION_DELIVERY_LOG_DAYS")
    return [
        ("delivery_logs", lambda: deliveries_anonymise(before=before)),
        ("tracking_events", lambda: tracking_events_erase(before=before)),
    ]
