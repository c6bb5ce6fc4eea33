"""The public recommendation form (/tipsa/): a recommendation contact, recommended by the ambassador who sent it, and the same
protection as the signup form against bots and floods."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from network.abuse import form_started_token
from network.models import Ambassador, RecruitmentContact
from tests.factories import AmbassadorFactory
from tests.network.public_forms import (
    CHECK_AND_SEND_AGAIN,
    RECOMMEND,
    assert_timed_from_this_page,
    assert_too_many,
    from_ip,
    nothing_stored,
    recommend_data,
)

pytestmark = pytest.mark.django_db


def test_a_recommendation_from_an_ambassador_is_a_recommendation_contact_recommended_by_them(client):
    ambassador = AmbassadorFactory(email="bertil@example.se")
    response = client.post(RECOMMEND, recommend_data(recommender_email="Bertil@EXAMPLE.se"))
    assert response.status_code == 302
    assert response["Location"] == "/tipsa/tack/"
    contact = RecruitmentContact.objects.get()
    assert contact.source == RecruitmentContact.Source.RECOMMENDATION
    assert contact.recommended_by == ambassador
    assert contact.name == "Cecilia Ek"
    assert contact.contact_details == "070-111 22 33"
    assert contact.recommender_name == "Bertil Berg"
    assert contact.recommender_email == "bertil@example.se"
    assert contact.status == RecruitmentContact.Status.NEW


def test_a_recommendation_from_someone_unknown_has_no_recommender(client):
    client.post(RECOMMEND, recommend_data(recommender_email="stranger@example.se"))
    contact = RecruitmentContact.objects.get()
    assert contact.source == RecruitmentContact.Source.RECOMMENDATION
    assert contact.recommended_by is None
    assert not Ambassador.objects.exists()


def test_a_bot_recommending_someone_gets_the_thank_you_page_and_nothing_is_stored(client):
    response = client.post(RECOMMEND, recommend_data(website="http://spam.example"))
    assert response["Location"] == "/tipsa/tack/"
    assert nothing_stored()


@pytest.mark.parametrize("started", ["forged", "__now__", "__yesterday__"])
def test_a_recommendation_sent_too_soon_or_from_a_stale_page_is_shown_again_with_the_values(client, started):
    started = {"__now__": form_started_token(), "__yesterday__": form_started_token(time.time() - 25 * 3600)}.get(
        started, started
    )
    response = client.post(RECOMMEND, recommend_data(started=started))
    assert response.status_code == 200
    page = response.content.decode()
    assert CHECK_AND_SEND_AGAIN in page
    assert 'value="Cecilia Ek"' in page
    assert "Hon känner alla i Nyland." in page
    assert_timed_from_this_page(page)
    assert nothing_stored()


def test_recommendations_over_the_limit_get_a_429_page_with_the_values(client, settings):
    settings.FORM_RATE_LIMIT = 1
    client.post(RECOMMEND, recommend_data(name="First"))
    response = client.post(RECOMMEND, recommend_data(name="Second", recommender_email="other@example.se"))
    assert_too_many(response)
    assert 'value="Second"' in response.content.decode()
    assert list(RecruitmentContact.objects.values_list("name", flat=True)) == ["First"]


def test_recommendations_are_limited_per_recommender_address(client, settings):
    settings.FORM_RATE_LIMIT_PER_ADDRESS = 1
    client.post(RECOMMEND, recommend_data(name="First"), **from_ip("192.0.2.1"))
    response = client.post(
        RECOMMEND, recommend_data(name="Second", recommender_email="BERTIL@example.se"), **from_ip("192.0.2.2")
    )
    assert_too_many(response)
    assert list(RecruitmentContact.objects.values_list("name", flat=True)) == ["First"]


def test_a_recommendation_without_a_csrf_token_is_forbidden():
    response = Client(enforce_csrf_checks=True).post(RECOMMEND, recommend_data())
    assert response.status_code == 403
    assert nothing_stored()
