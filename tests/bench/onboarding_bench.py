"""Onboarding benchmark: the beat task's claim of 10,000 due enrollments against a plain UPDATE of the same rows.

Ours is `campaigns.services.sequences.enrollments_advance(now=...)`, what the `advance_enrollments` beat task runs: lock the
due enrollments, write one step Delivery each, move every enrollment on to its next step and, on commit, publish
the send tasks to the bench broker (for real; nobody consumes the bench queue here). Every ambassador already has
the welcome (step 1) and is due for step 2 (day 7). The baseline is one plain
`Enrollment.objects.filter(due).update(next_step=step 3, next_send_at=enrolled_at + 30 days)`.
"""

from __future__ import annotations

import math
from datetime import timedelta

from .common import add_active_ambassadors, analyze, best_of, size_label, wipe_ambassadors
from .processes import broker_count, broker_purge

ROWS = 10_000
REPEAT = 3


def run(scale: int = 1) -> None:
    from django.conf import settings
    from django.db.models import F
    from django.utils import timezone

    from campaigns.models import Delivery, Enrollment, Sequence
    from campaigns.services.sequences import enrollments_advance
    from network.models import Ambassador

    rows = ROWS // scale
    sequence = Sequence.objects.get(slug=Sequence.ONBOARDING)
    welcome, practical, checkin = sequence.steps.order_by("delay_days", "pk")[:3]
    wipe_ambassadors()
    add_active_ambassadors(rows, "onboarding")
    now = timezone.now()
    enrolled_at = now - timedelta(days=8)
    people = list(Ambassador.objects.values_list("pk", "email", "first_name", "last_name"))
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                ambassador_id=pk,
                sequence=sequence,
                enrolled_at=enrolled_at,
                next_step=practical,
                next_send_at=enrolled_at + timedelta(days=practical.delay_days),
            )
            for pk, *_rest in people
        ],
        batch_size=5_000,
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                template="step",
                step=welcome,
                ambassador_id=pk,
                to_email=email,
                to_name=f"{first} {last}",
                status=Delivery.Status.SENT,
                sent_at=enrolled_at,
            )
            for pk, email, first, last in people
        ],
        batch_size=5_000,
    )

    def reset() -> None:
        Delivery.objects.filter(step=practical).delete()
        Enrollment.objects.filter(sequence=sequence).update(
            next_step=practical, next_send_at=enrolled_at + timedelta(days=practical.delay_days)
        )
        broker_purge()
        analyze()

    def ours() -> None:
        claimed = enrollments_advance(now=now)
        if claimed != rows:
            raise RuntimeError(f"onboarding_due: enrollments_advance claimed {claimed} of {rows}")

    def plain() -> None:
        updated = Enrollment.objects.filter(next_step__isnull=False, next_send_at__lte=now).update(
            next_step=checkin, next_send_at=F("enrolled_at") + timedelta(days=checkin.delay_days)
        )
        if updated != rows:
            raise RuntimeError(f"onboarding_due: the plain UPDATE changed {updated} of {rows}")

    ours_time = best_of(REPEAT, ours, before=reset)
    # What the last run of ours did: a queued step-2 delivery each, everyone on step 3, the batches on the broker.
    queued = Delivery.objects.filter(step=practical, status=Delivery.Status.QUEUED).count()
    moved = Enrollment.objects.filter(next_step=checkin).count()
    published = broker_count()
    expected_batches = math.ceil(rows / settings.EMAIL_BATCH_SIZE)
    if queued != rows or moved != rows or published != expected_batches:
        raise RuntimeError(
            f"onboarding_due: {queued} deliveries queued, {moved} enrollments moved on, {published} tasks published"
            f" (expected {rows}, {rows}, {expected_batches})"
        )
    plain_time = best_of(REPEAT, plain, before=reset)
    print(
        f"onboarding_due_{size_label(rows)}: ratio={plain_time / ours_time:.2f} ours={ours_time:.3f}"
        f" plain={plain_time:.3f} s (best of {REPEAT}; ours claimed {rows} enrollments, wrote {queued} deliveries,"
        f" published {published} send tasks of {settings.EMAIL_BATCH_SIZE} on commit)",
        flush=True,
    )
    broker_purge()
    Enrollment.objects.all().delete()
    Delivery.objects.filter(step__sequence=sequence).delete()
    wipe_ambassadors()
