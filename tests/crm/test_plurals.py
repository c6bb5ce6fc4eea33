"""Counts read as Swedes write them: "1 ansökan godkändes", "3 ansökningar godkändes", "1 spärrad adress", in the
messages of network's admin, campaigns' checks and the emails that print a number (ngettext / blocktranslate
count)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.utils import timezone, translation

from campaigns.admin import SegmentAdmin
from campaigns.emails import render_email
from campaigns.services.newsletters import campaign_checklist
from network.models import Ambassador, Application
from tests.factories import AmbassadorFactory, ApplicationFactory, CampaignFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def approve(client, applications):
    data = {"action": "approve", ACTION_CHECKBOX_NAME: [a.pk for a in applications], "apply": "1"}
    data["personal_line"] = ""
    response = client.post("/admin/network/application/", data, HTTP_ACCEPT_LANGUAGE="sv")
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(("count", "said"), [(1, "1 ansökan godkändes."), (3, "3 ansökningar godkändes.")])
def test_approving_says_how_many_in_swedish(coordinator_client, seed_data, count, said):
    applications = ApplicationFactory.create_batch(
        count, status=Application.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    coordinator_client.cookies["django_language"] = "sv"
    assert said in approve(coordinator_client, applications)


def test_an_audience_is_described_with_its_plurals():
    people = Ambassador.objects.filter(pk=AmbassadorFactory().pk)
    one = SimpleNamespace(recipients=people, no_email=0, unsubscribed=1, suppressed=1)
    many = SimpleNamespace(recipients=Ambassador.objects.none(), no_email=2, unsubscribed=2, suppressed=2)
    with translation.override("sv"):
        assert SegmentAdmin.describe(one) == (
            "1 mottagare. Utelämnade: 0 utan e-postadress, 1 avregistrerad, 1 spärrad adress (studs eller klagomål)."
        )
        assert SegmentAdmin.describe(many) == (
            "0 mottagare. Utelämnade: 2 utan e-postadress, 2 avregistrerade, 2 spärrade adresser (studsar eller "
            "klagomål)."
        )
    with translation.override("en"):
        assert SegmentAdmin.describe(one).startswith("1 recipient. ")


def test_the_checklist_counts_recipients_in_the_singular_too():
    AmbassadorFactory(wants_newsletters=True)
    campaign = CampaignFactory(segment=SegmentFactory(), subject="Hej", body="Hej {{ unsubscribe_url }}")
    with translation.override("en"):
        labels = [label for label, _ok in campaign_checklist(campaign)]
    assert "1 recipient" in labels


@pytest.mark.parametrize(("minutes", "said"), [(1, "i 1 minut."), (30, "i 30 minuter.")])
def test_the_sign_in_link_says_its_minutes_as_a_swede_would(minutes, said):
    _subject, text, html = render_email("mypages_link", {"minutes": minutes, "sign_in_url": "x"}, "sv")
    assert said in text and said in html


@pytest.mark.parametrize(("days", "said"), [(1, "senast efter 1 dag."), (30, "senast efter 30 dagar.")])
def test_the_recommendation_notice_says_its_days_as_a_swede_would(days, said):
    _subject, text, html = render_email("recommendation_notice", {"retention_days": days}, "sv")
    assert said in text and said in html
