"""Double opt-in: the confirmation link, and asking for a new one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Delivery
from crm.tokens import token_make
from network import services
from network.models import Application

pytestmark = pytest.mark.django_db

NEW_LINK = "/bekrafta/ny-lank/"


@pytest.fixture
def application():
    return services.application_submit(first_name="Anna", last_name="Ödmark", email_address="anna@example.se")


def link(application) -> str:
    return reverse("application-confirm", args=[token_make("confirm", application.pk)])


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def confirmations() -> int:
    return Delivery.objects.filter(template="application_confirm").count()


def test_the_emailed_link_is_the_confirm_page():
    application = services.application_submit(first_name="A", last_name="B", email_address="a@example.se")
    url = Delivery.objects.get().context["confirm_url"]
    assert url.startswith("http://testserver/bekrafta/")
    assert services.application_from_token(url.rsplit("/", 2)[1]) == (application, None)


def test_opening_a_valid_link_shows_a_button_and_does_not_confirm(client, application):
    response = client.get(link(application))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert '<button type="submit">' in page
    assert "Anna" in page
    application.refresh_from_db()
    assert application.status == Application.Status.UNCONFIRMED
    assert application.confirmed_at is None


def test_pressing_the_button_confirms_the_application(client, application):
    before = timezone.now()
    response = client.post(link(application))
    assert response.status_code == 200
    assert response.context["result"] == "confirmed"
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED
    assert before <= application.confirmed_at <= timezone.now()


def test_a_reused_link_shows_the_already_confirmed_page_and_changes_nothing(client, application):
    url = link(application)
    client.post(url)
    application.refresh_from_db()
    confirmed_at = application.confirmed_at

    for response in (client.post(url), client.get(url)):
        assert response.status_code == 200
        assert response.context["result"] == "already"
        assert 'action="/bekrafta/ny-lank/"' not in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED
    assert application.confirmed_at == confirmed_at


def test_a_link_to_an_approved_application_changes_nothing(client, application):
    client.post(link(application))
    services.application_approve(application=application)
    response = client.post(link(application))
    assert response.status_code == 200
    assert response.context["result"] == "already"
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_gets_a_400_page_offering_a_new_link(client, application, method):
    token = token_make("confirm", application.pk)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = getattr(client, method)(reverse("application-confirm", args=[tampered]))
    assert response.status_code == 400
    assert response.context["result"] == "invalid"
    page = response.content.decode()
    assert 'action="/bekrafta/ny-lank/"' in page
    assert 'name="email"' in page
    application.refresh_from_db()
    assert application.status == Application.Status.UNCONFIRMED


def test_a_token_signed_for_another_purpose_is_tampered(client, application):
    response = client.post(reverse("application-confirm", args=[token_make("unsubscribe", application.pk)]))
    assert response.status_code == 400
    application.refresh_from_db()
    assert application.status == Application.Status.UNCONFIRMED


def test_a_link_older_than_seven_days_gets_a_410_page_offering_a_new_link(client, application):
    url = link(application)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 410
            assert response.context["result"] == "expired"
            assert 'action="/bekrafta/ny-lank/"' in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.UNCONFIRMED


def test_a_link_six_days_old_still_works(client, application):
    url = link(application)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert client.post(url).status_code == 200
    application.refresh_from_db()
    assert application.status == Application.Status.CONFIRMED


# A new link ---------------------------------------------------------------------------------------------------


def test_asking_for_a_new_link_queues_a_confirmation_for_an_unconfirmed_address(
    client, application, django_capture_on_commit_callbacks
):
    assert confirmations() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(NEW_LINK, {"email": "ANNA@example.se"})
    assert response.status_code == 200
    assert "network/new_link_sent.html" in [t.name for t in response.templates]
    assert confirmations() == 2
    assert len(callbacks) == 1
    newest = Delivery.objects.filter(template="application_confirm").order_by("-pk").first()
    assert newest.application == application
    assert newest.to_email == "anna@example.se"


def test_a_new_link_is_sent_at_most_once_per_ten_minutes(client, application):
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=11)):
        client.post(NEW_LINK, {"email": "anna@example.se"})
    with time_machine.travel(start + timedelta(minutes=20)):
        response = client.post(NEW_LINK, {"email": "anna@example.se"})
    assert response.status_code == 200
    assert confirmations() == 2
    with time_machine.travel(start + timedelta(minutes=21, seconds=1)):
        client.post(NEW_LINK, {"email": "anna@example.se"})
    assert confirmations() == 3


def test_a_new_link_for_an_unknown_or_confirmed_address_queues_nothing_but_shows_the_same_page(client, application):
    known = client.post(NEW_LINK, {"email": "anna@example.se"})  # within ten minutes of the first: nothing sent
    unknown = client.post(NEW_LINK, {"email": "nobody@example.se"})
    client.post(link(application))
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        confirmed = client.post(NEW_LINK, {"email": "anna@example.se"})
    assert confirmations() == 1
    assert known.status_code == unknown.status_code == confirmed.status_code == 200
    assert without_csrf(known) == without_csrf(unknown) == without_csrf(confirmed)


def assert_too_many(response, email_address: str) -> None:
    """429 with the address kept and when to try again: never "check your inbox" for a link not sent."""
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "network/new_link_sent.html" not in [t.name for t in response.templates]
    page = response.content.decode()
    assert "Inget har skickats: försök igen efter kl." in page
    assert f'value="{email_address}"' in page
    assert 'action="/bekrafta/ny-lank/"' in page


def test_over_the_per_ip_limit_asking_for_a_new_link_gets_a_429_page_saying_when_to_try_again(
    client, settings, application
):
    settings.FORM_RATE_LIMIT = 1
    client.post(NEW_LINK, {"email": "someone@example.se"})
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.post(NEW_LINK, {"email": "anna@example.se"})
    assert_too_many(response, "anna@example.se")
    assert confirmations() == 1


def test_over_the_per_address_limit_asking_for_a_new_link_gets_a_429_page(client, settings, application):
    settings.FORM_RATE_LIMIT_PER_ADDRESS = 2
    for number in range(2):
        assert client.post(NEW_LINK, {"email": "anna@example.se"}, REMOTE_ADDR=f"192.0.2.{number}").status_code == 200
    response = client.post(NEW_LINK, {"email": "ANNA@example.se"}, REMOTE_ADDR="192.0.2.99")
    assert_too_many(response, "ANNA@example.se")
    assert client.post(NEW_LINK, {"email": "bo@example.se"}, REMOTE_ADDR="192.0.2.99").status_code == 200


def test_invalid_addresses_do_not_count_against_the_new_link_limit(client, settings, application):
    settings.FORM_RATE_LIMIT = 1
    for _ in range(5):
        assert client.post(NEW_LINK, {"email": "not-an-address"}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.post(NEW_LINK, {"email": "anna@example.se"})
    assert response.status_code == 200
    assert confirmations() == 2


def test_asking_for_a_new_link_with_an_invalid_address_shows_the_form_again(client):
    response = client.post(NEW_LINK, {"email": "not-an-address"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'value="not-an-address"' in page
    assert not Delivery.objects.exists()


# Two applications for one address ----------------------------------------------------------------------------


def test_confirming_one_of_two_pending_applications_sets_the_other_aside(client, application):
    other = services.application_submit(first_name="Mallory", last_name="X", email_address="anna@example.se")
    assert other.pk != application.pk
    assert client.post(link(application)).context["result"] == "confirmed"
    other.refresh_from_db()
    assert other.status == Application.Status.WITHDRAWN
    for response in (client.get(link(other)), client.post(link(other))):
        assert response.status_code == 200
        assert response.context["result"] == "already"
    other.refresh_from_db()
    assert other.status == Application.Status.WITHDRAWN


def test_a_withdrawn_application_with_no_confirmed_sibling_is_an_invalid_link(client, application):
    Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)
    assert client.post(link(application)).status_code == 400


def test_a_new_link_is_for_the_newest_pending_application_of_the_address(client, application):
    newer = services.application_submit(first_name="Annie", last_name="Ödmark", email_address="anna@example.se")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        client.post(NEW_LINK, {"email": "anna@example.se"})
    assert Delivery.objects.filter(template="application_confirm").latest("pk").application == newer
