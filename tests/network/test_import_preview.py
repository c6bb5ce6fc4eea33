"""The import preview names the people (issue 9): who is new, updated, unchanged, and which rows were merged as
the same person; it counts rejected rows, not problems; and a merged row's note never replaces the first one."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from network.models import Ambassador
from network.resources import AmbassadorResource
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db

IMPORT = "admin:network_ambassador_import"
HEADER = "Förnamn;Efternamn;E-post;Mobil;Medlem sedan;Kommentar\n"
FILE = (
    HEADER
    + "Anna;Ödmark;anna@example.se;;2020;Kör bil\n"  # row 2: new
    + "Bo;Berg;bo@example.se;;;\n"  # row 3: on file already, unchanged
    + "Cia;Ek;cia@example.se;;;Ny kommentar\n"  # row 4: on file, updated
    + "Anna;Ödmark;ANNA@example.se;070-190 64 48;;Talar finska\n"  # row 5: Anna again
    + "Dan;;dan@;;2023-02-30;\n"  # row 6: two problems in one row
    + ";;;;;\n"  # empty: skipped
    + "Eva;;;;;\n"  # row 8: neither address nor phone
)


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def on_file():
    AmbassadorFactory(first_name="Bo", last_name="Berg", email="bo@example.se", phone="")
    AmbassadorFactory(first_name="Cia", last_name="Ek", email="cia@example.se", phone="", notes="")


def preview(client):
    client.cookies["django_language"] = "sv"
    upload = SimpleUploadedFile("medlemmar.csv", FILE.encode(), "text/csv")
    response = client.post(reverse(IMPORT), {"file": upload})
    assert response.status_code == 200
    return response


def test_the_preview_names_who_is_new_updated_and_unchanged_with_their_rows(coordinator_client, on_file):
    html = preview(coordinator_client).content.decode()
    new, updated, unchanged = (
        html.split(f'id="{part}"')[1].split("</li>\n")[0] for part in ("created", "updated", "unchanged")
    )
    assert "Anna Ödmark" in new and "rader 2, 5" in new
    assert "Cia Ek" in updated and "rad 4" in updated
    assert "Bo Berg" in unchanged and "rad 3" in unchanged
    assert "Anna" not in updated + unchanged


def test_the_preview_lists_the_merged_duplicates_with_the_rows_merged(coordinator_client, on_file):
    response = preview(coordinator_client)
    assert [(p.first_name, p.rows) for p in response.context["report"].merged] == [("Anna", [2, 5])]
    merged = response.content.decode().split('id="merged"')[1].split("</li>\n")[0]
    assert "1 person finns på flera rader" in merged
    assert "Anna Ödmark" in merged and "rader 2, 5" in merged


def test_the_preview_counts_rejected_rows_not_problems(coordinator_client, on_file):
    response = preview(coordinator_client)
    report = response.context["report"]
    assert len(report.rejected) == 3  # row 6 has two problems, row 8 one
    assert report.rejected_rows == [6, 8] and report.counts["rejected"] == 2
    assert "2 avvisade rader" in response.content.decode()


def test_a_merged_rows_note_is_added_to_the_first_not_put_in_its_place(on_file):
    report = AmbassadorResource().import_file(FILE.encode(), skip_invalid=True)
    assert report.applied
    anna = Ambassador.objects.get(email="anna@example.se")
    assert anna.notes == "Kör bil\nTalar finska"
    assert anna.phone == "+46701906448"  # other values of the later row are taken as before


def test_the_same_note_on_two_rows_of_one_person_is_kept_once():
    data = HEADER + "Anna;Ödmark;anna@example.se;;;Kör bil\nAnna;Ödmark;anna@example.se;;;Kör bil\n"
    AmbassadorResource().import_file(data.encode())
    assert Ambassador.objects.get().notes == "Kör bil"
