"""The outbox's promises where PostgreSQL runs writers side by side: two claimers, an emptied audience, a pause at
the very end, a sweeper facing thousands of paused rows."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.services import claim, outbox
from campaigns.services.newsletters import campaign_pause, campaign_resume, campaign_schedule, campaigns_start_due
from network.models import Ambassador
from tests.factories import CampaignFactory, DeliveryFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL, as .ci/run does): SQLite serialises writers, so claims never race",
)


def people(count: int) -> list[Ambassador]:
    return Ambassador.objects.bulk_create(
        [Ambassador(first_name=f"Åke{i}", last_name="Lind", email=f"ake{i}@example.se") for i in range(count)]
    )


def sending_campaign(**fields) -> Campaign:
    fields.setdefault("status", Campaign.Status.SENDING)
    return CampaignFactory(subject="Hej", body="Hej {{ first_name }}", **fields)


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def claim_in_two_connections(ids: list[int]) -> tuple[set[int], set[int]]:
    """The first claimer claims inside an open transaction; the second claims the same rows meanwhile and has to
    wait for the first's row locks; then the first commits. Returns what each claimed."""
    first_claimed: set[int] = set()
    second_claimed: set[int] = set()
    first_holds = threading.Event()
    second_waits = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                first_claimed.update(claim.Claim(ids, timezone.now()).held)
                first_holds.set()
                second_waits.wait(10)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
            first_holds.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            first_holds.wait(10)
            second_claimed.update(claim.Claim(ids, timezone.now()).held)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_holds.wait(10)
    wait_for(waiting_on_a_lock)  # the second claimer is blocked on the first one's row locks
    second_waits.set()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    return first_claimed, second_claimed


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["campaign", "transactional"])
def test_two_claimers_in_separate_transactions_never_claim_the_same_row(kind):
    campaign = sending_campaign() if kind == "campaign" else None
    rows = Delivery.objects.bulk_create(
        [
            Delivery(template="campaign" if campaign else "confirm", campaign=campaign, to_email=f"p{i}@example.se")
            for i in range(3)
        ]
    )
    ids = [row.pk for row in rows]

    first, second = claim_in_two_connections(ids)

    assert first == set(ids)
    assert second == set()
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    assert len(set(Delivery.objects.values_list("claim_token", flat=True))) == 1


@pytest.mark.django_db(transaction=True)
def test_a_campaign_whose_audience_empties_before_it_starts_ends_sent():
    anna, bo = people(2)
    campaign = sending_campaign(status=Campaign.Status.DRAFT)
    campaign_schedule(campaign=campaign, at=timezone.now() + timedelta(minutes=5))
    Ambassador.objects.update(wants_newsletters=False)

    campaigns_start_due(now=timezone.now() + timedelta(minutes=6))

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert campaign.fanned_out_at is not None
    assert not Delivery.objects.filter(campaign=campaign).exists()
    assert campaign.skipped_unsubscribed == 2


@pytest.mark.django_db(transaction=True)
def test_a_pause_while_the_last_claim_is_in_flight_then_resume_ends_sent():
    people(3)
    campaign = sending_campaign(status=Campaign.Status.DRAFT)
    campaign_schedule(campaign=campaign, at=timezone.now() + timedelta(minutes=5))
    campaigns_start_due(now=timezone.now() + timedelta(minutes=6))
    ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))

    held = claim.Claim(ids, timezone.now())  # a worker holds the last rows …
    assert campaign_pause(campaign=campaign)  # … the coordinator pauses …
    for delivery in held.deliveries:  # … and the claim lands while the campaign is paused
        held.sent_one(delivery, "")
    held.record_sent()
    outbox.campaign_finish_if_done(campaign.pk)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.PAUSED

    assert campaign_resume(campaign=campaign)

    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_a_campaign_is_not_done_until_its_fan_out_is_complete():
    people(2)
    campaign = sending_campaign(started_at=timezone.now())
    # Rows of a fan-out that a crash cut short (the old code committed chunk by chunk), all of them sent.
    DeliveryFactory(campaign=campaign, ambassador=Ambassador.objects.first(), to_email="x@example.se")
    Delivery.objects.update(status=Delivery.Status.SENT)

    assert not outbox.campaign_finish_if_done(campaign.pk)
    campaigns_start_due()  # the beat resumes the fan-out

    campaign.refresh_from_db()
    assert campaign.fanned_out_at is not None
    assert campaign.status == Campaign.Status.SENDING
    assert Delivery.objects.filter(campaign=campaign).count() == 2


@pytest.mark.django_db(transaction=True)
def test_resuming_a_campaign_paused_before_it_started_does_not_fan_out_in_the_request(monkeypatch):
    people(2)
    campaign = sending_campaign(status=Campaign.Status.DRAFT)
    campaign_schedule(campaign=campaign, at=timezone.now() + timedelta(minutes=5))
    campaign_pause(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    published = []
    monkeypatch.setattr(outbox, "tasks_publish", lambda name, *calls: published.append(name))
    monkeypatch.setattr("campaigns.services.newsletters.tasks_publish", lambda name, *calls: published.append(name))

    with transaction.atomic():
        assert campaign_resume(campaign=campaign)
        assert not Delivery.objects.filter(campaign=campaign).exists()
        assert published == []

    assert published == ["campaigns.tasks.start_due_campaigns"]
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.SCHEDULED


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_publishes_transactional_mail_first_and_never_rows_of_paused_campaigns(settings, monkeypatch):
    paused = sending_campaign(status=Campaign.Status.PAUSED)
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.bulk_create(
        [Delivery(template="campaign", campaign=paused, to_email=f"p{i}@example.se") for i in range(15_000)],
        batch_size=2000,
    )
    active = sending_campaign()
    Delivery.objects.bulk_create(
        [Delivery(template="campaign", campaign=active, to_email=f"a{i}@example.se") for i in range(30)]
    )
    confirmation = DeliveryFactory(template="confirm", to_email="ny@example.se")
    Delivery.objects.update(queued_at=long_ago)
    published: list[int] = []
    monkeypatch.setattr(outbox, "deliveries_publish", published.extend)

    assert outbox.deliveries_sweep(limit=20) == 20

    assert published[0] == confirmation.pk
    assert set(Delivery.objects.filter(pk__in=published).values_list("campaign_id", flat=True)) == {None, active.pk}


@postgres_only
@pytest.mark.django_db
def test_after_a_large_fan_out_a_claim_reads_its_rows_by_primary_key():
    """A fan-out refreshes the table's statistics: with the old ones (no row queued) PostgreSQL would claim through
    the index of pending rows and read every queued row for each claim."""
    from django.db.models.sql.subqueries import UpdateQuery

    from campaigns.services.newsletters import ANALYZE_AFTER, campaign_fan_out

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaigns_delivery")  # statistics of an empty table, as before a first newsletter
    people(ANALYZE_AFTER + 500)
    campaign = sending_campaign()
    assert campaign_fan_out(campaign_id=campaign.pk) == ANALYZE_AFTER + 500
    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True)[:50])
    claiming = Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).filter(claim.sendable())
    update = claiming.query.chain(UpdateQuery)
    update.add_update_values({"status": Delivery.Status.SENDING})
    sql, params = update.get_compiler(connection.alias).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "campaigns_delivery_pkey" in plan and "delivery_pending" not in plan, plan
