"""A person recommended on /tipsa/ with an email address is told at once (GDPR art. 14): who we are, why we have
their details, and a link to object. The link's GET shows a button; its POST erases the contact, and the address is
neither mailed nor stored again."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from campaigns.models import Delivery, Suppression
from campaigns.services.outbox import deliveries_send
from crm.pseudonyms import pseudonym
from crm.tokens import token_make
from network import services
from network.abuse import form_started_token
from network.models import RecruitmentContact
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db

RECOMMEND = "/tipsa/"


def recommend(client, **overrides):
    data = {
        "recommender_name": "Bertil Berg",
        "recommender_email": "bertil@example.se",
        "name": "Cecilia <b>Ek</b>",
        "contact_details": "Cecilia.Ek@Example.se",
        "note": "Besök https://spam.example nu!",
        "website": "",
        "started": form_started_token(time.time() - 30),
        **overrides,
    }
    return client.post(RECOMMEND, data)


def notices():
    return Delivery.objects.filter(template="recommendation_notice")


def objection_path(delivery: Delivery) -> str:
    return delivery.context["objection_url"].removeprefix("http://testserver")


def test_a_recommended_address_is_told_at_once_who_we_are_why_and_how_to_object(client):
    assert recommend(client).status_code == 302
    contact = RecruitmentContact.objects.get()
    notice = notices().get()
    assert notice.to_email == "cecilia.ek@example.se"
    assert notice.ambassador is None and notice.application is None

    deliveries_send([notice.pk])
    message = mail.outbox[-1]
    body = message.body
    assert message.to == ["cecilia.ek@example.se"]
    assert message.subject == "Någon har tipsat oss om dig som ambassadör i Kramfors"
    assert "Kramfors kommun ansvarar för dina uppgifter" in body  # who
    assert "fråga dig en gång om du vill vara med" in body  # why
    assert "allmänt intresse" in body  # on what legal basis
    assert notice.context["objection_url"] in body  # and how to object
    assert "/integritet/" in body
    # Nothing typed into the form reaches the recommended person: /tipsa/ is no way to send anyone a message.
    for typed in ("Cecilia", "Bertil", "spam.example", "<b>"):
        assert typed not in body and typed not in message.alternatives[0][0]
    assert contact.contact_details == "Cecilia.Ek@Example.se"


def test_a_phone_number_or_an_ambassador_gets_no_email(client):
    recommend(client, contact_details="070-111 22 33")
    AmbassadorFactory(email="dora@example.se")
    recommend(client, contact_details="dora@example.se", recommender_email="bertil2@example.se")
    assert RecruitmentContact.objects.count() == 2
    assert not notices().exists()


def test_the_objection_link_shows_a_button_and_the_post_erases_the_contact(client):
    recommend(client)
    notice = notices().get()
    path = objection_path(notice)

    page = client.get(path)
    assert page.status_code == 200
    assert '<form method="post">' in page.content.decode()
    assert RecruitmentContact.objects.count() == 1  # a link scanner deletes nothing

    done = client.post(path)

    assert done.status_code == 200
    assert "Dina uppgifter är raderade" in done.content.decode()
    assert not RecruitmentContact.objects.exists()
    notice.refresh_from_db()
    assert (notice.to_email, notice.context) == ("", {})
    assert Suppression.objects.filter(email=pseudonym("cecilia.ek@example.se")).exists()
    assert not Suppression.objects.filter(email="cecilia.ek@example.se").exists()
    # Using the link again says the same.
    assert "Dina uppgifter är raderade" in client.get(path).content.decode()


def test_an_address_that_objected_is_not_stored_or_mailed_again(client):
    recommend(client)
    client.post(objection_path(notices().get()))

    response = recommend(client, contact_details="cecilia.ek@example.se", recommender_email="other@example.se")

    assert response.status_code == 302  # the person recommending sees the usual thank-you
    assert not RecruitmentContact.objects.exists()
    assert notices().count() == 1  # the first one, emptied
    assert services.recommendation_unwanted("CECILIA.EK@example.se")


def test_a_changed_or_foreign_objection_link_is_refused(client):
    recommend(client)
    contact = RecruitmentContact.objects.get()
    path = objection_path(notices().get())
    for bad in (path[:-3] + "xx/", f"/tipsa/nej-tack/{token_make('unsubscribe', contact.pk)}/"):
        response = client.post(bad)
        assert response.status_code == 400
        assert "Länken fungerar inte" in response.content.decode()
    assert RecruitmentContact.objects.count() == 1
