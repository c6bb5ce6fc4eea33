"""Anpassa (crm/adapt.py, /anpassa/): the form in every public page's header sets a cookie, and the cookie gives the
classes on <html>; garbage in the form or the cookie gives the standard look, never an error."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from crm import adapt

pytestmark = pytest.mark.django_db


def html_classes(response) -> set[str]:
    match = re.search(r"<html[^>]*?(?: class=\"([^\"]*)\")?>", response.content.decode())
    assert match, "no <html> element"
    return set((match.group(1) or "").split())


def client_with(value: str) -> Client:
    client = Client()
    client.cookies[adapt.COOKIE_NAME] = value
    return client


def test_the_choices_go_into_a_cookie_and_the_reader_back_to_the_page():
    response = Client().post(
        "/anpassa/", {"text": "largest", "contrast": "high", "spacing": "wide", "next": "/tipsa/?x=1"}
    )
    assert response.status_code == 302 and response["Location"] == "/tipsa/?x=1"
    cookie = response.cookies[adapt.COOKIE_NAME]
    assert cookie.value == "largest.high.wide"
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["samesite"] == "Lax" and cookie["httponly"]


def test_the_cookie_is_secure_like_the_session_cookie(settings):
    settings.SESSION_COOKIE_SECURE = True
    response = Client().post("/anpassa/", {"contrast": "dark"})
    assert response.cookies[adapt.COOKIE_NAME]["secure"]


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""])
def test_a_next_elsewhere_goes_to_the_front_page(unsafe):
    response = Client().post("/anpassa/", {"contrast": "dark", "next": unsafe})
    assert response["Location"] == "/"


def test_garbage_choices_are_the_defaults():
    response = Client().post("/anpassa/", {"text": "huge", "contrast": ["dark", "<script>"], "spacing": ""})
    assert response.status_code == 302
    assert response.cookies[adapt.COOKIE_NAME].value == "normal.standard.normal"


def test_the_script_saves_without_a_page_back():
    response = Client().post("/anpassa/", {"contrast": "high"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204
    assert response.cookies[adapt.COOKIE_NAME].value == "normal.high.normal"


def test_the_post_needs_the_csrf_token():
    response = Client(enforce_csrf_checks=True).post("/anpassa/", {"contrast": "high"})
    assert response.status_code == 403


def test_the_page_shows_the_form_with_the_current_choice_checked():
    response = client_with("larger.dark.normal").get("/anpassa/?next=/tipsa/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Anpassa sidan</h1>" in text
    assert '<input type="radio" name="text" value="larger" checked>' in text
    assert '<input type="radio" name="contrast" value="dark" checked>' in text
    assert '<input type="radio" name="spacing" value="normal" checked>' in text
    assert text.count('name="next" value="/tipsa/"') == 2  # the page's form and the header's
    for label in ("Textstorlek", "Störst", "Mörk", "Hög kontrast", "Radavstånd", "Större radavstånd", "Spara"):
        assert label in text


def test_a_next_elsewhere_on_the_page_is_left_out():
    text = Client().get("/anpassa/?next=https://evil.example/").content.decode()
    assert text.count('name="next" value="/anpassa/"') == 2  # back to this page, not away


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        ("normal.standard.normal", set()),
        ("larger.standard.normal", {"text-larger"}),
        ("largest.high.wide", {"text-largest", "contrast-high", "spacing-wide"}),
        ("normal.dark.normal", {"contrast-dark"}),
    ],
)
def test_the_classes_on_html_follow_the_cookie(cookie, expected):
    assert html_classes(client_with(cookie).get("/tillganglighet/")) == expected


@pytest.mark.parametrize(
    "tampered", ["", "x", "largest.high", "largest.high.wide.more", '"><script>', "normal.standard.normal\x00", "é.é.é"]
)
def test_a_tampered_cookie_gives_the_standard_look(tampered):
    response = client_with(tampered).get("/")
    assert response.status_code == 200
    assert html_classes(response) == set()


def test_a_partly_tampered_cookie_keeps_what_is_valid():
    assert html_classes(client_with("larger.pink.wide").get("/")) == {"text-larger", "spacing-wide"}


@pytest.mark.parametrize("path", ["/", "/bli-ambassador/", "/tipsa/", "/tillganglighet/", "/mina-sidor/", "/lattlast/"])
def test_every_public_page_has_the_reading_aids_in_its_header(path):
    response = Client().get(path)
    assert response.status_code == 200
    header = response.content.decode().split("<header>", 1)[1].split("</header>", 1)[0]
    assert '<form class="adapt-form" method="post" action="/anpassa/">' in header
    assert f'name="next" value="{path}"' in header
    assert "<summary>Anpassa</summary>" in header
    if path.startswith("/lattlast/"):
        assert '<a href="/" lang="sv">' in header  # back to the standard text
    else:
        assert re.search(r'<a href="/lattlast/[^"]*" lang="sv">Lättläst</a>', header)
    assert 'class="link listen" hidden data-stop-label="Sluta läsa">Lyssna</button>' in header


def test_the_reading_aids_speak_english_on_an_english_page():
    client = Client()
    client.cookies["django_language"] = "en"
    text = client.get("/tipsa/").content.decode()
    for label in ("<summary>Adjust</summary>", "Text size", "High contrast", "Wider", ">Listen</button>"):
        assert label in text
