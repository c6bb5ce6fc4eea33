"""Events (issue 10), after the answers: reminders and follow-ups, attendance (walk-ins too), the "completed
training" filter and audience criterion, the coordinator's lists and exports, an ambassador's events on their page,
and the demo data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Delivery, Segment
from campaigns.selectors import audience, segment_members
from network import events
from network.models import Event, Registration
from network.tasks import send_event_reminders
from tests.factories import AmbassadorFactory, EventFactory, RegistrationFactory, SegmentFactory

pytestmark = pytest.mark.django_db

YES, NO, WAITLIST = Registration.Answer.YES, Registration.Answer.NO, Registration.Answer.WAITLIST


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
    assert (
        events.registrations_claim_each(rows, "reminded_at", timezone.now(), lambda r: pytest.fail("sent twice")) == 0
    )


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
    assert Registration.objects.get(ambassador=dagny).answer == Registration.Answer.WALK_IN  # not a yes
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
