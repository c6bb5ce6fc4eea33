"""The public signup form against bots and floods: only the honeypot gets the silent thank-you, a person is never
thanked for something that was dropped (shown again with what they typed, or a 429 page saying when to try again),
and a crowded training room on one address gets through."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.test import Client

from campaigns.models import Delivery
from network.abuse import form_started_token
from network.models import Application
from tests.network.public_forms import (
    CHECK_AND_SEND_AGAIN,
    SIGNUP,
    THANKS,
    assert_timed_from_this_page,
    assert_too_many,
    from_ip,
    nothing_stored,
    signup_data,
    started_token_in,
)

pytestmark = pytest.mark.django_db


# Bots, and people who look like them ---------------------------------------------------------------------------
# Only the honeypot gets the silent thank-you. A person is never thanked for something that was dropped.


def assert_shown_again_with_what_was_typed(response, sent_token: str) -> None:
    assert response.status_code == 200
    assert "network/signup.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert CHECK_AND_SEND_AGAIN in page
    assert 'value="Anna"' in page
    assert 'value="Anna.Odmark@Example.se"' in page
    assert 'value="070-190 64 48"' in page
    assert "Jag älskar Höga kusten." in page
    assert re.search(r'name="consent"[^>]* checked', page)
    assert_timed_from_this_page(page)
    assert nothing_stored()


def test_a_filled_honeypot_gets_the_same_thank_you_page_and_nothing_is_stored(client):
    response = client.post(SIGNUP, signup_data(website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == THANKS
    assert nothing_stored()


def test_a_form_sent_right_after_it_was_shown_is_shown_again_with_the_values_and_a_fresh_start_time(client):
    token = form_started_token()  # browser autofill: sent within a second
    response = client.post(SIGNUP, signup_data(started=token))
    assert_shown_again_with_what_was_typed(response, token)


def test_a_form_open_for_more_than_a_day_is_shown_again_with_the_values_and_a_fresh_start_time(client):
    token = form_started_token(time.time() - 25 * 3600)
    response = client.post(SIGNUP, signup_data(started=token))
    assert_shown_again_with_what_was_typed(response, token)


@pytest.mark.parametrize("started", ["", "1700000000", "MTcwMDAwMDAwMA:1abcde:forgedsignature"])
def test_a_missing_or_forged_start_time_is_shown_again_with_the_values(client, started):
    response = client.post(SIGNUP, signup_data(started=started))
    assert_shown_again_with_what_was_typed(response, started)


def test_sent_again_from_the_page_shown_again_it_is_stored(client):
    page = client.post(SIGNUP, signup_data(started=form_started_token())).content.decode()
    with time_machine.travel(time.time() + 10):
        response = client.post(SIGNUP, signup_data(started=started_token_in(page)))
    assert response["Location"] == THANKS
    assert Application.objects.get().email == "anna.odmark@example.se"
    assert Delivery.objects.get().template == "application_confirm"


def test_a_form_too_soon_and_with_errors_shows_the_errors_with_a_fresh_start_time(client):
    token = form_started_token()
    response = client.post(SIGNUP, signup_data(started=token, last_name=""))
    page = response.content.decode()
    assert 'href="#id_last_name"' in page
    assert CHECK_AND_SEND_AGAIN not in page  # one thing at a time: the errors first
    assert_timed_from_this_page(page)
    assert nothing_stored()


# Rate limit ---------------------------------------------------------------------------------------------------


def test_over_the_per_ip_limit_the_person_gets_a_429_page_with_their_values_and_when_to_try_again(client, settings):
    settings.FORM_RATE_LIMIT = 2
    for number in range(2):
        assert client.post(SIGNUP, signup_data(email=f"person{number}@example.se"))["Location"] == THANKS
    response = client.post(SIGNUP, signup_data(email="person2@example.se"))
    assert_too_many(response)
    page = response.content.decode()
    assert 'value="person2@example.se"' in page
    assert "Jag älskar Höga kusten." in page
    assert sorted(Application.objects.values_list("email", flat=True)) == ["person0@example.se", "person1@example.se"]
    assert Delivery.objects.count() == 2


def test_posts_with_errors_too_soon_or_with_the_honeypot_do_not_count_against_the_limit(client, settings):
    settings.FORM_RATE_LIMIT = 2
    for _ in range(10):
        client.post(SIGNUP, signup_data(email="not-an-address"))
        client.post(SIGNUP, signup_data(consent=""))
        client.post(SIGNUP, signup_data(started=form_started_token()))
        client.post(SIGNUP, signup_data(website="x"))
    for number in range(2):
        assert client.post(SIGNUP, signup_data(email=f"person{number}@example.se"))["Location"] == THANKS
    assert Application.objects.count() == 2


def test_a_crowded_training_room_on_one_ip_is_not_blocked_by_default(client):
    """30 people on the municipality's wifi in one hour, each typing a mistake first: all get through."""
    for number in range(30):
        client.post(SIGNUP, signup_data(email=f"person{number}@example"), **from_ip("192.0.2.1"))
        response = client.post(SIGNUP, signup_data(email=f"person{number}@example.se"), **from_ip("192.0.2.1"))
        assert response["Location"] == THANKS, number
    assert Application.objects.count() == 30
    assert Delivery.objects.filter(template="application_confirm").count() == 30


def test_over_the_per_address_limit_from_any_ip_the_person_gets_a_429_page_with_their_values(client, settings):
    settings.FORM_RATE_LIMIT_PER_ADDRESS = 2
    for number in range(2):
        response = client.post(SIGNUP, signup_data(first_name=f"Anna{number}"), **from_ip(f"192.0.2.{number}"))
        assert response["Location"] == THANKS
    response = client.post(SIGNUP, signup_data(email="ANNA.odmark@example.se"), **from_ip("192.0.2.99"))
    assert_too_many(response)
    page = response.content.decode()
    assert 'value="ANNA.odmark@example.se"' in page
    assert 'value="Anna"' in page
    assert Application.objects.count() == 2
    # Another address from the same IP is not affected.
    assert client.post(SIGNUP, signup_data(email="bo@example.se"), **from_ip("192.0.2.99"))["Location"] == THANKS


def test_the_limit_ends_with_its_window(client, settings):
    settings.FORM_RATE_LIMIT = 1
    client.post(SIGNUP, signup_data(email="first@example.se"))
    assert client.post(SIGNUP, signup_data(email="second@example.se")).status_code == 429
    with time_machine.travel(time.time() + 3601):
        response = client.post(SIGNUP, signup_data(email="second@example.se"))
    assert response["Location"] == THANKS
    assert Application.objects.count() == 2


def test_the_client_ip_comes_from_x_forwarded_for_only_when_told_to_trust_it(client, settings):
    settings.FORM_RATE_LIMIT = 1
    forwarded = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert client.post(SIGNUP, signup_data(email="a@example.se"), **forwarded)["Location"] == THANKS
    # Not trusted: every request is the proxy's (REMOTE_ADDR), so a forged header does not escape the limit.
    response = client.post(SIGNUP, signup_data(email="b@example.se"), HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert response.status_code == 429
    settings.TRUST_X_FORWARDED_FOR = True
    response = client.post(SIGNUP, signup_data(email="b@example.se"), HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.8")
    assert response["Location"] == THANKS


def test_a_post_without_a_csrf_token_is_forbidden():
    response = Client(enforce_csrf_checks=True).post(SIGNUP, signup_data())
    assert response.status_code == 403
    assert nothing_stored()
