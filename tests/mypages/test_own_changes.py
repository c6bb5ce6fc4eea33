"""Mina sidor, seen from elsewhere (issue 19, point 8): the phone number as Swedes write it, on the page and in the
form (saved as E.164 all the same), and what the person changes there on the coordinator's timeline of them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from network.models import Note
from network.timeline import person_timeline
from tests.factories import AmbassadorFactory, ConsentRecordFactory, InterestFactory, LocalityFactory

pytestmark = pytest.mark.django_db

HOME = "/mina-sidor/"
DETAILS = "/mina-sidor/uppgifter/"
MAILINGS = "/mina-sidor/utskick/"


@pytest.fixture
def anna():
    locality = LocalityFactory(name="Bollstabruk")
    person = AmbassadorFactory(
        first_name="Anna", last_name="Ödmark", email="anna@example.se", phone="+46703653498", locality=locality
    )
    ConsentRecordFactory(ambassador=person, purpose="registry", text_version="2026-11-01")
    return person


def _details(anna, **changes) -> dict:
    return {
        "first_name": anna.first_name,
        "last_name": anna.last_name,
        "phone": "070-365 34 98",
        "locality": str(anna.locality_id),
        **changes,
    }


def test_the_phone_is_shown_as_swedes_write_it_on_the_page_in_the_form_and_in_the_data(client_of):
    assert "070-365 34 98" in client_of.get(HOME).content.decode()
    assert "+46703653498" not in client_of.get(HOME).content.decode()
    form = client_of.get(DETAILS)
    assert form.context["form"].initial["phone"] == "070-365 34 98"
    assert 'value="070-365 34 98"' in form.content.decode()
    data_page = client_of.get(reverse("mypages-data")).content.decode()
    assert "070-365 34 98" in data_page


def test_the_form_saves_the_number_it_shows_as_e164(client_of, anna):
    response = client_of.post(DETAILS, _details(anna, phone="070-365 34 98"))
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.phone == "+46703653498"
    assert not Note.objects.exists()  # nothing changed: nothing on the timeline


def test_changed_details_are_on_the_coordinators_timeline_by_their_labels_without_values(client_of, anna):
    nyland = LocalityFactory(name="Nyland")
    client_of.post(DETAILS, _details(anna, phone="070-111 22 33", locality=str(nyland.pk)))

    entry = person_timeline(anna)[0]
    assert entry.text == "Ändrade sina uppgifter på Mina sidor: mobilnummer, ort"
    assert entry.by == ""
    assert "070" not in entry.text and "Nyland" not in entry.text

    client_of.post(
        DETAILS,
        _details(
            anna,
            first_name="Anna-Karin",
            phone="0701112233",  # the same number, written another way: not a change
            locality=str(nyland.pk),
            interests=[InterestFactory(name="Friluftsliv").pk],
        ),
    )
    assert person_timeline(anna)[0].text == "Ändrade sina uppgifter på Mina sidor: förnamn, intressen"


def test_the_timeline_line_is_in_swedish_whatever_language_the_person_uses(client_of, anna):
    client_of.cookies["django_language"] = "en"
    client_of.post(DETAILS, _details(anna, last_name="Berg"), HTTP_ACCEPT_LANGUAGE="en")
    assert person_timeline(anna)[0].text == "Ändrade sina uppgifter på Mina sidor: efternamn"


def test_changed_mailings_are_on_the_coordinators_timeline_and_the_admin_page(client_of, anna, coordinator_client):
    anna.wants_newsletters = anna.wants_invitations = True
    anna.save()
    client_of.post(MAILINGS, {"newsletters": "on"})  # invitations off

    assert person_timeline(anna)[0].text == "Ändrade sina utskick på Mina sidor: inbjudningar av"
    page = coordinator_client.get(reverse("admin:network_ambassador_change", args=[anna.pk])).content.decode()
    assert "Ändrade sina utskick på Mina sidor: inbjudningar av" in page

    client_of.post(MAILINGS, {"newsletters": "on"})  # the same again: nothing new
    assert Note.objects.filter(ambassador=anna).count() == 1


def test_mailings_changed_on_an_emails_preferences_page_are_on_the_timeline_too(client, anna):
    from campaigns.emails import unsubscribe_url
    from campaigns.models import Campaign

    path = unsubscribe_url(anna.pk, Campaign.Kind.NEWSLETTER).removeprefix("http://testserver")
    client.post(f"{path}installningar/", {"invitations": "on"})  # newsletters off

    assert person_timeline(anna)[0].text == "Ändrade sina utskick via länken i ett mejl: nyhetsbrev av"
