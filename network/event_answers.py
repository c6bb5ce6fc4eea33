"""Who has answered an event's invitation, and a reminder to those who have not.

"Invited" are the ambassadors an invitation campaign for the event was sent to (not the coordinator's test copies,
campaigns.selectors.event_invited_ids); "not answered" are those of them without a registration. Someone who
answered without being invited (a forwarded link, a walk-in marked afterwards) counts under their answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.selectors import event_invited_ids
from campaigns.services import email_queue

from .events import answers_open, event_when, event_where, rsvp_url
from .models import Ambassador, Event, Registration

Answer = Registration.Answer
NAME_ORDER = ("last_name", "first_name", "pk")


@dataclass
class EventAnswers:
    invited: int = 0
    yes: list[Ambassador] = field(default_factory=list)
    waitlist: list[Ambassador] = field(default_factory=list)
    no: list[Ambassador] = field(default_factory=list)
    not_answered: list[Ambassador] = field(default_factory=list)
    walk_in: list[Ambassador] = field(default_factory=list)  # came without answering (marked at attendance)


def event_answers(event: Event) -> EventAnswers:
    """The event's answers with names, each list by name: three queries, however many were invited."""
    invited = event_invited_ids(event.pk)
    answers = EventAnswers(invited=len(invited))
    registrations = (
        Registration.objects.filter(event=event)
        .select_related("ambassador")
        .order_by(*(f"ambassador__{name}" for name in NAME_ORDER))
    )
    answered = set()
    lists = {
        Answer.YES: answers.yes,
        Answer.WAITLIST: answers.waitlist,
        Answer.NO: answers.no,
        Answer.WALK_IN: answers.walk_in,
    }
    for registration in registrations:
        answered.add(registration.ambassador_id)
        lists[registration.answer].append(registration.ambassador)
    answers.not_answered = list(Ambassador.objects.filter(pk__in=invited - answered).order_by(*NAME_ORDER))
    return answers


def reminder_key(event: Event, ambassador: Ambassador, now: datetime) -> str:
    """One reminder per person, event and day: a double click (or a second coordinator) sends nothing more."""
    return f"event-invitation-reminder:{event.pk}:{ambassador.pk}:{timezone.localdate(now).isoformat()}"


def invitation_reminders_send(*, event: Event, now: datetime | None = None) -> int:
    """Remind each invited ambassador who has not answered (active, with an email address, still wanting
    invitations), while answers are open.
    Returns how many reminders were queued now (none for those already reminded today)."""
    now = now or timezone.now()
    if not answers_open(event, now):
        return 0
    sent = 0
    with transaction.atomic():
        for ambassador in event_answers(event).not_answered:
            if not (
                ambassador.email and ambassador.wants_invitations and ambassador.status == Ambassador.Status.ACTIVE
            ):
                continue
            delivery = email_queue(
                template="event_invitation_reminder",
                to_email=ambassador.email,
                to_name=ambassador.full_name,
                language=ambassador.language,
                ambassador=ambassador,
                key=reminder_key(event, ambassador, now),
                context={
                    "first_name": ambassador.first_name,
                    "title": event.title,
                    "when": event_when(event, ambassador.language),
                    "where": event_where(event),
                    "rsvp_url": rsvp_url(event.pk, ambassador.pk, ambassador.language),
                },
            )
            sent += delivery is not None
    return sent
