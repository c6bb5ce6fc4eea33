"""The ambassador list at any size of the register (issue 22): search in one folded column the database keeps,
counts that do not read the whole register on every page view (exact up to a limit, PostgreSQL's estimate beyond,
shown as "cirka"), last pages that are the real last pages, and the same number of queries at any size."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.admin_paging import EstimatingPaginator
from network.models import Ambassador

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the estimate is PostgreSQL's")

AMBASSADORS = reverse("admin:network_ambassador_changelist")


def _add(count: int, start: int = 0, **fields) -> None:
    Ambassador.objects.bulk_create(
        Ambassador(first_name=f"Person{i}", last_name=f"Näslund{i:05d}", email=f"p{i}@kramfors.se", **fields)
        for i in range(start, start + count)
    )


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE network_ambassador")


@pytest.fixture
def exact_up_to(monkeypatch):
    """The paginator's limit of exact counting (10,000), lowered for a list of a test's size."""
    return lambda limit: monkeypatch.setattr(EstimatingPaginator, "exact_up_to", limit)


def _list(client, **params):
    response = client.get(AMBASSADORS, params)
    assert response.status_code == 200
    return response.context["cl"], " ".join(response.content.decode().split())


def _found(client, term: str) -> set[str]:
    return {a.last_name for a in _list(client, q=term)[0].result_list}


def test_the_search_column_is_kept_by_the_database(coordinator_client):
    """The search: "ström" finds Bergström, "astrom" and "åström" find Åström, and a name changed without save()
    (an UPDATE, as bulk status changes and imports make) is found by its new name at once."""
    Ambassador.objects.create(first_name="Karin", last_name="Bergström", email="karin@kramfors.se")
    olle = Ambassador.objects.create(first_name="Olle", last_name="Åström", email="olle@example.se")
    assert _found(coordinator_client, "ström") == {"Bergström", "Åström"}
    assert _found(coordinator_client, "astrom") == {"Åström"}
    assert _found(coordinator_client, "åström") == {"Åström"}
    assert _found(coordinator_client, "ÅSTRÖM") == {"Åström"}
    Ambassador.objects.filter(pk=olle.pk).update(last_name="Öberg", email="olle@kramfors.se")
    assert _found(coordinator_client, "astrom") == set()
    assert _found(coordinator_client, "oberg") == {"Öberg"}
    assert _found(coordinator_client, "@kramfors.se") == {"Bergström", "Öberg"}
    assert Ambassador.objects.get(pk=olle.pk).search_text == "olle oberg olle@kramfors.se"


def test_up_to_the_limit_the_list_is_counted_exactly(coordinator_client, exact_up_to):
    exact_up_to(100)
    _add(60)
    cl, page = _list(coordinator_client)
    assert (cl.result_count, cl.paginator.estimated, cl.about_count) == (60, False, "")
    assert "60 ambassadörer" in page
    assert "cirka" not in page


@on_postgresql
def test_over_the_limit_the_list_shows_postgresqls_estimate_without_counting_every_row(coordinator_client, exact_up_to):
    exact_up_to(20)
    _add(90, status=Ambassador.Status.ACTIVE)
    _add(30, start=90, status=Ambassador.Status.PAUSED)
    _analyze()
    with CaptureQueriesContext(connection) as queries:
        cl, page = _list(coordinator_client)
    assert cl.paginator.estimated
    assert cl.result_count == 120  # the planner's figure: the table's statistics, all rows sampled at this size
    assert "cirka 120 ambassadörer" in page
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 21" in counts[0], counts  # reads at most 21 rows, whatever the size
    assert len(cl.result_list) == 50

    cl, page = _list(coordinator_client, status__exact="active")
    assert (cl.paginator.estimated, cl.result_count) == (True, 90)  # a filter's estimate, from the statistics
    assert "cirka 90 ambassadörer" in page

    cl, page = _list(coordinator_client, q="näslund0011")  # 10 rows: under the limit, exact
    assert (cl.paginator.estimated, cl.result_count) == (False, 10)
    assert "10 resultat" in page


@on_postgresql
def test_the_last_page_is_the_real_last_page_when_the_estimate_was_too_high(coordinator_client, exact_up_to):
    exact_up_to(20)
    _add(120)
    _analyze()
    Ambassador.objects.filter(pk__in=Ambassador.objects.order_by("-last_name").values("pk")[:40]).delete()
    cl, page = _list(coordinator_client)
    assert (cl.paginator.estimated, cl.paginator.num_pages) == (True, 3)  # still 120 by the statistics
    assert 'href="?p=3"' in page

    cl, page = _list(coordinator_client, p=3)  # past the real end: the real last page
    assert (cl.page_num, cl.result_count, cl.paginator.estimated) == (2, 80, False)
    assert [a.last_name for a in cl.result_list] == [f"Näslund{i:05d}" for i in range(50, 80)]
    assert "80 ambassadörer" in page
    assert not re.search(r'href="\?p=3"', page)

    cl, _page = _list(coordinator_client, p=2)  # a short page: the end, counted exactly
    assert (cl.page_num, cl.result_count, len(cl.result_list)) == (2, 80, 30)

    cl, _page = _list(coordinator_client, p=99)
    assert (cl.page_num, len(cl.result_list)) == (2, 30)


def test_on_any_database_the_last_page_shows_the_last_people(coordinator_client):
    _add(120)
    cl, page = _list(coordinator_client, p=3)
    assert (cl.page_num, cl.result_count) == (3, 120)
    assert [a.last_name for a in cl.result_list] == [f"Näslund{i:05d}" for i in range(100, 120)]


@pytest.mark.parametrize("params", [{}, {"status__exact": "active"}, {"q": "person"}, {"q": "näslund"}])
def test_the_list_runs_as_many_queries_at_5_as_at_50_ambassadors(coordinator_client, exact_up_to, params):
    """On PostgreSQL 5 rows are counted exactly and 50 estimated (limit 20): in the same one query."""
    exact_up_to(20)
    _add(5, status=Ambassador.Status.ACTIVE)
    _list(coordinator_client, **params)  # warm up (the session, the content types)
    with CaptureQueriesContext(connection) as small:
        cl, _page = _list(coordinator_client, **params)
    assert cl.result_count == 5
    _add(45, start=5, status=Ambassador.Status.ACTIVE)
    if connection.vendor == "postgresql":
        _analyze()
    with CaptureQueriesContext(connection) as large:
        cl, _page = _list(coordinator_client, **params)
    if connection.vendor == "postgresql":  # the estimate, at least what the count saw (a search's is rough)
        assert cl.paginator.estimated and cl.result_count > 20
    else:
        assert cl.result_count == 50
    assert len(large) == len(small)


@on_postgresql
def test_a_page_of_a_filtered_or_searched_list_is_read_in_name_order_from_the_index(coordinator_client):
    """The name index ends with id, the list's last sort key: the page is read in order and stops after 50 rows,
    with no sort of every matching row."""
    _add(3000, status=Ambassador.Status.ACTIVE)
    _analyze()
    for params in [{}, {"status__exact": "active"}, {"q": "person"}]:
        with CaptureQueriesContext(connection) as queries:
            _list(coordinator_client, **params)
        page_query = next(q["sql"] for q in queries.captured_queries if "LIMIT 50" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {page_query}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "network_amb_last_na_c15a43_idx" in plan, plan
        assert "Sort" not in plan, plan


@on_postgresql
def test_the_estimate_function_plans_a_select_and_runs_nothing_else():
    with connection.cursor() as cursor:
        cursor.execute("SELECT planner_row_estimate('SELECT 1')")
        assert cursor.fetchone()[0] == 1
    with pytest.raises(DatabaseError, match="SELECT only"), connection.cursor() as cursor:
        cursor.execute("SELECT planner_row_estimate('ANALYZE DELETE FROM network_ambassador')")
