"""Signing in to Mina sidor: a link by email, valid 30 minutes, used once, refused with a clear page when expired,
used, changed or made for something else; an unknown address gets the same page and no email; a session of its
own that ends after an hour without a request."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from campaigns.models import Delivery
from campaigns.services.outbox import deliveries_send
from crm.tokens import token_make
from mypages import services
from mypages.models import SignInLink
from tests.factories import AmbassadorFactory

pytestmark = pytest.mark.django_db

HOME = "/mina-sidor/"


@pytest.fixture
def anna():
    return AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se", language="sv")


def ask(client: Client, address: str):
    return client.post(HOME, {"email": address})


def link_path(delivery: Delivery) -> str:
    return delivery.context["sign_in_url"].removeprefix("http://testserver")


def asked_link(client: Client, address: str = "anna@example.se") -> str:
    ask(client, address)
    return link_path(Delivery.objects.filter(template="mypages_link").latest("pk"))


def signed_in_as(client: Client):
    return client.session.get(services.SESSION_KEY)


# Asking for a link -------------------------------------------------------------------------------------------


def test_the_sign_in_page_asks_for_an_address(client):
    page = client.get(HOME)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")
    assert 'name="email"' in page.content.decode()


def test_a_known_address_gets_an_email_with_a_link(client, anna):
    response = ask(client, " Anna@Example.se ")
    assert response.status_code == 200
    delivery = Delivery.objects.get(template="mypages_link")
    assert (delivery.to_email, delivery.ambassador, delivery.language) == ("anna@example.se", anna, "sv")
    link = SignInLink.objects.get()
    assert link.ambassador == anna and link.used_at is None
    assert timedelta(minutes=29) < link.expires_at - timezone.now() <= timedelta(minutes=30)

    deliveries_send([delivery.pk])
    message = mail.outbox[0]
    assert message.to == ["Anna Ödmark <anna@example.se>"]
    assert "Mina sidor" in message.subject
    assert delivery.context["sign_in_url"] in message.body
    assert "30 minuter" in message.body
    # Only a hash of the secret is stored: the table holds no link.
    assert link.secret_hash not in delivery.context["sign_in_url"]


def test_an_unknown_address_gets_the_same_page_and_no_email(client, anna):
    known = ask(client, "anna@example.se").content.decode()
    unknown = ask(Client(), "nobody@example.se").content.decode()

    def without_address(page: str) -> str:
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        return page.replace("anna@example.se", "ADDRESS").replace("nobody@example.se", "ADDRESS")

    assert without_address(known) == without_address(unknown)
    assert Delivery.objects.filter(to_email="nobody@example.se").count() == 0
    assert SignInLink.objects.count() == 1


def test_a_malformed_address_is_shown_again_with_the_error(client):
    response = ask(client, "not-an-address")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert Delivery.objects.count() == 0


def test_asking_too_often_is_refused_and_says_when_to_try_again(client, anna, settings):
    settings.FORM_RATE_LIMIT_PER_ADDRESS = 3
    for _ in range(3):
        assert ask(client, "anna@example.se").status_code == 200
    response = ask(client, "anna@example.se")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Delivery.objects.filter(template="mypages_link").count() == 3
    # An unknown address counts the same way (nobody learns which addresses are known).
    for _ in range(3):
        ask(client, "nobody@example.se")
    assert ask(client, "nobody@example.se").status_code == 429


# Using it ----------------------------------------------------------------------------------------------------


def test_the_link_shows_a_button_and_only_the_post_signs_in(client, anna):
    path = asked_link(client)
    page = client.get(path)
    assert page.status_code == 200
    assert '<form method="post">' in page.content.decode()
    assert SignInLink.objects.get().used_at is None  # a link scanner signs nobody in
    assert signed_in_as(client) is None

    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == HOME
    assert signed_in_as(client) == anna.pk
    assert SignInLink.objects.get().used_at is not None
    home = client.get(HOME).content.decode()
    assert "Anna Ödmark" in home and "anna@example.se" in home


def test_a_link_works_once(client, anna):
    path = asked_link(client)
    client.post(path)
    other = Client()
    for response in (other.get(path), other.post(path)):
        assert response.status_code == 410
        assert "redan använts" in response.content.decode()
    assert signed_in_as(other) is None


def test_an_expired_link_is_refused(client, anna):
    path = asked_link(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        for response in (client.get(path), client.post(path)):
            assert response.status_code == 410
            page = response.content.decode()
            assert "gått ut" in page and "30 minuter" in page
            assert 'name="email"' in page  # and a new one can be asked for right there
    assert signed_in_as(client) is None
    assert SignInLink.objects.get().used_at is None


def test_a_changed_link_is_refused(client, anna):
    path = asked_link(client)
    token = path.split("/")[-2]
    for changed in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token[:20], "garbage"):
        response = client.post(f"/mina-sidor/logga-in/{changed}/")
        assert response.status_code == 400
        assert "fungerar inte" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_link_made_for_another_purpose_is_refused(client, anna):
    asked_link(client)
    link = SignInLink.objects.get()
    for purpose in ("confirm", "unsubscribe", "contact-objection"):
        forged = token_make(purpose, [link.pk, "whatever"])
        assert client.post(f"/mina-sidor/logga-in/{forged}/").status_code == 400
    # The right purpose with a wrong secret is no better.
    assert client.post(f"/mina-sidor/logga-in/{token_make(services.PURPOSE, [link.pk, 'guess'])}/").status_code == 400
    assert signed_in_as(client) is None


def test_two_clicks_at_once_sign_in_once(anna):
    services.sign_in_link_request(email_address="anna@example.se")
    token = link_path(Delivery.objects.get()).split("/")[-2]
    assert services.sign_in_link_use(token) == (anna, None)
    assert services.sign_in_link_use(token) == (None, services.LinkProblem.USED)


def test_old_links_are_deleted_a_day_after_they_expire(anna):
    services.sign_in_link_request(email_address="anna@example.se")
    later = timezone.now() + timedelta(days=1, minutes=31)
    services.sign_in_link_request(email_address="nobody@example.se", now=later)
    assert SignInLink.objects.count() == 0


# The session -------------------------------------------------------------------------------------------------


def test_the_session_ends_after_an_hour_without_a_request(client, anna):
    client.post(asked_link(client))
    with time_machine.travel(timezone.now() + timedelta(minutes=50)):
        assert client.get(HOME).status_code == 200
        assert signed_in_as(client) == anna.pk
    with time_machine.travel(timezone.now() + timedelta(minutes=50 + 61)):
        response = client.get("/mina-sidor/uppgifter/")
        assert response.status_code == 302 and response["Location"] == HOME
        page = client.get(HOME).content.decode()
        assert "utloggad efter en timme" in page
        assert signed_in_as(client) is None


def test_signing_out_ends_the_session(client, anna):
    client.post(asked_link(client))
    response = client.post("/mina-sidor/logga-ut/")
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert client.get("/mina-sidor/uppgifter/").status_code == 302


def test_mina_sidor_and_the_admin_login_are_apart(client, anna, coordinator):
    client.force_login(coordinator)
    client.post(asked_link(client))  # a new session key, the staff login kept
    assert signed_in_as(client) == anna.pk
    assert client.get("/admin/").status_code == 200
    client.post("/mina-sidor/logga-ut/")
    assert client.get("/admin/").status_code == 200  # still logged in to the admin
    # And a staff login alone is no way into Mina sidor.
    assert client.get("/mina-sidor/uppgifter/").status_code == 302


def test_an_erased_person_is_signed_out(client, anna):
    from crm.privacy import person_erase

    client.post(asked_link(client))
    person_erase(anna)
    assert client.get("/mina-sidor/uppgifter/").status_code == 302
