"""The event page's tools in headless Chromium (issue 19): the invite and remind pages and the participant list
(the pages this issue adds) pass axe-core's WCAG 2.1 AA rules; printed, the list leaves the admin's header and
breadcrumbs out."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Delivery
from network.models import Registration
from tests.e2e.browser import assert_no_axe_violations, skip_without_chromium
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    DeliveryFactory,
    EventFactory,
    HeartbeatFactory,
    RegistrationFactory,
)

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]


def test_the_event_tools_pages_are_accessible_and_the_list_prints_clean(coordinator_page, live_server):
    event = EventFactory(title="Höstträff")
    coming, silent = AmbassadorFactory(first_name="Bodil", phone="+46701234567"), AmbassadorFactory(first_name="Siv")
    campaign = CampaignFactory(kind=Campaign.Kind.INVITATION, event=event, status=Campaign.Status.SENT)
    for ambassador in (coming, silent):
        DeliveryFactory(campaign=campaign, ambassador=ambassador, status=Delivery.Status.SENT)
    RegistrationFactory(event=event, ambassador=coming, answer=Registration.Answer.YES)
    HeartbeatFactory(name="worker"), HeartbeatFactory(name="beat")  # no "email is not sent" banner
    page = coordinator_page
    base = f"{live_server.url}/admin/network/event/{event.pk}"
    # (The event page itself is left out: Django's date and time fields have no labels of their own.)
    for path in ("/invite/", "/remind/", "/participants/"):
        page.goto(base + path)
        assert_no_axe_violations(page)
    page.goto(base + "/change/")
    assert page.get_by_text("Påminn dem som inte svarat").first.is_visible()
    page.goto(base + "/participants/")
    page.emulate_media(media="print")
    assert page.locator("table.participants").is_visible()
    assert page.get_by_text("070-123 45 67").is_visible()
    assert not page.locator(".breadcrumbs").is_visible()
