"""Linking a recruitment contact to the person it may be (network.recruitment.contact_link_suggested), without
HTTP: only a current suggestion is linked, never a typed id."""

from __future__ import annotations

import pytest

from network.recruitment import contact_candidates, contact_link_suggested
from tests.factories import AmbassadorFactory, ApplicationFactory, RecruitmentContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return RecruitmentContactFactory(name="Lo Berg", contact_details="070-111 22 33, lo@example.se")


def test_a_suggested_ambassador_is_linked_and_then_no_longer_suggested(contact):
    lo = AmbassadorFactory(first_name="Lo", last_name="Berg", phone="+46701112233")
    [candidate] = contact_candidates(contact)
    assert candidate.key == f"ambassador:{lo.pk}"

    assert contact_link_suggested(contact=contact, key=candidate.key) == lo
    contact.refresh_from_db()
    assert contact.ambassador == lo
    assert contact_candidates(contact) == []


def test_a_suggested_applicant_is_linked_to_their_application(contact):
    applied = ApplicationFactory(first_name="Lotta", last_name="Berg", email="lo@example.se")
    assert contact_link_suggested(contact=contact, key=f"application:{applied.pk}") == applied
    contact.refresh_from_db()
    assert (contact.application, contact.ambassador) == (applied, None)


def test_someone_not_suggested_is_not_linked_whatever_id_is_sent(contact):
    stranger = AmbassadorFactory(first_name="Mo", last_name="Ek", email="mo@example.se")
    assert contact_link_suggested(contact=contact, key=f"ambassador:{stranger.pk}") is None
    assert contact_link_suggested(contact=contact, key="") is None
    contact.refresh_from_db()
    assert (contact.ambassador, contact.application) == (None, None)
