"""The public pages in headless Chromium: keyboard use, errors a screen reader can follow, axe-core WCAG 2.1 A/AA,
the language switch, the honeypot, and people who are fast, slow or many on one address. Served by pytest-django's live server (in-process, so `settings` applies)."""

from __future__ import annotations

import re
import time

import pytest
import requests
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse

from campaigns.models import Delivery
from crm.tokens import token_make
from network.abuse import form_started_token
from network.models import Application, ConsentRecord, Interest, Locality
from network.normalize import normalize_phone
from tests.e2e.browser import assert_no_axe_violations, axe_violations, open_page, skip_without_chromium
from tests.factories import AmbassadorFactory, ApplicationFactory, EventFactory, RecruitmentContactFactory

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]

MIN_FILL_SECONDS = 0.5
# Structural selectors, not texts: the UI text will be translated to Swedish, the default language.
SUBMIT = "main form button[type=submit]"
TO_ENGLISH = "header button[name=language][value=en]"
TO_SWEDISH = "header button[name=language][value=sv]"


@pytest.fixture(autouse=True)
def _forms_settings(settings):
    settings.FORM_MIN_FILL_SECONDS = MIN_FILL_SECONDS
    settings.TRUST_X_FORWARDED_FOR = True  # each page posts from its own address (see browser.client_ip)


@pytest.fixture
def choices():
    """Localities and interests to choose from (a transactional test may start with the seeded rows flushed)."""
    return {
        "nyland": Locality.objects.get_or_create(name="Nyland")[0],
        "bollsta": Locality.objects.get_or_create(name="Bollstabruk")[0],
        "outdoors": Interest.objects.get_or_create(name="Friluftsliv")[0],
        "events": Interest.objects.get_or_create(name="Evenemang")[0],
    }


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


def wait_min_fill_time(loaded_at: float) -> None:
    """A person takes longer than FORM_MIN_FILL_SECONDS (lowered for these tests); wait that long, plus a margin."""
    remaining = MIN_FILL_SECONDS + 0.2 - (time.monotonic() - loaded_at)
    if remaining > 0:
        time.sleep(remaining)


def submit_signup_with_errors(page, live_server) -> None:
    """Last name and a bad email only: first name, locality and consent missing."""
    page.goto(f"{live_server.url}/bli-ambassador/")
    loaded_at = time.monotonic()
    page.fill("#id_last_name", "Lindqvist")
    page.fill("#id_email", "not-an-email")
    page.fill("#id_motivation", "Jag gillar Kramfors.")
    wait_min_fill_time(loaded_at)
    page.click(SUBMIT)
    page.wait_for_selector("#error-summary")


def submit_recommend_with_errors(page, live_server) -> None:
    page.goto(f"{live_server.url}/tipsa/")
    loaded_at = time.monotonic()
    page.fill("#id_referrer_email", "nope")
    wait_min_fill_time(loaded_at)
    page.click(SUBMIT)
    page.wait_for_selector("#error-summary")


# 1. Keyboard only -------------------------------------------------------------------------------------------


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


# 2. Errors --------------------------------------------------------------------------------------------------


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


# 3. axe-core ------------------------------------------------------------------------------------------------


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
    assert page.get_attribute("#id_referrer_name", "aria-invalid") == "true"
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


# 4. Language ------------------------------------------------------------------------------------------------


def test_language_switch_defaults_to_swedish(browser, live_server):
    with open_page(browser, locale="en-US", extra_http_headers={"Accept-Language": "en-US,en;q=0.9"}) as page:
        check_language_switch(page, live_server)


def check_language_switch(page, live_server):
    response = page.goto(f"{live_server.url}/bli-ambassador/")
    assert response.request.all_headers()["accept-language"].startswith("en-US")
    assert page.get_attribute("html", "lang") == "sv"

    assert page.get_by_role("button", name="In English").count() == 1
    page.focus(TO_ENGLISH)
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=en]")
    assert page.url == f"{live_server.url}/bli-ambassador/"
    # The choice sticks on the next page.
    page.goto(f"{live_server.url}/tipsa/")
    assert page.get_attribute("html", "lang") == "en"

    assert page.get_by_role("button", name="På svenska").count() == 1
    page.focus(TO_SWEDISH)
    page.keyboard.press("Enter")
    page.wait_for_selector("html[lang=sv]")
    assert page.url == f"{live_server.url}/tipsa/"
    assert page.get_by_role("button", name="In English").is_visible()


# 5. Honeypot ------------------------------------------------------------------------------------------------


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


# 6. Nobody is thanked for something that was dropped ---------------------------------------------------------
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


# 7. Reflow at 320 pixels, and the details of the form ----------------------------------------------------------


def public_pages() -> list[str]:
    """Every public page, those behind a link from an email included (the ones a token opens, and a page that
    only exists once another part is installed, such as Mina sidor)."""
    application = ApplicationFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    ambassador = AmbassadorFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    unsubscribe = token_make("unsubscribe", [ambassador.pk, "newsletter", None])
    pages = [
        "/bli-ambassador/",
        "/bli-ambassador/tack/",
        "/tipsa/",
        "/tipsa/tack/",
        "/integritet/",
        "/tillganglighet/",
        f"/bekrafta/{token_make('confirm', application.pk)}/",
        "/bekrafta/ogiltig/",
        f"/avregistrera/{unsubscribe}/",
        f"/avregistrera/{unsubscribe}/installningar/",
    ]
    for name in ("mypages", "unsubscribe-test"):
        try:
            pages.append(reverse(name))
        except NoReverseMatch:
            pass
    return pages


def horizontal_overflow(page) -> dict | None:
    """None when the page fits its window; otherwise its width and the elements that stick out."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return null;
            const wide = [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 0.5)
                .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}: ${e.textContent.trim().slice(0, 40)}`);
            return {scrollWidth: document.documentElement.scrollWidth, elements: wide.slice(0, 5)};
        }"""
    )


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_public_page_reflows_at_320_pixels_without_scrolling_sideways(browser, live_server, language, choices):
    problems = {}
    with open_page(browser, width=320) as page:
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for path in public_pages():
            page.goto(f"{live_server.url}{path}")
            assert page.get_attribute("html", "lang") == language, path
            assert page.evaluate("() => window.innerWidth") == 320
            if overflow := horizontal_overflow(page):
                problems[path] = overflow
        for form in (submit_signup_with_errors, submit_recommend_with_errors):
            form(page, live_server)
            if overflow := horizontal_overflow(page):
                problems[f"{page.url} with errors"] = overflow
    assert not problems, problems


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_the_consent_checkbox_is_the_size_of_the_others(browser, live_server, choices, width):
    with open_page(browser, width=width) as page:
        page.goto(f"{live_server.url}/bli-ambassador/")
        consent = page.locator("#id_consent").bounding_box()
        interest = page.locator("input[name=interests]").first.bounding_box()
        assert (round(consent["width"], 1), round(consent["height"], 1)) == (
            round(interest["width"], 1),
            round(interest["height"], 1),
        )
        assert consent["width"] >= 20  # 1.3rem: a target a thumb can hit


def test_no_page_asks_for_something_that_is_not_there(browser, live_server, choices):
    """The favicon the browser asks for, the styles and scripts: nothing answers 404."""
    missing = []
    with open_page(browser) as page:
        page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
        for path in ("/bli-ambassador/", "/tillganglighet/"):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
        icon = page.evaluate("async () => (await fetch('/favicon.ico')).status")
    assert icon == 200
    assert missing == []


# 8. Every public page, found in the URL configuration: axe, language, and no Content-Security-Policy violation ---


def every_public_page() -> list[str]:
    """Every public page a GET opens, read from the URL configuration (a page added later is included): those a
    link's token opens with a real token of the kind it takes, and with a garbage one (the refused-link page)."""
    from django.urls import URLResolver, get_resolver

    from network import events
    from network import services as people

    application = ApplicationFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    ambassador = AmbassadorFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org")
    event = EventFactory(title="Träff", place="Kramfors")
    contact = RecruitmentContactFactory(name="Bo Berg", email="bo@example.org")
    unsubscribe = token_make("unsubscribe", [ambassador.pk, "newsletter", None])
    real_tokens = {
        "application-confirm": token_make("confirm", application.pk),
        "unsubscribe": unsubscribe,
        "preferences": unsubscribe,
        "rsvp": events.rsvp_token(event.pk, ambassador.pk),
        "recommendation-objection": people.contact_objection_url(contact).rstrip("/").rsplit("/", 1)[1],
    }
    not_pages = ("admin/", "webhooks/", "i18n/", "healthz", "favicon.ico", "mina-sidor/mina-data.json")

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            else:
                yield prefix + str(entry.pattern), entry.name

    pages = []
    for route, name in walk(get_resolver().url_patterns):
        if route.startswith(not_pages):
            continue
        if "<str:token>" in route:
            tokens = [real_tokens[name], "ogiltig"] if name in real_tokens else ["ogiltig"]
            pages += ["/" + route.replace("<str:token>", token) for token in tokens]
        else:
            assert "<" not in route, f"{route}: give its parameters a value here"
            pages.append("/" + route)
    return [path for path in pages if Client().get(path).status_code != 405]  # POST-only: no page to show


def watch_csp(page) -> list[str]:
    """Collect every Content-Security-Policy violation the page reports, in the console and as events."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.expose_function("reportCspViolation", lambda text: violations.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.reportCspViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"
    )
    return violations


def submit_empty(page) -> bool:
    """Send the page's form with its text fields empty (errors), if it has one that asks for text."""
    form = page.locator("main form:has(input[type=email], input[type=text], input[type=tel], textarea)")
    if form.count() == 0:
        return False
    form = form.first
    for field in form.locator("input[type=email], input[type=text], input[type=tel], textarea").all():
        if field.is_visible():
            field.fill("")
    time.sleep(MIN_FILL_SECONDS + 0.2)
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    return True


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_public_page_empty_and_with_errors_passes_axe_with_no_csp_violation(browser, live_server, language):
    with open_page(browser) as page:
        violations = watch_csp(page)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        pages = every_public_page()
        assert "/tillganglighet/" in pages and "/mina-sidor/" in pages and len(pages) > 15
        problems = {}
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            policy = response.headers.get("content-security-policy", "")
            assert policy and "unsafe-inline" not in policy, (path, policy)
            assert page.get_attribute("html", "lang") == language, path
            assert page.locator("footer a[href='/tillganglighet/']").count() == 1, path
            count, report = axe_violations(page)
            if count:
                problems[path] = report
            if submit_empty(page):
                count, report = axe_violations(page)
                if count:
                    problems[f"{path} with errors"] = report
        page.wait_for_timeout(200)  # let late reports arrive
    assert not problems, "\n".join(problems.values())
    assert violations == [], violations


def test_the_csp_harness_sees_a_violation(browser, live_server):
    """The check itself: an inline style on a public page is blocked and reported."""
    with open_page(browser) as page:
        violations = watch_csp(page)
        page.goto(f"{live_server.url}/tillganglighet/")
        page.evaluate(
            "() => document.querySelector('main').insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
        )
        page.wait_for_function("() => true")
        page.wait_for_timeout(300)
        assert violations, "an inline style attribute was not reported"
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('main p:last-child')).color")
            != "rgb(255, 0, 0)"
        )


def test_focus_is_visible_on_links_buttons_and_fields(page, live_server, choices):
    page.goto(f"{live_server.url}/bli-ambassador/")
    seen = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                       return [e.tagName.toLowerCase(), s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
        )
        tag, outline, width = style
        if tag == "body":  # past the last element, focus leaves the page for a moment
            continue
        assert outline != "none" and width >= 2, f"no visible focus on {tag}: {style}"
        seen.add(tag)
    assert {"a", "button", "input"} <= seen, seen


def test_the_language_switch_names_its_language(page, live_server):
    page.goto(f"{live_server.url}/bli-ambassador/")
    assert page.get_attribute("html", "lang") == "sv"
    assert page.get_attribute(TO_ENGLISH, "lang") == "en"


def test_the_accessibility_statement_says_what_the_law_asks(page, live_server, settings):
    page.goto(f"{live_server.url}/tillganglighet/")
    text = page.inner_text("main")
    assert "DOS-lagen" in text and "WCAG 2.1" in text
    assert "Kända brister" in text  # known shortcomings
    assert "2026" in text  # the date of the assessment
    assert page.locator(f"main a[href='mailto:{settings.COORDINATOR_EMAIL}']").count() == 1  # how to report
    assert page.locator("main a[href^='https://www.digg.se/']").count() == 1  # the supervisory authority


def test_the_email_layout_passes_axe(page, live_server, choices):
    """The HTML of an email as a mail program shows it (the confirmation email, through the real layout)."""
    from network import services

    services.application_submit(
        first_name="Anna",
        last_name="Lindqvist",
        email_address="anna.mail@example.org",
        phone="",
        locality=choices["nyland"],
        interests=[],
        motivation="",
        heard_about="",
        language="sv",
    )
    from campaigns.emails import build_message

    delivery = Delivery.objects.get(to_email="anna.mail@example.org")
    message = build_message(delivery)
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    page.set_content(html)
    assert_no_axe_violations(page)
