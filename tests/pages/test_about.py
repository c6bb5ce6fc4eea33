"""The page about the network at /: the coordinator's text (sanitised Markdown), in Swedish, in English when she
wrote it, and what the page itself adds: how to join, recommend someone, the localities, Mina sidor and whom to
call. And the header's Lättläst link on every kind of page, there and back."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from pages.content import default_fields
from pages.models import Page
from tests.factories import LocalityFactory, PageFactory

pytestmark = pytest.mark.django_db


def html_of(path: str, language: str = "sv") -> str:
    client = Client()
    client.cookies["django_language"] = language
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_shipped_text_is_in_the_admin_after_migrating(seed_data):
    page = Page.objects.get(slug="about")
    assert {name: getattr(page, name) for name in default_fields("about")} == default_fields("about")
    assert page.title == "Bli ambassadör för Kramfors" and "dialog och värdskap" in page.body


def test_the_about_page_says_how_to_join_recommend_and_whom_to_call(settings):
    settings.COORDINATOR_NAME, settings.COORDINATOR_PHONE = "Maria Ek", "0612-800 00"
    settings.COORDINATOR_EMAIL = "maria.ek@kramfors.se"
    LocalityFactory(name="Nordingrå")
    LocalityFactory(name="Felstavad by", is_public=False)
    html = html_of("/")
    assert "<h1>Bli ambassadör för Kramfors</h1>" in html
    for link in ('href="/bli-ambassador/"', 'href="/tipsa/"', 'href="/mina-sidor/"', 'href="/lattlast/"'):
        assert link in html, link
    assert "Känner du någon som skulle passa?" in html
    assert "Maria Ek" in html and "0612-800 00" in html and "mailto:maria.ek@kramfors.se" in html
    assert "<li>Nordingrå</li>" in html and "Felstavad by" not in html


def test_the_coordinators_text_is_shown_sanitised():
    PageFactory(
        body="## Välkommen\n\nLäs [mer](https://kramfors.se). <script>alert(1)</script> [x](javascript:alert(2))"
    )
    html = html_of("/")
    assert "<h2>Välkommen</h2>" in html and '<a href="https://kramfors.se" rel="noopener noreferrer">mer</a>' in html
    assert "<script>alert" not in html and "javascript:" not in html


def test_english_readers_get_the_english_text_or_the_swedish_marked_as_swedish():
    html = html_of("/", "en")
    assert '<html lang="en"' in html and "<h1>Become an ambassador for Kramfors</h1>" in html
    assert "Do you know someone who would suit?" in html
    PageFactory(title_en="", body_en="")
    html = html_of("/", "en")
    assert re.search(r'<div lang="sv" class="page-text">\s*<h1>Bli ambassadör för Kramfors</h1>', html)


def test_om_leads_to_the_page_about_the_network():
    response = Client().get("/om/")
    assert (response.status_code, response["Location"]) == (301, "/")


def test_the_lattlast_page_is_the_coordinators_easy_text():
    PageFactory(easy_title="Om oss", easy_body="Vi är ambassadörer.\nVi tycker om Kramfors.")
    html = html_of("/lattlast/")
    assert "<h1>Om oss</h1>" in html and "Vi är ambassadörer.<br>" in html


@pytest.mark.parametrize(
    ("path", "easy"),
    [
        ("/", "/lattlast/"),
        ("/bli-ambassador/", "/lattlast/bli-ambassador/"),
        ("/integritet/", "/lattlast/integritet/"),
        ("/tillganglighet/", "/lattlast/tillganglighet/"),
        ("/kontakt/", "/lattlast/kontakt/"),
        ("/tipsa/", "/lattlast/"),  # a page with no version of its own: the easy page about the network
        ("/mina-sidor/", "/lattlast/"),
    ],
)
def test_every_page_links_to_its_lattlast_version_and_back(path, easy):
    link = re.search(r'<nav class="tools"[^>]*>\s*<a href="([^"]+)" lang="sv">Lättläst</a>', html_of(path))
    assert link and link.group(1) == easy, path
    back = html_of(easy, "en")  # Lättläst is Swedish, whatever the visitor chose
    assert '<html lang="sv"' in back and '<body class="easy">' in back
    standard = path if easy != "/lattlast/" else "/"
    assert re.search(rf'<a href="{standard}" lang="sv">Vanlig text</a>', back), easy
    # The language switch of a Lättläst page leads to the page's standard version, in English.
    assert f'name="next" value="{standard}"' in back
