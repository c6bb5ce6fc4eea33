"""Retention: with the clock moved past each limit (RETENTION_*), the nightly job removes exactly what has expired,
records how many of each category (never who), and every count of the campaign reports stays as it was."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.urls import reverse

from campaigns.models import Campaign, Delivery, TrackingEvent, Unsubscribe
from campaigns.selectors import campaign_progress, campaign_report
from campaigns.services.newsletters import ambassador_unsubscribe
from crm.models import AuditEntry, RetentionRun
from crm.retention import retention_run
from crm.tasks import retention_run as retention_task
from network import services
from network.models import Ambassador, Application, ConsentRecord, RecruitmentContact
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    CampaignFactory,
    DeliveryFactory,
    RecruitmentContactFactory,
    TrackingEventFactory,
    start_sending,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 3, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
LIMITS = {
    "RETENTION_UNCONFIRMED_DAYS": 10,
    "RETENTION_DECLINED_DAYS": 20,
    "RETENTION_RECRUITMENT_DAYS": 30,
    "RETENTION_DELIVERY_LOG_DAYS": 40,
    "RETENTION_ALUMNI_DAYS": 50,
}
NOTHING = {
    "unconfirmed_applications": 0,
    "declined_applications": 0,
    "recruitment_contacts": 0,
    "alumni": 0,
    "delivery_logs": 0,
    "tracking_events": 0,
}


@pytest.fixture
def limits(settings):
    for name, days in LIMITS.items():
        setattr(settings, name, days)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(limits, clock):
    """One of everything the job looks at, all written at T0."""
    stay = AmbassadorFactory(first_name="Stina", email="stina@example.se")
    leaving = AmbassadorFactory(first_name="Lars", email="lars@example.se")

    # A newsletter sent to both, as reports see it; Lars unsubscribed through it; one test copy.
    newsletter = CampaignFactory()
    start_sending(newsletter)
    sent_at = T0 - timedelta(days=1)
    Delivery.objects.filter(campaign=newsletter, ambassador=stay).update(
        status=Delivery.Status.SENT, sent_at=sent_at, delivered_at=T0, opened_at=T0, clicked_at=T0, esp_message_id="m1"
    )
    Delivery.objects.filter(campaign=newsletter, ambassador=leaving).update(
        status=Delivery.Status.FAILED, last_error="550 lars@example.se unknown", bounced_at=T0
    )
    DeliveryFactory(campaign=newsletter, is_test=True, to_email="koordinator@kramfors.se", status=Delivery.Status.SENT)
    Campaign.objects.filter(pk=newsletter.pk).update(status=Campaign.Status.SENT, finished_at=T0)
    ambassador_unsubscribe(
        ambassador_id=leaving.pk, kind="newsletter", source=Unsubscribe.Source.LINK, campaign=newsletter
    )
    TrackingEventFactory(event_type="delivered", recipient="stina@example.se", processed=True)
    # A campaign still sending: its rows are needed whatever their age.
    still_sending = CampaignFactory(name="Höstbrevet")
    start_sending(still_sending)

    leaving.status = Ambassador.Status.ALUMNI
    leaving.save()

    unconfirmed = services.application_submit(first_name="Ulla", last_name="Obekräftad", email_address="u@example.se")
    withdrawn = ApplicationFactory(
        first_name="Ulla", last_name="Annan", email="u@example.se", status=Application.Status.WITHDRAWN
    )
    waiting = services.application_submit(first_name="Vera", last_name="Väntar", email_address="v@example.se")
    Application.objects.filter(pk=waiting.pk).update(status=Application.Status.CONFIRMED, confirmed_at=T0)
    declined = ApplicationFactory(
        first_name="Dan", last_name="Nej", email="d@example.se", status=Application.Status.DECLINED, decided_at=T0
    )
    quiet = RecruitmentContactFactory(name="Rut Tyst")
    planned = RecruitmentContactFactory(name="Per Planerad", follow_up_on=(T0 + timedelta(days=60)).date())
    active = RecruitmentContactFactory(name="Ada Aktiv")
    return {
        "newsletter": newsletter,
        "still_sending": still_sending,
        "stay": stay,
        "leaving": leaving,
        "unconfirmed": unconfirmed,
        "withdrawn": withdrawn,
        "waiting": waiting,
        "declined": declined,
        "quiet": quiet,
        "planned": planned,
        "active": active,
    }


def reports(newsletter: Campaign) -> tuple:
    newsletter.refresh_from_db()
    return campaign_progress(newsletter), campaign_report(newsletter)


def ids(model) -> set[int]:
    return set(model.objects.values_list("pk", flat=True))


def run_on(clock, day: int, caplog) -> dict:
    clock.move_to(T0 + timedelta(days=day))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="crm.retention"):
        run = retention_run()
    assert run.finished_at is not None
    lines = [record.getMessage() for record in caplog.records if record.name == "crm.retention"]
    assert len(lines) == 1
    for key, value in run.counts.items():
        assert f"{key}={value}" in lines[0]
    assert "@" not in lines[0] and "Lars" not in lines[0], "counts only, never data"
    return run.counts


def test_the_job_removes_exactly_what_has_expired_category_by_category(world, clock, caplog):
    w = world
    before = reports(w["newsletter"])
    applications = ids(Application)
    campaign_rows = dict(Delivery.objects.filter(campaign=w["newsletter"]).values_list("pk", "status"))

    # The first night: nothing has expired; the alumnus's clock starts.
    assert run_on(clock, 0, caplog) == NOTHING
    assert Ambassador.objects.get(pk=w["leaving"].pk).alumni_since == T0
    assert ids(Application) == applications

    # Ada's contact is followed up on day 25: activity.
    clock.move_to(T0 + timedelta(days=25))
    RecruitmentContact.objects.get(pk=w["active"].pk).save()

    # Unconfirmed (and set-aside) applications, with their consent and the emails sent to them.
    confirmation = Delivery.objects.get(application=w["unconfirmed"])
    assert run_on(clock, LIMITS["RETENTION_UNCONFIRMED_DAYS"] + 1, caplog) == {
        **NOTHING,
        "unconfirmed_applications": 2,
    }
    assert ids(Application) == applications - {w["unconfirmed"].pk, w["withdrawn"].pk}
    assert not ConsentRecord.objects.filter(email="u@example.se").exists()
    confirmation.refresh_from_db()
    assert (confirmation.to_email, confirmation.to_name, confirmation.context) == ("", "", {})
    assert Delivery.objects.get(application=w["waiting"]).to_email == "v@example.se", "not expired, kept"

    # Declined applications.
    assert run_on(clock, LIMITS["RETENTION_DECLINED_DAYS"] + 1, caplog) == {**NOTHING, "declined_applications": 1}
    assert ids(Application) == {w["waiting"].pk}

    # Recruitment contacts without activity: not the one with a follow-up planned, nor the one followed up.
    assert run_on(clock, LIMITS["RETENTION_RECRUITMENT_DAYS"] + 1, caplog) == {**NOTHING, "recruitment_contacts": 1}
    assert ids(RecruitmentContact) == {w["planned"].pk, w["active"].pk}

    # Delivery logs: anonymised, the rows and their statuses kept; a campaign still sending keeps its rows.
    assert run_on(clock, LIMITS["RETENTION_DELIVERY_LOG_DAYS"] + 1, caplog) == {
        **NOTHING,
        "delivery_logs": 3,  # Stina's, Lars's and the test copy
        "tracking_events": 1,
    }
    rows = Delivery.objects.filter(pk__in=campaign_rows)
    assert dict(rows.values_list("pk", "status")) == campaign_rows
    assert not rows.exclude(to_email="").exists() and not rows.exclude(to_name="").exists()
    assert not rows.filter(ambassador__isnull=False).exists() and not rows.exclude(last_error="").exists()
    assert not rows.exclude(context={}).exists()
    assert not Delivery.objects.filter(campaign=w["still_sending"], to_email="").exists()
    assert not TrackingEvent.objects.exists()
    assert reports(w["newsletter"]) == before

    # Alumni: erased everywhere, logged in the audit log as done by the system.
    assert run_on(clock, LIMITS["RETENTION_ALUMNI_DAYS"] + 1, caplog) == {**NOTHING, "alumni": 1}
    assert ids(Ambassador) == {w["stay"].pk}
    erased = AuditEntry.objects.get(action=AuditEntry.Action.ERASE)
    assert (erased.ambassador_id, erased.actor_id) == (w["leaving"].pk, None)

    # Nothing more expires; every night is recorded; the reports count as on the first day.
    assert run_on(clock, LIMITS["RETENTION_ALUMNI_DAYS"] + 2, caplog) == NOTHING
    assert RetentionRun.objects.count() == 7
    assert reports(w["newsletter"]) == before


def test_the_alumni_clock_starts_the_first_night_and_stops_when_they_come_back(limits, clock, caplog):
    person = AmbassadorFactory(status=Ambassador.Status.ALUMNI)
    run_on(clock, 0, caplog)
    Ambassador.objects.filter(pk=person.pk).update(status=Ambassador.Status.ACTIVE)
    run_on(clock, 1, caplog)
    assert Ambassador.objects.get(pk=person.pk).alumni_since is None
    Ambassador.objects.filter(pk=person.pk).update(status=Ambassador.Status.ALUMNI)
    run_on(clock, 2, caplog)
    assert Ambassador.objects.get(pk=person.pk).alumni_since == T0 + timedelta(days=2)
    assert run_on(clock, 2 + LIMITS["RETENTION_ALUMNI_DAYS"], caplog)["alumni"] == 0, "not yet"
    assert run_on(clock, 3 + LIMITS["RETENTION_ALUMNI_DAYS"], caplog)["alumni"] == 1
    assert not Ambassador.objects.exists()


def test_the_task_runs_the_job_and_beat_runs_it_every_night_at_three(limits):
    assert retention_task() == NOTHING
    assert RetentionRun.objects.get().counts == NOTHING
    entry = django_settings.CELERY_BEAT_SCHEDULE["retention"]
    assert entry["task"] == "crm.tasks.retention_run"
    assert entry["schedule"] == crontab(hour=3, minute=0)


def test_the_runs_are_listed_in_the_admin_with_their_counts_only(limits, clock, caplog, client, django_user_model):
    services.application_submit(first_name="Ulla", last_name="Obekräftad", email_address="u@example.se")
    run_on(clock, LIMITS["RETENTION_UNCONFIRMED_DAYS"] + 1, caplog)
    client.force_login(django_user_model.objects.create_superuser("root", "root@kramfors.se"))
    html = client.get(reverse("admin:crm_retentionrun_changelist")).content.decode()
    assert "Obekräftade ansökningar: 1" in html and "Loggar över skickad e-post: 0" in html
    assert "Ulla" not in html and "u@example.se" not in html
