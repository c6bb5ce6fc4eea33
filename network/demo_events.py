"""Demo events for `seed_demo`: a past training with attendance marked, and an upcoming meeting with answers
(yes, a waiting list, no). Idempotent: running it again changes nothing. Sends no email."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Ambassador, Event, Registration

YES, NO, WAITLIST = Registration.Answer.YES, Registration.Answer.NO, Registration.Answer.WAITLIST


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def demo_events_seed() -> str:
    people = list(Ambassador.objects.filter(status=Ambassador.Status.ACTIVE).order_by("pk")[:30])
    training, _created = Event.objects.get_or_create(
        title="Dialog och värdskap",
        defaults={
            "kind": Event.Kind.TRAINING,
            "is_training": True,
            "description": "Utbildning i bemötande och värdskap för ambassadörer och personal.",
            "starts_at": _at(-14, 13),
            "ends_at": _at(-14, 16),
            "place": "Kramfors stadshus",
            "address": "Torggatan 4, 872 80 Kramfors",
            "capacity": 40,
            "follow_up_text": "Tack för i dag! Presentationen finns hos koordinatorn.",
        },
    )
    meeting, _created = Event.objects.get_or_create(
        title="Ambassadörsträff i Nyland",
        defaults={
            "kind": Event.Kind.MEETING,
            "description": "Vi ses, fikar och planerar sommarens evenemang.",
            "starts_at": _at(10, 18),
            "ends_at": _at(10, 20),
            "rsvp_deadline": _at(8, 23),
            "place": "Nylands bygdegård",
            "address": "Nyland",
            "capacity": 12,
        },
    )
    now = timezone.now()
    for index, person in enumerate(people[:18]):
        answer = YES if index < 15 else NO
        Registration.objects.get_or_create(
            event=training,
            ambassador=person,
            defaults={"answer": answer, "answered_at": now, "attended": answer == YES and index % 5 != 4},
        )
    for index, person in enumerate(people[10:30]):
        answer = YES if index < 12 else WAITLIST if index < 15 else NO
        Registration.objects.get_or_create(
            event=meeting, ambassador=person, defaults={"answer": answer, "answered_at": now + timedelta(seconds=index)}
        )
    return _("Demo events: a past training with attendance and an upcoming meeting with answers.")
