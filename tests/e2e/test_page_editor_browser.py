"""The coordinator edits the page about the network in the admin, in Chromium: as she types, the preview and the
hint on how the text reads follow, and a sentence over the limit is named; then the public page shows her text."""

from __future__ import annotations

import pytest

from tests.e2e.browser import skip_without_chromium
from tests.factories import PageFactory

pytestmark = [skip_without_chromium, pytest.mark.django_db(transaction=True)]

LONG = (
    "Som ambassadör kan du berätta om skolorna och jobben och naturen och föreningarna och allt annat som gör "
    "Kramfors till en bra plats att bo på"
)


def test_the_hint_and_preview_follow_her_typing_and_the_page_shows_what_she_saved(coordinator_page, live_server):
    page_row = PageFactory()
    page = coordinator_page
    page.goto(f"{live_server.url}/admin/pages/page/{page_row.pk}/change/")
    hint = page.locator("#id_body-hint")
    assert "Läsbarhet" in hint.inner_text() and "fler än 20 ord" not in hint.inner_text()

    page.fill("#id_body", f"## Välkommen\n\nVi ses på **torget**. {LONG}.")
    page.wait_for_function("() => document.querySelector('#id_body-hint').textContent.includes('fler än 20 ord')")
    assert "Som ambassadör kan du berätta" in hint.inner_text()
    assert page.locator("#id_body-preview h2").inner_text() == "Välkommen"
    assert page.locator("#id_body-preview strong").inner_text() == "torget"

    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_url("**/admin/pages/page/")
    page.goto(f"{live_server.url}/")
    assert page.locator("main h2").first.inner_text() == "Välkommen"
