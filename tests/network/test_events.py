"""Events (issue 10): RSVP links and pages, the waiting list, the confirmation's .ics, reminders and follow-ups,
attendance, and the "completed training" filter and audience criterion."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Campaign, Delivery, Segment
from campaigns.selectors import audience, segment_members
from campaigns.services.newsletters import campaign_checklist
from crm.tokens import token_make
from network import events
from network.models import Event, Registration
from network.tasks import send_event_reminders
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
    assert not Delivery.objects.filter(ambassador=bo).exists()


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
    assert [(d.template, d.ambassador_id) for d in new] == [("event_promoted", bo.pk)]
    assert [name for name, _content, _type in new[0].context["attachments"]] == ["event.ics"]


def test_the_same_answer_twice_sends_nothing_more(client):
    event, anna = EventFactory(), AmbassadorFactory()
    client.post(url(event, anna), {"answer": "yes"})
    client.post(url(event, anna), {"answer": "yes"})
    assert Delivery.objects.count() == 1


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
    ((name, content, mimetype),) = message.attachments
    assert name.endswith(".ics") and mimetype == "text/calendar"
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
    without_link = dict(
        campaign_checklist(invitation(EventFactory(), body="Hej! [Avregistrera]({{ unsubscribe_url }})"))
    )
    assert any("{{ rsvp_url }}" in label and not ok for label, ok in without_link.items())
    complete = campaign_checklist(invitation(EventFactory()))
    assert all(ok for _label, ok in complete), complete
    no_event = invitation(None)
    assert not all(ok for _label, ok in campaign_checklist(no_event))


# Reminders and follow-ups ------------------------------------------------------------------------------------


def test_the_reminder_goes_once_to_each_yes_even_when_the_task_runs_twice():
    event = EventFactory(starts_at=timezone.now() + timedelta(hours=20))
    later = EventFactory(starts_at=timezone.now() + timedelta(days=3))
    anna, bo, cecilia = AmbassadorFactory(), AmbassadorFactory(), AmbassadorFactory()
    RegistrationFactory(event=event, ambassador=anna)
    RegistrationFactory(event=event, ambassador=bo, answer=NO)
    RegistrationFactory(event=later, ambassador=cecilia)

    assert send_event_reminders() == {"reminders": 1, "follow_ups": 0}
    assert send_event_reminders() == {"reminders": 0, "follow_ups": 0}
    reminders = Delivery.objects.filter(template="event_reminder")
    assert list(reminders.values_list("ambassador_id", flat=True)) == [anna.pk]
    assert Registration.objects.get(ambassador=anna).reminded_at is not None


def test_a_row_claimed_by_another_run_is_not_reminded_again():
    """Two runs at once: the one whose conditional UPDATE comes second finds the row claimed."""
    event = EventFactory(starts_at=timezone.now() + timedelta(hours=20))
    registration = RegistrationFactory(event=event)
    rows = Registration.objects.filter(pk=registration.pk)
    list(rows)  # the other run read the row as due ...
    Registration.objects.filter(pk=registration.pk).update(reminded_at=timezone.now())  # ... and claimed it
    assert events._claim_each(rows, "reminded_at", timezone.now(), lambda r: pytest.fail("sent twice")) == 0


def test_the_follow_up_goes_once_to_attendees_after_the_event():
    event = EventFactory(starts_at=timezone.now() - timedelta(hours=3), follow_up_text="Tack! Här är bilderna.")
    silent = EventFactory(starts_at=timezone.now() - timedelta(hours=3))
    anna, bo = AmbassadorFactory(), AmbassadorFactory()
    RegistrationFactory(event=event, ambassador=anna, attended=True)
    RegistrationFactory(event=event, ambassador=bo, attended=False)
    RegistrationFactory(event=silent, ambassador=bo, attended=True)

    assert events.event_follow_ups_send() == 1
    assert events.event_follow_ups_send() == 0
    (delivery,) = Delivery.objects.filter(template="event_follow_up")
    assert delivery.ambassador == anna
    assert "Här är bilderna" in build_message(delivery).body


# Attendance, the filter and the audience ---------------------------------------------------------------------


def test_the_attendance_page_is_prefilled_from_the_yes_answers_and_saves_in_one_post(coordinator_client):
    event = EventFactory(starts_at=timezone.now() - timedelta(days=1), is_training=True)
    anna, bo, cecilia = AmbassadorFactory(), AmbassadorFactory(), AmbassadorFactory()
    ra = RegistrationFactory(event=event, ambassador=anna)
    rb = RegistrationFactory(event=event, ambassador=bo)
    rc = RegistrationFactory(event=event, ambassador=cecilia, answer=NO)

    page = coordinator_client.get(f"/admin/network/event/{event.pk}/attendance/")
    assert page.status_code == 200
    assert f'value="{ra.pk}" id="attended-{ra.pk}" checked' in page.text
    assert f'value="{rc.pk}" id="attended-{rc.pk}">' in page.text

    response = coordinator_client.post(f"/admin/network/event/{event.pk}/attendance/", {"attended": [ra.pk, rc.pk]})
    assert response.status_code == 302
    attended = set(Registration.objects.filter(attended=True).values_list("pk", flat=True))
    assert attended == {ra.pk, rc.pk}
    assert rb.pk not in attended


def test_attendance_needs_the_change_permission(client, django_user_model):
    event = EventFactory()
    user = django_user_model.objects.create_user("tittare", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_event", "view_ambassador"]))
    client.force_login(user)
    registration = RegistrationFactory(event=event)
    url = f"/admin/network/event/{event.pk}/attendance/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"attended": [registration.pk]}).status_code == 403
    assert not Registration.objects.get().attended


def test_attendance_drives_the_completed_training_filter_and_the_audience(coordinator_client):
    training = EventFactory(title="Dialog och värdskap", starts_at=timezone.now() - timedelta(days=2), is_training=True)
    anna = AmbassadorFactory(first_name="Annaträning")
    bo = AmbassadorFactory(first_name="Boutanträning")
    for person in (anna, bo):
        RegistrationFactory(event=training, ambassador=person)
    segment = SegmentFactory(name="Utbildade", completed_training=training)

    assert list(audience(segment).recipients) == []
    coordinator_client.post(
        f"/admin/network/event/{training.pk}/attendance/", {"attended": [anna.registrations.get().pk]}
    )

    assert list(audience(segment).recipients) == [anna]
    page = coordinator_client.get(f"/admin/network/ambassador/?training={training.pk}")
    assert "Annaträning" in page.text and "Boutanträning" not in page.text
    assert "Dialog och värdskap" in page.text  # offered as a choice of the filter
    count = coordinator_client.post(
        "/admin/campaigns/segment/count/", {"name": "x", "completed_training": training.pk}
    ).json()
    assert count["text"].startswith("1 ")
    anna_page = coordinator_client.get(f"/admin/network/ambassador/{anna.pk}/change/")
    assert "Dialog och värdskap" in anna_page.text and "genomförda utbildningar" in anna_page.text.lower()


def test_a_segment_can_only_choose_a_training():
    field = Segment._meta.get_field("completed_training")
    assert field.get_limit_choices_to() == {"is_training": True}


def test_the_event_list_counts_the_answers_in_one_query(coordinator_client):
    event = EventFactory(capacity=2)
    now = timezone.now()
    for answer, attended in [(YES, True), (YES, False), (WAITLIST, False), (NO, False)]:
        RegistrationFactory(event=event, answer=answer, attended=attended)
    counted = events.events_with_counts().get()
    assert (counted.count_yes, counted.count_waitlist, counted.count_no, counted.count_attended) == (2, 1, 1, 1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert coordinator_client.get("/admin/network/event/?when=upcoming").status_code == 200
        return len(captured)

    queries()  # warm up (session, permissions)
    few = queries()
    for _ in range(10):
        other = EventFactory(starts_at=now + timedelta(days=3))
        RegistrationFactory(event=other)
    assert queries() == few


def test_the_attendee_export_is_formula_escaped_for_swedish_excel(coordinator_client):
    event = EventFactory()
    person = AmbassadorFactory(first_name="=HYPERLINK(1)", last_name="@SUM(A1)")
    RegistrationFactory(event=event, ambassador=person)
    RegistrationFactory(event=event, answer=NO)
    response = coordinator_client.get(f"/admin/network/event/{event.pk}/attendees.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert len(rows) == 2  # the header and the yes; the no is not an attendee
    assert rows[1][:2] == ["'=HYPERLINK(1)", "'@SUM(A1)"]
    xlsx = coordinator_client.get(f"/admin/network/event/{event.pk}/attendees.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


# Demo data ---------------------------------------------------------------------------------------------------


def test_seed_demo_adds_a_past_training_with_attendance_and_an_upcoming_event_with_answers(settings, seed_data):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent

    training = Event.objects.get(is_training=True)
    assert training.ends_at < timezone.now()
    assert Registration.objects.filter(event=training, attended=True).count() > 0
    segment = SegmentFactory(name="Utbildade", completed_training=training)
    attended = Registration.objects.filter(event=training, attended=True).values_list("ambassador_id", flat=True)
    assert set(segment_members(segment).values_list("pk", flat=True)) == set(attended)
    upcoming = Event.objects.get(starts_at__gt=timezone.now())
    answers = list(Registration.objects.filter(event=upcoming).values_list("answer", flat=True))
    assert answers.count(YES) == upcoming.capacity and answers.count(WAITLIST) > 0 and answers.count(NO) > 0


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


def test_someone_who_came_without_answering_is_added_on_the_attendance_page(coordinator_client):
    event = EventFactory(starts_at=timezone.now() - timedelta(days=1), is_training=True)
    anna, dagny, inactive = AmbassadorFactory(), AmbassadorFactory(last_name="Östlund"), AmbassadorFactory()
    inactive.status = inactive.Status.ALUMNI
    inactive.save()
    registration = RegistrationFactory(event=event, ambassador=anna)
    page = coordinator_client.get(f"/admin/network/event/{event.pk}/attendance/")
    assert f'<option value="{dagny.pk}">' in page.text
    assert f'<option value="{anna.pk}">' not in page.text  # answered already: ticked in the table instead
    assert f'<option value="{inactive.pk}">' not in page.text

    form = {"attended": [registration.pk], "walk_in": [dagny.pk, anna.pk, inactive.pk, 999999, "x"]}
    response = coordinator_client.post(f"/admin/network/event/{event.pk}/attendance/", form)
    assert response.status_code == 302
    came = dict(Registration.objects.filter(event=event).values_list("ambassador_id", "attended"))
    assert came == {anna.pk: True, dagny.pk: True}  # tampered and ineligible ids are ignored
    assert Registration.objects.get(ambassador=dagny).answer == YES
    assert not Delivery.objects.filter(ambassador=dagny).exists()  # nobody is emailed for it

    coordinator_client.post(f"/admin/network/event/{event.pk}/attendance/", form)  # saved twice: still one each
    assert Registration.objects.filter(event=event).count() == 2


def test_the_attendance_page_takes_walk_ins_when_nobody_answered(coordinator_client):
    event = EventFactory(starts_at=timezone.now() - timedelta(days=1))
    erik = AmbassadorFactory()
    page = coordinator_client.get(f"/admin/network/event/{event.pk}/attendance/")
    assert "Ingen har svarat på inbjudan än." in page.text and 'name="walk_in"' in page.text
    coordinator_client.post(f"/admin/network/event/{event.pk}/attendance/", {"walk_in": [erik.pk]})
    assert Registration.objects.get(event=event, ambassador=erik).attended


def test_an_ambassadors_page_lists_the_latest_events_and_every_completed_training(coordinator_client):
    """A long-standing member's page stays quick: the latest RECENT_EVENTS events, and all their trainings."""
    from network.event_admin import RECENT_EVENTS

    anna = AmbassadorFactory()
    old = timezone.now() - timedelta(days=400)
    training = EventFactory(title="Dialog och värdskap", starts_at=old, is_training=True)
    RegistrationFactory(event=training, ambassador=anna, answered_at=old, attended=True)
    for day in range(RECENT_EVENTS + 5):
        meeting = EventFactory(title=f"Träff nummer {day}", starts_at=timezone.now() - timedelta(days=day + 1))
        RegistrationFactory(event=meeting, ambassador=anna)

    page = coordinator_client.get(f"/admin/network/ambassador/{anna.pk}/change/").text
    assert "Dialog och värdskap" in page  # older than the latest events, still a completed training
    assert f"De senaste {RECENT_EVENTS} evenemangen" in page
    shown = [day for day in range(RECENT_EVENTS + 5) if f"Träff nummer {day}:" in page]
    assert shown == list(range(RECENT_EVENTS))
