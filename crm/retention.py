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

Every removal goes through crm.privacy, as every other way to remove someone does: with applications go the
recruitment contacts that became them and the emails sent to or about them (anonymised), their consent records are
kept under a pseudonym, and the admin's history keeps no name of any removed row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from campaigns import retention as email_retention
from network import retention as network_retention

from .models import RetentionRun
from .privacy import applications_erase, contacts_erase, person_erase

logger = logging.getLogger(__name__)
BATCH = 500


def _before(now: datetime, setting: str) -> datetime:
    return now - timedelta(days=getattr(settings, setting))


def _in_batches(erase, ids: list[int]) -> int:
    """Each batch in its own transaction: a night's work is not one long lock."""
    return sum(erase(ids[start : start + BATCH]) for start in range(0, len(ids), BATCH))


def _applications(ids: list[int]) -> int:
    return _in_batches(applications_erase, ids)


def _recruitment_contacts(now: datetime) -> int:
    ids = network_retention.recruitment_contact_ids(before=_before(now, "RETENTION_RECRUITMENT_DAYS"))
    return _in_batches(contacts_erase, ids)


def _alumni(now: datetime) -> int:
    network_retention.alumni_mark(now=now)
    count = 0
    for ambassador in list(network_retention.expired_alumni(before=_before(now, "RETENTION_ALUMNI_DAYS"))):
        person_erase(ambassador)  # logged in the audit log as erased by the system
        count += 1
    return count


def retention_run(*, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    run = RetentionRun.objects.create(started_at=now)
    steps = [
        (
            "unconfirmed_applications",
            lambda: _applications(
                network_retention.unconfirmed_application_ids(before=_before(now, "RETENTION_UNCONFIRMED_DAYS"))
            ),
        ),
        (
            "declined_applications",
            lambda: _applications(
                network_retention.declined_application_ids(before=_before(now, "RETENTION_DECLINED_DAYS"))
            ),
        ),
        ("recruitment_contacts", lambda: _recruitment_contacts(now)),
        ("alumni", lambda: _alumni(now)),
        (
            "delivery_logs",
            lambda: email_retention.deliveries_anonymise(before=_before(now, "RETENTION_DELIVERY_LOG_DAYS")),
        ),
        (
            "tracking_events",
            lambda: email_retention.tracking_events_erase(before=_before(now, "RETENTION_DELIVERY_LOG_DAYS")),
        ),
    ]
    for category, step in steps:
        run.counts[category] = step()
        run.save(update_fields=["counts"])  # what is done stays recorded if a later step fails
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    logger.info("Retention run %s: %s", run.pk, " ".join(f"{key}={value}" for key, value in run.counts.items()))
    return run
