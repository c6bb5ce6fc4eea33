"""On PostgreSQL, the dashboard's counts of ambassadors and applications are answered from an index alone (an index-only
scan reads no table rows: issue 22, network/migrations/0016_dashboard_indexes.py), so they stay cheap at 100,000
ambassadors. The planner is kept off the table (no sequential or bitmap scan) to ask whether an index can answer at
all: a count of a column no index holds, or a condition no partial index matches, would need the table."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from network.models import Ambassador, Application
from network.selectors import (
    ambassador_numbers,
    ambassadors_joined_before,
    ambassadors_joined_by_month,
    recruitment_funnel,
)
from tests.factories import LocalityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="index-only scans are PostgreSQL's plans"),
]


@pytest.fixture
def network():
    locality = LocalityFactory(name="Nordby")
    today = date.today()
    Ambassador.objects.bulk_create(
        Ambassador(
            first_name="A",
            email=f"a{i}@example.se",
            status=["active", "paused", "alumni"][i % 3],
            locality=locality if i % 4 else None,
            member_since=None if i % 10 == 0 else today - timedelta(days=i * 9),
        )
        for i in range(300)
    )
    Application.objects.bulk_create(
        Application(first_name="B", last_name="C", email=f"b{i}@example.se", status="approved") for i in range(50)
    )
    return today


def plans(call) -> list[str]:
    """The plan of each query `call` makes, with the table scans switched off."""
    with CaptureQueriesContext(connection) as captured:
        call()
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for query in captured:
            cursor.execute(f"EXPLAIN {query['sql']}")
            found.append("\n".join(row[0] for row in cursor.fetchall()))
    return found


def test_the_headline_numbers_read_indexes_only(network):
    found = plans(lambda: ambassador_numbers(today=network))
    assert len(found) == 4
    assert "Index Only Scan using ambassador_active_locality" in found[0]  # active, by locality
    for plan in found:
        assert "Index Only Scan" in plan and "Seq Scan" not in plan, plan


def test_the_growth_chart_and_the_funnel_read_indexes_only(network):
    since = network.replace(month=1, day=1)
    now = timezone.now()
    found = plans(
        lambda: (
            ambassadors_joined_by_month(since=since, until=network),
            ambassadors_joined_before(since, known=250),
            recruitment_funnel(since=now - timedelta(days=30), until=now),
        )
    )
    assert len(found) == 4  # the month rows, those from `since`, the applications, the contacts
    for plan in found[:2]:
        assert "Index Only Scan using network_amb_member__a08893_idx" in plan, plan
    assert "Index Only Scan using application_funnel" in found[2], found[2]


def test_the_counts_are_the_counts(network):
    numbers = ambassador_numbers(today=network)
    people = list(Ambassador.objects.all())
    assert numbers["total"] == 300
    assert numbers["active"] == sum(p.status == "active" for p in people) == sum(numbers["by_locality"].values())
    assert numbers["active_without_locality"] == sum(p.status == "active" and p.locality_id is None for p in people)
    assert numbers["since_unknown"] == sum(p.member_since is None for p in people)
    since = network - timedelta(days=400)
    known = numbers["total"] - numbers["since_unknown"]
    expected = sum(p.member_since is not None and p.member_since < since for p in people)
    assert ambassadors_joined_before(since, known=known) == ambassadors_joined_before(since) == expected
