"""The RSVP pages in headless Chromium: every state passes axe-core WCAG 2.1 A/AA, and the buttons work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from network import events
from network.models import Ambassador, Event, Registration
from tests.e2e.browser import axe_violations, chromium, open_page, skip_without_chromium

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_chromium]


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    with open_page(browser) as new_page:
        yield new_page


def assert_no_axe_violations(page) -> None:
    count, report = axe_violations(page)
    assert count == 0, report


def make_event(**fields) -> Event:
    start = timezone.now() + timedelta(days=5)
    return Event.objects.create(
        **{
            "title": "Dialog och värdskap",
            "starts_at": start,
            "ends_at": start + timedelta(hours=3),
            "place": "Kramfors bibliotek",
            "address": "Torggatan 6",
            "description": "En utbildning för ambassadörer.",
            **fields,
        }
    )


def person(name: str = "Anna") -> Ambassador:
    return Ambassador.objects.create(first_name=name, last_name="Lindqvist", email=f"{name.lower()}@example.org")


def test_axe_rsvp_yes_no_and_the_waiting_list(page, live_server):
    event, anna, bo = make_event(capacity=1), person("Anna"), person("Bo")
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
    event = make_event(rsvp_deadline=timezone.now() - timedelta(hours=1))
    page.goto(f"{live_server.url}/svar/{events.rsvp_token(event.pk, person().pk)}/")
    assert page.locator("main form").count() == 0
    assert_no_axe_violations(page)

    response = page.goto(f"{live_server.url}/svar/not-a-token/")
    assert response.status == 400
    assert_no_axe_violations(page)

    page.goto(f"{live_server.url}/svar/prov/")
    assert_no_axe_violations(page)
