"""The whole signup journey with a real Celery worker process and a real SMTP server."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connections
from django.test import override_settings

from campaigns.models import Delivery, Enrollment
from campaigns.services.outbox import deliveries_sweep
from campaigns.services.sequences import enrollments_advance
from network.abuse import form_started_token
from network.models import Ambassador, Application
from tests.conftest import body_text
from tests.e2e.conftest import Worker


def signup_data(**overrides) -> dict:
    return {
        "first_name": "Anna",
        "last_name": "Ödmark",
        "email": "Anna.Odmark@Example.se ",
        "phone": "070-190 64 48",
        "locality": "other",
        "consent": "on",
        "started": form_started_token(time.time() - 30),
        **overrides,
    }


def link_in(message) -> str:
    return re.search(r"https?://\S+/bekrafta/\S+/", body_text(message)).group(0).split("testserver", 1)[1]


def approve(client, application) -> None:
    response = client.post(
        "/admin/network/application/",
        {"action": "approve", ACTION_CHECKBOX_NAME: [application.pk], "apply": "1", "personal_line": ""},
    )
    assert response.status_code == 302


def test_signup_confirm_approve_and_onboarding_arrive_by_email(
    client, coordinator_client, celery_worker, smtp_server, seed_data
):
    inbox = smtp_server.recorder

    response = client.post("/bli-ambassador/", signup_data())
    assert response.status_code == 302
    confirmation = inbox.wait_for(1)[0]
    assert confirmation["To"].addresses[0].addr_spec == "anna.odmark@example.se"
    assert confirmation["Auto-Submitted"] == "auto-generated"

    link = link_in(confirmation)
    assert client.get(link).status_code == 200
    assert Application.objects.get().status == Application.Status.UNCONFIRMED  # a GET never confirms
    assert client.post(link).status_code == 200
    application = Application.objects.get()
    assert application.status == Application.Status.CONFIRMED

    approve(coordinator_client, application)
    welcome = inbox.wait_for(2)[1]
    assert "Välkommen som ambassadör, Anna!" == welcome["Subject"]
    ambassador = Ambassador.objects.get(email="anna.odmark@example.se")
    assert ambassador.source == Ambassador.Source.SIGNUP
    assert ambassador.phone == "+46701906448"

    # Day 7: the beat task runs twice at the same moment; step 2 arrives exactly once.
    day7 = Enrollment.objects.get().enrolled_at + timedelta(days=7, minutes=1)
    results = []

    def beat():
        try:
            results.append(enrollments_advance(now=day7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    practical = inbox.wait_for(3)[2]
    assert practical["Subject"] == "Praktisk information för ambassadörer"
    time.sleep(1.5)
    assert len(inbox.messages) == 3
    assert Delivery.objects.filter(step__delay_days=7).count() == 1


def test_transient_smtp_errors_are_retried_and_delivered_once(client, celery_worker, smtp_server):
    smtp_server.recorder.replies.extend(["451 4.3.0 Try again later", "421 4.7.0 Busy"])
    client.post("/bli-ambassador/", signup_data())
    smtp_server.recorder.wait_for(1, timeout=30)
    time.sleep(1)
    assert len(smtp_server.recorder.messages) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 3


def test_a_permanent_smtp_error_fails_at_once_and_is_visible_in_the_admin(
    client, coordinator_client, celery_worker, smtp_server
):
    smtp_server.recorder.replies.append("550 5.1.1 No such user here")
    client.post("/bli-ambassador/", signup_data())
    deadline = time.monotonic() + 20
    while Delivery.objects.get().status != Delivery.Status.FAILED and time.monotonic() < deadline:
        time.sleep(0.1)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert "No such user" in delivery.last_error
    page = coordinator_client.get("/admin/campaigns/delivery/?status__exact=failed").content.decode()
    assert "No such user" in page


def test_a_task_delivered_twice_sends_one_email(client, celery_worker, smtp_server):
    from campaigns.tasks import send_deliveries

    client.post("/bli-ambassador/", signup_data())
    smtp_server.recorder.wait_for(1)
    delivery = Delivery.objects.get()
    send_deliveries.delay([delivery.pk])
    send_deliveries.delay([delivery.pk])
    time.sleep(2)
    assert len(smtp_server.recorder.messages) == 1


def test_with_the_broker_down_the_signup_is_saved_and_the_sweeper_sends_it_later(
    client, worker_env, tmp_path, smtp_server, settings, broker_down
):
    with broker_down():
        response = client.post("/bli-ambassador/", signup_data())
    assert response.status_code == 302
    application = Application.objects.get()
    delivery = Delivery.objects.get(application=application)
    assert delivery.status == Delivery.Status.QUEUED

    worker = Worker(worker_env, tmp_path / "worker.log").start()
    try:
        settings.EMAIL_SWEEP_GRACE_SECONDS = 0
        assert deliveries_sweep() == 1
        smtp_server.recorder.wait_for(1)
    finally:
        worker.stop()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_in_make_run_the_confirmation_lands_in_the_local_mailbox(
    client, worker_env, tmp_path, coordinator_client, debug_urls
):
    """make run's setup (DEBUG on): the embedded broker, and email written to var/mailbox/ for the staff page."""
    mailbox = tmp_path / "mailbox"
    worker_env |= {"EMAIL_BACKEND": "crm.mailbox.EmailBackend", "MAILBOX_DIR": str(mailbox)}
    worker = Worker(worker_env, tmp_path / "worker.log").start()
    try:
        client.post("/bli-ambassador/", signup_data())
        deadline = time.monotonic() + 30
        while not list(mailbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop()
    (stored,) = mailbox.glob("*.eml")
    assert "anna.odmark@example.se" in stored.read_text()
    with override_settings(MAILBOX_DIR=mailbox):
        page = coordinator_client.get("/admin/mailbox/").content.decode()
    assert "anna.odmark@example.se" in page
