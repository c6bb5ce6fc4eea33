"""The audience form counts recipients live, from the choices still in the form (nothing saved)."""

from __future__ import annotations

import pytest

from campaigns.models import Segment
from network.models import Ambassador
from tests.factories import AmbassadorFactory, LocalityFactory

pytestmark = pytest.mark.django_db


def test_the_count_follows_the_choices_in_the_form_without_saving(coordinator_client):
    docksta = LocalityFactory(name="Docksta")
    AmbassadorFactory.create_batch(3, locality=docksta)
    AmbassadorFactory(locality=docksta, email=None)
    AmbassadorFactory(locality=docksta, status=Ambassador.Status.PAUSED)
    AmbassadorFactory.create_batch(2)

    everyone = coordinator_client.post("/admin/campaigns/segment/count/", {"name": ""}).json()["text"]
    in_docksta = coordinator_client.post(
        "/admin/campaigns/segment/count/", {"name": "", "localities": [docksta.pk]}
    ).json()["text"]
    paused_too = coordinator_client.post(
        "/admin/campaigns/segment/count/", {"localities": [docksta.pk], "statuses": ["active", "paused"]}
    ).json()["text"]

    assert everyone.startswith("5 ")
    assert in_docksta.startswith("3 ") and " 1 " in in_docksta  # one left out for having no address
    assert paused_too.startswith("4 ")
    assert not Segment.objects.exists()


def test_the_count_needs_a_logged_in_coordinator(client):
    response = client.post("/admin/campaigns/segment/count/", {})
    assert response.status_code == 302
