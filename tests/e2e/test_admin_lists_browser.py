"""The coordinator's lists on her 1280-pixel screen, in headless Chromium: the ambassador, application and recruitment
lists show their key columns whole, without a horizontal scroll bar, with realistic (long) Swedish names, addresses
and localities. A screenshot of each list is saved with the test's files, to look at when it fails."""

from __future__ import annotations

import pytest
from django.utils import timezone

from network.models import Ambassador, Application, RecruitmentContact
from tests.e2e.browser import skip_without_chromium
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    InterestFactory,
    LocalityFactory,
    RecruitmentContactFactory,
)

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
LISTS = {
    "ambassador": ["Namn", "E-post", "Mobilnummer", "Ort", "Status", "Ambassadör sedan", "Källa"],
    "application": ["Namn", "E-post", "Mobilnummer", "Ort", "Status", "Skickad", "Bekräftad"],
    "recruitmentcontact": ["Namn", "Hur vi når personen", "Källa", "Steg", "Följs upp av", "Följ upp den"],
}


@pytest.fixture
def long_values():
    """The longest values a real register holds: double-barrelled names, long addresses and localities."""
    locality = LocalityFactory(name="Sandöverken-Gålånger")
    interest = InterestFactory(name="Friluftsliv")
    recommender = AmbassadorFactory(
        first_name="Karl-Johan", last_name="Wennerström-Åkerlund", email="k@example.se", phone="", locality=locality
    )
    for number in range(30):
        AmbassadorFactory(
            first_name=f"Anna-Karin Maria {number}",
            last_name="Wennerström-Åkerlund",
            email=f"anna-karin.wennerstrom-akerlund{number}@kramforskommun.example.se",
            phone=f"+46701{number:06d}",
            locality=locality,
            member_since=timezone.localdate(),
            status=Ambassador.Status.PAUSED,
            source=Ambassador.Source.RECOMMENDATION,
            interests=[interest],
        )
        ApplicationFactory(
            first_name=f"Anna-Karin Maria {number}",
            last_name="Wennerström-Åkerlund",
            email=f"anna-karin.wennerstrom-akerlund{number}@kramforskommun.example.se",
            phone=f"+46701{number:06d}",
            locality=locality,
            status=Application.Status.CONFIRMED,
            confirmed_at=timezone.now(),
        )
        RecruitmentContactFactory(
            name=f"Per-Olof Sundqvist-Lindgren {number}",
            contact_details=f"per-olof.sundqvist-lindgren{number}@kramforskommun.example.se",
            source=RecruitmentContact.Source.RECOMMENDATION,
            recommended_by=recommender,
            follow_up_on=timezone.localdate(),
        )


@pytest.mark.parametrize("model", LISTS)
def test_the_list_shows_its_key_columns_at_1280_pixels_without_scrolling_sideways(
    coordinator_page, live_server, long_values, model, tmp_path
):
    page = coordinator_page
    page.goto(f"{live_server.url}/admin/network/{model}/")
    page.screenshot(path=str(tmp_path / f"{model}-1280.png"), full_page=True)
    sizes = page.evaluate(
        """() => {
            const results = document.querySelector('#changelist .results');
            const table = document.querySelector('#result_list');
            return {page: document.documentElement.scrollWidth, viewport: window.innerWidth,
                    results: results.scrollWidth, resultsVisible: results.clientWidth,
                    tableRight: table.getBoundingClientRect().right,
                    columns: [...table.querySelectorAll('thead th')].map(
                        c => `${c.textContent.trim()}=${Math.round(c.getBoundingClientRect().width)}`).join(' ')}
        }"""
    )
    assert sizes["page"] <= WIDTH, f"{sizes} {tmp_path}"
    assert sizes["results"] <= sizes["resultsVisible"], f"{sizes} {tmp_path}"  # no scroll bar under the table
    assert sizes["tableRight"] <= sizes["viewport"], f"{sizes} {tmp_path}"
    headers = page.eval_on_selector_all("#result_list thead th .text", "cells => cells.map(c => c.textContent.trim())")
    for header in LISTS[model]:
        assert header in headers, (header, headers)
    # Every cell shows all of its text (nothing cut off by the column's width).
    clipped = page.eval_on_selector_all(
        "#result_list tbody td, #result_list tbody th",
        "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText)",
    )
    assert clipped == [], clipped


def test_the_dashboard_passes_axe_core_and_every_chart_has_its_text_and_table(
    coordinator_page, live_server, long_values
):
    """The coordinator's start page: the dashboard's own content (the figures, the charts with their text
    alternatives and tables, the period picker) has no axe-core WCAG 2.1 A/AA violation on her screen."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.e2e.browser import AXE_OPTIONS

    coordinator_page.goto(f"{live_server.url}/admin/")
    charts = coordinator_page.locator("#content svg[role='img']")
    assert charts.count() >= 3
    for index in range(charts.count()):
        assert charts.nth(index).get_attribute("aria-labelledby") or charts.nth(index).get_attribute("aria-label")
    results = Axe().run(coordinator_page, context="#content", options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
