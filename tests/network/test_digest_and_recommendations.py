"""What reaches the coordinator (issue 9): the daily digest also lists the recruitment follow-ups due today or
overdue, with a link to each item; a recommendation from /tipsa/ is emailed to the coordinator at once."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaigns.emails import build_message
from campaigns.models import Delivery
from campaigns.services import outbox
from campaigns.services.digest import coordinator_digest_queue
from network import services
from network.abuse import form_started_token
from network.models import Application, RecruitmentContact
from tests.factories import AmbassadorFactory, ApplicationFactory, RecruitmentContactFactory

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TODAY = dt.date(2026, 3, 10)


def at(day: int, hour: int):
    return time_machine.travel(dt.datetime(2026, 3, day, hour, tzinfo=STOCKHOLM), tick=False)


def contact(name: str, follow_up_on=None, status=RecruitmentContact.Status.NEW) -> RecruitmentContact:
    with at(1, 12):  # long before: not "new" in the digest
        return RecruitmentContactFactory(name=name, follow_up_on=follow_up_on, status=status)


# The digest ---------------------------------------------------------------------------------------------------


def test_the_digest_lists_follow_ups_due_today_and_overdue_with_links(settings):
    today = contact("Idag Ek", TODAY)
    overdue = contact("Sen Berg", TODAY - dt.timedelta(days=3))
    contact("Senare Ö", TODAY + dt.timedelta(days=1))
    contact("Klar Ås", TODAY - dt.timedelta(days=1), status=RecruitmentContact.Status.JOINED)
    contact("Utan datum")

    with at(10, 7):
        delivery = coordinator_digest_queue()

    assert delivery is not None, "follow-ups due are reason enough for a digest"
    assert [(c["name"], c["overdue"]) for c in delivery.context["follow_ups"]] == [
        ("Sen Berg", True),
        ("Idag Ek", False),
    ]
    message = build_message(delivery)
    for item in (today, overdue):
        assert f"{settings.SITE_URL}/admin/network/recruitmentcontact/{item.pk}/change/" in message.body
    assert "Senare Ö" not in message.body and "Klar Ås" not in message.body and "Utan datum" not in message.body
    assert message.subject.endswith(", 2 uppföljningar att göra")
    html = message.alternatives[0][0]
    assert f'href="{settings.SITE_URL}/admin/network/recruitmentcontact/{overdue.pk}/change/"' in html
    assert "försenad (skulle följas upp 2026-03-07)" in html


def test_each_application_and_recommendation_in_the_digest_links_to_its_page(settings):
    with at(9, 15):
        application = ApplicationFactory(status="confirmed")
        Application.objects.filter(pk=application.pk).update(confirmed_at=dt.datetime(2026, 3, 9, 15, tzinfo=STOCKHOLM))
        recommendation = services.recommendation_submit(
            recommender_name="Bertil",
            recommender_email="bertil@example.se",
            name="Cecilia Ek",
            contact_details="070-111 22 33",
        )
    with at(10, 7):
        message = build_message(coordinator_digest_queue())
    assert f"{settings.SITE_URL}/admin/network/application/{application.pk}/change/" in message.body
    assert f"{settings.SITE_URL}/admin/network/recruitmentcontact/{recommendation.pk}/change/" in message.body


def test_no_digest_when_nothing_is_new_and_no_follow_up_is_due():
    contact("Senare Ö", TODAY + dt.timedelta(days=1))
    with at(10, 7):
        assert coordinator_digest_queue() is None


# A recommendation is emailed at once -------------------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(outbox, "deliveries_publish", ids.extend)
    return ids


def recommend(client, **overrides):
    data = {
        "recommender_name": "Bertil Berg",
        "recommender_email": "bertil@example.se",
        "name": "Cecilia <Ek>",
        "contact_details": "070-111 22 33",
        "note": "Hon känner alla i Nyland.\nOch spelar i kören.",
        "website": "",
        "started": form_started_token(time.time() - 30),
        **overrides,
    }
    return client.post("/tipsa/", data)


def test_a_recommendation_is_emailed_to_the_coordinator_at_once(
    client, settings, published, django_capture_on_commit_callbacks
):
    settings.COORDINATOR_EMAIL = "samordnare@kramfors.se"
    AmbassadorFactory(email="bertil@example.se")
    with django_capture_on_commit_callbacks(execute=True):
        assert recommend(client).status_code == 302

    recommendation = RecruitmentContact.objects.get()
    delivery = Delivery.objects.get(template="recommendation_received")
    assert delivery.to_email == "samordnare@kramfors.se"
    assert published == [delivery.pk], "handed to the workers when the request commits, not at the next digest"
    message = build_message(delivery)
    assert message.subject == "Nytt tips: Cecilia <Ek>"
    assert "070-111 22 33" in message.body and "Och spelar i kören." in message.body
    assert f"{settings.SITE_URL}/admin/network/recruitmentcontact/{recommendation.pk}/change/" in message.body
    html = message.alternatives[0][0]
    assert "Cecilia &lt;Ek&gt;" in html and "<Ek>" not in html
    assert "(en ambassadör)" in message.body


def test_the_recommendation_and_its_email_are_written_together_or_not_at_all(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("network.recruitment.email_queue", broken)
    with pytest.raises(RuntimeError):
        services.recommendation_submit(
            recommender_name="B", recommender_email="b@example.se", name="C", contact_details="070"
        )
    assert not RecruitmentContact.objects.exists()


def test_no_recommendation_email_when_notifications_are_off(client, settings):
    settings.NOTIFY_COORDINATOR_OF_RECOMMENDATIONS = False
    assert recommend(client).status_code == 302
    assert RecruitmentContact.objects.exists()
    assert not Delivery.objects.filter(template="recommendation_received").exists()


def test_the_setting_is_on_by_default(settings):
    assert settings.NOTIFY_COORDINATOR_OF_RECOMMENDATIONS is True


def test_a_phone_typed_any_way_is_shown_as_swedes_write_it_in_the_recommendation_email_and_the_digest(
    client, published, django_capture_on_commit_callbacks
):
    with at(9, 12), django_capture_on_commit_callbacks(execute=True):
        assert recommend(client, contact_details="+46701112233").status_code == 302
    assert "070-111 22 33" in build_message(Delivery.objects.get(template="recommendation_received")).body

    with at(10, 7):
        digest = coordinator_digest_queue()
    assert [c["contact"] for c in digest.context["contacts"]] == ["070-111 22 33"]
