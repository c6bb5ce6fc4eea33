"""The nightly retention job: erases or anonymises what has passed its limit (RETENTION_* in settings).

Each category is handled in its own transactions, so one failing leaves the others done. What was removed is
recorded as counts only (a RetentionRun row and one log line), never which person or what data.

- unconfirmed applications (never confirmed, or set aside for another one): deleted RETENTION_UNCONFIRMED_DAYS
  after they were sent (or their last confirmation link was);
- declined applications: deleted RETENTION_DECLINED_DAYS after the decision;
- recruitment contacts: deleted RETENTION_RECRUITMENT_DAYS after their last change and follow-up date;
- alumni: erased (crm.privacy.person_erase) RETENTION_ALUMNI_DAYS after the first night they were alumni;
- delivery logs: anonymised RETENTION_DELIVERY_LOG_DAYS after they were written, keeping every campaign count;
  processed tracking events of the same age are deleted.

Every removal goes through the privacy modules, as every other way to remove someone does: with applications go
the recruitment contacts that became them and the emails sent to or about them (anonymised), their consent records
are kept under a pseudonym, and the admin's history keeps no name of any removed row.

This module is the loop and the bookkeeping. The steps are each app's own: every module in RETENTION_PROVIDERS
offers `retention_steps(now)`, a list of (category, step) where a step removes what has expired and returns how
many it removed. The steps run in that order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from .models import RetentionRun

logger = logging.getLogger(__name__)
BATCH = 500

Step = tuple[str, Callable[[], int]]


def expired_before(now: datetime, setting: str) -> datetime:
    """The cut-off for the RETENTION_*_DAYS setting named."""
    return now - timedelta(days=getattr(settings, setting))


def in_batches(erase: Callable[[list[int]], int], ids: list[int]) -> int:
    """Each batch in its own transaction: a night's work is not one long lock."""
    return sum(erase(ids[start : start + BATCH]) for start in range(0, len(ids), BATCH))


def retention_run(*, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    run = RetentionRun.objects.create(started_at=now)
    steps: list[Step] = []
    for name in settings.RETENTION_PROVIDERS:
        steps += import_module(name).retention_steps(now)
    for category, step in steps:
        run.counts[category] = step()
        run.save(update_fields=["counts"])  # what is done stays recorded if a later step fails
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    logger.info("Retention run %s: %s", run.pk, " ".join(f"{key}={value}" for key, value in run.counts.items()))
    return run
