"""The admin login: lockout after repeated failures (per user and IP address together), sessions that end, and
passwords of at least 12 characters."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "rätt-lösenord-för-test"
ADDRESS_A, ADDRESS_B = "192.0.2.10", "198.51.100.20"


@pytest.fixture
def users(django_user_model):
    return {
        name: django_user_model.objects.create_user(name, password=PASSWORD, is_staff=True)
        for name in ("koordinator", "kollega")
    }


def log_in(address: str, username: str, password: str = PASSWORD):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return client, response


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def fail_five_times(address: str, username: str) -> None:
    for _attempt in range(5):
        _client, response = log_in(address, username, "fel-lösenord")
        assert response.status_code in (200, 429)


def test_a_correct_password_logs_in(users):
    client, response = log_in(ADDRESS_A, "koordinator")
    assert response.status_code == 302
    assert logged_in(client)


def test_five_wrong_passwords_lock_that_user_from_that_address_only(users):
    fail_five_times(ADDRESS_A, "koordinator")

    client, response = log_in(ADDRESS_A, "koordinator")  # even the right password
    assert response.status_code == 429
    assert "För många misslyckade inloggningar" in response.content.decode()
    assert not logged_in(client)

    colleague, response = log_in(ADDRESS_A, "kollega")  # someone else on the same network
    assert response.status_code == 302 and logged_in(colleague)

    elsewhere, response = log_in(ADDRESS_B, "koordinator")  # the same person from another address
    assert response.status_code == 302 and logged_in(elsewhere)

    _client, response = log_in(ADDRESS_A, "koordinator")
    assert response.status_code == 429, "logging in elsewhere does not lift the lockout"


def test_four_wrong_passwords_do_not_lock_and_a_success_starts_the_count_again(users):
    for _attempt in range(4):
        log_in(ADDRESS_A, "koordinator", "fel-lösenord")
    client, response = log_in(ADDRESS_A, "koordinator")
    assert response.status_code == 302 and logged_in(client)
    for _attempt in range(4):
        log_in(ADDRESS_A, "koordinator", "fel-lösenord")
    _client, response = log_in(ADDRESS_A, "koordinator")
    assert response.status_code == 302


@pytest.mark.parametrize(("minutes", "status"), [(14, 429), (16, 302)])
def test_the_lockout_ends_after_fifteen_minutes(users, minutes, status):
    """Fifteen minutes after the last attempt (trying again while locked out starts the fifteen minutes anew)."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail_five_times(ADDRESS_A, "koordinator")
        clock.shift(timedelta(minutes=minutes))
        assert log_in(ADDRESS_A, "koordinator")[1].status_code == status


def test_unknown_usernames_are_locked_out_too(users):
    fail_five_times(ADDRESS_A, "finns-inte")
    assert log_in(ADDRESS_A, "finns-inte")[1].status_code == 429
    assert log_in(ADDRESS_A, "koordinator")[1].status_code == 302


# Sessions -----------------------------------------------------------------------------------------------------


def test_sessions_last_a_working_day_not_two_weeks():
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_IDLE_SECONDS <= 3600
    assert "crm.middleware.SessionTimeoutMiddleware" in settings.MIDDLEWARE


def test_the_session_cookie_expires_with_the_session(users):
    client, _response = log_in(ADDRESS_A, "koordinator")
    assert int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) <= 8 * 3600


def test_an_idle_session_ends(users):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client, _response = log_in(ADDRESS_A, "koordinator")
        assert logged_in(client)
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))
        assert logged_in(client), "a request within the idle time keeps the session"
        clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert not logged_in(client)


def test_an_active_session_ends_after_eight_hours(users):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client, _response = log_in(ADDRESS_A, "koordinator")
        for _hour in range(8):
            clock.shift(timedelta(minutes=50))
            assert logged_in(client)
        clock.shift(timedelta(minutes=90))
        assert not logged_in(client)


def test_force_login_still_works_for_tests(client, users):
    client.force_login(users["koordinator"])
    assert logged_in(client)


# Passwords ----------------------------------------------------------------------------------------------------


def test_a_password_of_eleven_characters_is_refused(users):
    with pytest.raises(ValidationError) as refused:
        validate_password("elva-tecken", users["koordinator"])
    assert any(error.code == "password_too_short" for error in refused.value.error_list)


def test_a_password_of_twelve_characters_is_accepted(users):
    validate_password("tolv-tecken!", users["koordinator"])
