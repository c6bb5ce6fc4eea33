"""Erasure benchmark: one person's data export and erasure (crm.privacy) with 1,000 recruitment contacts in the
database, then with 100,000, measured side by side: time and query count.

What is a person's is found by ids and proven addresses (indexed), never by reading every contact, so neither may
grow with the number of contacts about other people.
"""

from __future__ import annotations

import itertools

from .common import analyze, best_of, size_label

SMALL = 1_000
BIG = 100_000
REPEAT = 5
_serial = itertools.count()


def add_contacts(count: int, start: int) -> None:
    """Recommendations of other people, as /tipsa/ leaves them: a name, a phone number and an address typed."""
    from network.models import RecruitmentContact

    RecruitmentContact.objects.bulk_create(
        [
            RecruitmentContact(
                name=f"Kontakt {n}",
                contact_details=f"070-{n % 10_000_000:07d}, kontakt{n}@bench.example",
                email=f"kontakt{n}@bench.example",
                phone=f"+4670{n % 10_000_000:07d}",
                source=RecruitmentContact.Source.RECOMMENDATION,
                recommender_name="Tipsare",
                recommender_email=f"tipsare{n % 500}@bench.example",
            )
            for n in range(start, start + count)
        ],
        batch_size=5_000,
    )


def a_person():
    """An ambassador who signed up (a confirmed application), was recommended, recommended someone and was mailed."""
    from django.utils import timezone

    from campaigns.models import Delivery
    from network.models import Ambassador, Application, RecruitmentContact

    n = next(_serial)
    address = f"person{n}@bench.example"
    person = Ambassador.objects.create(first_name="Pia", last_name=f"Bench{n}", email=address, phone="+46701000000")
    Application.objects.create(
        first_name="Pia", last_name=f"Bench{n}", email=address, ambassador=person, confirmed_at=timezone.now()
    )
    about = RecruitmentContact.objects.create(name=f"Pia Bench{n}", contact_details=address, email=address)
    made = RecruitmentContact.objects.create(name="Vän", contact_details="van@bench.example", recommended_by=person)
    Delivery.objects.bulk_create(
        [
            Delivery(template="welcome", ambassador=person, to_email=address, status=Delivery.Status.SENT),
            Delivery(template="recommendation_received", key=f"recommendation:{about.pk}", to_email="k@bench.example"),
            Delivery(template="recommendation_received", key=f"recommendation:{made.pk}", to_email="k@bench.example"),
        ]
    )
    return person


def measure() -> tuple[float, float, int, int]:
    """(export seconds, erasure seconds, export queries, erasure queries), the best of REPEAT fresh people each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.privacy import person_data, person_erase

    people = []

    def make() -> None:
        people.append(a_person())

    export = best_of(REPEAT, lambda: person_data(people[-1]), before=make)
    erase = best_of(REPEAT, lambda: person_erase(people.pop()), before=make)
    person = a_person()
    with CaptureQueriesContext(connection) as exported:
        person_data(person)
    with CaptureQueriesContext(connection) as erased:
        person_erase(person)
    for leftover in people:
        person_erase(leftover)
    return export, erase, len(exported), len(erased)


def run(scale: int = 1) -> None:
    big = BIG // scale
    small = SMALL // scale
    add_contacts(small, 0)
    analyze()
    small_export, small_erase, small_export_queries, small_erase_queries = measure()
    add_contacts(big - small, small)
    analyze()
    big_export, big_erase, big_export_queries, big_erase_queries = measure()
    label = size_label(big)
    print(
        f"erase_person_{label}: ratio={big_erase / small_erase:.2f}"
        f" queries={small_erase_queries}/{big_erase_queries}"
        f" (t({size_label(small)} contacts)={small_erase * 1000:.1f} ms t({label})={big_erase * 1000:.1f} ms;"
        f" export: ratio={big_export / small_export:.2f} queries={small_export_queries}/{big_export_queries},"
        f" {small_export * 1000:.1f} → {big_export * 1000:.1f} ms; goal: ratio ≤ 1.5 and the same query count)",
        flush=True,
    )
