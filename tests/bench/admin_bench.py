"""Admin benchmark: the ambassador changelist at 1,000 and at 100,000 ambassadors (time and query count)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .common import analyze, best_of, phone_forms, size_label, wipe_ambassadors

SMALL_ROWS = 1_000
BIG_ROWS = 100_000
BATCH = 5_000
REPEAT = 5
PAGES = {
    "page": "/admin/network/ambassador/",
    "filter": "/admin/network/ambassador/?status__exact=active",
    "search": "/admin/network/ambassador/?q=anna",
}


def run(scale: int = 1) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    small, big = SMALL_ROWS // scale, BIG_ROWS // scale
    user, _created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    label = f"admin_list_{size_label(big)}"
    wipe_ambassadors()
    add_ambassadors(0, small)
    try:
        times_small, queries_small = measure(client)
    except Exception as error:
        print(f"{label}: FAILED, the changelist does not render: {type(error).__name__}: {error}", flush=True)
        raise SystemExit(1) from None
    add_ambassadors(small, big)
    times_big, queries_big = measure(client)
    wipe_ambassadors()

    ratio = sum(times_big.values()) / sum(times_small.values())
    per_page = " ".join(f"{name}={times_big[name] / times_small[name]:.2f}" for name in PAGES)
    counts_small, counts_big = "/".join(map(str, queries_small.values())), "/".join(map(str, queries_big.values()))
    print(
        f"{label}: ratio={ratio:.2f} queries={max(queries_big.values())}"
        f" (queries per page/filter/search: {counts_small} at {size_label(small)}, {counts_big} at"
        f" {size_label(big)}; time ratio per page: {per_page};"
        f" t({size_label(small)})={sum(times_small.values()) * 1000:.0f} ms"
        f" t({size_label(big)})={sum(times_big.values()) * 1000:.0f} ms for the three;"
        f" ran {', '.join(f'{name} {url}' for name, url in PAGES.items())}, best of {REPEAT} each)",
        flush=True,
    )


def measure(client) -> tuple[dict[str, float], dict[str, int]]:
    """Best-of time and query count of each page (after one warm-up request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = {}, {}
    for name, url in PAGES.items():
        get(client, url)
        with CaptureQueriesContext(connection) as captured:
            get(client, url)
        queries[name] = len(captured)
        times[name] = best_of(REPEAT, lambda url=url: get(client, url))
    return times, queries


def get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")


def add_ambassadors(start: int, stop: int) -> None:
    """Ambassadors numbered start..stop-1, stored as the app stores them (E.164 phones, lowercase addresses)."""
    from network.models import Ambassador, Locality
    from network.normalize import normalize_phone

    from .common import FIRST_NAMES, LAST_NAMES

    rng = random.Random(start)
    locality_ids = list(Locality.objects.values_list("pk", flat=True))
    statuses = ["active"] * 7 + ["paused"] * 2 + ["alumni"]
    for batch_start in range(start, stop, BATCH):
        batch = []
        for index in range(batch_start, min(batch_start + BATCH, stop)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            national = rng.choice(("070", "072", "073", "076")) + f"{rng.randrange(10**7):07d}"
            batch.append(
                Ambassador(
                    first_name=first,
                    last_name=last,
                    email=f"bench.{index}@example.se",
                    phone=normalize_phone(phone_forms(national, rng)),
                    locality_id=rng.choice(locality_ids),
                    status=rng.choice(statuses),
                    member_since=date(2010, 1, 1) + timedelta(days=rng.randrange(5400)),
                    source=Ambassador.Source.IMPORT,
                )
            )
        Ambassador.objects.bulk_create(batch)
    analyze()
