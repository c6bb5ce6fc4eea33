"""Who may be put through a sequence by hand, and which sequences may be chosen (campaigns.services.sequences,
campaigns.selectors), called directly, as the admin's enrollment form asks them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.models import Enrollment
from campaigns.selectors import sequence_active, sequences_active
from campaigns.services.sequences import NotEnrollable, enroll_each, enrollment_refusal
from network.models import Ambassador
from tests.factories import AmbassadorFactory, EnrollmentFactory, SequenceFactory

pytestmark = pytest.mark.django_db

Status = Ambassador.Status


@pytest.fixture
def series():
    return SequenceFactory(slug="test-series", name="Testserien")


def person(first_name: str, **fields) -> Ambassador:
    fields = {"email": f"{first_name.lower()}@example.se", "status": Status.ACTIVE, **fields}
    return AmbassadorFactory(first_name=first_name, last_name="Berg", **fields)


def test_an_active_ambassador_with_an_address_not_in_the_series_may_be_enrolled(series):
    assert enrollment_refusal(ambassador=person("Anna"), sequence=series) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"status": Status.PAUSED}, NotEnrollable.INACTIVE),
        ({"status": Status.ALUMNI, "email": None, "phone": "+46701112233"}, NotEnrollable.INACTIVE),
        ({"email": None, "phone": "+46701112233"}, NotEnrollable.NO_EMAIL),
    ],
)
def test_only_active_ambassadors_with_an_address_may_be_enrolled(series, fields, reason):
    assert enrollment_refusal(ambassador=person("Bo", **fields), sequence=series) == reason
    assert enrollment_refusal(ambassador=person("Cia", **fields), sequence=None) == reason  # none chosen yet


def test_nobody_is_enrolled_in_the_same_series_twice(series):
    anna = person("Anna")
    EnrollmentFactory(ambassador=anna, sequence=series, enrolled_at=timezone.now())
    other = SequenceFactory(slug="other-series", name="Annan serie")
    assert enrollment_refusal(ambassador=anna, sequence=series) == NotEnrollable.ALREADY
    assert enrollment_refusal(ambassador=anna, sequence=other) is None


def test_a_selection_is_enrolled_by_the_same_rules(series):
    anna = person("Anna")
    person("Bo", status=Status.PAUSED)
    person("Cia", email=None, phone="+46701112233")
    result = enroll_each(ambassadors=Ambassador.objects.all(), sequence_slug=series.slug)
    assert (result.started, result.inactive, result.no_email) == (1, 1, 1)
    assert list(Enrollment.objects.filter(sequence=series).values_list("ambassador", flat=True)) == [anna.pk]


def test_only_the_sequences_switched_on_may_be_chosen(series):
    off = SequenceFactory(slug="switched-off", name="Avstängd", is_active=False)
    assert series in sequences_active() and off not in sequences_active()
    assert sequence_active("test-series") == series
    assert sequence_active("switched-off") is None
    assert sequence_active("no-such-series") is None
