"""crm runs the privacy and retention loops over the apps named in settings, never by importing them: an app takes
part by being named (PRIVACY_PROVIDERS, RETENTION_PROVIDERS), in the order given."""

from __future__ import annotations

import pytest

from crm.privacy import person_data, person_erase
from crm.retention import retention_run
from network.models import Ambassador
from tests.crm import extra_privacy
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def extra(settings):
    extra_privacy.asked.clear()
    # Before network.privacy, which deletes the person and so comes last.
    settings.PRIVACY_PROVIDERS = [*settings.PRIVACY_PROVIDERS[:-1], "tests.crm.extra_privacy", "network.privacy"]
    return extra_privacy.asked


def test_an_app_named_in_the_setting_adds_its_rows_to_the_export(extra):
    anna = AmbassadorFactory(email="anna@example.se")
    data = person_data(anna)
    assert data["extra.note"] == [{"about": anna.pk, "addresses": ["anna@example.se"]}]
    assert data["network.ambassador"][0]["email"] == "anna@example.se"  # the others still take part


def test_an_app_named_in_the_setting_lets_go_of_the_person_before_the_person_goes(extra):
    anna = AmbassadorFactory()
    person_erase(anna)
    assert extra == [("erase", anna.pk)]
    assert not Ambassador.objects.filter(pk=anna.pk).exists()


def test_an_app_not_named_takes_no_part(settings, extra):
    settings.PRIVACY_PROVIDERS = ["network.privacy"]
    anna = AmbassadorFactory()
    assert "extra.note" not in person_data(anna)
    assert extra == []


def test_the_retention_job_runs_the_steps_of_the_apps_named_in_order(settings):
    settings.RETENTION_PROVIDERS = ["tests.crm.extra_privacy", "campaigns.retention"]
    run = retention_run()
    assert list(run.counts) == ["extra_rows", "delivery_logs", "tracking_events"]
    assert run.counts["extra_rows"] == 7
