"""No admin page is wider than the coordinator's 1280-pixel screen: every changelist and change page in the admin
registry (one row of each model, made by the factories, with long Swedish values) and the dashboard, in headless
Chromium at 1280 x 800, has no horizontal scroll bar. A screenshot of a page that fails is saved with the test's
files."""

from __future__ import annotations

import factory
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from tests import factories
from tests.e2e.browser import skip_without_chromium

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1280, 800
LONG = "Anna-Karin Wennerström-Åkerlund Sandöverken-Gålånger"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Koordinatorer {n}")


def _one_of_each() -> dict[str, object]:
    """One row per registered model (its label: the row)."""
    locality = factories.LocalityFactory(name="Sandöverken-Gålånger")
    ambassador = factories.AmbassadorFactory(
        first_name="Anna-Karin Maria", last_name="Wennerström-Åkerlund", locality=locality
    )
    factories.NoteFactory(ambassador=ambassador, text=LONG * 4)
    campaign = factories.CampaignFactory()
    sequence = factories.SequenceFactory()
    rows = {
        "auth.Group": GroupFactory(),
        "auth.User": get_user_model().objects.get(username="koordinator"),
        "crm.AuditEntry": factories.AuditEntryFactory(),
        "crm.RetentionRun": factories.RetentionRunFactory(),
        "network.Event": factories.EventFactory(title="Dialog och värdskap: att ta emot nya i bygden"),
        "network.RecruitmentContact": factories.RecruitmentContactFactory(name="Per-Olof Sundqvist-Lindgren"),
        "network.Ambassador": ambassador,
        "network.Application": factories.ApplicationFactory(
            first_name="Anna-Karin", last_name="Wennerström-Åkerlund", locality=locality
        ),
        "network.Locality": locality,
        "network.Interest": factories.InterestFactory(),
        "network.ConsentRecord": factories.ConsentRecordFactory(),
        "campaigns.Campaign": campaign,
        "campaigns.Sequence": sequence,
        "campaigns.Enrollment": factories.EnrollmentFactory(ambassador=ambassador, sequence=sequence),
        "campaigns.Delivery": factories.DeliveryFactory(ambassador=ambassador, campaign=campaign),
        "campaigns.Unsubscribe": factories.UnsubscribeFactory(),
        "campaigns.Suppression": factories.SuppressionFactory(),
        "campaigns.Segment": factories.SegmentFactory(),
        "pages.Page": factories.PageFactory(),
    }
    return rows


@pytest.fixture
def wide_page(browser, live_server):
    """A tab 1280 x 800, signed in as a superuser (every admin page opens)."""
    user = get_user_model().objects.create_superuser("koordinator", "k@example.se", "x")
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="sv-SE")
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _too_wide(page, url: str, tmp_path) -> str | None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if sizes[0] <= sizes[1]:
        return None
    page.screenshot(path=str(tmp_path / f"{url.strip('/').replace('/', '-')[-60:]}.png"), full_page=True)
    widest = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => `${e.tagName}#${e.id}.${e.className}`).join(' ')"""
    )
    return f"{url}: {sizes[0]} > {sizes[1]} ({widest})"


def test_no_admin_page_is_wider_than_a_1280_pixel_screen(wide_page, live_server, tmp_path):
    rows = _one_of_each()
    missing = {model._meta.label for model in admin.site._registry} - set(rows)
    assert not missing, f"a model registered in the admin has no row here: {missing}"
    urls = ["/admin/", "/admin/dashboard/report/"]
    for model in admin.site._registry:
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        urls += [base, f"{base}{rows[meta.label].pk}/change/"]
    problems = [problem for url in urls if (problem := _too_wide(wide_page, live_server.url + url, tmp_path))]
    assert problems == [], f"{tmp_path}\n" + "\n".join(problems)
