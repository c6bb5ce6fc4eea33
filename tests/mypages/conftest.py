"""Mina sidor's tests: a browser signed in as the module's `anna`."""

from __future__ import annotations

import pytest
from django.test import Client

from campaigns.models import Delivery
from mypages import services


@pytest.fixture
def client_of(anna):
    """A browser signed in to Mina sidor as Anna (each module says who she is), through a real link."""
    client = Client()
    services.sign_in_link_request(email_address=anna.email)
    client.post(Delivery.objects.get(template="mypages_link").context["sign_in_url"].removeprefix("http://testserver"))
    assert client.session[services.SESSION_KEY] == anna.pk
    return client
