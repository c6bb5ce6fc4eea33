"""The welcome an approved applicant gets: one email, whichever of the two emails that can say it goes out."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from network.models import Ambassador

from ..models import Delivery, Sequence
from .outbox import email_queue
from .sequences import enroll


def ambassador_welcome(*, ambassador: Ambassador, personal_line: str = "", now: datetime | None = None) -> Delivery:
    """Start onboarding and welcome the new ambassador once, in the caller's transaction.

    When onboarding's first step goes out now, that step is the welcome, and the coordinator's personal line goes
    into it (rendered below the step's text). Otherwise (no active onboarding sequence, a first step that waits,
    or someone re-approved who has been through onboarding) the approval email is the welcome, with the line."""
    now = now or timezone.now()
    earlier = set(Delivery.objects.filter(ambassador=ambassador, step__isnull=False).values_list("pk", flat=True))
    enroll(ambassador=ambassador, sequence_slug=Sequence.ONBOARDING, now=now)
    welcome = (
        Delivery.objects.filter(
            ambassador=ambassador, step__sequence__slug=Sequence.ONBOARDING, status=Delivery.Status.QUEUED
        )
        .exclude(pk__in=earlier)
        .order_by("step__delay_days", "step_id")
        .first()
    )
    if welcome is not None:
        if personal_line:
            # Still uncommitted, and published only on commit: the worker reads the row with the line in it.
            welcome.context = {**welcome.context, "personal_line": personal_line}
            welcome.save(update_fields=["context"])
        return welcome
    return email_queue(
        template="application_approved",
        to_email=ambassador.email,
        to_name=ambassador.full_name,
        language=ambassador.language,
        ambassador=ambassador,
        context={"first_name": ambassador.first_name, "personal_line": personal_line},
    )
