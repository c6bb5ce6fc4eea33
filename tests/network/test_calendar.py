"""Calendars that follow the answer (issue 20): the .ics as an iTIP REQUEST with organizer, attendee and sequence
(RFC 5545/5546); a no after a yes cancels the entry; the waiting list is told its place; a changed time or place
updates everyone who said yes; a deleted event is cancelled in their calendars; the follow-up is Swedish whole."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone, translation

from campaigns.emails import build_message
from campaigns.labels import template_label
from campaigns.models import Delivery
from network import events
from network.calendar import event_ics
from network.models import Event, Registration
from tests.factories import AmbassadorFactory, EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

YES, NO, WAITLIST = Registration.Answer.YES, Registration.Answer.NO, Registration.Answer.WAITLIST


def answer(event, person, value):
    return events.registration_answer(event_id=event.pk, ambassador_id=person.pk, answer=value)


def sent(template, person=None):
    rows = Delivery.objects.filter(template=template).order_by("pk")
    return list(rows.filter(ambassador=person) if person else rows)


def ics(delivery, method="REQUEST"):
    ((name, content, mimetype),) = delivery.context["attachments"]
    assert (name, mimetype) == ("event.ics", f"text/calendar; method={method}")
    calendar = icalendar.Calendar.from_ical(content)
    assert str(calendar["METHOD"]) == method
    (vevent,) = calendar.walk("VEVENT")
    return content, vevent


def unfolded(content: str) -> str:
    return content.replace("\r\n ", "")


# The REQUEST -------------------------------------------------------------------------------------------------


def test_a_yes_gets_a_request_with_the_organizer_the_attendee_and_the_sequence(settings):
    settings.COORDINATOR_NAME, settings.COORDINATOR_EMAIL = 'Lena "Lo" Berg, samordnare', "lena@kramfors.se"
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(calendar_sequence=4)
    anna = AmbassadorFactory(first_name="Anna", last_name="Öberg; Ek", email="anna@example.se")
    answer(event, anna, YES)
    content, vevent = ics(sent("event_confirmation", anna)[0])
    text = unfolded(content)
    assert 'ORGANIZER;CN="Lena Lo Berg, samordnare":mailto:lena@kramfors.se\r\n' in text
    assert 'ATTENDEE;CN="Anna Öberg; Ek";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:anna@example.se\r\n' in text
    assert vevent["SEQUENCE"] == 4 and str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["UID"]) == f"event-{event.pk}@testserver"
    assert str(vevent["ORGANIZER"]) == "mailto:lena@kramfors.se"
    assert vevent["ATTENDEE"].params["CN"] == "Anna Öberg; Ek"
    assert "METHOD:PUBLISH" not in content


def test_the_organizer_falls_back_to_the_from_address(settings):
    settings.COORDINATOR_NAME, settings.COORDINATOR_EMAIL = "", ""
    settings.DEFAULT_FROM_EMAIL = '"Ambassadörsnätverket" <noreply@kramfors.se>'
    text = unfolded(event_ics(EventFactory()))
    assert 'ORGANIZER;CN="Ambassadörsnätverket":mailto:noreply@kramfors.se\r\n' in text
    assert "ATTENDEE" not in text  # nobody to name


def test_moving_up_from_the_waiting_list_keeps_a_request():
    event = EventFactory(capacity=1)
    anna, bo = AmbassadorFactory(), AmbassadorFactory()
    answer(event, anna, YES)
    answer(event, bo, YES)
    answer(event, anna, NO)
    (promoted,) = sent("event_promoted", bo)
    content, vevent = ics(promoted)
    assert f"mailto:{bo.email}" in unfolded(content) and str(vevent["STATUS"]) == "CONFIRMED"


# Saying no, and the waiting list -----------------------------------------------------------------------------


def test_no_after_yes_cancels_the_entry_and_yes_again_puts_it_back_at_a_sequence_as_high():
    event, anna = EventFactory(), AmbassadorFactory(email="anna@example.se")
    answer(event, anna, YES)
    assert answer(event, anna, NO) == events.Outcome.NO
    (cancelled,) = sent("event_cancelled", anna)
    content, vevent = ics(cancelled, "CANCEL")
    assert str(vevent["STATUS"]) == "CANCELLED" and vevent["SEQUENCE"] == 1
    assert str(vevent["UID"]) == f"event-{event.pk}@testserver"
    assert "PARTSTAT=DECLINED" in unfolded(content)
    message = build_message(cancelled)
    assert message.subject == f"Du har avbokat: {event.title}"
    assert "Du har avbokat din plats" in message.body and events.rsvp_url(event.pk, anna.pk) in message.body

    answer(event, anna, YES)
    _content, vevent = ics(sent("event_confirmation", anna)[-1])
    assert vevent["SEQUENCE"] >= 1  # not below the CANCEL, or a calendar would ignore it


def test_a_no_without_a_yes_before_sends_nothing():
    event, anna = EventFactory(), AmbassadorFactory()
    answer(event, anna, NO)
    assert not Delivery.objects.exists()


def test_going_on_the_waiting_list_tells_the_place_in_the_order_it_is_served():
    event = EventFactory(capacity=1, title="Fika")
    anna, bo, cecilia = AmbassadorFactory(), AmbassadorFactory(), AmbassadorFactory(language="en")
    answer(event, anna, YES)
    answer(event, bo, YES)
    answer(event, cecilia, YES)
    (to_bo,) = sent("event_waitlisted", bo)
    (to_cecilia,) = sent("event_waitlisted", cecilia)
    assert (to_bo.context["position"], to_cecilia.context["position"]) == (1, 2)
    assert "attachments" not in to_bo.context
    message = build_message(to_bo)
    assert message.subject == "Du står på väntelistan: Fika"
    assert "Du står på väntelistan, på plats 1." in message.body
    assert "in place 2." in build_message(to_cecilia).body
    assert not sent("event_waitlisted", anna)


def test_leaving_the_waiting_list_is_told_in_a_line_without_a_calendar_file():
    event = EventFactory(capacity=1, title="Fika")
    anna, bo = AmbassadorFactory(), AmbassadorFactory()
    answer(event, anna, YES)
    answer(event, bo, YES)
    answer(event, bo, NO)
    (off,) = sent("event_cancelled", bo)
    assert off.context["reason"] == "waitlist" and "attachments" not in off.context
    message = build_message(off)
    assert message.subject == "Du står inte längre på väntelistan: Fika"
    assert "Du står inte längre på väntelistan till Fika." in message.body
    assert not sent("event_cancelled", anna) and not sent("event_promoted")


# A new time or place -----------------------------------------------------------------------------------------


def before_of(event):
    return {name: getattr(event, name) for name in events.CALENDAR_FIELDS}


def test_a_new_time_updates_those_who_said_yes_once_with_a_raised_sequence():
    event = EventFactory(capacity=1)
    anna, bo, cecilia = AmbassadorFactory(), AmbassadorFactory(), AmbassadorFactory()
    RegistrationFactory(event=event, ambassador=anna, answer=YES)
    RegistrationFactory(event=event, ambassador=bo, answer=WAITLIST)
    RegistrationFactory(event=event, ambassador=cecilia, answer=NO)
    before = before_of(event)
    event.starts_at += timedelta(days=1)
    event.ends_at += timedelta(days=1)
    event.save()

    assert events.event_changed(event=event, before=before) == 1
    assert Event.objects.get(pk=event.pk).calendar_sequence == 1
    (updated,) = sent("event_updated")
    assert updated.ambassador == anna
    assert updated.context["when"] == events.event_when(event, "sv")
    _content, vevent = ics(updated)
    assert vevent["SEQUENCE"] == 1 and vevent["DTSTART"].dt == event.starts_at.replace(microsecond=0)
    assert build_message(updated).subject == f"Ny tid eller plats: {event.title}"

    before = before_of(event)
    event.place = "Stadshuset"
    event.save()
    assert events.event_changed(event=event, before=before) == 1
    assert [d.context["where"] for d in sent("event_updated")][-1].startswith("Stadshuset")
    assert Event.objects.get(pk=event.pk).calendar_sequence == 2


def test_no_update_without_a_change_of_time_or_place_or_once_the_event_has_started():
    event = EventFactory()
    RegistrationFactory(event=event)
    before = before_of(event)
    event.title, event.description = "Nytt namn", "Ny text"
    event.save()
    assert events.event_changed(event=event, before=before) == 0
    begun = EventFactory(starts_at=timezone.now() - timedelta(minutes=10))
    RegistrationFactory(event=begun)
    before = before_of(begun)
    begun.place = "Stadshuset"
    assert events.event_changed(event=begun, before=before) == 0
    assert not Delivery.objects.exists()
    assert Event.objects.filter(calendar_sequence__gt=0).count() == 0


def admin_form(event, **changes) -> dict:
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    form = {
        "title": event.title, "kind": event.kind, "description": "", "place": event.place, "address": event.address,
        "starts_at_0": start.strftime("%Y-%m-%d"), "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": end.strftime("%Y-%m-%d"), "ends_at_1": end.strftime("%H:%M:%S"),
        "capacity": "", "follow_up_text": "",
    }  # fmt: skip
    return form | changes


def test_the_coordinator_moving_an_event_in_the_admin_tells_those_coming(coordinator_client):
    event = EventFactory()
    for _ in range(3):
        RegistrationFactory(event=event, answer=YES)
    RegistrationFactory(event=event, answer=NO)
    url = f"/admin/network/event/{event.pk}/change/"

    response = coordinator_client.post(url, admin_form(event, title="Samma tid"), follow=True)
    assert "deltagare fick" not in response.text  # a new title is no new time: nobody is emailed
    assert not sent("event_updated")

    response = coordinator_client.post(url, admin_form(event, place="Stadshuset"), follow=True)
    assert "3 deltagare fick den nya tiden och platsen med e-post." in response.text
    assert len(sent("event_updated")) == 3
    assert Event.objects.get(pk=event.pk).calendar_sequence == 1


# A deleted event ---------------------------------------------------------------------------------------------


def test_deleting_an_upcoming_event_in_the_admin_cancels_it_in_the_calendars_of_those_coming(coordinator_client):
    event = EventFactory(title="Fika")
    anna = AmbassadorFactory(language="en")
    RegistrationFactory(event=event, ambassador=anna, answer=YES)
    RegistrationFactory(event=event, answer=NO)
    response = coordinator_client.post(f"/admin/network/event/{event.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200 and not Event.objects.exists()
    assert "1 deltagare fick ett mejl om att evenemanget är inställt." in response.text
    (cancelled,) = sent("event_cancelled")
    assert cancelled.ambassador == anna and cancelled.context["reason"] == "event"
    _content, vevent = ics(cancelled, "CANCEL")
    assert str(vevent["STATUS"]) == "CANCELLED" and vevent["SEQUENCE"] == 1
    message = build_message(cancelled)
    assert message.subject == "Cancelled: Fika"
    assert "We have cancelled Fika" in message.body and "/svar/" not in message.body  # no link to a deleted event


def test_deleting_events_from_the_list_goes_the_same_way_but_a_past_event_tells_nobody(coordinator_client):
    upcoming, past = EventFactory(), EventFactory(starts_at=timezone.now() - timedelta(days=3))
    RegistrationFactory(event=upcoming, answer=YES)
    RegistrationFactory(event=past, answer=YES)
    form = {"action": "delete_selected", "_selected_action": [upcoming.pk, past.pk], "post": "yes"}
    response = coordinator_client.post("/admin/network/event/", form, follow=True)
    assert response.status_code == 200 and not Event.objects.exists()
    assert [d.context["title"] for d in sent("event_cancelled")] == [upcoming.title]


# Language and labels -----------------------------------------------------------------------------------------


def test_the_follow_up_is_swedish_whole_for_an_english_reader():
    event = EventFactory(
        starts_at=timezone.now() - timedelta(hours=3), follow_up_text="Tack! Här är bilderna från kvällen."
    )
    RegistrationFactory(event=event, ambassador=AmbassadorFactory(language="en"), attended=True)
    assert events.event_follow_ups_send() == 1
    (follow_up,) = sent("event_follow_up")
    assert follow_up.language == "en"  # the reader's: its links open in English
    message = build_message(follow_up)
    assert message.subject.startswith("Tack för att du kom")
    assert "Tack för att du kom" in message.body and "Thank you" not in message.body


def test_the_new_emails_have_labels_and_end_with_the_contact_footer(settings):
    settings.COORDINATOR_NAME = "Lena Berg"
    with translation.override("sv"):
        assert template_label("event_waitlisted") == "På väntelistan till ett evenemang"
        assert template_label("event_updated") == "Ny tid eller plats för ett evenemang"
        assert template_label("event_cancelled") == "Avbokning eller inställt evenemang"
    event = EventFactory(capacity=0)
    anna = AmbassadorFactory()
    answer(event, anna, YES)
    (waitlisted,) = sent("event_waitlisted")
    message = build_message(waitlisted)
    assert "Lena Berg" in message.body and "Lena Berg" in message.alternatives[0][0]
    assert message.body.rstrip().endswith("Kramfors kommun · Ambassadörsnätverket")
