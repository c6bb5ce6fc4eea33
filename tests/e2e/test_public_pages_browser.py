"""Every public page in headless Chromium: the language switch, reflow at 320 pixels, nothing missing, axe-core
WCAG 2.1 A/AA and no Content-Security-Policy violation on each page the URL configuration has, visible focus, and
the email layout. Served by pytest-django's live server (in-process, so `settings` applies)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from campaigns.models import Delivery
from crm import adapt
from crm.tokens import token_make
from tests.e2e.browser import assert_no_axe_violations, axe_violations, open_page, skip_without_chromium
from tests.e2e.public_forms import MIN_FILL_SECONDS, submit_recommend_with_errors, submit_signup_with_errors
from tests.factories import AmbassadorFactory, ApplicationFactory
from tests.public_pages import public_paths, real_tokens

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("public_forms")]


TO_ENGLISH = "header button[name=language][value=en]"
TO_SWEDISH = "header button[name=language][value=sv]"


# Language ---------------------------------------------------------------------------------------------------


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


# Reflow at 320 pixels, and the details of the form -------------------------------------------------------------


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


def set_cookies(page, live_server, language: str, look: str) -> None:
    """The language, and the Anpassa look (crm/adapt.py: e.g. "largest.high.wide"; "" for the standard look)."""
    cookies = [{"name": "django_language", "value": language, "url": live_server.url}]
    if look:
        cookies.append({"name": adapt.COOKIE_NAME, "value": look, "url": live_server.url})
    page.context.add_cookies(cookies)


# Each Anpassa look costs a whole run: Swedish in the standard look, English (the longer words) at the largest text
# with wide spacing.
@pytest.mark.parametrize(("language", "look"), [("sv", ""), ("en", "largest.standard.wide")])
def test_every_public_page_reflows_at_320_pixels_without_scrolling_sideways(
    browser, live_server, language, look, choices
):
    problems = {}
    with open_page(browser, width=320) as page:
        set_cookies(page, live_server, language, look)
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


# Every public page, found in the URL configuration: axe, language, and no Content-Security-Policy violation ------


def every_public_page() -> list[str]:
    """Every public page a GET opens, read from the URL configuration (a page added later is included): those a
    link's token opens with a real token of the kind it takes, and with a garbage one (the refused-link page)."""
    paths = public_paths(real_tokens())
    return [path for path, _name in paths if Client().get(path).status_code != 405]  # POST-only: no page


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


@pytest.mark.parametrize(("language", "look"), [("sv", ""), ("en", "largest.high.wide"), ("sv", "normal.dark.normal")])
def test_every_public_page_empty_and_with_errors_passes_axe_with_no_csp_violation(browser, live_server, language, look):
    with open_page(browser) as page:
        violations = watch_csp(page)
        set_cookies(page, live_server, language, look)
        pages = every_public_page()
        assert "/tillganglighet/" in pages and "/mina-sidor/" in pages and len(pages) > 15
        problems = {}
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            policy = response.headers.get("content-security-policy", "")
            assert policy and "unsafe-inline" not in policy, (path, policy)
            assert page.get_attribute("html", "lang") == ("sv" if path.startswith("/lattlast/") else language), path
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
