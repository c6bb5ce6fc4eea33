"""Dashboard benchmark (issue 22): the coordinator's start page (/admin/, the dashboard) at 1,000 and at 100,000
ambassadors, with the rest of the network in proportion: time and query count.

Per 100,000 ambassadors: 30,000 applications, 10,000 recruitment contacts, 200 events (a fifth of them trainings)
with 20,000 registrations, and 6 sent newsletters of 50,000 deliveries each (300,000) with their delivered, bounced,
complained, opened and clicked times, and unsubscribes. The page must not grow with the rows: goal ratio ≤ 1.5 and
the same number of queries at both sizes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .common import FIRST_NAMES, LAST_NAMES, analyze, best_of, size_label, wipe_ambassadors

SMALL = 1_000
BIG = 100_000
BATCH = 5_000
REPEAT = 5
URL = "/admin/"
NEWSLETTERS = 6
# Per ambassador: applications, contacts, registrations, deliveries (per 100k: 30k, 10k, 20k, 300k); events per 500.
APPLICATIONS, CONTACTS, REGISTRATIONS, DELIVERIES = 0.3, 0.1, 0.2, 3
EVENTS_PER = 500


def run(scale: int = 1) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    small, big = SMALL // scale, BIG // scale
    user, _created = get_user_model().objects.get_or_create(
        username="bench-coordinator", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    label = f"dashboard_{size_label(big)}"
    wipe()
    try:
        volumes_small = build(small)
        time_small, queries_small = measure(client)
        wipe()
        volumes_big = build(big)
        time_big, queries_big = measure(client)
    except Exception as error:
        print(f"{label}: FAILED: {type(error).__name__}: {error}", flush=True)
        raise SystemExit(1) from None
    finally:
        wipe()
    print(
        f"{label}: ratio={time_big / time_small:.2f} queries={queries_small}/{queries_big}"
        f" (GET {URL} as a superuser, best of {REPEAT} after a warm-up: t({size_label(small)})={time_small * 1000:.1f} ms"
        f" with {volumes_small}, t({size_label(big)})={time_big * 1000:.1f} ms with {volumes_big};"
        " goal: ratio ≤ 1.5 and the same query count)",
        flush=True,
    )


def measure(client) -> tuple[float, int]:
    from django.db import connection

    def get() -> None:
        response = client.get(URL)
        if response.status_code != 200:
            raise RuntimeError(f"GET {URL} answered {response.status_code}")

    get()  # warm-up: the content types, the templates
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        get()
    return best_of(REPEAT, get), len(statements)


def build(ambassadors: int) -> str:
    """The network at this size (not timed); returns what it holds, in words."""
    rng = random.Random(ambassadors)
    people = add_ambassadors(ambassadors, rng)
    applications = add_applications(int(ambassadors * APPLICATIONS), rng)
    contacts = add_contacts(int(ambassadors * CONTACTS), rng)
    events, registrations = add_events(max(ambassadors // EVENTS_PER, 2), people, rng)
    deliveries, unsubscribes = add_newsletters(people, rng)
    settle()
    return (
        f"{len(people)} ambassadors, {applications} applications, {contacts} contacts, {events} events,"
        f" {registrations} registrations, {deliveries} deliveries in {NEWSLETTERS} newsletters, {unsubscribes}"
        " unsubscribes"
    )


def settle() -> None:
    """The tables as a live database has them a minute after the writes: autovacuum has run (PostgreSQL 13+ vacuums
    after inserts too), so the visibility map is set and index-only scans need no visits to the table; and fresh
    planner statistics (analyze)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
    analyze()


def _spread_created_at(model, rng: random.Random, days: int) -> None:
    """auto_now_add stamped every row now: spread them over `days` back, ten groups by primary key."""
    from django.utils import timezone

    ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
    step = max(len(ids) // 10, 1)
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        model.objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1]).update(
            created_at=timezone.now() - timedelta(days=rng.randrange(days))
        )


def add_ambassadors(count: int, rng: random.Random) -> list[int]:
    """70 % active, 20 % paused, 10 % alumni; became ambassadors over the last fifteen years (5 % unknown);
    localities from the seeded list (3 % none)."""
    from network.models import Ambassador, Locality

    locality_ids = list(Locality.objects.values_list("pk", flat=True))
    statuses = ["active"] * 7 + ["paused"] * 2 + ["alumni"]
    today = date.today()
    for start in range(0, count, BATCH):
        Ambassador.objects.bulk_create(
            Ambassador(
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                email=f"dash.{index}@example.se",
                locality_id=None if rng.random() < 0.03 else rng.choice(locality_ids),
                status=rng.choice(statuses),
                member_since=None if rng.random() < 0.05 else today - timedelta(days=rng.randrange(15 * 365)),
                source=rng.choice(list(Ambassador.Source.values)),
            )
            for index in range(start, min(start + BATCH, count))
        )
    return list(Ambassador.objects.order_by("pk").values_list("pk", flat=True))


def add_applications(count: int, rng: random.Random) -> int:
    from django.utils import timezone

    from network.models import Application

    statuses = ["approved"] * 6 + ["declined", "unconfirmed", "confirmed", "withdrawn"]
    now = timezone.now()
    for start in range(0, count, BATCH):
        Application.objects.bulk_create(
            Application(
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                email=f"dash.application.{index}@example.se",
                status=(status := rng.choice(statuses)),
                confirmed_at=None if status == "unconfirmed" else now,
            )
            for index in range(start, min(start + BATCH, count))
        )
    _spread_created_at(Application, rng, 5 * 365)
    return count


def add_contacts(count: int, rng: random.Random) -> int:
    from network.models import RecruitmentContact

    statuses = list(RecruitmentContact.Status.values)
    today = date.today()
    for start in range(0, count, BATCH):
        RecruitmentContact.objects.bulk_create(
            RecruitmentContact(
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                email=f"dash.contact.{index}@example.se",
                status=rng.choice(statuses),
                follow_up_on=today + timedelta(days=rng.randrange(-60, 60)),
            )
            for index in range(start, min(start + BATCH, count))
        )
    _spread_created_at(RecruitmentContact, rng, 5 * 365)
    return count


def add_events(count: int, people: list[int], rng: random.Random) -> tuple[int, int]:
    """`count` events over the last two years and the next month, a fifth of them trainings; registrations
    (0.2 per ambassador) spread over them, those to past events mostly attended."""
    from django.utils import timezone

    from network.models import Event, Registration

    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(
            title=f"Träff {index}",
            starts_at=(starts := now + timedelta(days=30 - rng.randrange(760), hours=rng.randrange(24))),
            ends_at=starts + timedelta(hours=2),
            is_training=index % 5 == 0,
        )
        for index in range(count)
    )
    wanted = int(len(people) * REGISTRATIONS)
    per_event = max(wanted // count, 1)
    made = 0
    for event in events:
        chosen = rng.sample(people, min(per_event, len(people)))
        past = event.starts_at < now
        Registration.objects.bulk_create(
            (
                Registration(
                    event=event,
                    ambassador_id=pk,
                    answer=rng.choice(["yes"] * 8 + ["no", "waitlist"]),
                    answered_at=now,
                    attended=past and rng.random() < 0.8,
                )
                for pk in chosen
            ),
            batch_size=BATCH,
        )
        made += len(chosen)
    return count, made


def add_newsletters(people: list[int], rng: random.Random) -> tuple[int, int]:
    """Six sent newsletters, each to half the ambassadors (3 deliveries per ambassador in all): 95 % delivered, 2 %
    bounced, 0.1 % complained, 40 % opened, 10 % clicked, 0.5 % unsubscribed."""
    from django.utils import timezone

    from campaigns.models import Campaign, Delivery, Segment, Unsubscribe
    from campaigns.services.tracking import campaign_counts_recount

    now = timezone.now()
    segment = Segment.objects.create(name="Alla aktiva")
    per_campaign = len(people) * DELIVERIES // NEWSLETTERS
    deliveries = unsubscribes = 0
    for number in range(NEWSLETTERS):
        finished = now - timedelta(days=30 * (NEWSLETTERS - number))
        campaign = Campaign.objects.create(
            name=f"Nyhetsbrev {number + 1}",
            subject="Nytt från nätverket",
            body="Hej {{ first_name }}!",
            segment=segment,
            status=Campaign.Status.SENT,
            started_at=finished - timedelta(hours=1),
            fanned_out_at=finished - timedelta(hours=1),
            finished_at=finished,
        )
        recipients = rng.sample(people, per_campaign)
        rows = []
        for pk in recipients:
            bounced = rng.random() < 0.02
            opened = not bounced and rng.random() < 0.4
            rows.append(
                Delivery(
                    template="campaign",
                    campaign=campaign,
                    ambassador_id=pk,
                    to_email=f"dash.{pk}@example.se",
                    status=Delivery.Status.SENT,
                    sent_at=finished,
                    delivered_at=None if bounced else finished,
                    bounced_at=finished if bounced else None,
                    complained_at=finished if opened and rng.random() < 0.0025 else None,
                    opened_at=finished if opened else None,
                    clicked_at=finished if opened and rng.random() < 0.25 else None,
                )
            )
        Delivery.objects.bulk_create(rows, batch_size=BATCH)
        deliveries += len(rows)
        leaving = recipients[: per_campaign // 200]
        Unsubscribe.objects.bulk_create(
            Unsubscribe(ambassador_id=pk, category="newsletter", source="link", campaign=campaign) for pk in leaving
        )
        unsubscribes += len(leaving)
        # Rows written here, not by the send and tracking services: the campaign's counts made from them once.
        campaign_counts_recount([campaign.pk])
    return deliveries, unsubscribes


def wipe() -> None:
    """Everything this benchmark made (the next benchmark starts clean)."""
    from campaigns.models import Campaign, Delivery, Segment, Unsubscribe
    from network.models import Application, Event, RecruitmentContact, Registration

    for model in (Unsubscribe, Delivery, Campaign, Segment, Registration, Event, RecruitmentContact):
        model.objects.all().delete()
    Application.objects.all().delete()
    wipe_ambassadors()
