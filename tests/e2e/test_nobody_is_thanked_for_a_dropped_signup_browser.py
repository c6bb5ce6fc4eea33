"""Nobody is thanked for a signup that was dropped, in headless Chromium: a person who is fast (autofill), slow (a
page open since yesterday) or one of many on the same wifi ends with a stored application and its confirmation
queued, or with an honest message and the form as they typed it. Served by pytest-django's live server."""

from __future__ import annotations

import re
import time

import pytest
import requests
import time_machine

from campaigns.models import Delivery
from network.abuse import form_started_token
from network.models import Application
from tests.e2e.browser import assert_no_axe_violations, open_page, skip_without_chromium
from tests.e2e.public_forms import MIN_FILL_SECONDS, SUBMIT, wait_min_fill_time

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("public_forms")]


# Nobody is thanked for something that was dropped ------------------------------------------------------------
# Fast (autofill), slow (a page open since yesterday) or one of many on the same wifi: the person ends with a stored
# application and its confirmation queued, or with an honest message and the form as they typed it.

ROOM = "198.51.100.77"  # a training room on the municipality's wifi: one address for everyone in it


def fill_signup(page, choices, email: str) -> None:
    page.fill("#id_first_name", "Anna")
    page.fill("#id_last_name", "Lindqvist")
    page.fill("#id_email", email)
    page.fill("#id_phone", "070-123 45 67")
    page.select_option("#id_locality", str(choices["nyland"].pk))
    page.check(f"input[name=interests][value='{choices['outdoors'].pk}']")
    page.fill("#id_motivation", "Jag vill visa hur fint det är här.")
    page.check("#id_consent")


def assert_kept(page, choices, email: str) -> None:
    assert page.input_value("#id_first_name") == "Anna"
    assert page.input_value("#id_last_name") == "Lindqvist"
    assert page.input_value("#id_email") == email
    assert page.input_value("#id_phone") == "070-123 45 67"
    assert page.input_value("#id_locality") == str(choices["nyland"].pk)
    assert page.is_checked(f"input[name=interests][value='{choices['outdoors'].pk}']")
    assert page.input_value("#id_motivation") == "Jag vill visa hur fint det är här."
    assert page.is_checked("#id_consent")


def assert_stored_and_queued(email: str) -> None:
    application = Application.objects.get(email=email)
    assert application.first_name == "Anna"
    assert Delivery.objects.filter(application=application, template="application_confirm").count() == 1


def send_and_get_status(page) -> int:
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.click(SUBMIT)
    page.wait_for_load_state()
    return posted.value.status


def test_a_person_faster_than_the_minimum_sees_the_form_again_and_then_gets_through(
    page, live_server, choices, settings
):
    settings.FORM_MIN_FILL_SECONDS = 30  # browser autofill: everything in place and sent at once
    page.goto(f"{live_server.url}/bli-ambassador/")
    fill_signup(page, choices, "snabb@example.org")
    assert send_and_get_status(page) == 200
    page.wait_for_selector("#error-summary")
    assert "Kontrollera uppgifterna och skicka igen." in page.inner_text("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert_kept(page, choices, "snabb@example.org")
    assert Application.objects.count() == 0
    assert_no_axe_violations(page)

    settings.FORM_MIN_FILL_SECONDS = MIN_FILL_SECONDS
    wait_min_fill_time(time.monotonic())  # timed from the page shown again
    page.click(SUBMIT)
    page.wait_for_url("**/bli-ambassador/tack/")
    assert_stored_and_queued("snabb@example.org")


def test_a_person_sending_a_form_opened_yesterday_sees_it_again_and_then_gets_through(page, live_server, choices):
    page.goto(f"{live_server.url}/bli-ambassador/")
    fill_signup(page, choices, "langsam@example.org")
    # The tab was opened 25 hours ago (the start time is signed by the server, so it is set here as it was then).
    with time_machine.travel(time.time() - 25 * 3600, tick=False):
        yesterday = form_started_token()
    page.evaluate("(token) => { document.querySelector('input[name=started]').value = token; }", yesterday)
    assert send_and_get_status(page) == 200
    page.wait_for_selector("#error-summary")
    assert "Kontrollera uppgifterna och skicka igen." in page.inner_text("#error-summary")
    assert page.input_value("input[name=started]") != yesterday
    assert_kept(page, choices, "langsam@example.org")
    assert Application.objects.count() == 0

    wait_min_fill_time(time.monotonic())
    page.click(SUBMIT)
    page.wait_for_url("**/bli-ambassador/tack/")
    assert_stored_and_queued("langsam@example.org")


def fill_the_room(number: int, server_url: str) -> None:
    """`number` people in the room sign up (each with a typo first, which does not count), from ROOM's address,
    through the live server like the browser after them, so that both are counted by the same server."""
    others = requests.Session()
    form = others.get(f"{server_url}/bli-ambassador/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    headers = {"X-Forwarded-For": ROOM, "Referer": f"{server_url}/bli-ambassador/"}
    for person in range(number):
        data = {
            "csrfmiddlewaretoken": token,
            "first_name": f"Deltagare {person}",
            "last_name": "Kurs",
            "email": f"deltagare{person}@example",
            "locality": "other",
            "consent": "on",
            "started": form_started_token(time.time() - 60),
        }
        post = others.post(f"{server_url}/bli-ambassador/", data, headers=headers, allow_redirects=False, timeout=30)
        assert post.status_code == 200
        data["email"] = f"deltagare{person}@example.org"
        post = others.post(f"{server_url}/bli-ambassador/", data, headers=headers, allow_redirects=False, timeout=30)
        assert post.status_code == 302, person
    assert Application.objects.count() == number


def test_the_thirtieth_person_in_a_training_room_gets_through_with_the_default_limits(browser, live_server, choices):
    fill_the_room(29, live_server.url)
    with open_page(browser, extra_http_headers={"X-Forwarded-For": ROOM}) as page:
        page.goto(f"{live_server.url}/bli-ambassador/")
        loaded_at = time.monotonic()
        fill_signup(page, choices, "nummer30@example.org")
        wait_min_fill_time(loaded_at)
        page.click(SUBMIT)
        page.wait_for_url("**/bli-ambassador/tack/")
    assert_stored_and_queued("nummer30@example.org")
    assert Delivery.objects.filter(template="application_confirm").count() == 30


def test_over_the_limit_the_eleventh_person_is_told_when_to_try_again_and_keeps_what_they_typed(
    browser, live_server, choices, settings
):
    settings.FORM_RATE_LIMIT = 10
    fill_the_room(10, live_server.url)
    with open_page(browser, extra_http_headers={"X-Forwarded-For": ROOM}) as page:
        page.goto(f"{live_server.url}/bli-ambassador/")
        loaded_at = time.monotonic()
        fill_signup(page, choices, "nummer11@example.org")
        wait_min_fill_time(loaded_at)
        assert send_and_get_status(page) == 429
        page.wait_for_selector("#error-summary")
        message = page.inner_text("#error-summary")
        assert "Inget har skickats: försök igen efter kl. " in message
        assert page.evaluate("() => document.activeElement.id") == "error-summary"
        assert page.title().startswith("Fel:")
        assert_kept(page, choices, "nummer11@example.org")
        assert_no_axe_violations(page)
    assert not Application.objects.filter(email="nummer11@example.org").exists()
    assert Delivery.objects.count() == 10
