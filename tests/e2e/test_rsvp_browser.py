"""The RSVP pages in headless Chromium: every state passes axe-core WCAG 2.1 A/AA, and the buttons work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from network import events
from network.models import Registration
from tests.e2e.browser import assert_no_axe_violations, skip_without_chromium
from tests.factories import AmbassadorFactory, EventFactory

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_chromium]


DESCRIPTION = "En utbildning för ambassadörer."  # the page shows it: axe checks it too


def test_axe_rsvp_yes_no_and_the_waiting_list(page, live_server):
    event, anna, bo = EventFactory(capacity=1, description=DESCRIPTION), AmbassadorFactory(), AmbassadorFactory()
    page.goto(f"{live_server.url}/svar/{events.rsvp_token(event.pk, anna.pk)}/")
    assert_no_axe_violations(page)
    assert not Registration.objects.exists()  # the GET changed nothing

    with page.expect_navigation():
        page.click("main button[value=yes]")
    assert Registration.objects.get(ambassador=anna).answer == Registration.Answer.YES
    assert_no_axe_violations(page)

    page.goto(f"{live_server.url}/svar/{events.rsvp_token(event.pk, bo.pk)}/")
    with page.expect_navigation():
        page.click("main button[value=yes]")
    assert "väntelistan" in page.inner_text("main")
    assert_no_axe_violations(page)

    page.goto(f"{live_server.url}/svar/{events.rsvp_token(event.pk, anna.pk)}/")
    with page.expect_navigation():
        page.click("main button[value=no]")
    assert Registration.objects.get(ambassador=anna).answer == Registration.Answer.NO
    assert Registration.objects.get(ambassador=bo).answer == Registration.Answer.YES
    assert_no_axe_violations(page)


def test_axe_rsvp_closed_invalid_and_test_pages(page, live_server):
    event = EventFactory(rsvp_deadline=timezone.now() - timedelta(hours=1), description=DESCRIPTION)
    page.goto(f"{live_server.url}/svar/{events.rsvp_token(event.pk, AmbassadorFactory().pk)}/")
    assert page.locator("main form").count() == 0
    assert_no_axe_violations(page)

    response = page.goto(f"{live_server.url}/svar/not-a-token/")
    assert response.status == 400
    assert_no_axe_violations(page)

    page.goto(f"{live_server.url}/svar/prov/")
    assert_no_axe_violations(page)
