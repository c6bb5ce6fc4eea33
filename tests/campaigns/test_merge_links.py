"""Merge fields are filled in after the coordinator's Markdown is sanitised, so a value that lands in a link must
not turn it into a javascript: (or other unsafe) URL: an ambassador chooses their own name at signup."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.merge import markdown_html, merge
from campaigns.models import Delivery, Sequence, Step
from campaigns.services.sequences import enroll, enrollments_advance
from tests.factories import AmbassadorFactory, CampaignFactory, start_sending

pytestmark = pytest.mark.django_db

SAFE_SCHEMES = {"", "http", "https", "mailto"}
EVIL_NAMES = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " \tjava\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    '" onclick="alert(1)',
]


class Links(HTMLParser):
    """Every URL attribute, as a browser reads it (entities decoded)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.attributes: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            self.attributes.append(name)
            if name in ("href", "src") and value:
                self.urls.append(value)


def scheme(url: str) -> str:
    """The scheme a browser would see: it drops tabs and newlines, and leading spaces and controls."""
    cleaned = "".join(char for char in url if char not in "\t\n\r").lstrip("".join(map(chr, range(0x21))))
    return urlsplit(cleaned).scheme.lower()


def assert_only_safe_links(html: str) -> list[str]:
    links = Links(html)
    assert all(scheme(url) in SAFE_SCHEMES for url in links.urls), links.urls
    assert not any(name.startswith("on") for name in links.attributes), links.attributes
    return links.urls


@pytest.mark.parametrize("name", EVIL_NAMES)
def test_a_first_name_in_a_campaign_link_cannot_make_an_unsafe_url(name):
    AmbassadorFactory(first_name=name, email="eve@example.se")
    newsletter = CampaignFactory(
        body="[Klicka]({{ first_name }}) · [Två fält]({{ first_name }}{{ last_name }}) · "
        "[Sök](https://kramfors.se/sok?q={{ first_name }}) · [Java](java{{ first_name }})\n\n"
        "<a href=\"{{ first_name }}\">rå html</a> · <a href='{{ förnamn }}'>enkla citattecken</a>"
    )
    start_sending(newsletter)

    html = build_message(Delivery.objects.get(campaign=newsletter)).alternatives[0].content
    urls = assert_only_safe_links(html)
    # The rest still works: the search link keeps its value (URL-encoded), the unsubscribe link is intact.
    assert any(url.startswith("https://kramfors.se/sok?q=") for url in urls)
    assert any("/avregistrera/" in url for url in urls)


@pytest.mark.parametrize("name", EVIL_NAMES)
def test_a_first_name_in_an_onboarding_step_link_cannot_make_an_unsafe_url(seed_data, name):
    now = timezone.now()
    enroll(ambassador=AmbassadorFactory(first_name=name), now=now)
    Step.objects.filter(sequence__slug=Sequence.ONBOARDING, delay_days=7).update(
        body="Hej! [Din sida]({{ first_name }}) och [sök](https://kramfors.se/?q={{ first_name }})"
    )
    enrollments_advance(now=now + timezone.timedelta(days=7))

    html = build_message(Delivery.objects.get(step__delay_days=7)).alternatives[0].content
    assert_only_safe_links(html)


def test_safe_values_are_merged_into_links_as_before():
    html = markdown_html("[Avregistrera]({{ unsubscribe_url }}) · [Sök](https://kramfors.se/?q={{ ort }}&x=1)")
    merged = merge(
        html, {"unsubscribe_url": "https://ambassador.kramfors.se/avregistrera/a:b/", "locality": "Ådalen"}, html=True
    )
    assert Links(merged).urls == [
        "https://ambassador.kramfors.se/avregistrera/a:b/",
        "https://kramfors.se/?q=%C3%85dalen&x=1",
    ]


def test_a_value_is_merged_once_never_again():
    merged = merge(
        '<a href="{{ first_name }}">{{ last_name }}</a>', {"first_name": "{{ last_name }}", "last_name": "x"}, html=True
    )
    assert merged == '<a href="{{ last_name }}">x</a>'


def test_merge_fields_in_text_and_other_attributes_are_escaped():
    merged = merge(
        '<a title="{{ first_name }}" href="https://kramfors.se/">{{ first_name }}</a>',
        {"first_name": '"<b>'},
        html=True,
    )
    assert merged == '<a title="&quot;&lt;b&gt;" href="https://kramfors.se/">&quot;&lt;b&gt;</a>'
