"""Newsletters sent by real Celery worker processes to a real SMTP server: exactly once, whatever happens."""

from __future__ import annotations

import time
from collections import Counter

from django.utils import timezone

from campaigns.models import Campaign, Delivery, Suppression
from campaigns.services.newsletters import campaign_pause, campaign_resume, campaign_schedule, campaigns_start_due
from campaigns.services.outbox import deliveries_sweep
from network.models import Ambassador
from tests.e2e.conftest import Worker
from tests.factories import CampaignFactory, SuppressionFactory


def make_people(count: int, *, start: int = 0) -> list[Ambassador]:
    return Ambassador.objects.bulk_create(
        [
            Ambassador(first_name=f"Åsa{i}", last_name="Öberg", email=f"asa{i}@example.se", phone="")
            for i in range(start, start + count)
        ]
    )


def start_campaign(**fields) -> Campaign:
    campaign = CampaignFactory(
        name="Novemberbrevet",
        subject="Hej {{ first_name }}, nytt från Kramfors",
        body="Hej **{{ first_name }}**!\n\nNu händer det saker i {{ ort }}.",
        **fields,
    )
    campaign_schedule(campaign=campaign)
    campaigns_start_due()
    return campaign


def wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def recipients(inbox) -> Counter:
    return Counter(message["To"].addresses[0].addr_spec for message in inbox.messages)


def test_a_campaign_to_a_thousand_reaches_each_recipient_exactly_once(celery_worker, smtp_server):
    make_people(1000)
    Ambassador.objects.bulk_create(
        [
            Ambassador(first_name="Utan", last_name="Adress", email=None, phone="+46701234567"),
            Ambassador(first_name="Avregistrerad", email="nej@example.se", wants_newsletters=False),
            Ambassador(first_name="Studsad", email="studs@example.se"),
        ]
    )
    SuppressionFactory(email="studs@example.se", reason=Suppression.Reason.HARD_BOUNCE)

    campaign = start_campaign()
    inbox = smtp_server.recorder
    inbox.wait_for(1000, timeout=120)
    wait_until(lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT)

    got = recipients(inbox)
    assert len(got) == 1000 and set(got.values()) == {1}
    assert "nej@example.se" not in got and "studs@example.se" not in got
    campaign.refresh_from_db()
    assert (campaign.skipped_no_email, campaign.skipped_unsubscribed, campaign.skipped_suppressed) == (1, 1, 1)
    message = next(m for m in inbox.messages if m["To"].addresses[0].addr_spec == "asa7@example.se")
    assert message["Subject"] == "Hej Åsa7, nytt från Kramfors"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_killed_worker_loses_nobody_and_resends_at_most_the_batch_in_flight(
    worker_env, tmp_path, smtp_server, settings
):
    worker_env["EMAIL_BATCH_SIZE"] = "25"
    worker_env["EMAIL_RATE_PER_MINUTE"] = "6000"  # slow enough to kill it in the middle
    settings.EMAIL_BATCH_SIZE = 25
    make_people(300)
    first = Worker(worker_env, tmp_path / "first.log", "first").start()
    start_campaign()
    inbox = smtp_server.recorder
    wait_until(lambda: inbox.count() >= 60)
    first.kill()
    # The beat sweeper, once the lease on the killed worker's claims has run out (here at once).
    settings.EMAIL_SENDING_LEASE_SECONDS = 0
    settings.EMAIL_SWEEP_GRACE_SECONDS = 0
    deliveries_sweep(now=timezone.now() + timezone.timedelta(seconds=1))

    second = Worker(worker_env, tmp_path / "second.log", "second").start()
    try:
        wait_until(lambda: len(recipients(inbox)) == 300, timeout=90)
    finally:
        second.stop()

    got = recipients(inbox)
    duplicates = {address: n for address, n in got.items() if n > 1}
    assert len(got) == 300
    assert sum(n - 1 for n in duplicates.values()) <= 25
    for address in duplicates:  # a resend is recognisable as the same message
        ids = {m["Message-ID"] for m in inbox.messages if m["To"].addresses[0].addr_spec == address}
        assert len(ids) == 1
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()


def test_two_workers_on_one_campaign_send_no_duplicates(worker_env, tmp_path, smtp_server):
    worker_env["EMAIL_BATCH_SIZE"] = "20"
    workers = [Worker(worker_env, tmp_path / f"w{i}.log", f"w{i}").start() for i in range(2)]
    try:
        make_people(400)
        start_campaign()
        smtp_server.recorder.wait_for(400, timeout=90)
        time.sleep(1)
    finally:
        for worker in workers:
            worker.stop()
    got = recipients(smtp_server.recorder)
    assert len(got) == 400 and set(got.values()) == {1}


def test_pausing_and_resuming_twice_neither_duplicates_nor_loses(worker_env, tmp_path, smtp_server):
    worker_env["EMAIL_RATE_PER_MINUTE"] = "3000"
    worker = Worker(worker_env, tmp_path / "worker.log").start()
    inbox = smtp_server.recorder
    try:
        make_people(250)
        campaign = start_campaign()
        for threshold in (40, 120):
            wait_until(lambda threshold=threshold: inbox.count() >= threshold)
            assert campaign_pause(campaign=campaign)
            time.sleep(1.5)  # what was in flight lands
            settled = inbox.count()
            time.sleep(1.5)
            assert inbox.count() == settled  # paused means nothing more goes out
            assert campaign_resume(campaign=campaign)
        inbox.wait_for(250, timeout=90)
        time.sleep(1)
    finally:
        worker.stop()
    got = recipients(inbox)
    assert len(got) == 250 and set(got.values()) == {1}


def test_one_refused_recipient_does_not_stop_the_others(celery_worker, smtp_server):
    make_people(30)
    smtp_server.recorder.refused.add("asa5@example.se")
    campaign = start_campaign()
    smtp_server.recorder.wait_for(29)
    wait_until(lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT)
    failed = Delivery.objects.get(status=Delivery.Status.FAILED)
    assert failed.to_email == "asa5@example.se" and "No such user" in failed.last_error
    assert Suppression.objects.filter(email="asa5@example.se").exists()
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 29


def test_the_rate_limit_holds_across_two_workers(worker_env, tmp_path, smtp_server):
    """At 1,200 a minute (20 a second), no window holds more than the limit allows plus 2%.

    The limiter spaces send slots evenly, so a window of W seconds is checked against 20·W; a 60-second
    window would need a minute-long test for the same property."""
    worker_env["EMAIL_RATE_PER_MINUTE"] = "1200"
    worker_env["EMAIL_BATCH_SIZE"] = "10"
    workers = [Worker(worker_env, tmp_path / f"w{i}.log", f"w{i}").start() for i in range(2)]
    try:
        make_people(200)
        start_campaign()
        smtp_server.recorder.wait_for(200, timeout=60)
    finally:
        for worker in workers:
            worker.stop()
    times = sorted(smtp_server.recorder.arrived)
    window = 5.0
    allowed = 20 * window * 1.02 + 2  # + a send at each edge of the window: each is within one slot of its time
    busiest = max(sum(1 for t in times if start <= t < start + window) for start in times)
    assert busiest <= allowed, busiest
    assert times[-1] - times[0] >= (200 - 1) / 20 * 0.95  # it really was held back
