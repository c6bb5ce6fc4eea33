"""Writes and reads for events: RSVP answers (with capacity and a waiting list), the confirmation's calendar file,
reminders, follow-ups and attendance.

Emails are queued through `campaigns.services` in the same transaction as the change that causes them. An
invitation is a campaign pointing at an event: its RSVP link ({{ rsvp_url }}, campaigns.emails) carries a token
signed for the purpose "rsvp" holding [event id, ambassador id], read here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from campaigns.services import email_queue
from crm.languages import with_language
from crm.tokens import TokenExpired, TokenInvalid, token_make, token_read

from .calendar import CANCEL, calendar_file, event_when, event_where
from .models import Ambassador, Event, Registration

RSVP_PURPOSE = "rsvp"
# The reminder goes to those who said yes when the event is less than this far off (the beat task runs every 15
# minutes): "the day before".
REMINDER_BEFORE = timedelta(hours=24)
# A follow-up goes to those marked as attended, once the event has ended, for this long after it (attendance is
# ticked afterwards; an event older than this gets no follow-up however late attendance is marked).
FOLLOW_UP_WITHIN = timedelta(days=14)
YES, NO, WAITLIST, WALK_IN = (
    Registration.Answer.YES,
    Registration.Answer.NO,
    Registration.Answer.WAITLIST,
    Registration.Answer.WALK_IN,
)


# Links -------------------------------------------------------------------------------------------------------


def rsvp_token(event_id: int, ambassador_id: int) -> str:
    return token_make(RSVP_PURPOSE, [event_id, ambassador_id])


def rsvp_url(event_id: int, ambassador_id: int, language: str = "sv") -> str:
    path = reverse("rsvp", args=[rsvp_token(event_id, ambassador_id)])
    return with_language(f"{settings.SITE_URL}{path}", language)


def rsvp_read(token: str) -> tuple[Event, Ambassador] | None:
    """The event and the ambassador a link is for; None when it is tampered with, signed for something else, or
    either no longer exists."""
    try:
        value = token_read(RSVP_PURPOSE, token)
    except (TokenInvalid, TokenExpired):
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, int) for part in value)):
        return None
    event = Event.objects.filter(pk=value[0]).first()
    ambassador = Ambassador.objects.filter(pk=value[1]).first()
    if event is None or ambassador is None:
        return None
    return event, ambassador


# Answering ---------------------------------------------------------------------------------------------------


class Outcome(enum.Enum):
    YES = "yes"  # registered
    WAITLIST = "waitlist"  # the event is full: on the waiting list
    NO = "no"
    UNCHANGED = "unchanged"  # the same answer again: nothing changed, no email
    CLOSED = "closed"  # past the deadline: nothing changed


def answers_open(event: Event, now: datetime | None = None) -> bool:
    return (now or timezone.now()) < event.answers_until


def _yes_count(event: Event) -> int:
    return Registration.objects.filter(event=event, answer=YES).count()


def _context(event: Event, ambassador: Ambassador, **extra) -> dict:
    return {
        "first_name": ambassador.first_name,
        "title": event.title,
        "when": event_when(event, ambassador.language),
        "where": event_where(event),
        "rsvp_url": rsvp_url(event.pk, ambassador.pk, ambassador.language),
        **extra,
    }


def _mail(template: str, event: Event, ambassador: Ambassador, *, key: str | None = None, **context) -> bool:
    """Queue one of the event emails to the ambassador, in their language (the follow-up, whose text is Swedish
    only, is made wholly Swedish by campaigns.emails.build_message). False when nothing was queued (no address, or
    the key was used already)."""
    if not ambassador.email:
        return False
    delivery = email_queue(
        template=template,
        to_email=ambassador.email,
        to_name=ambassador.full_name,
        language=ambassador.language,
        ambassador=ambassador,
        key=key,
        context=_context(event, ambassador, **context),
    )
    return delivery is not None


def _sequence_raise(event: Event) -> int:
    """One more calendar revision of the event (an UPDATE with F(), so two raises never give the same number)."""
    Event.objects.filter(pk=event.pk).update(calendar_sequence=F("calendar_sequence") + 1)
    event.refresh_from_db(fields=["calendar_sequence"])
    return event.calendar_sequence


def waitlist_position(registration: Registration) -> int:
    """Where someone stands on the waiting list (1 is next), in the order waitlist_promote serves it."""
    ahead = Q(answered_at__lt=registration.answered_at) | Q(
        answered_at=registration.answered_at, pk__lte=registration.pk
    )
    return Registration.objects.filter(event_id=registration.event_id, answer=WAITLIST).filter(ahead).count()


def _answer_told(event: Event, registration: Registration, previous: str | None, now: datetime) -> None:
    """The email a changed answer gets: a yes the confirmation with the event for the calendar; the waiting list
    their place in it; a yes turned no a CANCEL that takes it out of their calendar again (at a raised sequence,
    so a later yes, a REQUEST at that sequence, puts it back); off the waiting list a line saying so."""
    ambassador = registration.ambassador
    if registration.answer == YES:
        _mail("event_confirmation", event, ambassador, attachments=[calendar_file(event, now, ambassador)])
    elif registration.answer == WAITLIST:
        _mail("event_waitlisted", event, ambassador, position=waitlist_position(registration))
    elif previous == YES:
        _sequence_raise(event)
        cancel = calendar_file(event, now, ambassador, method=CANCEL, partstat="DECLINED")
        _mail("event_cancelled", event, ambassador, reason="declined", attachments=[cancel])
    elif previous == WAITLIST:
        _mail("event_cancelled", event, ambassador, reason="waitlist")


def registration_answer(*, event_id: int, ambassador_id: int, answer: str, now: datetime | None = None) -> Outcome:
    """Record an ambassador's yes or no, until the event's deadline.

    The event row is locked for the whole transaction (SELECT … FOR UPDATE), so concurrent yes answers are counted
    one after the other and the capacity holds: a yes beyond it goes on the waiting list. When a yes becomes a no,
    the first on the waiting list (in the order they answered) moves up and is told by email. Each change is told
    by email (_answer_told): a yes, and a move up, with the event as an .ics file, a no after a yes with one that
    cancels it."""
    now = now or timezone.now()
    if answer not in (YES, NO):
        raise ValueError(answer)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        if not answers_open(event, now):
            return Outcome.CLOSED
        ambassador = Ambassador.objects.get(pk=ambassador_id)
        registration = Registration.objects.filter(event=event, ambassador=ambassador).first()
        previous = registration.answer if registration else None
        if answer == YES and previous in (YES, WAITLIST):
            return Outcome.UNCHANGED
        if answer == NO and previous == NO:
            return Outcome.UNCHANGED
        if answer == YES:
            full = event.capacity is not None and _yes_count(event) >= event.capacity
            new = WAITLIST if full else YES
        else:
            new = NO
        if registration is None:
            registration = Registration(event=event, ambassador=ambassador)
        registration.answer, registration.answered_at = new, now
        registration.save()
        _answer_told(event, registration, previous, now)
        if new == NO and previous == YES:
            waitlist_promote(event=event, now=now)
    return Outcome(new)


def waitlist_promote(*, event: Event, now: datetime | None = None) -> int:
    """Move people up from the waiting list while there are free places (call with the event row locked).
    Each is told by email, with the calendar file. Returns how many moved up."""
    now = now or timezone.now()
    moved = 0
    while event.capacity is None or _yes_count(event) < event.capacity:
        first = (
            Registration.objects.filter(event=event, answer=WAITLIST)
            .select_related("ambassador")
            .order_by("answered_at", "pk")
            .first()
        )
        if first is None:
            break
        Registration.objects.filter(pk=first.pk).update(answer=YES)
        _mail("event_promoted", event, first.ambassador, attachments=[calendar_file(event, now, first.ambassador)])
        moved += 1
    return moved


def capacity_changed(*, event_id: int, now: datetime | None = None) -> int:
    """After the coordinator raises (or removes) an event's capacity: the free places go to those waiting, in the
    order they answered, each told by email, as when someone cancels. Nothing moves once the event has started.
    Returns how many moved up."""
    now = now or timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        if event.starts_at <= now:
            return 0
        return waitlist_promote(event=event, now=now)


CALENDAR_FIELDS = ("starts_at", "ends_at", "place", "address")


def event_changed(*, event: Event, before: dict, now: datetime | None = None) -> int:
    """After the coordinator changes an event: when its time or place (CALENDAR_FIELDS) differs from `before` and
    the event has not started, raise its calendar revision and tell everyone who said yes, with the new time and
    place and a REQUEST .ics at the new sequence that moves the entry in their calendar. Once per change (the key
    holds the sequence). Returns how many were told."""
    now = now or timezone.now()
    if all(_same(before.get(name), getattr(event, name)) for name in CALENDAR_FIELDS):
        return 0
    if min(event.starts_at, before.get("starts_at") or event.starts_at) <= now:
        return 0
    told = 0
    with transaction.atomic():
        sequence = _sequence_raise(event)
        for registration in _attending(event):
            ambassador = registration.ambassador
            told += _mail(
                "event_updated",
                event,
                ambassador,
                key=f"event-updated:{event.pk}:{sequence}:{ambassador.pk}",
                attachments=[calendar_file(event, now, ambassador)],
            )
    return told


def event_cancel(*, event: Event, now: datetime | None = None) -> int:
    """Before an event is deleted (in the caller's transaction): when it has not started, everyone who said yes is
    told it is cancelled, with a CANCEL .ics (above the last sequence sent) that takes it out of their calendar.
    Returns how many were told."""
    now = now or timezone.now()
    if event.starts_at <= now:
        return 0
    told = 0
    with transaction.atomic():
        sequence = event.calendar_sequence + 1
        for registration in _attending(event):
            ambassador = registration.ambassador
            cancel = calendar_file(event, now, ambassador, method=CANCEL, sequence=sequence)
            told += _mail(
                "event_cancelled",
                event,
                ambassador,
                key=f"event-cancelled:{event.pk}:{ambassador.pk}",
                reason="event",
                attachments=[cancel],
            )
    return told


def _same(old, new) -> bool:
    """Equal as a calendar sees it: times to the second (the admin's form drops microseconds)."""
    if isinstance(old, datetime) and isinstance(new, datetime):
        return old.replace(microsecond=0) == new.replace(microsecond=0)
    return old == new


def _attending(event: Event) -> QuerySet[Registration]:
    return Registration.objects.filter(event=event, answer=YES).select_related("ambassador").order_by("pk")


# Reminders and follow-ups (the beat task) --------------------------------------------------------------------


def registrations_claim_each(rows: QuerySet[Registration], field: str, now: datetime, send) -> int:
    """For each row: set `field` with a conditional UPDATE (only where it is still empty) and queue its email in
    the same transaction. Two runs at once, or one after the other, claim each row once: the second UPDATE
    matches nothing."""
    done = 0
    for registration in rows.select_related("event", "ambassador").order_by("pk"):
        with transaction.atomic():
            claimed = Registration.objects.filter(pk=registration.pk, **{f"{field}__isnull": True}).update(
                **{field: now}
            )
            if claimed:
                send(registration)
                done += 1
    return done


def event_reminders_send(*, now: datetime | None = None) -> int:
    """Remind everyone registered yes of an event starting within REMINDER_BEFORE, once each."""
    now = now or timezone.now()
    due = Registration.objects.filter(
        answer=YES,
        reminded_at__isnull=True,
        event__starts_at__gt=now,
        event__starts_at__lte=now + REMINDER_BEFORE,
    )

    def send(registration: Registration) -> None:
        _mail(
            "event_reminder",
            registration.event,
            registration.ambassador,
            key=f"event-reminder:{registration.pk}",
        )

    return registrations_claim_each(due, "reminded_at", now, send)


def event_follow_ups_send(*, now: datetime | None = None) -> int:
    """The event's follow-up text, once, to each person marked as attended, after the event has ended."""
    now = now or timezone.now()
    due = Registration.objects.filter(
        attended=True,
        followed_up_at__isnull=True,
        event__ends_at__lte=now,
        event__ends_at__gt=now - FOLLOW_UP_WITHIN,
    ).exclude(event__follow_up_text="")

    def send(registration: Registration) -> None:
        _mail(
            "event_follow_up",
            registration.event,
            registration.ambassador,
            key=f"event-follow-up:{registration.pk}",
            follow_up_text=registration.event.follow_up_text,
        )

    return registrations_claim_each(due, "followed_up_at", now, send)


# Attendance --------------------------------------------------------------------------------------------------


@dataclass
class AttendanceRow:
    registration: Registration
    checked: bool


def attendance_rows(event: Event) -> list[AttendanceRow]:
    """Everyone who answered, for the attendance page: ticked as they were marked, or, before anyone has been
    marked, ticked where they said yes."""
    registrations = list(
        Registration.objects.filter(event=event)
        .select_related("ambassador", "ambassador__locality")
        .order_by("ambassador__last_name", "ambassador__first_name", "pk")
    )
    marked = any(registration.attended for registration in registrations)
    return [
        AttendanceRow(registration, registration.attended if marked else registration.answer == YES)
        for registration in registrations
    ]


def walk_in_choices(event: Event) -> QuerySet[Ambassador]:
    """Active ambassadors who have not answered the event: those who may have come without saying so."""
    return (
        Ambassador.objects.filter(status=Ambassador.Status.ACTIVE)
        .exclude(registrations__event=event)
        .select_related("locality")
        .order_by("last_name", "first_name", "pk")
    )


def attendance_open(event: Event, *, now: datetime | None = None) -> bool:
    """Attendance can be marked once the event has started, not before (nobody has come yet)."""
    return event.starts_at <= (now or timezone.now())


class AttendanceTooEarly(Exception):
    """Attendance was saved for an event that has not started."""


@transaction.atomic
def attendance_save(*, event: Event, registration_ids: set[int], walk_in_ids: set[int] = frozenset()) -> int:
    """Exactly the registrations given attended, every other of the event not; ambassadors who came without
    answering (walk_in_ids, among walk_in_choices) are recorded as having come without answering, not as a yes (a
    walk-in unticked again is forgotten). Raises AttendanceTooEarly before the event has started. Returns how many
    attended."""
    if not attendance_open(event):
        raise AttendanceTooEarly
    registrations = Registration.objects.filter(event=event)
    registrations.filter(answer=WALK_IN).exclude(pk__in=registration_ids).delete()
    registrations.exclude(pk__in=registration_ids).update(attended=False)
    registrations.filter(pk__in=registration_ids).update(attended=True)
    now = timezone.now()
    Registration.objects.bulk_create(
        Registration(event=event, ambassador=ambassador, answer=WALK_IN, answered_at=now, attended=True)
        for ambassador in walk_in_choices(event).filter(pk__in=walk_in_ids)
    )
    return registrations.filter(attended=True).count()


def events_with_counts() -> QuerySet[Event]:
    """Events with their answers counted, in one query (the admin list)."""
    return Event.objects.annotate(
        count_yes=Count("registrations", filter=Q(registrations__answer=YES)),
        count_waitlist=Count("registrations", filter=Q(registrations__answer=WAITLIST)),
        count_no=Count("registrations", filter=Q(registrations__answer=NO)),
        count_attended=Count("registrations", filter=Q(registrations__attended=True)),
    )
