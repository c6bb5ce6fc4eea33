"""A stage changes one way (network.recruitment.contact_stage_set), whoever moves it, and a coordinator's note is
written by network.notes.note_add: both called here directly, as the admin calls them."""

from __future__ import annotations

import pytest

from network.models import Note, RecruitmentContact, StageChange
from network.services import contact_stage_set, note_add
from tests.factories import AmbassadorFactory, RecruitmentContactFactory

pytestmark = pytest.mark.django_db

Stage = RecruitmentContact.Status


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("samordnare", is_staff=True)


@pytest.fixture
def contact():
    return RecruitmentContactFactory(name="Lo Berg", contact_details="070-111 22 33")


def moves(contact: RecruitmentContact) -> list[tuple]:
    return list(
        StageChange.objects.filter(contact=contact)
        .order_by("pk")
        .values_list("from_status", "to_status", "reason", "changed_by__username")
    )


def test_a_stage_set_by_staff_moves_the_contact_and_records_who_moved_it(contact, staff):
    change = contact_stage_set(contact=contact, stage=Stage.CONTACTED, by=staff)
    contact.refresh_from_db()
    assert contact.status == Stage.CONTACTED
    assert change is not None
    assert moves(contact) == [(Stage.NEW, Stage.CONTACTED, StageChange.Reason.STAFF, "samordnare")]


def test_a_new_contacts_first_stage_is_recorded_from_nothing(staff):
    contact = RecruitmentContactFactory(name="Mo Berg", contact_details="mo@example.se", status=Stage.INTERESTED)
    contact_stage_set(contact=contact, stage=contact.status, previous="", by=staff)
    assert moves(contact) == [("", Stage.INTERESTED, StageChange.Reason.STAFF, "samordnare")]


def test_a_form_that_saved_the_stage_already_records_the_move_from_the_stage_it_showed(contact, staff):
    """The admin's form writes the new stage before it asks for the move to be recorded: `previous` says from where."""
    RecruitmentContact.objects.filter(pk=contact.pk).update(status=Stage.INTERESTED)
    contact.status = Stage.INTERESTED
    contact_stage_set(contact=contact, stage=Stage.INTERESTED, previous=Stage.NEW, by=staff)
    contact.refresh_from_db()
    assert contact.status == Stage.INTERESTED
    assert moves(contact) == [(Stage.NEW, Stage.INTERESTED, StageChange.Reason.STAFF, "samordnare")]


def test_setting_the_stage_a_contact_is_in_records_nothing(contact, staff):
    assert contact_stage_set(contact=contact, stage=Stage.NEW, by=staff) is None
    assert moves(contact) == []


def test_a_note_goes_on_the_ambassadors_or_the_contacts_timeline_with_its_author(contact, staff):
    person = AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se")
    on_person = note_add(person=person, author=staff, text="  Ringde om träffen  ")
    on_contact = note_add(person=contact, author=staff, text="Vill veta mer")
    assert (on_person.ambassador, on_person.contact, on_person.text) == (person, None, "Ringde om träffen")
    assert (on_contact.ambassador, on_contact.contact, on_contact.author) == (None, contact, staff)


def test_a_blank_note_is_not_written_and_a_long_one_is_cut_to_the_length_a_note_may_have(contact, staff):
    assert note_add(person=contact, author=staff, text=" \n ") is None
    assert not Note.objects.exists()
    longest = Note._meta.get_field("text").max_length
    assert len(note_add(person=contact, author=staff, text="x" * (longest + 10)).text) == longest
