"""The coordinator's bulk status change (network.services.ambassadors_status_set), called directly: it sets the
status of those selected and logs a change for each person it changed, not for those already there."""

from __future__ import annotations

import pytest

from crm.models import AuditEntry
from network.models import Ambassador
from network.services import ambassadors_status_set
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db

Status = Ambassador.Status


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("samordnare", is_staff=True)


def person(first_name: str, status: str = Status.ACTIVE) -> Ambassador:
    return AmbassadorFactory(
        first_name=first_name, last_name="Berg", email=f"{first_name.lower()}@example.se", status=status
    )


def test_the_selected_get_the_status_and_each_one_changed_is_logged_with_who_changed_it(staff):
    anna, olle, bo = person("Anna"), person("Olle", Status.PAUSED), person("Bo")
    selected = Ambassador.objects.filter(pk__in=[anna.pk, olle.pk])

    count = ambassadors_status_set(ambassadors=selected, status=Status.PAUSED, actor=staff)

    assert count == 2  # everyone selected is paused now, Olle already was
    assert dict(Ambassador.objects.values_list("first_name", "status")) == {
        "Anna": Status.PAUSED,
        "Olle": Status.PAUSED,
        "Bo": Status.ACTIVE,
    }
    assert list(AuditEntry.objects.values_list("action", "actor", "ambassador_id")) == [
        (AuditEntry.Action.CHANGE, staff.pk, anna.pk)
    ]
    assert bo.status == Status.ACTIVE


def test_setting_the_status_everyone_has_logs_nothing(staff):
    person("Anna", Status.ALUMNI)
    assert ambassadors_status_set(ambassadors=Ambassador.objects.all(), status=Status.ALUMNI, actor=staff) == 1
    assert not AuditEntry.objects.exists()
