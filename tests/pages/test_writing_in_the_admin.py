"""The coordinator writes in the admin (the public pages, newsletters, onboarding steps): each Markdown field has a
preview and says how the text reads (LIX and the sentences that are too long) as she writes; a hint, never a block.
The pages are the product's: none is added or deleted in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.writing import writing_hint
from crm.readability import readability
from pages.models import Page
from tests.factories import CampaignFactory, PageFactory, SequenceFactory, StepFactory

pytestmark = pytest.mark.django_db

LONG = (
    "När du som ambassadör träffar någon som funderar på att flytta hit kan du berätta om skolorna, om jobben, "
    "om naturen och om allt annat som gör Kramfors till en bra plats att bo på."
)


def change_url(page: Page) -> str:
    return reverse("admin:pages_page_change", args=[page.pk])


def test_the_hint_gives_the_lix_and_names_every_sentence_over_the_limit():
    hint = writing_hint(f"## Rubrik\n\nKort mening här. {LONG}")
    assert hint["lix"] == round(readability(f"Rubrik\n\nKort mening här. {LONG}").lix)
    assert hint["long"] == [LONG.rstrip(".")]
    assert writing_hint("Kort. Också kort.")["long"] == []
    assert len(writing_hint(LONG, sentence_words=40)["long"]) == 0


def test_the_editor_shows_how_the_saved_text_reads_under_each_field(admin_client):
    page = PageFactory(body=f"Kort mening. {LONG}", easy_body="Vi är ambassadörer. Vi bor i Kramfors.")
    html = admin_client.get(change_url(page)).content.decode()
    assert 'id="id_body-hint"' in html and 'id="id_body-preview"' in html and 'id="id_easy_body-hint"' in html
    assert "Läsbarhet" in html and "Den här meningen har fler än 20 ord. Kan du dela upp den?" in html
    assert "Ingen mening är längre än 15 ord." in html  # the Lättläst field counts to 15
    assert f'data-preview-url="{reverse("admin:pages_page_markdown")}"' in html
    assert "campaigns/writing.js" in html


def test_the_live_preview_answers_with_the_html_and_the_hint(admin_client):
    url = reverse("admin:pages_page_markdown")
    shown = admin_client.post(url, {"body": f"**Hej** <script>x</script>\n\n{LONG}", "sentence_words": "20"}).json()
    assert shown["html"].startswith("<p><strong>Hej</strong>") and "<script>" not in shown["html"]
    assert "fler än 20 ord" in shown["hint"] and "När du som ambassadör" in shown["hint"]
    assert "fler än 15 ord" in admin_client.post(url, {"body": LONG, "sentence_words": "15"}).json()["hint"]
    assert admin_client.post(url, {"body": "Hej.", "sentence_words": "tjugo"}).status_code == 200  # garbage: 20
    assert admin_client.get(url).status_code == 405


def test_a_long_sentence_is_saved_all_the_same(admin_client):
    page = PageFactory()
    data = {
        "title": page.title,
        "body": LONG,
        "title_en": page.title_en,
        "body_en": page.body_en,
        "easy_title": page.easy_title,
        "easy_body": LONG,
    }
    response = admin_client.post(change_url(page), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page.refresh_from_db()
    assert page.body == LONG == page.easy_body


def test_no_page_is_added_or_deleted_in_the_admin(admin_client):
    page = PageFactory()
    assert admin_client.get(reverse("admin:pages_page_add")).status_code == 403
    assert admin_client.get(reverse("admin:pages_page_delete", args=[page.pk])).status_code == 403
    assert Page.objects.filter(pk=page.pk).exists()


def test_the_newsletter_editor_shows_how_its_text_reads(admin_client):
    campaign = CampaignFactory(body=LONG)
    html = admin_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert 'id="id_body-hint"' in html and "Den här meningen har fler än 20 ord" in html
    shown = admin_client.post(reverse("admin:campaigns_campaign_markdown"), {"body": LONG}).json()
    assert "fler än 20 ord" in shown["hint"]


def test_the_onboarding_steps_editor_shows_how_each_step_reads(admin_client):
    sequence = SequenceFactory()
    StepFactory(sequence=sequence, body="Välkommen!", body_en="Welcome!")
    html = admin_client.get(reverse("admin:campaigns_sequence_change", args=[sequence.pk])).content.decode()
    assert 'id="id_steps-0-body-hint"' in html and 'id="id_steps-0-body_en-preview"' in html
    assert f'data-preview-url="{reverse("admin:campaigns_sequence_markdown")}"' in html
    shown = admin_client.post(reverse("admin:campaigns_sequence_markdown"), {"body": LONG}).json()
    assert "fler än 20 ord" in shown["hint"]
