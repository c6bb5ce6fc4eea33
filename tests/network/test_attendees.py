"""An event's attendee list and what an ambassador's page shows of events, without HTTP: the reads in
network.selectors and the export in network.attendees (with its audit record)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from crm.models import AuditEntry
from network.attendees import event_attendees_export
from network.models import Ambassador, Event, Locality, Registration
from network.selectors import (
    ambassador_registrations,
    ambassador_trainings_completed,
    event_attendees,
    trainings_held,
)
from tests.factories import AmbassadorFactory, EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

YES, WAITLIST, NO = Registration.Answer.YES, Registration.Answer.WAITLIST, Registration.Answer.NO
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("samordnare", is_staff=True)


def make_event(title: str = "Träff", *, starts_at: datetime = NOW, **fields) -> Event:
    return EventFactory(title=title, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), **fields)


def person(first_name: str, last_name: str = "Berg", **fields) -> Ambassador:
    email = fields.pop("email", f"{first_name.lower()}.{last_name.lower()}@example.se")
    return AmbassadorFactory(first_name=first_name, last_name=last_name, email=email, **fields)


def answer(event: Event, ambassador: Ambassador, given: str, *, attended: bool = False) -> Registration:
    return RegistrationFactory(event=event, ambassador=ambassador, answer=given, answered_at=NOW, attended=attended)


def test_the_attendees_are_the_yes_the_waiting_and_whoever_came_by_name():
    event = make_event()
    answer(event, person("Cia", "Öberg"), YES)
    answer(event, person("Bo", "Ahl"), WAITLIST)
    answer(event, person("Dan", "Berg"), NO)
    answer(event, person("Eva", "Berg"), NO, attended=True)  # said no, came anyway
    answer(make_event("Annan"), person("Fia"), YES)
    assert [r.ambassador.first_name for r in event_attendees(event)] == ["Bo", "Eva", "Cia"]


def test_the_csv_export_is_the_attendee_list_for_swedish_excel_and_logs_each_person_exported(staff):
    event = make_event()
    kramfors, _created = Locality.objects.get_or_create(name="Kramfors")
    came = person("=HYPERLINK(1)", "Ahl", email="ahl@example.se", phone="+46701906448", locality=kramfors)
    waiting = person("Bo", "Berg", phone="")
    answer(event, came, YES, attended=True)
    answer(event, waiting, WAITLIST)
    answer(event, person("Dan", "Berg"), NO)

    with translation.override("en"):
        export = event_attendees_export(event=event, file_format="csv", actor=staff)

    assert export.name == f"deltagare-{event.pk}-2026-05-04.csv"
    assert export.content_type == "text/csv; charset=utf-8"
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows == [
        ["First name", "Last name", "Email", "Phone", "Locality", "Answer", "Attended"],
        ["'=HYPERLINK(1)", "Ahl", "ahl@example.se", "070-190 64 48", "Kramfors", "Yes", "Yes"],
        ["Bo", "Berg", "bo.berg@example.se", "", "", "Waiting list", ""],
    ]
    logged = AuditEntry.objects.order_by("pk").values_list("action", "actor", "ambassador_id")
    assert list(logged) == [
        (AuditEntry.Action.EXPORT, staff.pk, came.pk),
        (AuditEntry.Action.EXPORT, staff.pk, waiting.pk),
    ]


def test_the_excel_export_is_a_workbook_and_another_format_is_refused(staff):
    event = make_event()
    answer(event, person("Anna"), YES)
    export = event_attendees_export(event=event, file_format="xlsx", actor=staff)
    assert export.content[:2] == b"PK" and export.name.endswith(".xlsx")
    assert export.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with pytest.raises(ValueError, match="pdf"):
        event_attendees_export(event=event, file_format="pdf", actor=staff)
    assert AuditEntry.objects.count() == 1  # the refused one exported nobody


def test_an_ambassadors_latest_answers_and_whether_there_are_more():
    anna = person("Anna")
    for day in range(3):
        answer(make_event(f"Träff {day}", starts_at=NOW + timedelta(days=day)), anna, YES)
    latest, more = ambassador_registrations(anna, limit=2)
    assert [r.event.title for r in latest] == ["Träff 2", "Träff 1"]
    assert more
    assert ambassador_registrations(anna, limit=3)[1] is False
    assert ambassador_registrations(person("Bo"), limit=3) == ([], False)


def test_the_trainings_completed_are_those_attended_earliest_first_and_trainings_held_those_started():
    anna = person("Anna")
    later = make_event("Fortsättning", starts_at=NOW - timedelta(days=1), is_training=True)
    first = make_event("Grundkurs", starts_at=NOW - timedelta(days=30), is_training=True)
    skipped = make_event("Missad", starts_at=NOW - timedelta(days=10), is_training=True)
    upcoming = make_event("Nästa", starts_at=NOW + timedelta(days=10), is_training=True)
    answer(later, anna, YES, attended=True)
    answer(first, anna, YES, attended=True)
    answer(skipped, anna, YES)
    answer(make_event("Fika", starts_at=NOW - timedelta(days=2)), anna, YES, attended=True)  # not a training
    assert ambassador_trainings_completed(anna) == ["Grundkurs", "Fortsättning"]
    assert list(trainings_held(now=NOW)) == [later, skipped, first]
    assert upcoming not in trainings_held(now=NOW)
