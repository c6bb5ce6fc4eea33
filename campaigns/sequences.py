"""Automated sequences such as onboarding: each Enrollment holds its next step and when it is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from network.models import Ambassador

from .models import Delivery, Enrollment, Sequence, Step
from .outbox import deliveries_enqueue


def _active_steps(sequence_id: int) -> list[Step]:
    return list(Step.objects.filter(sequence_id=sequence_id, is_active=True).order_by("delay_days", "pk"))


def _next_steps(sequence_id: int, ambassador_ids: list[int]) -> dict[int, Step | None]:
    """Each ambassador's next step: the first active step (by delay) they have no delivery for. Working from what
    was actually sent keeps the sequence whole when the coordinator reorders, adds or switches off steps."""
    steps = _active_steps(sequence_id)
    received: set[tuple[int, int]] = set()
    for start in range(0, len(ambassador_ids), 5000):
        received.update(
            Delivery.objects.filter(
                step__sequence_id=sequence_id, ambassador_id__in=ambassador_ids[start : start + 5000]
            ).values_list("ambassador_id", "step_id")
        )
    return {a: next((s for s in steps if (a, s.pk) not in received), None) for a in ambassador_ids}


def _move_on(enrollments: list[tuple[int, int, int | None]], sequence_id: int) -> None:
    """Point each (enrollment, ambassador, current step) at its next step, grouped into a few UPDATEs."""
    following = _next_steps(sequence_id, [a for _e, a, _s in enrollments])
    groups: dict[tuple[int | None, Step | None], list[int]] = {}
    for enrollment_id, ambassador_id, current in enrollments:
        groups.setdefault((current, following[ambassador_id]), []).append(enrollment_id)
    for (current, step), ids in groups.items():
        Enrollment.objects.filter(pk__in=ids, next_step_id=current).update(
            next_step=step, next_send_at=(F("enrolled_at") + timedelta(days=step.delay_days)) if step else None
        )


def enroll(*, ambassador: Ambassador, sequence_slug: str = Sequence.ONBOARDING, now: datetime | None = None):
    """Start the sequence for an ambassador (once: enrolling again changes nothing)."""
    now = now or timezone.now()
    sequence = Sequence.objects.filter(slug=sequence_slug, is_active=True).first()
    if sequence is None:
        return None
    steps = _active_steps(sequence.pk)
    step = steps[0] if steps else None
    enrollment, created = Enrollment.objects.get_or_create(
        ambassador=ambassador,
        sequence=sequence,
        defaults={
            "enrolled_at": now,
            "next_step": step,
            "next_send_at": now + timedelta(days=step.delay_days) if step else None,
        },
    )
    if created and step and step.delay_days == 0:
        enrollments_advance(now=now, ambassador_ids=[ambassador.pk])  # the welcome goes now, not at the next beat
    return enrollment


def sequence_reschedule(sequence: Sequence) -> None:
    """After the coordinator edits the steps (delays, order, on/off, deleted), everyone's next step and date
    follow the new plan; what they have already received is not sent again."""
    with transaction.atomic():
        enrollments = list(
            Enrollment.objects.select_for_update()
            .filter(sequence=sequence)
            .values_list("pk", "ambassador_id", "next_step_id")
        )
        _move_on(enrollments, sequence.pk)


def enrollments_advance(
    *, now: datetime | None = None, limit: int = 10_000, ambassador_ids: list[int] | None = None
) -> int:
    """Claim due enrollments, queue their step's delivery and move them on. Safe to run concurrently:
    rows are locked with SKIP LOCKED (PostgreSQL) or the write lock (SQLite), and (step, ambassador) is unique."""
    now = now or timezone.now()
    with transaction.atomic():
        enrollments = Enrollment.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            next_step__isnull=False, next_send_at__lte=now, ambassador__status=Ambassador.Status.ACTIVE
        )
        if ambassador_ids is not None:
            enrollments = enrollments.filter(ambassador_id__in=ambassador_ids)
        due = list(enrollments.values_list("pk", "ambassador_id", "next_step_id", "sequence_id")[:limit])
        if not due:
            return 0
        active = set(Step.objects.filter(pk__in={row[2] for row in due}, is_active=True).values_list("pk", flat=True))
        people = Ambassador.objects.filter(pk__in=[row[1] for row in due]).only(
            "pk", "email", "first_name", "last_name", "language"
        )
        ambassadors = {a.pk: a for a in people}
        deliveries = []
        for _enrollment_id, ambassador_id, step_id, _sequence_id in due:
            if step_id not in active:
                continue  # switched off after it was planned: move on without sending
            ambassador = ambassadors[ambassador_id]
            deliveries.append(
                Delivery(
                    template="step",
                    step_id=step_id,
                    ambassador_id=ambassador_id,
                    to_email=ambassador.email or "",
                    to_name=ambassador.full_name,
                    language=ambassador.language,
                    # Recorded even without an address, so the sequence knows the step is behind them.
                    status=Delivery.Status.QUEUED if ambassador.email else Delivery.Status.SKIPPED,
                    last_error="" if ambassador.email else "no email address",
                )
            )
        Delivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
        by_sequence: dict[int, list[tuple[int, int, int]]] = {}
        for enrollment_id, ambassador_id, step_id, sequence_id in due:
            by_sequence.setdefault(sequence_id, []).append((enrollment_id, ambassador_id, step_id))
        for sequence_id, rows in by_sequence.items():
            _move_on(rows, sequence_id)
        ids = list(
            Delivery.objects.filter(
                status=Delivery.Status.QUEUED, step_id__in=active, ambassador_id__in=list(ambassadors)
            ).values_list("pk", flat=True)
        )
        deliveries_enqueue(ids)
    return len(due)
