"""Consent and legal basis: every purpose has a basis and a text version in the settings; consent is recorded with
time, version, purpose and source, and withdrawn as easily (the unsubscribe link, one-click, the preferences page,
the ESP); /integritet/ shows the notice generated from the same settings, in Swedish and in English."""

from __future__ import annotations

import copy

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from campaigns.models import Delivery
from campaigns.services.tracking import tracking_event_process
from crm.tokens import token_make
from network import services
from network.consent import consent_give, consent_withdraw, purpose_version
from network.models import ConsentRecord
from tests.crm.test_settings import django_setup_and_print, production_environment
from tests.factories import AmbassadorFactory, CampaignFactory, TrackingEventFactory, start_sending

pytestmark = pytest.mark.django_db

PURPOSES = {"registry", "newsletters", "invitations", "tracking", "recruitment"}


def unsubscribe_path(ambassador, kind="newsletter") -> str:
    return reverse("unsubscribe", args=[token_make("unsubscribe", [ambassador.pk, kind, None])])


def preferences_path(ambassador) -> str:
    return reverse("preferences", args=[token_make("unsubscribe", [ambassador.pk, "newsletter", None])])


def records(ambassador, purpose):
    return list(ConsentRecord.objects.filter(ambassador=ambassador, purpose=purpose).order_by("given_at", "pk"))


@pytest.fixture
def anna():
    return AmbassadorFactory(first_name="Anna", email="anna@example.se")


# The settings --------------------------------------------------------------------------------------------------


def test_every_purpose_has_a_legal_basis_and_a_text_version_in_the_settings():
    purposes = django_settings.PRIVACY["purposes"]
    assert set(purposes) == PURPOSES
    for config in purposes.values():
        assert config["basis"] in ("consent", "public_interest")
        assert config["version"]
    assert {"controller", "org_number", "address", "contact_email", "dpo_email"} <= set(django_settings.PRIVACY)
    # Every purpose a consent record can name is one of them.
    assert set(ConsentRecord.Purpose.values) <= PURPOSES


@pytest.mark.parametrize(("name", "value"), [("PRIVACY_BASIS_NEWSLETTERS", "contract"), ("RETENTION_ALUMNI_DAYS", "0")])
def test_a_wrong_legal_basis_or_retention_stops_start_up_naming_the_variable(tmp_path, name, value):
    result = django_setup_and_print("settings.PRIVACY", production_environment(tmp_path, **{name: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.strip().splitlines()[-1], result.stderr


# Recording consent ---------------------------------------------------------------------------------------------


def test_a_signup_records_consent_to_the_registry_text_in_force_with_its_source():
    application = services.application_submit(first_name="Anna", last_name="Ödmark", email_address="Anna@Example.se")
    record = ConsentRecord.objects.get(application=application)
    assert record.purpose == "registry"
    assert record.text_version == django_settings.PRIVACY["purposes"]["registry"]["version"]
    assert record.source == ConsentRecord.Source.SIGNUP
    assert record.given_at is not None and record.withdrawn_at is None


def test_a_new_text_version_in_the_settings_is_what_the_next_consent_records(settings):
    settings.PRIVACY = copy.deepcopy(settings.PRIVACY)
    settings.PRIVACY["purposes"]["registry"]["version"] = "2027-01-01"
    application = services.application_submit(first_name="Anna", last_name="Ödmark", email_address="a@example.se")
    assert ConsentRecord.objects.get(application=application).text_version == "2027-01-01"


def test_the_unsubscribe_page_records_a_withdrawal_for_the_purpose_once(client, anna):
    path = unsubscribe_path(anna)
    client.get(path)
    assert not ConsentRecord.objects.exists(), "GET changes nothing"

    client.post(path)
    client.post(path)  # twice: still one withdrawal

    (withdrawal,) = records(anna, "newsletters")
    assert withdrawal.withdrawn_at is not None
    assert withdrawal.source == ConsentRecord.Source.LINK
    assert withdrawal.text_version == purpose_version("newsletters")
    assert withdrawal.email == "anna@example.se"
    assert records(anna, "invitations") == [] and records(anna, "registry") == []


def test_one_click_from_a_mail_program_records_the_withdrawal_too(anna):
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(
        unsubscribe_path(anna, "invitation"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    (withdrawal,) = records(anna, "invitations")
    assert withdrawal.source == ConsentRecord.Source.ONE_CLICK and withdrawal.withdrawn_at is not None


def test_the_preferences_page_withdraws_and_gives_consent_as_easily(client, anna):
    path = preferences_path(anna)
    client.post(path, {"newsletters": "on"})  # invitations unticked
    (withdrawal,) = records(anna, "invitations")
    assert withdrawal.withdrawn_at is not None and withdrawal.source == ConsentRecord.Source.PREFERENCES
    assert records(anna, "newsletters") == [], "nothing changed for newsletters"

    client.post(path, {"newsletters": "on", "invitations": "on"})  # ticked again
    withdrawal, given = records(anna, "invitations")
    assert given.withdrawn_at is None and given.source == ConsentRecord.Source.PREFERENCES
    assert given.text_version == purpose_version("invitations")
    anna.refresh_from_db()
    assert anna.wants_invitations and anna.wants_newsletters


def test_an_unsubscribe_reported_by_the_email_service_records_the_withdrawal():
    anna = AmbassadorFactory(email="anna@example.se")
    newsletter = CampaignFactory()
    start_sending(newsletter)
    delivery = Delivery.objects.get(campaign=newsletter, ambassador=anna)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, esp_message_id="esp-1")
    event = TrackingEventFactory(esp="postmark", event_type="unsubscribed", message_id="esp-1")
    tracking_event_process(event.pk)
    (withdrawal,) = records(anna, "newsletters")
    assert withdrawal.source == ConsentRecord.Source.ESP and withdrawal.withdrawn_at is not None


def test_consent_given_and_withdrawn_is_recorded_only_when_it_changes(anna):
    assert consent_withdraw(ambassador=anna, purpose="tracking", source="mypages") is not None
    assert consent_withdraw(ambassador=anna, purpose="tracking", source="mypages") is None
    assert consent_give(ambassador=anna, purpose="tracking", source="mypages") is not None
    assert consent_give(ambassador=anna, purpose="tracking", source="mypages") is None
    assert [record.withdrawn_at is None for record in records(anna, "tracking")] == [False, True]


# The notice ----------------------------------------------------------------------------------------------------


def page(client, language: str = "sv") -> str:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/integritet/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_notice_is_generated_from_the_settings(client, settings):
    settings.PRIVACY = copy.deepcopy(settings.PRIVACY)
    settings.PRIVACY.update(
        controller="Kramfors kommun (kommunstyrelsen)",
        org_number="212000-2429",
        address="Runevägen 1, 872 80 Kramfors",
        contact_email="ambassador@kramfors.se",
        dpo_email="dso@kramfors.se",
    )
    settings.PRIVACY["purposes"]["newsletters"]["basis"] = "public_interest"
    settings.PRIVACY["purposes"]["tracking"]["version"] = "2027-02-03"
    settings.RETENTION_ALUMNI_DAYS = 111
    settings.RETENTION_UNCONFIRMED_DAYS = 22
    settings.RETENTION_DECLINED_DAYS = 33
    settings.RETENTION_RECRUITMENT_DAYS = 44
    settings.RETENTION_DELIVERY_LOG_DAYS = 55
    html = page(client)
    for text in ("Kramfors kommun (kommunstyrelsen)", "212000-2429", "Runevägen 1, 872 80 Kramfors"):
        assert text in html
    assert 'href="mailto:dso@kramfors.se"' in html and "Dataskyddsombud" in html
    assert 'href="mailto:ambassador@kramfors.se"' in html
    for days in (111, 22, 33, 44, 55):
        assert f"{days} dagar" in html
    assert "Version av den här informationen: 2027-02-03." in html
    # Each purpose with its own basis: newsletters moved to public interest, invitations still consent.
    newsletters = html.split("<h3>Nyhetsbrev</h3>")[1].split("<h3>")[0]
    invitations = html.split("<h3>Inbjudningar till evenemang och utbildningar</h3>")[1].split("<h3>")[0]
    assert "En uppgift av allmänt intresse (dataskyddsförordningen artikel 6.1 e)" in newsletters
    assert "Ditt samtycke (dataskyddsförordningen artikel 6.1 a)" in invitations


def test_the_notice_in_swedish_names_rights_the_complaint_to_imy_and_the_art_14_text(client):
    html = page(client)
    assert 'lang="sv"' in html
    for text in (
        "Dina rättigheter",
        "registerutdrag",
        "Integritetsskyddsmyndigheten (IMY)",
        "Om någon har tipsat oss om dig",
        "fått ditt namn och dina kontaktuppgifter från den personen",
        "Avstängd: vi registrerar inte om du öppnar",  # tracking, with EMAIL_TRACKING off
    ):
        assert text in html, text


def test_the_notice_in_english(client, settings):
    settings.EMAIL_TRACKING = True
    html = page(client, "en")
    assert 'lang="en"' in html
    for text in (
        "How we handle your personal data",
        "Data protection officer",
        "Swedish Authority for Privacy Protection (Integritetsskyddsmyndigheten, IMY)",
        "If someone recommended you",
        "we got your name and contact details from that person",
        "A task in the public interest (GDPR article 6.1 e)",
        "How long we keep your data",
        "730 days",
    ):
        assert text in html, text
    assert "Switched off" not in html
