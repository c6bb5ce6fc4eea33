"""The outbox under faults, with real worker processes, a real broker and a real SMTP server: the same batch
published five times to two workers, a worker killed during the fan-out, a rate limit so slow that claims outlive
the lease, the broker down while a request queues mail."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.services import outbox
from campaigns.services.newsletters import campaign_schedule, campaigns_start_due
from campaigns.services.outbox import deliveries_sweep, email_queue
from campaigns.services.recorder import MARK_EVERY
from campaigns.tasks import start_due_campaigns
from network.models import Ambassador
from tests.e2e.conftest import Worker
from tests.factories import CampaignFactory, DeliveryFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL, as .ci/run does): the fault is injected through a row lock",
)


def people(count: int) -> list[Ambassador]:
    return Ambassador.objects.bulk_create(
        [Ambassador(first_name=f"Åsa{i}", last_name="Öberg", email=f"asa{i}@example.se") for i in range(count)]
    )


def scheduled_campaign() -> Campaign:
    campaign = CampaignFactory(subject="Hej {{ first_name }}", body="Hej!")
    campaign_schedule(campaign=campaign, at=timezone.now() + timedelta(days=1))
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    return campaign


def wait_until(predicate, timeout: float = 60.0, every: float = 0.1, tick=None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        if tick:
            tick()
        time.sleep(every)


def received(inbox) -> Counter:
    return Counter(message["To"].addresses[0].addr_spec for message in list(inbox.messages))


def test_two_workers_given_every_batch_five_times_send_each_message_once(worker_env, tmp_path, smtp_server):
    worker_env["EMAIL_BATCH_SIZE"] = "10"
    people(150)
    confirmations = Delivery.objects.bulk_create(
        [
            Delivery(template="already_ambassador", to_email=f"ny{i}@example.se", context={"first_name": "Ny"})
            for i in range(50)
        ]
    )
    campaign = scheduled_campaign()
    campaigns_start_due()  # fans out and publishes each batch once
    ids = [d.pk for d in confirmations] + list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
    for _ in range(5):  # the sweeper, a resume, a redelivery, a retry beside the sweeper: the same ids again
        outbox.deliveries_publish(ids)
    workers = [Worker(worker_env, tmp_path / f"w{i}.log", f"w{i}").start() for i in range(2)]
    try:
        smtp_server.recorder.wait_for(200, timeout=120)
        time.sleep(2)  # anything sent twice would land now
    finally:
        for worker in workers:
            worker.stop()

    got = received(smtp_server.recorder)
    assert len(got) == 200 and set(got.values()) == {1}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT


@postgres_only
@pytest.mark.parametrize(("recipients", "blocked_at"), [(300, 0), (5000, 3000)], ids=["at-the-start", "part-way"])
def test_a_worker_killed_during_the_fan_out_loses_nobody(worker_env, tmp_path, smtp_server, recipients, blocked_at):
    """The fan-out is stopped at a known row: the test holds an uncommitted row for that recipient, so the
    worker's insert waits on it, with the rows before it written in the worker's transaction; then kill -9."""
    everyone = people(recipients)
    campaign = scheduled_campaign()
    first = Worker(worker_env, tmp_path / "first.log", "first").start()
    with transaction.atomic():
        DeliveryFactory(campaign=campaign, ambassador=everyone[blocked_at], to_email="blocker@example.se")
        start_due_campaigns.delay()
        wait_until(lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENDING)
        with connection.cursor() as cursor:

            def worker_waits() -> bool:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                return cursor.fetchone()[0] > 0

            wait_until(worker_waits)
        first.kill()
        transaction.set_rollback(True)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING and campaign.fanned_out_at is None
    assert not Delivery.objects.filter(campaign=campaign).exists()  # all or nothing

    second = Worker(worker_env, tmp_path / "second.log", "second").start()
    try:
        # The beat task runs every minute; here every second until the campaign is fanned out.
        wait_until(
            lambda: Campaign.objects.get(pk=campaign.pk).fanned_out_at is not None,
            every=1.0,
            tick=start_due_campaigns.delay,
        )
        smtp_server.recorder.wait_for(recipients, timeout=180)
        wait_until(lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT)
        time.sleep(1)
    finally:
        second.stop()

    got = received(smtp_server.recorder)
    assert len(got) == recipients and set(got.values()) == {1}
    assert Delivery.objects.filter(campaign=campaign).count() == recipients


def test_a_rate_limit_so_slow_that_claims_outlive_the_lease_sends_nothing_twice(
    worker_env, tmp_path, smtp_server, settings
):
    """Two workers share 240 sends a minute and reserve send slots ten at a time, so a worker's claim waits
    longer than the 2-second lease while the sweeper (every 0.3 s) takes rows back and publishes them again."""
    worker_env |= {"EMAIL_RATE_PER_MINUTE": "240", "EMAIL_SENDING_LEASE_SECONDS": "2", "EMAIL_BATCH_SIZE": "10"}
    settings.EMAIL_SENDING_LEASE_SECONDS = 2
    settings.EMAIL_SWEEP_GRACE_SECONDS = 1
    people(60)
    workers = [Worker(worker_env, tmp_path / f"w{i}.log", f"w{i}").start() for i in range(2)]
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            deliveries_sweep()
            time.sleep(0.3)
        connection.close()

    sweeper = threading.Thread(target=beat)
    try:
        scheduled_campaign()
        campaigns_start_due()
        sweeper.start()
        smtp_server.recorder.wait_for(60, timeout=120)
        time.sleep(3)
    finally:
        stop.set()
        for worker in workers:
            worker.stop()
        if sweeper.is_alive():
            sweeper.join(10)

    got = received(smtp_server.recorder)
    assert len(got) == 60 and set(got.values()) == {1}, {a: n for a, n in got.items() if n > 1}
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_mail_queued_while_the_broker_is_down_is_sent_within_the_lease_despite_thousands_of_paused_rows(
    worker_env, tmp_path, smtp_server, settings, broker_down
):
    paused = CampaignFactory(name="Pausad", subject="Hej", body="Hej", status=Campaign.Status.PAUSED)
    Delivery.objects.bulk_create(
        [Delivery(template="campaign", campaign=paused, to_email=f"p{i}@example.se") for i in range(15_000)],
        batch_size=2000,
    )
    Delivery.objects.update(queued_at=timezone.now() - timedelta(hours=1))
    started = time.monotonic()
    with broker_down():
        email_queue(template="already_ambassador", to_email="ny@example.se", context={"first_name": "Ny"})
    assert time.monotonic() - started < 1.0  # the publish gave up at once; the row waits in the database

    settings.EMAIL_SWEEP_GRACE_SECONDS = 0
    worker = Worker(worker_env, tmp_path / "worker.log").start()
    try:
        returned = time.monotonic()
        assert deliveries_sweep() == 1  # the sweep after the broker returns takes only what may be sent
        smtp_server.recorder.wait_for(1, timeout=30)
        assert time.monotonic() - returned < settings.EMAIL_SENDING_LEASE_SECONDS
    finally:
        worker.stop()
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.recorder.messages] == ["ny@example.se"]


@postgres_only
def test_a_worker_killed_while_its_recorder_is_behind_resends_at_most_mark_every(worker_env, tmp_path, smtp_server):
    """The test locks a claimed row before it is sent, so recording it waits on the lock: the sender goes on
    until MARK_EVERY messages are sent and unrecorded, then waits. Killed there (kill -9), the worker has sent
    at most MARK_EVERY messages that the database does not know about; those, and only those, go out again, each
    with its Message-ID of the first time."""
    worker_env |= {"EMAIL_RATE_PER_MINUTE": "3000", "EMAIL_BATCH_SIZE": "50"}  # 50 a second: a row can be locked ahead
    people(120)
    first = Worker(worker_env, tmp_path / "first.log", "first").start()
    campaign = scheduled_campaign()
    campaigns_start_due()
    inbox = smtp_server.recorder
    try:
        wait_until(lambda: inbox.count() >= 10)
        unrecorded = killed_while_the_recorder_waits(first, campaign, inbox)
    finally:
        first.kill()
    assert 1 <= unrecorded <= MARK_EVERY

    deliveries_sweep(now=timezone.now() + timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS + 1))
    second = Worker(worker_env, tmp_path / "second.log", "second").start()
    try:
        wait_until(lambda: len(received(inbox)) == 120, timeout=90)
        wait_until(lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT)
        time.sleep(1)
    finally:
        second.stop()

    got = received(inbox)
    twice = {address for address, count in got.items() if count > 1}
    assert set(got.values()) <= {1, 2} and len(twice) == unrecorded
    for address in twice:
        ids = {m["Message-ID"] for m in inbox.messages if m["To"].addresses[0].addr_spec == address}
        assert len(ids) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def killed_while_the_recorder_waits(worker: Worker, campaign: Campaign, inbox) -> int:
    """Lock a claimed row half a second ahead of the sender; once recording it waits on the lock and the sender
    has stopped, kill the worker. Returns how many messages it had sent and not recorded."""
    with transaction.atomic():
        claimed = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENDING).order_by("pk")
        ahead = Delivery.objects.select_for_update().get(pk=claimed[10].pk)  # (with OFFSET, PostgreSQL locks all)
        with connection.cursor() as cursor:

            def recorder_waits() -> bool:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                return cursor.fetchone()[0] > 0

            wait_until(recorder_waits)
        time.sleep(1.0)  # at 50 a second the sender would be 50 messages further by now, if it did not wait
        in_inbox = inbox.count()
        recorded = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENT).count()
        time.sleep(0.5)
        assert inbox.count() == in_inbox  # the sender waits for the recorder
        assert ahead.to_email in received(inbox)  # the locked row went out, unrecorded
        worker.kill()
        with connection.cursor() as cursor:  # its connection too: left alone, it would record them once the lock goes
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        transaction.set_rollback(True)
    return in_inbox - recorded
