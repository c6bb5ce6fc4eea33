"""One name for the network as a sender (settings.EMAIL_SENDER_NAME): the From name of transactional and campaign
mail, the emails' top line and the public pages' titles; and the wording fixes of issue 19's "Swedish everywhere"
in email (the recommendation notice to the coordinator) and on the timeline (which email of a series was sent)."""

from __future__ import annotations

import importlib.util
import re
from email.utils import parseaddr
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.emails import build_message, render_email
from network.timeline import person_timeline
from tests.factories import AmbassadorFactory, CampaignFactory, DeliveryFactory, SequenceFactory, StepFactory

pytestmark = pytest.mark.django_db

SETTINGS = Path(__file__).resolve().parents[2] / "crm" / "settings.py"


def settings_with(monkeypatch, **environment):
    """crm/settings.py as it reads the environment given (loaded under another name: Django's stays as it is)."""
    for name in ("DEFAULT_FROM_EMAIL", "EMAIL_SENDER_NAME", "EMAIL_FROM_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_from_address_is_built_from_the_one_sender_name(monkeypatch):
    default = settings_with(monkeypatch)
    assert default.EMAIL_SENDER_NAME == "Kramfors ambassadörer"
    assert parseaddr(default.DEFAULT_FROM_EMAIL) == ("Kramfors ambassadörer", "ambassador@kramfors.se")
    other = settings_with(monkeypatch, EMAIL_SENDER_NAME="Höga kusten-ambassadörer", EMAIL_FROM_ADDRESS="a@b.se")
    assert parseaddr(other.DEFAULT_FROM_EMAIL) == ("Höga kusten-ambassadörer", "a@b.se")
    assert settings_with(monkeypatch, DEFAULT_FROM_EMAIL="x@y.se").DEFAULT_FROM_EMAIL == "x@y.se"  # still settable


def test_a_transactional_email_is_from_the_sender_name_and_says_it_on_top(settings):
    settings.EMAIL_SENDER_NAME = "Höga kusten-ambassadörer"
    settings.DEFAULT_FROM_EMAIL = '"Höga kusten-ambassadörer" <ambassador@kramfors.se>'
    message = build_message(DeliveryFactory(template="application_confirm", context={"confirm_url": "x"}))
    assert parseaddr(message.from_email)[0] == "Höga kusten-ambassadörer"
    html = message.alternatives[0].content
    assert "Höga kusten-ambassadörer</td>" in html  # the top line
    for other in ("Ambassadörer för Kramfors", "Kramfors ambassadors"):
        assert other not in html


def test_a_campaign_is_from_the_sender_name(settings):
    settings.EMAIL_SENDER_NAME = "Höga kusten-ambassadörer"
    campaign = CampaignFactory(subject="Hej", body="Hej")
    message = build_message(DeliveryFactory(campaign=campaign, ambassador=AmbassadorFactory()))
    assert parseaddr(message.from_email)[0] == "Höga kusten-ambassadörer"
    assert "Höga kusten-ambassadörer</td>" in message.alternatives[0].content


def test_the_public_pages_are_titled_with_the_sender_name(client, settings):
    settings.EMAIL_SENDER_NAME = "Höga kusten-ambassadörer"
    page = client.get("/bli-ambassador/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)
    assert title.strip().endswith("– Höga kusten-ambassadörer")
    assert 'class="brand"' in page and "Ambassadörer för Kramfors" not in page


def test_the_recommendation_notice_to_the_coordinator_reads_as_swedish():
    _subject, text, html = render_email("recommendation_received", {}, "sv")
    assert text.startswith("Någon har tipsat om en ny ambassadör på webbplatsen.")
    assert "Någon har tipsat om en ny ambassadör på webbplatsen." in html
    assert "tipsats om som" not in text + html


def test_the_timeline_says_which_email_of_a_series_was_sent():
    anna = AmbassadorFactory(first_name="Anna")
    step = StepFactory(sequence=SequenceFactory(name="Introduktion"), subject="Välkommen, {{ first_name }}!")
    DeliveryFactory(step=step, ambassador=anna, status="sent", sent_at=timezone.now())
    texts = [entry.text for entry in person_timeline(anna) if entry.kind == "email"]
    assert texts == ["Mejl skickat: Välkommen, [förnamn]! (e-postserie)"]
