"""Shared by the tests of the public forms (signup and recommendation, tests/network/test_signup*.py and
test_recommending_someone.py): what a person types, what nothing stored looks like, and what a page shown again
or a 429 page must hold."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from django.core import signing
from django.utils import timezone

from campaigns.models import Delivery
from network import abuse
from network.abuse import form_started_token
from network.models import Application, ConsentRecord, RecruitmentContact

SIGNUP = "/bli-ambassador/"
THANKS = "/bli-ambassador/tack/"
RECOMMEND = "/tipsa/"
CHECK_AND_SEND_AGAIN = "Kontrollera uppgifterna och skicka igen."


def signup_data(**overrides) -> dict:
    return {
        "first_name": "Anna",
        "last_name": "Ödmark",
        "email": "Anna.Odmark@Example.se",
        "phone": "070-190 64 48",
        "locality": "other",
        "motivation": "Jag älskar Höga kusten.",
        "heard_about": "Tidningen",
        "consent": "on",
        "website": "",
        "started": form_started_token(time.time() - 30),
        **overrides,
    }


def recommend_data(**overrides) -> dict:
    return {
        "recommender_name": "Bertil Berg",
        "recommender_email": "bertil@example.se",
        "name": "Cecilia Ek",
        "contact_details": "070-111 22 33",
        "note": "Hon känner alla i Nyland.",
        "website": "",
        "started": form_started_token(time.time() - 30),
        **overrides,
    }


def nothing_stored() -> bool:
    return not (
        Application.objects.exists()
        or ConsentRecord.objects.exists()
        or Delivery.objects.exists()
        or RecruitmentContact.objects.exists()
    )


def started_token_in(page: str) -> str:
    return re.search(r'name="started" value="([^"]*)"', page).group(1)


def assert_timed_from_this_page(page: str) -> None:
    assert abs(signing.loads(started_token_in(page), salt=abuse.SALT) - time.time()) < 5


def from_ip(ip: str) -> dict:
    return {"REMOTE_ADDR": ip}


def assert_too_many(response) -> None:
    """429, the form as it was sent, and when to try again: never a thank-you for something dropped."""
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert "Inget har skickats" in page
    shown = re.search(r"försök igen efter kl\. (\d\d:\d\d)", page).group(1)
    retry_at = timezone.localtime() + timedelta(seconds=wait)
    assert shown in {f"{retry_at:%H:%M}", f"{retry_at - timedelta(minutes=1):%H:%M}"}
