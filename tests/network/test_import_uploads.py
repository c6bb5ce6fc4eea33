"""An uploaded member list waiting for confirmation is private and short-lived: 0600, deleted after use or a day."""

from __future__ import annotations

import os
import stat
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from network import tasks
from network.importing import upload_read, upload_store, uploads_sweep
from network.models import Ambassador

pytestmark = pytest.mark.django_db

IMPORT = "admin:network_ambassador_import"
GOOD = "Förnamn;Efternamn;E-post\nAnna;Ödmark;anna@example.se\n"
DAY = 24 * 3600


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


def preview(client, text: str = GOOD) -> str:
    response = client.post(reverse(IMPORT), {"file": SimpleUploadedFile("medlemmar.csv", text.encode())})
    assert response.status_code == 200 and "report" in response.context, response.content[:2000]
    return response.context["token"]


def age(path, seconds: float) -> None:
    """Make the file look `seconds` old."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_uploaded_file_is_readable_by_the_server_user_only(coordinator_client, uploads):
    old_umask = os.umask(0o022)  # the usual umask would make a plain write 0644
    try:
        token = preview(coordinator_client)
    finally:
        os.umask(old_umask)
    assert mode(uploads / token) == 0o600
    assert mode(uploads) == 0o700


@pytest.mark.parametrize("action", ["all", "cancel"])
def test_an_uploaded_file_is_deleted_once_the_coordinator_has_chosen(coordinator_client, uploads, action):
    token = preview(coordinator_client)
    coordinator_client.post(reverse(IMPORT), {"token": token, "action": action})
    assert list(uploads.iterdir()) == []


def test_an_uploaded_file_that_cannot_be_read_at_confirmation_is_deleted_too(coordinator_client, uploads):
    token = preview(coordinator_client)
    (uploads / token).write_bytes(b"Namn;Adress\nA;B\n")  # e.g. a file changed on disk meanwhile
    response = coordinator_client.post(reverse(IMPORT), {"token": token, "action": "all"})
    assert response.status_code == 302
    assert list(uploads.iterdir()) == []
    assert Ambassador.objects.count() == 0


def test_a_preview_older_than_a_day_cannot_be_confirmed_and_is_deleted(coordinator_client, uploads):
    token = preview(coordinator_client)
    age(uploads / token, DAY + 60)
    response = coordinator_client.post(reverse(IMPORT), {"token": token, "action": "all"}, follow=True)
    assert Ambassador.objects.count() == 0
    assert "Den uppladdade filen har gått ut" in response.content.decode()
    assert not (uploads / token).exists()


def test_uploading_deletes_the_previews_nobody_confirmed_within_a_day(coordinator_client, uploads):
    stale, fresh = preview(coordinator_client), preview(coordinator_client)
    age(uploads / stale, DAY + 60)
    age(uploads / fresh, DAY - 3600)
    newest = preview(coordinator_client)
    assert sorted(path.name for path in uploads.iterdir()) == sorted([fresh, newest])


def test_the_sweep_deletes_only_files_older_than_a_day(uploads):
    stale, fresh = upload_store(b"gammal"), upload_store(b"ny")
    age(uploads / stale, DAY + 1)
    assert uploads_sweep() == 1
    assert [path.name for path in uploads.iterdir()] == [fresh]
    assert upload_read(fresh) == b"ny" and upload_read(stale) is None


def test_the_sweep_runs_from_celery_beat(uploads):
    stale = upload_store(b"gammal")
    age(uploads / stale, DAY + 1)
    assert tasks.sweep_import_uploads.apply().get() == 1
    assert not (uploads / stale).exists()
    schedule = {entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["network.tasks.sweep_import_uploads"] <= 3600


def test_the_sweep_does_nothing_before_anything_was_uploaded(uploads):
    assert uploads_sweep() == 0
    assert not uploads.exists()


@pytest.mark.parametrize("token", ["", "nope", "../imports/x", "a" * 200, "åäö" * 8])
def test_a_malformed_token_reads_nothing(token):
    assert upload_read(token) is None
