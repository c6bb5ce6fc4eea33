"""The coordinator sends a campaign and previews it as a chosen recipient, in headless Chromium: "Visa" really shows
that person's email (its form is no longer nested inside the admin's change form, where the browser dropped it), and
"Skicka nu" asks before anything is queued."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, Delivery
from tests.e2e.browser import assert_no_axe_violations, skip_without_chromium
from tests.factories import AmbassadorFactory, CampaignFactory

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]


def test_visa_for_a_chosen_recipient_shows_their_email(coordinator_page, live_server):
    page = coordinator_page
    AmbassadorFactory(first_name="Anna", last_name="Ahl", email="anna@example.se")
    AmbassadorFactory(first_name="Bosse", last_name="Berg", email="bosse@example.se")
    AmbassadorFactory(first_name="Bodil", last_name="Bäck", email="bodil@example.se")
    target = CampaignFactory(body="Hej {{ first_name }} i {{ locality }}!")

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{target.pk}/change/")
    page.get_by_label(re.compile("Sök bland 3 mottagare")).fill("Bo")
    page.locator("#preview-as").get_by_role("button", name="Sök").click()

    expect(page.locator("table tbody tr")).to_have_count(2)  # Bodil and Bosse, on the server's search
    email = page.frame_locator("iframe[title='Mejlet']")
    expect(email.get_by_text("Hej Bodil i Kramfors!")).to_be_visible()  # the first match, without a click

    page.get_by_role("button", name="Visa mejlet som Bosse Berg får det").click()
    expect(page.get_by_role("heading", name="Mejlet som Bosse Berg (bosse@example.se) får det")).to_be_visible()
    expect(email.get_by_text("Hej Bosse i Kramfors!")).to_be_visible()
    expect(page.get_by_text("Kim", exact=True)).to_have_count(1)  # the coordinator only in the page's header
    assert_no_axe_violations(page)  # the email-outage banner included


def test_skicka_nu_asks_before_anything_is_queued(coordinator_page, live_server):
    page = coordinator_page
    AmbassadorFactory.create_batch(3)
    target = CampaignFactory(subject="Vårens träff")

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{target.pk}/send/")
    page.get_by_role("button", name="Skicka nu…").click()

    expect(page.locator("#content h1")).to_have_text("Skicka till 3 personer nu?")
    expect(page.get_by_text("Vårens träff")).to_be_visible()
    assert_no_axe_violations(page)  # the email-outage banner included
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT
    assert not Delivery.objects.exists()

    page.get_by_role("link", name="Avbryt").click()  # back, and nothing happened
    expect(page).to_have_url(re.compile(rf"/{target.pk}/send/$"))
    target.refresh_from_db()
    assert target.status == Campaign.Status.DRAFT

    page.get_by_role("button", name="Skicka nu…").click()
    page.get_by_role("button", name="Ja, skicka nu").click()
    expect(page.get_by_text("Utskicket skickas nu till 3 personer.").first).to_be_visible()
    target.refresh_from_db()
    assert target.status in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING)


def test_a_scheduled_campaign_says_when_and_its_back_to_draft_button_works(coordinator_page, live_server):
    page = coordinator_page
    AmbassadorFactory.create_batch(2)
    target = CampaignFactory()

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{target.pk}/send/")
    page.get_by_label("Skicka (svensk tid)").fill("2030-12-12T09:00")
    page.get_by_role("button", name="Schemalägg…").click()
    expect(page.locator("#content h1")).to_have_text("Schemalägg till 2 personer den 12 dec 2030 kl. 09.00?")
    page.get_by_role("button", name="Ja, schemalägg").click()

    expect(page.locator("#campaign-scheduled")).to_have_text("Skickas den 12 dec 2030 kl. 09.00.")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    # The button's form is outside the change form now, so the browser keeps it and the click posts.
    page.get_by_role("button", name="Tillbaka till utkast (för att redigera)").click()
    expect(page.locator("input[name=_save]")).to_have_count(1)
    target.refresh_from_db()
    assert (target.status, target.scheduled_at) == (Campaign.Status.DRAFT, None)


def test_the_duplicate_button_makes_a_copy(coordinator_page, live_server):
    page = coordinator_page
    target = CampaignFactory(name="Vårbrevet")
    page.goto(f"{live_server.url}/admin/campaigns/campaign/{target.pk}/change/")
    page.get_by_role("button", name="Duplicera").click()
    expect(page.get_by_text("En kopia har skapats som ett nytt utkast").first).to_be_visible()
    assert Campaign.objects.filter(name="Kopia av Vårbrevet").exists()
