"""The coordinator's admin for ambassadors: list, search, filters, bulk status, and the Import page."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from network.models import Ambassador, Interest, Locality
from tests.factories import AmbassadorFactory, InterestFactory, LocalityFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:network_ambassador_changelist"
IMPORT = "admin:network_ambassador_import"


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


def listed(client, **params) -> list[Ambassador]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def names(ambassadors) -> set[str]:
    return {a.first_name for a in ambassadors}


# The list -----------------------------------------------------------------------------------------------------


@pytest.fixture
def people():
    kramfors, nyland = LocalityFactory(name="Kramfors"), LocalityFactory(name="Nyland")
    kultur, turism = InterestFactory(name="Kultur"), InterestFactory(name="Turism")
    anna = AmbassadorFactory(
        first_name="Anna",
        last_name="Ödmark",
        email="anna@example.se",
        phone="+46701906448",
        locality=kramfors,
        member_since=dt.date(2020, 5, 1),
    )
    bo = AmbassadorFactory(
        first_name="Bo",
        last_name="Åström",
        email=None,
        phone="+46612123456",
        locality=nyland,
        status=Ambassador.Status.PAUSED,
        member_since=dt.date(2015, 1, 1),
    )
    cia = AmbassadorFactory(
        first_name="Cia", last_name="Berg", email="cia@example.se", phone="", status=Ambassador.Status.ALUMNI
    )
    anna.interests.set([kultur])
    bo.interests.set([kultur, turism])
    return {"anna": anna, "bo": bo, "cia": cia, "kramfors": kramfors, "kultur": kultur, "turism": turism}


def test_the_list_shows_every_ambassador_with_a_readable_phone(coordinator_client, people):
    response = coordinator_client.get(reverse(CHANGELIST))
    assert names(response.context["cl"].result_list) == {"Anna", "Bo", "Cia"}
    assert "070-190 64 48" in response.content.decode()


@pytest.mark.parametrize("term", ["Anna", "anna", "Ödmark", "anna@example", "ANNA@EXAMPLE.SE"])
def test_searching_by_name_or_email_finds_the_person(coordinator_client, people, term):
    assert names(listed(coordinator_client, q=term)) == {"Anna"}


@pytest.mark.parametrize("term", ["ödmark", "ÖDMARK"])
def test_searching_a_swedish_name_ignores_the_case_of_å_ä_ö(coordinator_client, people, term):
    assert names(listed(coordinator_client, q=term)) == {"Anna"}


@pytest.mark.parametrize("term", ["070-190 64 48", "0701906448", "+46 70 190 64 48", "+46701906448", "0046701906448"])
def test_searching_a_phone_number_in_any_format_finds_the_person(coordinator_client, people, term):
    assert names(listed(coordinator_client, q=term)) == {"Anna"}


def test_searching_a_landline_number_as_swedes_write_it_finds_the_person(coordinator_client, people):
    assert names(listed(coordinator_client, q="0612-12 34 56")) == {"Bo"}


def test_searching_something_that_matches_nobody_shows_nobody(coordinator_client, people):
    assert listed(coordinator_client, q="Zlatan") == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "paused"}, {"Bo"}),
        ({"status__exact": "alumni"}, {"Cia"}),
        ({"has_email": "yes"}, {"Anna", "Cia"}),
        ({"has_email": "no"}, {"Bo"}),
        ({"member_since__gte": "2020-01-01", "member_since__lt": "2021-01-01"}, {"Anna"}),
        ({"member_since__isnull": "True"}, {"Cia"}),
    ],
)
def test_the_list_filters_by_status_member_since_and_having_an_email(coordinator_client, people, params, expected):
    assert names(listed(coordinator_client, **params)) == expected


def test_the_list_filters_by_locality(coordinator_client, people):
    assert names(listed(coordinator_client, locality__id__exact=people["kramfors"].pk)) == {"Anna"}


def test_the_list_filters_by_interest(coordinator_client, people):
    assert names(listed(coordinator_client, interests__id__exact=people["kultur"].pk)) == {"Anna", "Bo"}
    assert names(listed(coordinator_client, interests__id__exact=people["turism"].pk)) == {"Bo"}


@pytest.mark.parametrize(("action", "status"), [("make_paused", "paused"), ("make_alumni", "alumni")])
def test_a_bulk_action_changes_the_status_of_the_selected_ambassadors_only(coordinator_client, people, action, status):
    selected = [people["anna"].pk, people["cia"].pk]
    response = coordinator_client.post(reverse(CHANGELIST), {"action": action, "_selected_action": selected})
    assert response.status_code == 302
    assert set(Ambassador.objects.filter(pk__in=selected).values_list("status", flat=True)) == {status}
    people["bo"].refresh_from_db()
    assert people["bo"].status == Ambassador.Status.PAUSED


def test_marking_ambassadors_active_again(coordinator_client, people):
    coordinator_client.post(reverse(CHANGELIST), {"action": "make_active", "_selected_action": [people["bo"].pk]})
    people["bo"].refresh_from_db()
    assert people["bo"].status == Ambassador.Status.ACTIVE


def test_a_name_with_markup_is_shown_escaped(coordinator_client):
    AmbassadorFactory(first_name="<script>alert(1)</script>", last_name="<b>fet</b>")
    content = coordinator_client.get(reverse(CHANGELIST)).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "<b>fet</b>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def _add_ambassadors(count: int, start: int) -> None:
    localities = [LocalityFactory(name=f"Ort {n}") for n in range(5)]
    interest = InterestFactory(name="Kultur")
    created = Ambassador.objects.bulk_create(
        Ambassador(
            first_name=f"Person{i}",
            last_name="Test",
            email=f"p{i}@example.se",
            phone=f"+4670{i:07d}",
            locality=localities[i % len(localities)],
            member_since=dt.date(2010 + i % 15, 1, 1),
            status=("active", "paused", "alumni")[i % 3],
        )
        for i in range(start, start + count)
    )
    through = Ambassador.interests.through
    through.objects.bulk_create(through(ambassador_id=a.pk, interest_id=interest.pk) for a in created)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status__exact": "active"},
        {"q": "Person"},
        {"q": "070-000 00 05"},
        {"interests__name": "Kultur", "has_email": "yes"},
    ],
    ids=["plain", "filter", "search", "phone-search", "interest-and-email"],
)
def test_the_list_runs_the_same_number_of_queries_at_10_and_1000_ambassadors(coordinator_client, params):
    _add_ambassadors(10, 0)
    if "interests__name" in params:
        params = {"interests__id__exact": str(Interest.objects.get(name="Kultur").pk), "has_email": "yes"}
    url = reverse(CHANGELIST)
    coordinator_client.get(url, params)  # warm up sessions, content types and permission caches
    with CaptureQueriesContext(connection) as small:
        assert coordinator_client.get(url, params).status_code == 200
    _add_ambassadors(990, 10)
    with CaptureQueriesContext(connection) as large:
        response = coordinator_client.get(url, params)
        assert response.status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    assert len(large) <= 12, len(large)
    assert response.context["cl"].result_count >= 1


# The Import page ----------------------------------------------------------------------------------------------

GOOD = "Förnamn;Efternamn;E-post;Mobil;Ort;Intressen\nAnna;Ödmark;anna@example.se;070-190 64 48;Kramfors;Kultur\n"
MIXED = (
    "Förnamn;E-post;Mobil;Medlem sedan;Kommentar\n"
    "Anna;anna@example.se;;2020-01-01;\n"  # row 2
    "Ingen;;;;\n"  # row 3: neither address nor phone
    'Cia;cia@;;;"två\nrader"\n'  # row 4: malformed address
    "Dan;dan@example.se;;2023-02-30;\n"  # row 5: impossible date
    "Eva;;0701906448;2019;\n"  # row 6
)


def upload(client, text: str, name: str = "medlemmar.csv", encoding: str = "utf-8"):
    return client.post(reverse(IMPORT), {"file": SimpleUploadedFile(name, text.encode(encoding), "text/csv")})


def test_the_import_page_shows_an_upload_form(coordinator_client):
    response = coordinator_client.get(reverse(IMPORT))
    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()
    assert "Förnamn" in response.content.decode()


def test_uploading_a_file_shows_a_preview_and_writes_nothing(coordinator_client, uploads_in_tmp):
    before = (Ambassador.objects.count(), Locality.objects.count(), Interest.objects.count())
    response = upload(coordinator_client, GOOD.replace("Kramfors", "Ny ort"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.counts["created"] == 1 and report.new_localities == ["Ny ort"]
    assert (Ambassador.objects.count(), Locality.objects.count(), Interest.objects.count()) == before
    assert "Ny ort" in response.content.decode()
    assert (uploads_in_tmp / response.context["token"]).exists()


def test_the_preview_lists_the_rejected_rows_with_their_row_numbers_and_columns(coordinator_client):
    response = upload(coordinator_client, MIXED, encoding="cp1252")
    report = response.context["report"]
    assert [(e.row, e.column) for e in report.rejected] == [(3, ""), (4, "E-post"), (5, "Medlem sedan")]
    content = response.content.decode()
    for row in (3, 4, 5):
        assert f"<td>{row}</td>" in content
    assert 'value="valid"' in content and 'value="cancel"' in content
    assert Ambassador.objects.count() == 0


def test_confirming_with_only_the_valid_rows_imports_them(coordinator_client, uploads_in_tmp):
    token = upload(coordinator_client, MIXED).context["token"]
    response = coordinator_client.post(reverse(IMPORT), {"token": token, "action": "valid"})
    assert response.status_code == 302 and response["Location"] == reverse(CHANGELIST)
    assert set(Ambassador.objects.values_list("first_name", flat=True)) == {"Anna", "Eva"}
    assert set(Ambassador.objects.values_list("source", flat=True)) == {"import"}
    assert not (uploads_in_tmp / token).exists()
    assert mail.outbox == []


def test_choosing_import_nothing_imports_nothing(coordinator_client, uploads_in_tmp):
    token = upload(coordinator_client, MIXED).context["token"]
    response = coordinator_client.post(reverse(IMPORT), {"token": token, "action": "cancel"})
    assert response.status_code == 302
    assert Ambassador.objects.count() == 0
    assert not (uploads_in_tmp / token).exists()


def test_importing_everything_from_a_file_with_rejected_rows_imports_nothing(coordinator_client):
    token = upload(coordinator_client, MIXED).context["token"]
    response = coordinator_client.post(reverse(IMPORT), {"token": token, "action": "all"})
    assert response.status_code == 302 and response["Location"] == reverse(IMPORT)
    assert Ambassador.objects.count() == 0


def test_confirming_a_clean_file_imports_it(coordinator_client):
    token = upload(coordinator_client, GOOD).context["token"]
    coordinator_client.post(reverse(IMPORT), {"token": token, "action": "all"})
    anna = Ambassador.objects.get()
    assert (anna.email, anna.phone, anna.locality.name) == ("anna@example.se", "+46701906448", "Kramfors")
    assert list(anna.interests.values_list("name", flat=True)) == ["Kultur"]


def test_an_xlsx_upload_is_previewed_too(coordinator_client):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Förnamn", "E-post", "Mobil"])
    workbook.active.append(["Anna", "anna@example.se", 701906448])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload_file = SimpleUploadedFile("medlemmar.xlsx", buffer.getvalue())
    response = coordinator_client.post(reverse(IMPORT), {"file": upload_file})
    assert response.context["report"].counts["created"] == 1


def test_an_unreadable_file_is_refused_on_the_form_without_a_preview(coordinator_client):
    response = upload(coordinator_client, "Namn;Adress\nA;B\n")
    assert response.status_code == 200
    assert "report" not in response.context
    assert response.context["form"].errors["file"]


def test_an_unknown_or_tampered_token_imports_nothing(coordinator_client, uploads_in_tmp):
    (uploads_in_tmp.parent / "secret").write_bytes(GOOD.encode())
    for token in ("nope", "../secret"):
        response = coordinator_client.post(reverse(IMPORT), {"token": token, "action": "all"})
        assert response.status_code == 302 and response["Location"] == reverse(IMPORT)
    assert Ambassador.objects.count() == 0


# Who may import -----------------------------------------------------------------------------------------------


@pytest.fixture
def clerk_client(client, django_user_model):
    """Staff who may see and change ambassadors but not import them."""
    user = django_user_model.objects.create_user("handlaggare", password="pw-for-tests", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="network").exclude(codename="import_ambassador")
    )
    client.force_login(user)
    return client


def test_staff_without_the_import_permission_get_403_on_the_import_page(clerk_client):
    assert clerk_client.get(reverse(IMPORT)).status_code == 403
    response = clerk_client.post(reverse(IMPORT), {"file": SimpleUploadedFile("m.csv", GOOD.encode())})
    assert response.status_code == 403
    assert Ambassador.objects.count() == 0


def test_staff_without_the_import_permission_cannot_confirm_an_upload(clerk_client, uploads_in_tmp):
    uploads_in_tmp.mkdir(parents=True, exist_ok=True)
    (uploads_in_tmp / "abc123").write_bytes(GOOD.encode())
    response = clerk_client.post(reverse(IMPORT), {"token": "abc123", "action": "all"})
    assert response.status_code == 403
    assert Ambassador.objects.count() == 0


def test_staff_without_the_import_permission_see_no_import_link(clerk_client):
    content = clerk_client.get(reverse(CHANGELIST)).content.decode()
    assert reverse(IMPORT) not in content


def test_a_coordinator_sees_the_import_link(coordinator_client):
    assert reverse(IMPORT) in coordinator_client.get(reverse(CHANGELIST)).content.decode()


def test_someone_not_logged_in_is_sent_to_the_login_page(client):
    response = client.get(reverse(IMPORT))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_uploaded_file_is_kept_under_var_only(coordinator_client, uploads_in_tmp):
    token = upload(coordinator_client, GOOD).context["token"]
    assert Path(uploads_in_tmp / token).read_bytes() == GOOD.encode()
