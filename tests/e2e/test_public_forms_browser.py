"""The public forms in headless Chromium: used with the keyboard only, errors a screen reader can follow, axe-core
WCAG 2.1 A/AA on every state, and the honeypot. Served by pytest-django's live server (in-process, so `settings`
applies)."""

from __future__ import annotations

import time

import pytest

from campaigns.models import Delivery
from crm.tokens import token_make
from network.models import Application, ConsentRecord
from network.normalize import normalize_phone
from tests.e2e.browser import assert_no_axe_violations, axe_violations, skip_without_chromium
from tests.e2e.public_forms import SUBMIT, submit_recommend_with_errors, submit_signup_with_errors, wait_min_fill_time
from tests.factories import ApplicationFactory

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("public_forms")]


# Helpers ----------------------------------------------------------------------------------------------------


def active_matches(page, selector: str) -> bool:
    return page.evaluate("(sel) => !!document.activeElement && document.activeElement.matches(sel)", selector)


def tab_to(page, selector: str, max_presses: int = 40) -> None:
    """Press Tab until the element matching `selector` has focus: it must be reachable by keyboard."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if active_matches(page, selector):
            return
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"{selector} not reached with Tab in {max_presses} presses; focus is on {focused}")


def arrow_to_option(page, label: str, max_presses: int = 40) -> None:
    """In the focused <select>, press ArrowDown until the option `label` is selected."""
    for _ in range(max_presses):
        if page.evaluate("() => document.activeElement.selectedOptions[0]?.textContent.trim()") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"option {label!r} not reached with ArrowDown")


# Keyboard only ----------------------------------------------------------------------------------------------


def test_signup_with_the_keyboard_only(page, live_server, choices):
    page.goto(f"{live_server.url}/bli-ambassador/")
    loaded_at = time.monotonic()

    tab_to(page, "#id_first_name")
    page.keyboard.type("Anna")
    tab_to(page, "#id_last_name")
    page.keyboard.type("Lindqvist")
    tab_to(page, "#id_email")
    page.keyboard.type("Anna.Lindqvist@example.org")
    tab_to(page, "#id_phone")
    page.keyboard.type("070-123 45 67")
    tab_to(page, "#id_locality")
    arrow_to_option(page, "Nyland")
    tab_to(page, f"input[name=interests][value='{choices['outdoors'].pk}']")
    page.keyboard.press("Space")
    tab_to(page, "#id_motivation")
    page.keyboard.type("Jag vill visa hur fint det är här.")
    tab_to(page, "#id_heard_about")
    page.keyboard.type("En vän")
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    assert page.is_checked("#id_consent")
    tab_to(page, SUBMIT)

    wait_min_fill_time(loaded_at)
    page.keyboard.press("Enter")
    page.wait_for_url("**/bli-ambassador/tack/")

    application = Application.objects.get(email="anna.lindqvist@example.org")
    assert (application.first_name, application.last_name) == ("Anna", "Lindqvist")
    assert application.phone == normalize_phone("070-123 45 67")
    assert application.locality == choices["nyland"]
    assert list(application.interests.all()) == [choices["outdoors"]]
    assert application.motivation == "Jag vill visa hur fint det är här."
    assert application.heard_about == "En vän"
    assert application.language == "sv"
    assert application.status == Application.Status.UNCONFIRMED
    assert ConsentRecord.objects.filter(application=application).count() == 1


# Errors -----------------------------------------------------------------------------------------------------


def test_signup_errors_are_summarised_kept_and_linked(page, live_server, choices):
    page.goto(f"{live_server.url}/bli-ambassador/")
    loaded_at = time.monotonic()
    title = page.title()
    page.fill("#id_last_name", "Lindqvist")
    page.fill("#id_email", "not-an-email")
    page.check(f"input[name=interests][value='{choices['events'].pk}']")
    page.fill("#id_motivation", "Jag gillar Kramfors.")
    wait_min_fill_time(loaded_at)
    page.click(SUBMIT)
    page.wait_for_selector("#error-summary")

    assert page.url.endswith("/bli-ambassador/")
    assert page.title() != title and title.split(" – ")[0] in page.title()  # "Error: …" first
    summary = page.get_by_role("alert")
    assert summary.count() == 1
    # The summary comes first in the main content, and takes focus so that it is read out at once.
    first_in_main = page.evaluate(
        "() => [...document.querySelector('main form').children].find(e => !e.matches('input[type=hidden]')).id"
    )
    assert first_in_main == "error-summary"
    assert page.evaluate("() => document.activeElement.id") == "error-summary"

    hrefs = summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["#id_first_name", "#id_email", "#id_locality", "#id_consent"]
    for href in hrefs:
        assert page.locator(href).count() == 1, f"{href} points nowhere"
    # Following a link from the summary with the keyboard takes the user to the field.
    summary.get_by_role("link").nth(1).focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash === '#id_email'")
    assert page.evaluate("() => document.activeElement.id") == "id_email"

    # What was typed is kept.
    assert page.input_value("#id_last_name") == "Lindqvist"
    assert page.input_value("#id_email") == "not-an-email"
    assert page.input_value("#id_motivation") == "Jag gillar Kramfors."
    assert page.is_checked(f"input[name=interests][value='{choices['events'].pk}']")
    assert not page.is_checked(f"input[name=interests][value='{choices['outdoors'].pk}']")

    # Each invalid field says so and points to its error text.
    for name in ("first_name", "email", "locality", "consent"):
        field = page.locator(f"#id_{name}")
        assert field.get_attribute("aria-invalid") == "true", name
        described_by = (field.get_attribute("aria-describedby") or "").split()
        assert f"id_{name}_error" in described_by, (name, described_by)
        for target in described_by:
            assert page.locator(f"#{target}").count() == 1, f"{name}: aria-describedby {target} points nowhere"
        assert page.locator(f"#id_{name}_error").inner_text().strip(), name
    assert "id_email_helptext" in page.get_attribute("#id_email", "aria-describedby")
    # Valid fields are not marked.
    assert page.get_attribute("#id_last_name", "aria-invalid") is None
    assert Application.objects.count() == 0


# axe-core ---------------------------------------------------------------------------------------------------


def test_axe_signup_empty_and_with_errors(page, live_server, choices):
    page.goto(f"{live_server.url}/bli-ambassador/")
    assert_no_axe_violations(page)
    submit_signup_with_errors(page, live_server)
    assert_no_axe_violations(page)


def test_axe_signup_thanks(page, live_server):
    page.goto(f"{live_server.url}/bli-ambassador/tack/")
    assert_no_axe_violations(page)


def test_axe_confirm_and_result(page, live_server):
    application = ApplicationFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    page.goto(f"{live_server.url}/bekrafta/{token_make('confirm', application.pk)}/")
    assert page.locator("main form button[type=submit]").count() == 1
    assert_no_axe_violations(page)
    application.refresh_from_db()
    assert application.status == Application.Status.UNCONFIRMED  # a GET (a link scanner) confirms nothing

    with page.expect_navigation():
        page.click(SUBMIT)
    assert page.locator("main form").count() == 0
    assert_no_axe_violations(page)
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED


def test_axe_invalid_link_page(page, live_server):
    response = page.goto(f"{live_server.url}/bekrafta/garbage/")
    assert response.status == 400
    assert page.locator("#id_website").count() == 0  # no honeypot on a form that does not check one
    assert_no_axe_violations(page)
    # The form for a new link, with an error.
    page.fill("#id_email", "nope")
    page.click(SUBMIT)
    page.wait_for_selector("#error-summary")
    assert_no_axe_violations(page)


def test_axe_recommend_empty_and_with_errors(page, live_server):
    page.goto(f"{live_server.url}/tipsa/")
    assert_no_axe_violations(page)
    submit_recommend_with_errors(page, live_server)
    assert page.get_attribute("#id_recommender_name", "aria-invalid") == "true"
    assert_no_axe_violations(page)


def test_axe_check_reports_violations(page, live_server):
    """The harness itself: a page with a known violation fails, with the rule in the report."""
    page.goto(f"{live_server.url}/tillganglighet/")
    page.evaluate("() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"x.png\">')")
    count, report = axe_violations(page)
    assert count == 1 and "image-alt" in report, report


@pytest.mark.parametrize("path", ["/integritet/", "/tillganglighet/", "/tipsa/tack/"])
def test_axe_static_pages(page, live_server, path):
    page.goto(f"{live_server.url}{path}")
    assert_no_axe_violations(page)


# Honeypot ---------------------------------------------------------------------------------------------------


def test_honeypot_gets_the_thank_you_page_and_stores_nothing(page, live_server, choices):
    page.goto(f"{live_server.url}/bli-ambassador/")
    loaded_at = time.monotonic()
    page.fill("#id_first_name", "Bot")
    page.fill("#id_last_name", "Botsson")
    page.fill("#id_email", "bot@example.org")
    page.select_option("#id_locality", str(choices["nyland"].pk))
    page.check("#id_consent")
    page.evaluate("() => { document.getElementById('id_website').value = 'https://spam.example'; }")
    wait_min_fill_time(loaded_at)
    page.click(SUBMIT)
    page.wait_for_url("**/bli-ambassador/tack/")

    assert Application.objects.count() == 0
    assert ConsentRecord.objects.count() == 0
    assert Delivery.objects.count() == 0
