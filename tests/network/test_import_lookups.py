"""How the import finds the people already on file (issue 22): what a second import matches, lookups of more values
than one query takes, and on PostgreSQL that every lookup probes an index instead of scanning the whole table."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network.importing import matching
from network.importing.parsing import Person
from network.models import Ambassador
from network.resources import AmbassadorResource

pytestmark = pytest.mark.django_db

HEADER = "Förnamn;Efternamn;E-post;Mobil;Ort;Intressen;Ambassadör sedan"


def import_rows(*rows: str):
    return AmbassadorResource().import_file("\r\n".join([HEADER, *rows]).encode())


def test_a_second_import_with_other_case_and_phone_forms_matches_the_same_people():
    import_rows("Anna;Ödmark;anna.odmark@example.se;070-190 64 48;;;", "Bo;Åström;;0701112233;;;")
    report = import_rows("Anna;Ödmark;ANNA.Odmark@Example.SE ;+46 70 190 64 48;;;", "BO;ÅSTRÖM;;+46701112233;;;")
    assert report.counts["created"] == 0
    assert Ambassador.objects.count() == 2
    assert Ambassador.objects.get(phone="+46701112233").first_name == "BO"  # matched by phone and name, updated


def test_more_people_than_one_lookup_takes_are_all_matched(monkeypatch):
    monkeypatch.setattr(matching, "LOOKUP", 3)
    Ambassador.objects.bulk_create(
        [Ambassador(first_name="Anna", last_name=f"Berg{i}", email=f"anna{i}@example.se") for i in range(7)]
        + [Ambassador(first_name="Bo", last_name=f"Dal{i}", phone=f"+4670111220{i}") for i in range(7)]
    )
    rows = [f"Anna;Berg{i};anna{i}@example.se;;;;" for i in range(7)]
    rows += [f"Bo;Dal{i};;070-111 220 {i};;;" for i in range(4)]
    rows += [f"Bo;Dal{i};bo{i}@example.se;070-111 220 {i};;;" for i in range(4, 7)]  # an address for the phone-only
    report = import_rows(*rows)
    assert report.counts == {"created": 0, "updated": 3, "unchanged": 11, "rejected": 0}
    assert Ambassador.objects.count() == 14
    assert Ambassador.objects.get(last_name="Dal5").email == "bo5@example.se"


def test_someone_with_an_address_takes_the_one_on_file_without_an_address_not_one_with_another():
    Ambassador.objects.create(first_name="Lars", last_name="Berg", email="lars@example.se", phone="+46612123456")
    phone_only = Ambassador.objects.create(first_name="Lars", last_name="Berg", phone="+46612123456")
    report = import_rows("Lars;Berg;lars.berg@example.se;0612-12 34 56;;;")
    assert report.counts["updated"] == 1
    phone_only.refresh_from_db()
    assert phone_only.email == "lars.berg@example.se"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the query plans of PostgreSQL")
def test_every_lookup_probes_an_index_instead_of_scanning_everyone_on_file():
    """`email IN (...)` with thousands of values is planned as a scan of the whole table, so each block of the file
    cost more the more people are on file; the lookups now probe the index once per value."""
    Ambassador.objects.bulk_create(
        [Ambassador(first_name="Anna", last_name="Berg", email=f"anna{i}@example.se") for i in range(3000)]
        + [Ambassador(first_name="Bo", last_name="Dal", phone=f"+4670{i:07d}") for i in range(3000)]
    )
    people = [Person(rows=[i], first_name="Anna", last_name="Berg", email=f"anna{i}@example.se") for i in range(1500)]
    people += [Person(rows=[i], first_name="Cia", last_name="Ek", email=f"cia{i}@example.se", phone=f"+4673{i:07d}")
               for i in range(1500)]  # fmt: skip
    people += [Person(rows=[i], first_name="Bo", last_name="Dal", phone=f"+4670{i:07d}") for i in range(1500)]
    with CaptureQueriesContext(connection) as queries:
        matches = matching.ambassadors_matching(people, taken=set())
    assert len(matches) == 3000
    lookups = [q["sql"] for q in queries.captured_queries if "network_ambassador" in q["sql"]]
    with connection.cursor() as cursor:
        for sql in lookups:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on network_ambassador" not in plan, plan
            assert "Index" in plan, plan
    assert len(lookups) == 4  # by address, whether anyone is on file without one, by phone without address, by phone
