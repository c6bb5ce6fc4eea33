"""Automated sequences such as onboarding: each Enrollment holds its next step and when it is due."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from network.models import Ambassador

from ..models import Delivery, Enrollment, Sequence, Step
from ..selectors import sequence_active
from .outbox import deliveries_enqueue


def _active_steps(sequence_id: int) -> list[Step]:
    return list(Step.objects.filter(sequence_id=sequence_id, is_active=True).order_by("delay_days", "pk"))


def _next_steps(sequence_id: int, ambassador_ids: list[int], after: Step | None = None) -> dict[int, Step | None]:
    """Each ambassador's next step: the first active step (by delay) they have no delivery for, looking only past
    `after` when given. Working from what was actually sent keeps the sequence whole when the coordinator
    reorders, adds or switches off steps."""
    steps = _active_steps(sequence_id)
    if after is not None:
        steps = [s for s in steps if (s.delay_days, s.pk) > (after.delay_days, after.pk)]
    received: set[tuple[int, int]] = set()
    for start in range(0, len(ambassador_ids), 5000):
        received.update(
            Delivery.objects.filter(step__in=steps, ambassador_id__in=ambassador_ids[start : start + 5000]).values_list(
                "ambassador_id", "step_id"
            )
        )
    return {a: next((s for s in steps if (a, s.pk) not in received), None) for a in ambassador_ids}


def _move_on(enrollments: list[tuple[int, int, int | None]], sequence_id: int, *, onwards: bool = False) -> None:
    """Point each (enrollment, ambassador, current step) at its next step, grouped into a few UPDATEs.
    `onwards`: the current step is behind them (just sent), so only later steps are candidates."""
    by_current: dict[int | None, list[tuple[int, int]]] = {}
    for enrollment_id, ambassador_id, current in enrollments:
        by_current.setdefault(current, []).append((enrollment_id, ambassador_id))
    for current, rows in by_current.items():
        after = Step.objects.filter(pk=current).first() if onwards and current else None
        following = _next_steps(sequence_id, [a for _e, a in rows], after)
        groups: dict[Step | None, list[int]] = {}
        for enrollment_id, ambassador_id in rows:
            groups.setdefault(following[ambassador_id], []).append(enrollment_id)
        for step, ids in groups.items():
            Enrollment.objects.filter(pk__in=ids, next_step_id=current).update(
                next_step=step, next_send_at=(F("enrolled_at") + timedelta(days=step.delay_days)) if step else None
            )


class NotEnrollable(enum.Enum):
    """Why an ambassador is not put through a sequence."""

    INACTIVE = "inactive"  # paused or alumni: only active ambassadors receive a series
    NO_EMAIL = "no_email"  # every step would pass them by
    ALREADY = "already"  # in the series already: once each


def _left_out(ambassador: Ambassador) -> NotEnrollable | None:
    if ambassador.status != Ambassador.Status.ACTIVE:
        return NotEnrollable.INACTIVE
    if not ambassador.email:
        return NotEnrollable.NO_EMAIL
    return None


def enrollment_refusal(*, ambassador: Ambassador, sequence: Sequence | None) -> NotEnrollable | None:
    """Why this ambassador may not be put through `sequence` by hand (the admin's "add enrollment"), or None when
    they may: the rules `enroll_each` applies to a selection, and once per sequence."""
    reason = _left_out(ambassador)
    if reason is None and sequence is not None:
        if Enrollment.objects.filter(ambassador=ambassador, sequence=sequence).exists():
            reason = NotEnrollable.ALREADY
    return reason


def enroll(*, ambassador: Ambassador, sequence_slug: str = Sequence.ONBOARDING, now: datetime | None = None):
    """Start the sequence for an ambassador (once: enrolling again changes nothing)."""
    now = now or timezone.now()
    sequence = sequence_active(sequence_slug)
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


@dataclass
class Enrolled:
    """What starting a sequence for a selection did, for the coordinator's message."""

    started: int = 0
    already: int = 0
    inactive: int = 0
    no_email: int = 0


def enroll_each(
    *, ambassadors: Iterable[Ambassador], sequence_slug: str = Sequence.ONBOARDING, now: datetime | None = None
) -> Enrolled | None:
    """`enroll` for each active ambassador with an email address in one go (for the admin's bulk action on
    imported members); None when the sequence is missing or switched off. Idempotent: whoever is in the sequence
    already is counted, not enrolled again. People without an address are left out, since every step would pass
    them by; so are paused and alumni ambassadors."""
    now = now or timezone.now()
    sequence = sequence_active(sequence_slug)
    if sequence is None:
        return None
    result = Enrolled()
    candidates = []
    for ambassador in ambassadors:
        reason = _left_out(ambassador)
        if reason is NotEnrollable.INACTIVE:
            result.inactive += 1
        elif reason is NotEnrollable.NO_EMAIL:
            result.no_email += 1
        else:
            candidates.append(ambassador.pk)
    steps = _active_steps(sequence.pk)
    step = steps[0] if steps else None
    with transaction.atomic():
        for start in range(0, len(candidates), 5000):
            chunk = candidates[start : start + 5000]
            enrolled = set(
                Enrollment.objects.filter(sequence=sequence, ambassador_id__in=chunk).values_list(
                    "ambassador_id", flat=True
                )
            )
            new = [pk for pk in chunk if pk not in enrolled]
            Enrollment.objects.bulk_create(
                [
                    Enrollment(
                        ambassador_id=pk,
                        sequence=sequence,
                        enrolled_at=now,
                        next_step=step,
                        next_send_at=now + timedelta(days=step.delay_days) if step else None,
                    )
                    for pk in new
                ],
                ignore_conflicts=True,  # someone enrolled at the same moment stays as they are
            )
            result.already += len(enrolled)
            result.started += len(new)
            if step and step.delay_days == 0 and new:
                enrollments_advance(now=now, ambassador_ids=new)  # the welcome goes now, not at the next beat
    return result


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


def _insert_deliveries(enrollment_ids: list[int], now: datetime) -> list[int]:
    """The step deliveries for these enrollments in one INSERT … SELECT (10,000 model instances would cost more
    than the SQL). A person without an address gets a skipped row, so the sequence knows the step is behind
    them; (step, ambassador) is unique, so a concurrent run inserts nothing twice. Returns the queued ids."""
    delivery = connection.ops.quote_name(Delivery._meta.db_table)
    enrollment = connection.ops.quote_name(Enrollment._meta.db_table)
    ambassador = connection.ops.quote_name(Ambassador._meta.db_table)
    placeholders = ", ".join(["%s"] * len(enrollment_ids))
    name_length = int(Delivery._meta.get_field("to_name").max_length)  # one long name must not fail the batch
    sql = f"""
        INSERT INTO {delivery} (template, step_id, ambassador_id, to_email, to_name, language, context, is_test,
                                status, attempts, last_error, esp_message_id, created_at, queued_at)
        SELECT 'step', e.next_step_id, a.id, COALESCE(a.email, ''),
               SUBSTR(TRIM(a.first_name || ' ' || a.last_name), 1, {name_length}),
               a.language, %s, %s,
               CASE WHEN a.email IS NULL THEN %s ELSE %s END, 0,
               CASE WHEN a.email IS NULL THEN %s ELSE '' END, '', %s, %s
        FROM {enrollment} e JOIN {ambassador} a ON a.id = e.ambassador_id
        WHERE e.id IN ({placeholders})
        ON CONFLICT DO NOTHING
        RETURNING id, status
    """  # noqa: S608 - table names are ours, values are parameters
    params = ["{}", False, Delivery.Status.SKIPPED, Delivery.Status.QUEUED, "no email address", now, now]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *enrollment_ids])
        return [pk for pk, status in cursor.fetchall() if status == Delivery.Status.QUEUED]


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
        # A step switched off after it was planned is passed over without sending.
        sendable = [enrollment_id for enrollment_id, _a, step_id, _s in due if step_id in active]
        ids = [
            pk
            for start in range(0, len(sendable), 5000)
            for pk in _insert_deliveries(sendable[start : start + 5000], now)
        ]
        by_sequence: dict[int, list[tuple[int, int, int]]] = {}
        for enrollment_id, ambassador_id, step_id, sequence_id in due:
            by_sequence.setdefault(sequence_id, []).append((enrollment_id, ambassador_id, step_id))
        for sequence_id, rows in by_sequence.items():
            _move_on(rows, sequence_id, onwards=True)
        deliveries_enqueue(ids)
    return len(due)


def enrollments_stop(*, ambassador: Ambassador) -> int:
    """The person left: no further step of any sequence (what was sent stays recorded). Returns how many stopped."""
    return Enrollment.objects.filter(ambassador=ambassador, next_step__isnull=False).update(
        next_step=None, next_send_at=None
    )
