"""The admin's search finds a person by any part of a name, without minding accents or capitals, and by any part of
an address (a domain too): the same answers on SQLite and PostgreSQL, at a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.sqlite import search_fold
from network.models import Ambassador
from tests.factories import AmbassadorFactory, ApplicationFactory, RecruitmentContactFactory

pytestmark = pytest.mark.django_db

AMBASSADORS = reverse("admin:network_ambassador_changelist")


@pytest.fixture
def people():
    for first, last, email in [
        ("Karin", "Bergström", "karin@kramfors.se"),
        ("Olle", "Åström", "olle@example.se"),
        ("Märta", "Öberg", "marta@gmail.com"),
        ("Zoë", "Berg", "zoe@kramfors.se"),
        ("Anna", "Lindqvist", None),
    ]:
        AmbassadorFactory(first_name=first, last_name=last, email=email, phone="" if email else "+46701906448")


def found(client, term: str) -> set[str]:
    response = client.get(AMBASSADORS, {"q": term})
    assert response.status_code == 200
    return {a.last_name for a in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ström", {"Bergström", "Åström"}),  # any part of a name
        ("STRÖM", {"Bergström", "Åström"}),
        ("strom", {"Bergström", "Åström"}),  # without the accent
        ("astrom", {"Åström"}),
        ("Åström", {"Åström"}),
        ("oberg", {"Öberg"}),
        ("berg", {"Bergström", "Öberg", "Berg"}),
        ("marta", {"Öberg"}),  # the first name, written without its accent
        ("zoe", {"Berg"}),
        ("karin bergström", {"Bergström"}),  # every word, each in any field
        ("olle berg", set()),
        ("@kramfors.se", {"Bergström", "Berg"}),  # an email domain
        ("kramfors", {"Bergström", "Berg"}),
        ("@GMAIL.com", {"Öberg"}),
        ("070-190 64 48", {"Lindqvist"}),  # a phone number in any form still finds its owner
        ("%", set()),  # LIKE's wildcards are matched as characters
        ("_", set()),
    ],
)
def test_the_search_finds_names_by_any_part_ignoring_accents_and_addresses_by_domain(
    coordinator_client, people, term, expected
):
    assert found(coordinator_client, term) == expected


def test_applications_and_recruitment_contacts_are_searched_the_same_way(coordinator_client):
    ApplicationFactory(first_name="Olle", last_name="Åström", email="olle@kramfors.se", status="approved")
    RecruitmentContactFactory(name="Märta Öberg", contact_details="marta@kramfors.se")
    response = coordinator_client.get("/admin/network/application/", {"q": "astrom"})
    assert [a.last_name for a in response.context["cl"].result_list] == ["Åström"]
    response = coordinator_client.get(reverse("admin:network_recruitmentcontact_changelist"), {"q": "oberg"})
    assert [c.name for c in response.context["cl"].result_list] == ["Märta Öberg"]


@pytest.mark.parametrize(
    ("value", "folded"),
    [("Åström", "astrom"), ("ÖDMARK", "odmark"), ("Zoë", "zoe"), ("Ødegård", "odegard"), ("Strauß", "strauss")],
)
def test_the_python_fold_is_lower_unaccent(value, folded):
    """The SQLite fallback (crm/sqlite.py) computes what PostgreSQL's lower(unaccent(…)) does."""
    assert search_fold(value) == folded


def test_the_database_folds_as_python_does(people):
    with connection.cursor() as cursor:
        for value in ["Åström", "ÖDMARK", "Zoë", "Ødegård", "Strauß", "Märta"]:
            cursor.execute("SELECT search_fold(%s)", [value])
            assert cursor.fetchone()[0] == search_fold(value), value


def _add(count: int, start: int) -> None:
    Ambassador.objects.bulk_create(
        Ambassador(first_name=f"Person{i}", last_name=f"Åström{i}", email=f"p{i}@kramfors.se", phone=f"+4670{i:07d}")
        for i in range(start, start + count)
    )


@pytest.mark.parametrize("term", ["ström", "astrom 5", "@kramfors.se"])
def test_a_search_runs_the_same_number_of_queries_at_10_and_1000_ambassadors(coordinator_client, term):
    _add(10, 0)
    coordinator_client.get(AMBASSADORS, {"q": term})  # warm up
    with CaptureQueriesContext(connection) as small:
        assert coordinator_client.get(AMBASSADORS, {"q": term}).status_code == 200
    _add(990, 10)
    with CaptureQueriesContext(connection) as large:
        response = coordinator_client.get(AMBASSADORS, {"q": term})
    assert len(large) == len(small) <= 12
    assert response.context["cl"].result_count >= 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes exist on PostgreSQL only")
def test_on_postgresql_a_search_by_any_part_uses_the_trigram_index(coordinator_client):
    _add(2000, 0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE network_ambassador")
        cursor.execute("SELECT provolatile FROM pg_proc WHERE proname = 'search_fold'")
        assert cursor.fetchone()[0] == "i"  # IMMUTABLE: usable in an index
    with CaptureQueriesContext(connection) as queries:
        coordinator_client.get(AMBASSADORS, {"q": "ström19"})
    search = next(q["sql"] for q in queries.captured_queries if "search_fold" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"EXPLAIN {search}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "ambassador_search_text_trgm" in plan, plan  # on the folded names and address (network/0017)
