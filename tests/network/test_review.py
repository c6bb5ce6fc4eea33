"""The coordinator reviews confirmed applications in the admin, and gets a daily digest of what is new."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import constants, get_messages
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Delivery, Enrollment, Sequence
from campaigns.services import outbox
from campaigns.services.digest import coordinator_digest_queue
from network import services
from network.models import Ambassador, Application, RecruitmentContact
from tests.factories import AmbassadorFactory, InterestFactory, LocalityFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/network/application/"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def application_for(email_address="anna@example.se", *, confirmed=True, **fields) -> Application:
    application = services.application_submit(
        first_name=fields.pop("first_name", "Anna"),
        last_name=fields.pop("last_name", "Ödmark"),
        email_address=email_address,
        **fields,
    )
    if confirmed:
        Application.objects.filter(pk=application.pk).update(
            status=Application.Status.CONFIRMED, confirmed_at=timezone.now()
        )
        application.refresh_from_db()
    return application


def review(client, action: str, applications, personal_line: str = "", apply: bool = True):
    data = {"action": action, ACTION_CHECKBOX_NAME: [a.pk for a in applications], "personal_line": personal_line}
    if apply:
        data["apply"] = "1"
    return client.post(CHANGELIST, data)


@pytest.fixture
def published(monkeypatch):
    """The delivery ids handed to Celery (instead of reaching a broker)."""
    ids: list[int] = []
    monkeypatch.setattr(outbox, "deliveries_publish", ids.extend)
    return ids


# Approve ------------------------------------------------------------------------------------------------------


def test_approving_creates_the_ambassador_enrolls_them_and_queues_the_welcome_at_once(
    coordinator, coordinator_client, published, django_capture_on_commit_callbacks, seed_data
):
    locality = LocalityFactory(name="Bollstabruk")
    interests = [InterestFactory(name="Friluftsliv"), InterestFactory(name="Kultur")]
    application = application_for(phone="+46701906448", locality=locality, interests=interests, language="sv")

    with django_capture_on_commit_callbacks(execute=True):
        response = review(coordinator_client, "approve", [application])

    assert response.status_code == 302
    ambassador = Ambassador.objects.get()
    assert ambassador.email == "anna@example.se"
    assert (ambassador.first_name, ambassador.last_name) == ("Anna", "Ödmark")
    assert ambassador.source == Ambassador.Source.SIGNUP
    assert ambassador.status == Ambassador.Status.ACTIVE
    assert ambassador.phone == "+46701906448"
    assert ambassador.locality == locality
    assert set(ambassador.interests.all()) == set(interests)
    assert ambassador.member_since == timezone.localdate()
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert application.ambassador == ambassador
    assert application.decided_by == coordinator
    assert application.decided_at is not None

    enrollment = Enrollment.objects.get(ambassador=ambassador)
    assert enrollment.sequence.slug == "onboarding"
    welcome = Delivery.objects.get(ambassador=ambassador, step__delay_days=0)
    assert welcome.status == Delivery.Status.QUEUED
    assert welcome.to_email == "anna@example.se"
    assert welcome.pk in published
    assert enrollment.next_step.delay_days == 7


def test_approving_with_a_personal_line_puts_it_in_the_one_welcome(coordinator_client, seed_data):
    application = application_for()
    review(coordinator_client, "approve", [application], personal_line="Välkommen, vi ses på träffen!")
    welcome = Delivery.objects.get(ambassador__email="anna@example.se")  # the onboarding welcome, nothing else
    assert welcome.step.delay_days == 0
    message = build_message(welcome)
    assert "Välkommen, vi ses på träffen!" in message.body
    assert "Välkommen, vi ses på träffen!" in message.alternatives[0].content
    assert not Delivery.objects.filter(template="application_approved").exists()


def test_approving_without_an_active_onboarding_sends_the_approval_email_as_the_welcome(coordinator_client, seed_data):
    Sequence.objects.filter(slug=Sequence.ONBOARDING).update(is_active=False)
    application = application_for()
    review(coordinator_client, "approve", [application])  # no personal line
    (welcome,) = Delivery.objects.filter(ambassador__email="anna@example.se")
    assert welcome.template == "application_approved"
    assert "Välkommen som ambassadör för Kramfors" == build_message(welcome).subject


def test_approving_someone_who_already_is_an_ambassador_reactivates_them_without_a_duplicate(
    coordinator_client, seed_data
):
    alumna = AmbassadorFactory(
        email="anna@example.se", status=Ambassador.Status.ALUMNI, source=Ambassador.Source.IMPORT, phone=""
    )
    application = application_for(email_address="Anna@Example.se", phone="+46701906448")

    review(coordinator_client, "approve", [application])

    assert Ambassador.objects.count() == 1
    alumna.refresh_from_db()
    assert alumna.status == Ambassador.Status.ACTIVE
    assert alumna.phone == "+46701906448"
    application.refresh_from_db()
    assert application.ambassador == alumna
    assert Enrollment.objects.filter(ambassador=alumna).count() == 1


def test_approving_an_unconfirmed_application_is_refused_with_a_message(coordinator_client):
    application = application_for(confirmed=False)

    response = review(coordinator_client, "approve", [application])

    assert response.status_code == 302
    notes = list(get_messages(response.wsgi_request))
    assert [note.level for note in notes] == [constants.WARNING]
    assert "Anna Ödmark" in str(notes[0])
    application.refresh_from_db()
    assert application.status == Application.Status.UNCONFIRMED
    assert not Ambassador.objects.exists()
    assert not Enrollment.objects.exists()


def test_approving_several_at_once_approves_each(coordinator_client, seed_data):
    applications = [application_for(f"person{n}@example.se", first_name=f"Person{n}") for n in range(3)]

    response = review(coordinator_client, "approve", applications)

    assert response.status_code == 302
    assert Application.objects.filter(status=Application.Status.APPROVED).count() == 3
    assert sorted(Ambassador.objects.values_list("email", flat=True)) == [
        "person0@example.se",
        "person1@example.se",
        "person2@example.se",
    ]
    assert Enrollment.objects.count() == 3
    assert Delivery.objects.filter(step__delay_days=0).count() == 3
    notes = list(get_messages(response.wsgi_request))
    assert [note.level for note in notes] == [constants.INFO]
    assert "3" in str(notes[0])


def test_a_mixed_selection_approves_the_confirmed_and_reports_the_rest(coordinator_client):
    confirmed = application_for("ok@example.se")
    unconfirmed = application_for("pending@example.se", confirmed=False)

    response = review(coordinator_client, "approve", [confirmed, unconfirmed])

    confirmed.refresh_from_db()
    unconfirmed.refresh_from_db()
    assert confirmed.status == Application.Status.APPROVED
    assert unconfirmed.status == Application.Status.UNCONFIRMED
    levels = sorted(note.level for note in get_messages(response.wsgi_request))
    assert levels == [constants.INFO, constants.WARNING]


def test_choosing_the_action_shows_an_intermediate_page_and_changes_nothing(coordinator_client):
    applications = [
        application_for("a@example.se", first_name="Alva"),
        application_for("b@example.se", first_name="Bo"),
    ]

    response = review(coordinator_client, "approve", applications, apply=False)

    assert response.status_code == 200
    assert "admin/network/application/review.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "Alva Ödmark" in page and "Bo Ödmark" in page
    assert 'name="personal_line"' in page
    assert 'name="apply"' in page
    for application in applications:
        assert f'name="{ACTION_CHECKBOX_NAME}" value="{application.pk}"' in page
    assert not Ambassador.objects.exists()
    assert set(Application.objects.values_list("status", flat=True)) == {Application.Status.CONFIRMED}


# Decline ------------------------------------------------------------------------------------------------------


def test_declining_sends_a_kind_email_with_the_personal_line(coordinator_client):
    application = application_for()

    review(coordinator_client, "decline", [application], personal_line="Hör av dig igen till våren!")

    application.refresh_from_db()
    assert application.status == Application.Status.DECLINED
    assert not Ambassador.objects.exists()
    delivery = Delivery.objects.get(template="application_declined")
    assert delivery.to_email == "anna@example.se"
    message = build_message(delivery)
    assert "Hör av dig igen till våren!" in message.body
    assert "Hör av dig igen till våren!" in message.alternatives[0].content


def test_a_personal_line_is_escaped_in_the_html(coordinator_client):
    application = application_for()
    review(coordinator_client, "decline", [application], personal_line="<b>Hej</b>")
    html = build_message(Delivery.objects.get(template="application_declined")).alternatives[0].content
    assert "&lt;b&gt;Hej&lt;/b&gt;" in html


def test_declining_an_unconfirmed_application_never_mails_the_unconfirmed_address(coordinator_client):
    application = application_for(confirmed=False)
    review(coordinator_client, "decline", [application], personal_line="Nej tack")
    application.refresh_from_db()
    assert application.status == Application.Status.DECLINED
    assert not Delivery.objects.filter(template="application_declined").exists()


# The coordinator's digest -------------------------------------------------------------------------------------


def at(day: int, hour: int, minute: int = 0):
    return time_machine.travel(dt.datetime(2026, 3, day, hour, minute, tzinfo=STOCKHOLM), tick=False)


def confirmed_at_now(email_address: str, first_name: str) -> Application:
    application = application_for(email_address, confirmed=False, first_name=first_name)
    assert services.application_confirm(token=services.confirm_url(application).rsplit("/", 2)[1]) is (
        services.ConfirmResult.CONFIRMED
    )
    return application


def recommend(name: str) -> RecruitmentContact:
    return services.recommendation_submit(
        recommender_name="Bertil", recommender_email="bertil@example.se", name=name, contact_details="070-111 22 33"
    )


def test_the_digest_queues_nothing_when_there_is_nothing_new():
    application_for("waiting@example.se", confirmed=False)  # not confirmed: not for the coordinator yet
    with at(2, 7):
        assert coordinator_digest_queue() is None
    assert not Delivery.objects.filter(template="coordinator_digest").exists()


def test_the_digest_lists_newly_confirmed_applications_and_new_recommendations(settings):
    with at(1, 15):
        confirmed_at_now("anna@example.se", "Anna")
        application_for("waiting@example.se", confirmed=False, first_name="Väntande")
        recommend("Cecilia Ek")
    with at(2, 7):
        delivery = coordinator_digest_queue()

    assert delivery is not None
    assert delivery.to_email == settings.COORDINATOR_EMAIL
    assert [a["name"] for a in delivery.context["applications"]] == ["Anna Ödmark"]
    assert [c["name"] for c in delivery.context["contacts"]] == ["Cecilia Ek"]
    message = build_message(delivery)
    assert "Anna Ödmark" in message.body and "Cecilia Ek" in message.body
    assert "Väntande" not in message.body
    assert "/admin/network/application/" in message.body


def test_the_digest_is_queued_once_a_day_and_the_next_day_lists_only_what_is_new():
    with at(1, 15):
        confirmed_at_now("anna@example.se", "Anna")
    with at(2, 7):
        assert coordinator_digest_queue() is not None
    with at(2, 7, 1):
        assert coordinator_digest_queue() is None
    with at(2, 10):
        confirmed_at_now("bo@example.se", "Bo")
        recommend("Cecilia Ek")
    with at(2, 12):
        assert coordinator_digest_queue() is None
    assert Delivery.objects.filter(template="coordinator_digest").count() == 1
    with at(3, 7):
        second = coordinator_digest_queue()
    assert [a["name"] for a in second.context["applications"]] == ["Bo Ödmark"]
    assert [c["name"] for c in second.context["contacts"]] == ["Cecilia Ek"]


def test_the_digest_runs_at_seven_in_the_morning_stockholm_time(settings):
    from campaigns.tasks import send_coordinator_digest
    from crm.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["coordinator-digest"]
    assert entry["task"] == send_coordinator_digest.name
    assert entry["schedule"] == crontab(hour=7, minute=0)
    assert settings.CELERY_TIMEZONE == "Europe/Stockholm"
    assert str(app.conf.timezone) == "Europe/Stockholm"
