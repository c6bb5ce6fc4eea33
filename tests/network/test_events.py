"""Events (issue 10), the ambassador's side: RSVP links and pages, capacity and the waiting list (also when the
coordinator raises the capacity), the confirmation's .ics, and invitations. (Reminders, follow-ups, attendance and
the "completed training" criterion: test_event_reminders_and_attendance.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Campaign, Delivery
from campaigns.services.newsletters import campaign_checklist
from crm.tokens import token_make
from network import events
from network.models import Event, Registration
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    DeliveryFactory,
    EventFactory,
    RegistrationFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

YES, NO, WAITLIST = Registration.Answer.YES, Registration.Answer.NO, Registration.Answer.WAITLIST


def url(event, ambassador) -> str:
    return f"/svar/{events.rsvp_token(event.pk, ambassador.pk)}/"


def state():
    return list(Registration.objects.order_by("pk").values_list()), Delivery.objects.count()


# The RSVP page -----------------------------------------------------------------------------------------------


def test_yes_then_no_then_yes_again(client):
    event, anna = (
        EventFactory(title="Ambassadörsträff", place="Kramfors bibliotek"),
        AmbassadorFactory(first_name="Anna"),
    )
    page = client.get(url(event, anna))
    assert page.status_code == 200
    assert "Ambassadörsträff" in page.text and "Kramfors bibliotek" in page.text
    assert "inte svarat" in page.text  # Swedish by default: "you have not answered yet"

    assert client.post(url(event, anna), {"answer": "yes"}).status_code == 200
    assert Registration.objects.get().answer == YES
    assert Delivery.objects.filter(template="event_confirmation", ambassador=anna).count() == 1

    page = client.post(url(event, anna), {"answer": "no"})
    assert Registration.objects.get().answer == NO
    assert "nej" in client.get(url(event, anna)).text.lower()

    client.post(url(event, anna), {"answer": "yes"})
    assert Registration.objects.get().answer == YES
    assert Delivery.objects.filter(template="event_confirmation", ambassador=anna).count() == 2


def test_the_page_shows_the_time_in_swedish_and_stockholm_time(client):
    start = datetime(2030, 3, 5, 17, 0, tzinfo=UTC)  # 18:00 in Stockholm (CET)
    event = EventFactory(starts_at=start, ends_at=start + timedelta(hours=2))
    page = client.get(url(event, AmbassadorFactory()))
    assert "tisdag 5 mars 2030 kl. 18:00–20:00" in page.text


def test_get_never_changes_anything(client):
    event, anna = EventFactory(), AmbassadorFactory()
    before = state()
    for _ in range(3):
        assert client.get(url(event, anna) + "?answer=yes").status_code == 200
    assert state() == before == ([], 0)


def test_after_the_deadline_nothing_changes(client):
    event, anna = EventFactory(rsvp_deadline=timezone.now() - timedelta(minutes=1)), AmbassadorFactory()
    RegistrationFactory(event=event, ambassador=anna)
    before = state()
    page = client.post(url(event, anna), {"answer": "no"})
    assert page.status_code == 200
    assert "Tiden för att svara har gått ut" in page.text
    assert 'name="answer"' not in page.text
    assert state() == before


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "TAMPERED",
        token_make("unsubscribe", [1, "newsletter", None]),  # signed, for another purpose
        token_make("confirm", 1),
    ],
    ids=["nonsense", "tampered", "unsubscribe-token", "confirm-token"],  # the tokens carry a time: not ids
)
def test_tampered_or_foreign_tokens_get_a_clear_400_and_change_nothing(client, token):
    event, anna = EventFactory(), AmbassadorFactory()
    if token == "TAMPERED":
        good = events.rsvp_token(event.pk, anna.pk)
        token = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    before = state()
    for response in (client.get(f"/svar/{token}/"), client.post(f"/svar/{token}/", {"answer": "yes"})):
        assert response.status_code == 400
        assert "Länken fungerar inte" in response.text
    assert state() == before


def test_an_unknown_answer_changes_nothing(client):
    event, anna = EventFactory(), AmbassadorFactory()
    assert client.post(url(event, anna), {"answer": "maybe"}).status_code == 400
    assert state() == ([], 0)


# Capacity and the waiting list -------------------------------------------------------------------------------


def test_a_yes_beyond_the_capacity_goes_on_the_waiting_list_and_the_page_says_so(client):
    event = EventFactory(capacity=1)
    anna, bo = AmbassadorFactory(), AmbassadorFactory()
    client.post(url(event, anna), {"answer": "yes"})
    page = client.post(url(event, bo), {"answer": "yes"})
    assert "väntelistan" in page.text
    assert Registration.objects.get(ambassador=bo).answer == WAITLIST
    # Told so by email, without a calendar file (test_calendar.py has the rest).
    (told,) = Delivery.objects.filter(ambassador=bo)
    assert told.template == "event_waitlisted" and "attachments" not in told.context


def test_a_cancellation_moves_the_first_on_the_waiting_list_up_with_exactly_one_email(client):
    event = EventFactory(capacity=1)
    anna, bo, cecilia = AmbassadorFactory(), AmbassadorFactory(), AmbassadorFactory()
    client.post(url(event, anna), {"answer": "yes"})
    client.post(url(event, bo), {"answer": "yes"})
    client.post(url(event, cecilia), {"answer": "yes"})
    before = Delivery.objects.count()

    client.post(url(event, anna), {"answer": "no"})

    answers = dict(Registration.objects.values_list("ambassador_id", "answer"))
    assert answers == {anna.pk: NO, bo.pk: YES, cecilia.pk: WAITLIST}
    new = Delivery.objects.order_by("pk")[before:]
    # Anna's calendar entry is cancelled; Bo moves up.
    assert [(d.template, d.ambassador_id) for d in new] == [("event_cancelled", anna.pk), ("event_promoted", bo.pk)]
    new = new[1:]
    assert [name for name, _content, _type in new[0].context["attachments"]] == ["event.ics"]


def test_the_same_answer_twice_sends_nothing_more(client):
    event, anna = EventFactory(), AmbassadorFactory()
    client.post(url(event, anna), {"answer": "yes"})
    client.post(url(event, anna), {"answer": "yes"})
    assert Delivery.objects.count() == 1


def waiting(event, count: int) -> list:
    people = [AmbassadorFactory() for _ in range(count)]
    for minute, person in enumerate(people):
        answer = YES if minute < (event.capacity or 0) else WAITLIST
        RegistrationFactory(
            event=event, ambassador=person, answer=answer, answered_at=timezone.now() - timedelta(minutes=60 - minute)
        )
    return people


def test_raising_the_capacity_in_the_admin_moves_the_first_waiting_up_and_tells_them(coordinator_client):
    event = EventFactory(capacity=1)
    first, second, third, fourth = waiting(event, 4)
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    form = {
        "title": event.title, "kind": event.kind, "description": "", "place": event.place, "address": event.address,
        "starts_at_0": start.strftime("%Y-%m-%d"), "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": end.strftime("%Y-%m-%d"), "ends_at_1": end.strftime("%H:%M:%S"),
        "capacity": "3", "follow_up_text": "",
    }  # fmt: skip
    response = coordinator_client.post(f"/admin/network/event/{event.pk}/change/", form, follow=True)
    assert response.status_code == 200
    assert "2 personer flyttades upp från väntelistan" in response.text
    answers = dict(Registration.objects.values_list("ambassador_id", "answer"))
    assert answers == {first.pk: YES, second.pk: YES, third.pk: YES, fourth.pk: WAITLIST}
    promoted = Delivery.objects.filter(template="event_promoted").order_by("pk")
    assert [d.ambassador_id for d in promoted] == [second.pk, third.pk]


def test_no_one_moves_up_once_the_event_has_started_and_saving_again_moves_no_one_twice():
    event = EventFactory(capacity=1, starts_at=timezone.now() - timedelta(minutes=5))
    waiting(event, 2)
    Event.objects.filter(pk=event.pk).update(capacity=5)
    assert events.capacity_changed(event_id=event.pk) == 0
    later = EventFactory(capacity=1)
    waiting(later, 3)
    Event.objects.filter(pk=later.pk).update(capacity=2)
    assert events.capacity_changed(event_id=later.pk) == 1
    assert events.capacity_changed(event_id=later.pk) == 0
    assert Delivery.objects.filter(template="event_promoted").count() == 1


# The calendar file -------------------------------------------------------------------------------------------


def test_the_confirmation_carries_an_ics_that_parses_with_the_start_in_utc(client):
    start = datetime(2030, 6, 10, 16, 30, tzinfo=UTC)  # 18:30 in Stockholm (CEST)
    event = EventFactory(
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Kramfors bibliotek",
        address="Torggatan 6, 872 30 Kramfors",
        title="Dialog och värdskap – en utbildning för alla ambassadörer, med fika, samtal; och, kanske, en visning",
        description="Rad ett\nRad två, med komma; och semikolon",
    )
    anna = AmbassadorFactory()
    client.post(url(event, anna), {"answer": "yes"})
    delivery = Delivery.objects.get(template="event_confirmation")
    message = build_message(delivery)
    ((name, content, mimetype),) = delivery.context["attachments"]
    assert name.endswith(".ics") and mimetype == "text/calendar; method=REQUEST"
    assert "\r\n" in content and "\n" not in content.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in content.split("\r\n"))
    assert "DTSTART:20300610T163000Z" in content

    calendar = icalendar.Calendar.from_ical(content)
    (vevent,) = calendar.walk("VEVENT")
    assert vevent["DTSTART"].dt == start
    assert vevent["DTEND"].dt == start + timedelta(hours=2)
    assert str(vevent["SUMMARY"]) == event.title
    assert str(vevent["LOCATION"]) == "Kramfors bibliotek, Torggatan 6, 872 30 Kramfors"
    assert str(vevent["DESCRIPTION"]) == event.description
    assert vevent["UID"] and vevent["DTSTAMP"]
    assert str(calendar["METHOD"]) == "REQUEST" and vevent["SEQUENCE"] == 0 and str(vevent["STATUS"]) == "CONFIRMED"
    # And it survives the trip through a real MIME message.
    assert b"Content-Type: text/calendar" in message.message().as_bytes()


# Invitations -------------------------------------------------------------------------------------------------


def invitation(event, body="Hej {{ first_name }}! [Svara här]({{ rsvp_url }}) [Avregistrera]({{ unsubscribe_url }})"):
    return CampaignFactory(
        name="Inbjudan",
        kind=Campaign.Kind.INVITATION,
        subject="Välkommen",
        body=body,
        segment=SegmentFactory(name="Alla"),
        event=event,
    )


def test_an_invitation_carries_each_recipients_own_rsvp_link(client):
    event, anna = EventFactory(), AmbassadorFactory()
    campaign = invitation(event)
    delivery = DeliveryFactory(campaign=campaign, ambassador=anna)
    message = build_message(delivery)
    link = events.rsvp_url(event.pk, anna.pk)
    assert link in message.body
    assert f'href="{link}"' in message.alternatives[0][0]
    path = link.removeprefix("http://testserver").split("//", 1)[-1]
    path = path[path.index("/svar/") :]
    client.post(path, {"answer": "yes"})
    assert Registration.objects.get().ambassador == anna


def test_a_test_copy_of_an_invitation_answers_for_nobody(client):
    event = EventFactory()
    campaign = invitation(event)
    delivery = DeliveryFactory(campaign=campaign, to_email="k@kramfors.se", to_name="Koordinatorn", is_test=True)
    message = build_message(delivery)
    assert "/svar/prov/" in message.body
    assert client.get("/svar/prov/").status_code == 200


def test_the_checklist_requires_an_event_and_the_rsvp_link():
    AmbassadorFactory()
    # A body without {{ rsvp_url }} passes: the invitation email shows the event's answer button by itself (issue 19).
    without_link = dict(
        campaign_checklist(invitation(EventFactory(), body="Hej! [Avregistrera]({{ unsubscribe_url }})"))
    )
    assert all(without_link.values()), without_link
    complete = campaign_checklist(invitation(EventFactory()))
    assert all(ok for _label, ok in complete), complete
    no_event = invitation(None)
    assert not all(ok for _label, ok in campaign_checklist(no_event))
