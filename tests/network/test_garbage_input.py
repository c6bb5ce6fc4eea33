"""Garbage, tampering and oversized input on the public pages: a clear answer, never a server error."""

from __future__ import annotations

import time

import pytest

from network.abuse import form_started_token
from network.models import Application, RecruitmentContact

pytestmark = pytest.mark.django_db

LINKS = [
    "/bekrafta/%00/",
    "/bekrafta/" + "A" * 5000 + "/",
    "/bekrafta/eyJ9:abc:def/",
    "/avregistrera/x/",
    "/avregistrera/WzEsMl0:1x:abc/",
    "/avregistrera/%E2%98%83/",
    "/avregistrera/x/installningar/",
    "/admin/mailbox/..%2F/",
]


@pytest.mark.parametrize("path", LINKS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_links_get_a_page_not_a_server_error(client, path, method):
    response = getattr(client, method)(path, {"List-Unsubscribe": "One-Click", "email": "a" * 300})
    assert response.status_code < 500


GARBAGE = [
    {"first_name": "x" * 10000, "last_name": "y", "email": "a@b.se", "consent": "on", "locality": "other"},
    {"first_name": "a", "last_name": "b", "email": "a@b.se", "locality": "999999", "interests": ["abc", "999"]},
    {"first_name": "a", "last_name": "b", "phone": "+" + "9" * 25, "locality": "other", "email": "ä@ö.se"},
    {"first_name": "\x00", "last_name": "\r\n", "email": "x@y.se\r\nBcc: z@w.se", "locality": "other", "consent": "on"},
    {"recommender_name": "a", "recommender_email": "b@c.se", "name": "\x00" * 10, "contact_details": "y" * 300},
]


@pytest.mark.parametrize("data", GARBAGE)
@pytest.mark.parametrize("path", ["/bli-ambassador/", "/tipsa/"])
def test_garbage_in_the_public_forms_is_refused_with_the_form_and_nothing_is_stored(client, path, data):
    response = client.post(path, {**data, "started": form_started_token(time.time() - 60)})
    assert response.status_code == 200  # the form again, with its errors
    assert b"error-summary" in response.content
    assert not Application.objects.exists() and not RecruitmentContact.objects.exists()
