""" "Bjud in att ansöka" on a recruitment contact's page, in headless Chromium: the coordinator presses the button,
is back on the page with a Swedish message, and the button's box passes axe-core (WCAG 2.1 A/AA), on and off."""

from __future__ import annotations

import pytest

from campaigns.models import Delivery
from tests.e2e.browser import AXE_OPTIONS, skip_without_chromium
from tests.factories import RecruitmentContactFactory

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]


def _axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=".invite-to-apply", options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def test_the_coordinator_invites_a_contact_from_its_page(coordinator_page, live_server):
    contact = RecruitmentContactFactory(name="Vera Ny", email="vera@example.se")
    page = coordinator_page
    page.goto(f"{live_server.url}/admin/network/recruitmentcontact/{contact.pk}/change/")
    _axe_clean(page)

    page.get_by_role("button", name="Bjud in att ansöka").click()

    page.get_by_text("Vera Ny har fått en inbjudan att ansöka").first.wait_for()
    assert page.url.endswith(f"/recruitmentcontact/{contact.pk}/change/")
    assert Delivery.objects.filter(template="recruitment_invitation", to_email="vera@example.se").exists()
    # Invited: now "contacted", so it can be invited again another day; a contact without an address cannot.
    nobody = RecruitmentContactFactory(name="Utan Adress", contact_details="070-111 22 33")
    page.goto(f"{live_server.url}/admin/network/recruitmentcontact/{nobody.pk}/change/")
    assert page.get_by_role("button", name="Bjud in att ansöka").is_disabled()
    assert "Det finns ingen e-postadress" in page.locator(".invite-to-apply").inner_text()
    _axe_clean(page)
