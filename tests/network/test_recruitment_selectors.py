"""The reads behind the recruitment lists and an ambassador's "Has recruited" (network.selectors), called directly."""

from __future__ import annotations

import datetime as dt

import pytest

from network.models import Ambassador, RecruitmentContact
from network.selectors import (
    ambassador_recruits,
    ambassadors_with_recruited_count,
    recruitment_contacts_follow_up,
    recruitment_contacts_follow_up_due,
    recruitment_stage_counts,
)
from tests.factories import AmbassadorFactory, RecruitmentContactFactory

pytestmark = pytest.mark.django_db

Stage = RecruitmentContact.Status
TODAY = dt.date(2026, 3, 10)


def person(first_name: str, **fields) -> Ambassador:
    return AmbassadorFactory(first_name=first_name, last_name="Berg", email=f"{first_name}@example.se", **fields)


def contact(name: str, **fields) -> RecruitmentContact:
    return RecruitmentContactFactory(name=name, contact_details=f"{name.lower()}@example.se", **fields)


def test_each_ambassador_is_counted_the_ambassadors_they_recruited(django_assert_num_queries):
    anna, bo = person("anna"), person("bo")
    person("cia", recommended_by=anna)
    person("dan", recommended_by=anna)
    with django_assert_num_queries(1):
        counts = dict(ambassadors_with_recruited_count(Ambassador.objects.all()).values_list("pk", "recruited_count"))
    assert counts[anna.pk] == 2
    assert counts[bo.pk] == 0


def test_the_recruits_are_the_ambassadors_and_the_contacts_not_joined_yet_each_at_most_the_limit():
    anna = person("anna")
    cia, dan = person("cia", recommended_by=anna), person("dan", recommended_by=anna)
    contact("Eva", recommended_by=anna)
    contact("Fia", recommended_by=anna, status=Stage.INTERESTED)
    contact("Gun", recommended_by=anna, status=Stage.JOINED)
    contact("Hjalmar")  # nobody's

    people, contacts = ambassador_recruits(anna)
    assert people == [cia, dan]
    assert [c.name for c in contacts] == ["Fia", "Eva"]  # newest first, the one who joined is an ambassador above

    people, contacts = ambassador_recruits(anna, limit=1)
    assert (len(people), len(contacts)) == (1, 1)


def test_the_stage_counts_name_only_the_stages_someone_is_in():
    contact("Eva")
    contact("Fia", status=Stage.INTERESTED)
    contact("Gun", status=Stage.INTERESTED)
    assert recruitment_stage_counts() == {Stage.NEW: 1, Stage.INTERESTED: 2}


def test_follow_ups_due_and_planned_later_are_the_open_contacts_on_either_side_of_the_day():
    overdue = contact("Eva", follow_up_on=TODAY - dt.timedelta(days=3))
    today = contact("Fia", follow_up_on=TODAY, status=Stage.CONTACTED)
    later = contact("Gun", follow_up_on=TODAY + dt.timedelta(days=1), status=Stage.INTERESTED)
    contact("Hjalmar", follow_up_on=TODAY, status=Stage.APPLIED)  # moved on: not followed up
    contact("Ida", follow_up_on=TODAY, status=Stage.NOT_INTERESTED)
    contact("Jon")  # no date

    everyone = RecruitmentContact.objects.all()
    assert set(recruitment_contacts_follow_up(everyone, day=TODAY, due=True)) == {overdue, today}
    assert set(recruitment_contacts_follow_up(everyone, day=TODAY, due=False)) == {later}
    assert list(recruitment_contacts_follow_up_due(TODAY)) == [overdue, today]  # oldest first
