"""/healthz, `manage.py health` and the admin's banner see the whole system: the database, the broker, and the
Celery worker's and beat's heartbeats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from crm.health import STALE_AFTER
from crm.models import Heartbeat
from tests.factories import HeartbeatFactory

pytestmark = pytest.mark.django_db


def seen(ago: timedelta = timedelta(0), **others: timedelta) -> None:
    now = timezone.now()
    for name, when in {"worker": ago, "beat": ago, **others}.items():
        Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now - when})


def test_healthz_is_ok_when_the_worker_and_beat_were_seen_lately_and_the_broker_answers(client):
    seen(timedelta(seconds=40))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_names_a_worker_not_seen_for_a_few_minutes_and_when_it_was(client):
    seen(beat=timedelta(seconds=10), worker=STALE_AFTER + timedelta(seconds=1))
    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 503
    problems = response.json()["problems"]
    assert list(problems) == ["worker"]
    assert problems["worker"].startswith("the Celery worker, which sends email, has not been seen since ")


def test_healthz_says_when_beat_has_never_been_seen(client):
    HeartbeatFactory(name="worker")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == {"beat": "Celery beat, the scheduler, has never been seen"}


def test_healthz_answers_503_when_the_broker_cannot_be_reached(client, broker_down):
    seen()
    with broker_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == {"broker": "the message queue (Redis) cannot be reached"}


def test_the_health_command_checks_one_part_or_all(capsys):
    seen(worker=STALE_AFTER * 2, beat=timedelta(0))
    call_command("health", "--only", "beat")
    assert capsys.readouterr().out.strip() == "ok"
    with pytest.raises(CommandError, match="the Celery worker, which sends email, has not been seen since"):
        call_command("health")
    with pytest.raises(CommandError, match="worker"):
        call_command("health", "--only", "worker")


def test_staff_see_in_swedish_in_the_admin_that_email_is_not_going_out(coordinator_client):
    seen(worker=STALE_AFTER + timedelta(minutes=1), beat=timedelta(0))
    page = coordinator_client.get(reverse("admin:index")).content.decode()
    assert 'id="email-outage"' in page
    assert "E-post skickas inte just nu: Celery-arbetaren, som skickar e-posten, har inte hörts av sedan" in page


def test_no_banner_while_all_is_well_nor_outside_the_admin(coordinator_client, client):
    seen()
    assert "email-outage" not in coordinator_client.get(reverse("admin:index")).content.decode()
    Heartbeat.objects.all().delete()
    assert "email-outage" not in client.get(reverse("signup")).content.decode()
    assert "email-outage" not in client.get(reverse("admin:login")).content.decode()
