"""Timeline benchmark: an ambassador's admin page (with its timeline) for a person with 10 events against one with
10,000 (emails sent to them, notes and answers to events), measured side by side: time and query count.

The page shows the newest entries only (network.timeline.LIMIT), so its cost must not grow with a person's history.
"""

from __future__ import annotations

from datetime import timedelta

from .common import analyze, best_of, size_label

SMALL = 10
BIG = 10_000
REPEAT = 5


def person_with_history(name: str, events: int):
    """An ambassador with `events` timeline entries: 80 % emails sent, 15 % notes, 5 % answers to events."""
    from django.utils import timezone

    from campaigns.models import Delivery
    from network.models import Ambassador, Event, Note, Registration

    person = Ambassador.objects.create(first_name=name, last_name="Bench", email=f"{name.lower()}@bench.example")
    now = timezone.now()
    emails, notes = events * 80 // 100, events * 15 // 100
    answers = events - emails - notes
    Delivery.objects.bulk_create(
        [
            Delivery(
                template="already_ambassador",
                ambassador=person,
                to_email=person.email,
                to_name=name,
                status=Delivery.Status.SENT,
                sent_at=now - timedelta(minutes=i),
            )
            for i in range(emails)
        ],
        batch_size=5_000,
    )
    Note.objects.bulk_create(
        [Note(ambassador=person, text=f"Anteckning {i}") for i in range(notes)],
        batch_size=5_000,
    )
    starts = now - timedelta(days=1)
    made = Event.objects.bulk_create(
        [
            Event(title=f"Träff {name} {i}", starts_at=starts, ends_at=starts + timedelta(hours=1))
            for i in range(answers)
        ],
        batch_size=5_000,
    )
    Registration.objects.bulk_create(
        [Registration(event=event, ambassador=person, answer="yes", answered_at=now) for event in made],
        batch_size=5_000,
    )
    return person


def measure(client, url: str) -> tuple[float, int]:
    from django.db import connection

    def get() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")

    get()  # warm-up
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # the query log is reset at each request's start
        get()
    return best_of(REPEAT, get), len(statements)


def run(scale: int = 1) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    big = BIG // scale
    user, _created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    small_person = person_with_history("Liten", SMALL)
    big_person = person_with_history("Stor", big)
    analyze()
    small_time, small_queries = measure(client, f"/admin/network/ambassador/{small_person.pk}/change/")
    big_time, big_queries = measure(client, f"/admin/network/ambassador/{big_person.pk}/change/")
    print(
        f"timeline_{size_label(big)}: ratio={big_time / small_time:.2f} queries={big_queries}"
        f" (queries with {SMALL} events: {small_queries}; t({SMALL})={small_time * 1000:.1f} ms"
        f" t({size_label(big)})={big_time * 1000:.1f} ms; goal: ratio ≤ 2 and the same query count)",
        flush=True,
    )
