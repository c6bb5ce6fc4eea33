"""One answer to "trained" (issue 19): a person has completed a training when they were marked as attended at an
event that counts as a training and has started. Every screen asks network.selectors.trained: the dashboard and
its chart, the ambassador list's filter, the audience criterion, Mina sidor and the timeline. Attendance cannot be
marked before the event; a training always counts; a walk-in is not a yes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from campaigns.selectors import audience
from network import events, selectors
from network.models import Event, Registration
from network.timeline import person_timeline
from tests.factories import AmbassadorFactory, EventFactory, RegistrationFactory, SegmentFactory

pytestmark = pytest.mark.django_db

WALK_IN = Registration.Answer.WALK_IN


def test_every_screen_gives_the_same_answer_to_who_is_trained(coordinator_client):
    now = timezone.now()
    training = EventFactory(title="Dialog och värdskap", kind=Event.Kind.TRAINING, starts_at=now - timedelta(days=1))
    coming = EventFactory(title="Värdskap del två", kind=Event.Kind.TRAINING, starts_at=now + timedelta(days=7))
    meeting = EventFactory(title="Fika", starts_at=now - timedelta(days=1))
    anna, bo, cia, dan = (AmbassadorFactory(first_name=name) for name in ("Anna", "Bosse", "Cissi", "Danne"))
    RegistrationFactory(event=training, ambassador=anna, attended=True)  # came: trained
    RegistrationFactory(event=coming, ambassador=bo, attended=True)  # marked before it happened (old data)
    RegistrationFactory(event=meeting, ambassador=cia, attended=True)  # came to something else
    RegistrationFactory(event=training, ambassador=dan)  # said yes, did not come

    trained = set(selectors.trained().values_list("ambassador_id", flat=True))
    assert trained == {anna.pk}
    assert selectors.training_completion(since=None, now=now)["trained"] == 1  # the dashboard's figure and chart
    assert [row["attended"] for row in selectors.training_completion(since=None, now=now)["trainings"]] == [1]
    segment = SegmentFactory(name="Utbildade", completed_training=training)
    assert {person.pk for person in audience(segment).recipients} == trained
    listed = coordinator_client.get(f"/admin/network/ambassador/?training={training.pk}").text
    assert "Anna" in listed and "Danne" not in listed
    assert coordinator_client.get(f"/admin/network/ambassador/?training={coming.pk}").status_code in (200, 302)
    for person in (anna, bo, cia, dan):
        completed = selectors.person_events(person, invited=set(), now=now)[1]
        assert (completed == [training]) == (person == anna), person  # Mina sidor
        assert (selectors.ambassador_trainings_completed(person) == ["Dialog och värdskap"]) == (person == anna)
    texts = [entry.text for entry in person_timeline(bo)]
    assert not any("Deltog" in text for text in texts), texts  # nothing says Bo came to what has not happened


def test_attendance_cannot_be_marked_before_the_event_starts(coordinator_client):
    event = EventFactory(starts_at=timezone.now() + timedelta(hours=2))
    registration = RegistrationFactory(event=event)
    url = f"/admin/network/event/{event.pk}/attendance/"

    assert "Markera vilka som kom" not in coordinator_client.get(f"/admin/network/event/{event.pk}/change/").text
    page = coordinator_client.get(url, follow=True)  # typed or bookmarked
    assert "Närvaro kan markeras när evenemanget har börjat" in page.text
    coordinator_client.post(url, {"attended": [registration.pk]})
    registration.refresh_from_db()
    assert not registration.attended
    with pytest.raises(events.AttendanceTooEarly):
        events.attendance_save(event=event, registration_ids={registration.pk})

    event.starts_at = timezone.now() - timedelta(minutes=1)
    event.ends_at = event.starts_at + timedelta(hours=2)
    event.save()
    assert "Markera vilka som kom" in coordinator_client.get(f"/admin/network/event/{event.pk}/change/").text
    coordinator_client.post(url, {"attended": [registration.pk]})
    registration.refresh_from_db()
    assert registration.attended


def test_a_training_always_counts_as_one():
    event = EventFactory(kind=Event.Kind.TRAINING, is_training=False)
    assert event.is_training
    meeting = EventFactory(kind=Event.Kind.MEETING)
    meeting.kind = Event.Kind.TRAINING
    meeting.save(update_fields=["kind"])
    meeting.refresh_from_db()
    assert meeting.is_training
    with pytest.raises(IntegrityError), transaction.atomic():  # no path around it, not even an update
        Event.objects.filter(pk=event.pk).update(is_training=False)
    assert EventFactory(kind=Event.Kind.MEETING, is_training=True).is_training  # another kind may count too


def test_a_walk_in_came_without_answering_and_is_not_a_yes():
    event = EventFactory(starts_at=timezone.now() - timedelta(hours=1), capacity=10)
    erik = AmbassadorFactory(first_name="Erik")
    events.attendance_save(event=event, registration_ids=set(), walk_in_ids={erik.pk})

    registration = Registration.objects.get(event=event, ambassador=erik)
    assert registration.answer == WALK_IN and registration.attended
    assert events.events_with_counts().get(pk=event.pk).count_yes == 0
    texts = [entry.text for entry in person_timeline(erik)]
    assert any("utan att ha svarat" in text for text in texts) and not any("Svarade ja" in t for t in texts), texts

    events.attendance_save(event=event, registration_ids=set())  # unticked: the walk-in is forgotten
    assert not Registration.objects.filter(event=event, ambassador=erik).exists()


def test_events_are_told_apart_by_their_day_wherever_they_are_chosen():
    day = timezone.make_aware(timezone.datetime(2026, 11, 23, 18, 0))
    first, second = (
        EventFactory(title="Dialog och värdskap", starts_at=day),
        EventFactory(title="Dialog och värdskap", starts_at=day + timedelta(days=7)),
    )
    with translation.override("sv"):
        assert [str(first), str(second)] == [
            "Dialog och värdskap (23 november 2026)",
            "Dialog och värdskap (30 november 2026)",
        ]
    with translation.override("en"):
        assert str(first) == "Dialog och värdskap (23 November 2026)"


def test_the_dashboard_says_it_in_the_singular_for_one(coordinator_client):
    training = EventFactory(kind=Event.Kind.TRAINING, starts_at=timezone.now() - timedelta(days=1))
    RegistrationFactory(event=training, ambassador=AmbassadorFactory(), attended=True)
    page = coordinator_client.get("/admin/").text
    assert "1 av 1 aktiv ambassadör har gått en utbildning" in page


def test_the_event_page_lists_a_walk_in_as_come_without_answering(coordinator_client):
    event = EventFactory(starts_at=timezone.now() - timedelta(hours=1))
    events.attendance_save(event=event, registration_ids=set(), walk_in_ids={AmbassadorFactory(first_name="Erik").pk})
    page = coordinator_client.get(f"/admin/network/event/{event.pk}/change/")
    assert page.status_code == 200
    assert "Kom utan att svara (1)" in page.text and "Erik" in page.text
