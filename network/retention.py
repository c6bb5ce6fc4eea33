"""Retention for the network's rows (RETENTION_* in settings): which have expired, erased as every other removal
is (network.privacy, crm.privacy). Its steps run in the nightly job in crm.retention, which records the counts.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from crm.privacy import person_erase
from crm.retention import Step, expired_before, in_batches

from .models import Ambassador, Application, RecruitmentContact
from .privacy import applications_erase, contacts_erase


def unconfirmed_application_ids(*, before: datetime) -> list[int]:
    """Applications never confirmed (or set aside for another one) whose last link went out before `before`."""
    return list(
        Application.objects.filter(
            status__in=[Application.Status.UNCONFIRMED, Application.Status.WITHDRAWN], created_at__lt=before
        )
        .filter(Q(confirmation_sent_at__isnull=True) | Q(confirmation_sent_at__lt=before))
        .values_list("pk", flat=True)
    )


def declined_application_ids(*, before: datetime) -> list[int]:
    """Declined applications decided before `before`."""
    return list(
        Application.objects.filter(status=Application.Status.DECLINED)
        .filter(Q(decided_at__lt=before) | Q(decided_at__isnull=True, created_at__lt=before))
        .values_list("pk", flat=True)
    )


def recruitment_contact_ids(*, before: datetime) -> list[int]:
    """Recruitment contacts with no activity since `before`: created and last changed before it, and no
    follow-up planned after it."""
    return list(
        RecruitmentContact.objects.filter(created_at__lt=before, updated_at__lt=before)
        .filter(Q(follow_up_on__isnull=True) | Q(follow_up_on__lt=before.date()))
        .values_list("pk", flat=True)
    )


def alumni_mark(*, now: datetime) -> None:
    """Start the clock for people who became alumni since the last run, and stop it for those who came back.

    `update()` leaves `updated_at` alone: the job is no change to the person's details."""
    Ambassador.objects.filter(status=Ambassador.Status.ALUMNI, alumni_since__isnull=True).update(alumni_since=now)
    Ambassador.objects.exclude(status=Ambassador.Status.ALUMNI).filter(alumni_since__isnull=False).update(
        alumni_since=None
    )


def expired_alumni(*, before: datetime):
    """Alumni since before `before`."""
    return Ambassador.objects.filter(status=Ambassador.Status.ALUMNI, alumni_since__lt=before).order_by("pk")


def retention_steps(now: datetime) -> list[Step]:
    """Applications never confirmed, declined applications, recruitment contacts and alumni, in that order."""

    def unconfirmed() -> int:
        return in_batches(
            applications_erase, unconfirmed_application_ids(before=expired_before(now, "RETENTION_UNCONFIRMED_DAYS"))
        )

    def declined() -> int:
        return in_batches(
            applications_erase, declined_application_ids(before=expired_before(now, "RETENTION_DECLINED_DAYS"))
        )

    def contacts() -> int:
        return in_batches(
            contacts_erase, recruitment_contact_ids(before=expired_before(now, "RETENTION_RECRUITMENT_DAYS"))
        )

    def alumni() -> int:
        alumni_mark(now=now)
        count = 0
        for ambassador in list(expired_alumni(before=expired_before(now, "RETENTION_ALUMNI_DAYS"))):
            person_erase(ambassador)  # logged in the audit log as erased by the system
            count += 1
        return count

    return [
        ("unconfirmed_applications", unconfirmed),
        ("declined_applications", declined),
        ("recruitment_contacts", contacts),
        ("alumni", alumni),
    ]
