"""Mina sidor in headless Chromium: the whole way with the keyboard only (ask for a link, sign in, change details
and mailings, read the data, leave), each page checked with axe-core (WCAG 2.1 A/AA); the refused-link pages and
the recommended person's objection page too. Served by pytest-django's live server."""

from __future__ import annotations

import pytest

from campaigns.models import Delivery
from mypages.models import SignInLink
from network import services as people
from network.models import Ambassador, Interest, RecruitmentContact
from tests.e2e.browser import assert_no_axe_violations, skip_without_chromium
from tests.factories import AmbassadorFactory, InterestFactory, LocalityFactory

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.TRUST_X_FORWARDED_FOR = True  # each page posts from its own address (see browser.client_ip)


@pytest.fixture
def anna():
    LocalityFactory(name="Nyland")
    InterestFactory(name="Friluftsliv")
    # No phone and no locality yet: the test types the one and picks the other.
    return AmbassadorFactory(first_name="Anna", last_name="Lindqvist", email="anna@example.org", phone="")


def tab_to(page, selector: str, max_presses: int = 60) -> None:
    """Press Tab until the element matching `selector` has focus: it must be reachable by keyboard."""
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => !!document.activeElement && document.activeElement.matches(sel)", selector):
            return
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML")
    raise AssertionError(f"{selector} not reached with Tab in {max_presses} presses; focus is on {focused}")


def press_enter_and_wait(page, selector: str) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector(selector)


def sign_in_link(live_server) -> str:
    delivery = Delivery.objects.filter(template="mypages_link").latest("pk")
    return delivery.context["sign_in_url"].replace("http://testserver", live_server.url)


def test_mina_sidor_with_the_keyboard_only(page, live_server, anna):
    page.goto(f"{live_server.url}/mina-sidor/")
    assert_no_axe_violations(page)
    tab_to(page, "#id_email")
    page.keyboard.type("anna@example.org")
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page, "main h1")
    assert "anna@example.org" in page.inner_text("main")
    assert_no_axe_violations(page)

    page.goto(sign_in_link(live_server))
    assert_no_axe_violations(page)
    assert SignInLink.objects.get().used_at is None  # opening the link signs nobody in
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page, "#details-title")
    assert "Anna Lindqvist" in page.inner_text("main")
    assert_no_axe_violations(page)

    # Details
    tab_to(page, "a[href='/mina-sidor/uppgifter/']")
    press_enter_and_wait(page, "#id_first_name")
    assert_no_axe_violations(page)
    tab_to(page, "#id_first_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Anna-Karin")
    tab_to(page, "#id_phone")
    page.keyboard.type("070-123 45 67")
    tab_to(page, "#id_locality")
    for _ in range(100):  # from "Other" (the last option, where a person without a locality starts) upwards
        if page.evaluate("() => document.activeElement.selectedOptions[0]?.textContent.trim()") == "Nyland":
            break
        page.keyboard.press("ArrowUp")
    outdoors = Interest.objects.get(name="Friluftsliv")
    tab_to(page, f"input[name=interests][value='{outdoors.pk}']")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page, "[role=status]")
    anna.refresh_from_db()
    assert (anna.first_name, anna.phone, anna.locality.name) == ("Anna-Karin", "+46701234567", "Nyland")
    assert [i.name for i in anna.interests.all()] == ["Friluftsliv"]
    assert_no_axe_violations(page)

    # Mailings
    tab_to(page, "a[href='/mina-sidor/utskick/']")
    press_enter_and_wait(page, "#id_newsletters")
    assert_no_axe_violations(page)
    tab_to(page, "#id_newsletters")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page, "[role=status]")
    anna.refresh_from_db()
    assert (anna.wants_newsletters, anna.wants_invitations) == (False, True)

    # The data, as a page
    tab_to(page, "a[href='/mina-sidor/mina-data/']")
    press_enter_and_wait(page, "main h2")
    assert "Anna-Karin" in page.inner_text("main")
    assert_no_axe_violations(page)

    # Leaving
    page.goto(f"{live_server.url}/mina-sidor/")
    tab_to(page, "a[href='/mina-sidor/lamna/']")
    press_enter_and_wait(page, "main form button[type=submit]")
    assert_no_axe_violations(page)
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page, "main h1")
    anna.refresh_from_db()
    assert anna.status == Ambassador.Status.ALUMNI
    assert_no_axe_violations(page)


def test_the_refused_link_pages(page, live_server, anna):
    page.goto(f"{live_server.url}/mina-sidor/")
    page.fill("#id_email", "anna@example.org")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    link = sign_in_link(live_server)
    page.goto(link)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    response = page.goto(link)  # used
    assert response.status == 410
    assert_no_axe_violations(page)
    response = page.goto(f"{live_server.url}/mina-sidor/logga-in/garbage/")  # changed
    assert response.status == 400
    assert_no_axe_violations(page)
    # Asking for a new link right there, with a typo first.
    page.fill("#id_email", "nope")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_selector("#error-summary")
    assert page.get_attribute("#id_email", "aria-invalid") == "true"
    assert_no_axe_violations(page)


def test_the_sign_out_and_the_idle_pages(page, live_server, anna):
    page.goto(f"{live_server.url}/mina-sidor/")
    page.fill("#id_email", "anna@example.org")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.goto(sign_in_link(live_server))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    with page.expect_navigation():
        page.click("main form[action='/mina-sidor/logga-ut/'] button")
    assert_no_axe_violations(page)
    page.goto(f"{live_server.url}/mina-sidor/uppgifter/")
    assert page.url == f"{live_server.url}/mina-sidor/"


def test_the_objection_page_of_a_recommended_person(page, live_server):
    contact = people.recommendation_submit(
        recommender_name="Bertil",
        recommender_email="bertil@example.org",
        name="Cecilia",
        contact_details="cecilia@example.org",
    )
    url = people.contact_objection_url(contact).replace("http://testserver", live_server.url)
    page.goto(url)
    assert_no_axe_violations(page)
    tab_to(page, "main form button[type=submit]")
    press_enter_and_wait(page, "main h1")
    assert not RecruitmentContact.objects.exists()
    assert_no_axe_violations(page)
