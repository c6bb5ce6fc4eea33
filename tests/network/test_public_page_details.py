"""The public pages' details: an error summary without doubled punctuation, a favicon, a description for search
engines and link previews on every page, and links in emails that open in the reader's language."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from campaigns.models import Delivery
from crm.tokens import token_make
from network import services
from network.abuse import form_started_token
from tests.factories import AmbassadorFactory, ApplicationFactory

pytestmark = pytest.mark.django_db


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def public_pages() -> list[str]:
    """Every public page, the ones behind a link from an email included."""
    application = ApplicationFactory()
    ambassador = AmbassadorFactory()
    unsubscribe = token_make("unsubscribe", [ambassador.pk, "newsletter", None])
    return [
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


# The error summary --------------------------------------------------------------------------------------------


def summary_items(html: str) -> list[str]:
    summary = html[html.index('id="error-summary"') : html.index("</ul>", html.index('id="error-summary"'))]
    return [re.sub(r"<[^>]+>|\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_error_summary_has_no_doubled_punctuation(language):
    client = client_in(language)
    data = {"email": "nope", "started": form_started_token(time.time() - 30)}
    items = summary_items(client.post("/bli-ambassador/", data).content.decode())
    items += summary_items(client.post("/tipsa/", data).content.decode())
    assert items
    for item in items:
        assert not re.search(r"[?!.:]:", item), item
    expected = "Var bor du? " if language == "sv" else "Where do you live? "
    assert any(item.startswith(expected) for item in items), items
    # A label without punctuation of its own still gets its colon.
    assert any(item.startswith("Förnamn: " if language == "sv" else "First name: ") for item in items), items


# The favicon --------------------------------------------------------------------------------------------------


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response).startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert "max-age" in response["Cache-Control"]


def test_every_page_names_its_icon(client):
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/bli-ambassador/").content.decode()


# Descriptions -------------------------------------------------------------------------------------------------


class Meta(HTMLParser):
    def __init__(self):
        super().__init__()
        self.descriptions: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "description":
            self.descriptions.append(attrs.get("content") or "")


def description(html: str) -> str:
    parser = Meta()
    parser.feed(html)
    assert len(parser.descriptions) == 1, parser.descriptions
    return parser.descriptions[0]


def test_every_public_page_has_a_description_in_its_language():
    for path in public_pages():
        found = {}
        for language in ("sv", "en"):
            response = client_in(language).get(path)
            assert response.status_code in (200, 400), (path, response.status_code)
            found[language] = description(response.content.decode())
            assert 50 <= len(found[language]) <= 160, (path, language, found[language])
        assert found["sv"] != found["en"], (path, found)


def test_the_main_pages_describe_themselves():
    client = client_in("sv")
    descriptions = {path: description(client.get(path).content.decode()) for path in ("/bli-ambassador/", "/tipsa/")}
    assert len(set(descriptions.values())) == 2, descriptions
    assert "ambassadör" in descriptions["/bli-ambassador/"]


# Links in emails keep the reader's language --------------------------------------------------------------------


def test_an_english_applicants_confirmation_link_opens_the_english_page(client):
    data = {
        "first_name": "Emma",
        "last_name": "Smith",
        "email": "emma@example.org",
        "locality": "other",
        "consent": "on",
        "started": form_started_token(time.time() - 30),
    }
    english = client_in("en")
    assert english.post("/bli-ambassador/", data).status_code == 302
    link = Delivery.objects.get(template="application_confirm").context["confirm_url"]
    assert link.endswith("/?lang=en")

    reader = Client()  # the email is opened elsewhere: no language cookie
    response = reader.get(link.removeprefix("http://testserver"), follow=True)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    assert response.redirect_chain[-1][0] == link.removeprefix("http://testserver").removesuffix("?lang=en")
    # The choice sticks, and the language switch works as before.
    assert '<html lang="en">' in reader.get("/tipsa/").content.decode()


def test_a_swedish_applicants_link_is_as_before():
    application = ApplicationFactory(language="sv")
    assert "?" not in services.confirm_url(application)


def test_the_language_parameter_is_taken_once_and_the_address_kept(client):
    response = client.get("/tipsa/?lang=en&utm_source=mejl")
    assert response.status_code == 302
    assert response["Location"] == "/tipsa/?utm_source=mejl"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert '<html lang="en">' in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("value", ["de", "", "en-us", "../"])
def test_an_unknown_language_parameter_is_ignored(client, value):
    response = client.get("/tipsa/", {"lang": value})
    assert response.status_code == 200
    assert '<html lang="sv">' in response.content.decode()


def test_a_post_with_a_language_parameter_is_not_redirected(client):
    response = client.post("/bekrafta/ny-lank/?lang=en", {"email": "nope"})
    assert response.status_code == 400
