"""Mina sidor signed in: details, mailings, the data export (JSON and a page), leaving the network; and the token
preferences page of the unsubscribe links, which moved here and keeps its URL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.emails import unsubscribe_url
from campaigns.models import Campaign, Delivery, Enrollment, Unsubscribe
from crm.models import AuditEntry
from mypages import services
from network.models import Ambassador, ConsentRecord, Event
from tests.factories import (
    AmbassadorFactory,
    CampaignFactory,
    ConsentRecordFactory,
    DeliveryFactory,
    EnrollmentFactory,
    EventFactory,
    InterestFactory,
    LocalityFactory,
    RegistrationFactory,
    StepFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

HOME = "/mina-sidor/"


@pytest.fixture
def anna():
    person = AmbassadorFactory(first_name="Anna", last_name="Ödmark", email="anna@example.se")
    ConsentRecordFactory(ambassador=person, purpose="registry", text_version="2026-11-01")
    return person


@pytest.mark.parametrize(
    "path", ["/mina-sidor/uppgifter/", "/mina-sidor/utskick/", "/mina-sidor/mina-data/", "/mina-sidor/mina-data.json"]
)
def test_every_page_needs_a_sign_in(client, anna, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.post("/mina-sidor/lamna/").status_code == 302
    assert Ambassador.objects.get().status == Ambassador.Status.ACTIVE


def test_the_overview_shows_the_details_and_no_events_yet(client_of, anna):
    page = client_of.get(HOME)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]  # personal pages are never cached
    text = page.content.decode()
    assert "Anna Ödmark" in text and anna.email in text
    assert page.context["events"] == {"upcoming": [], "completed": []}
    assert "Du har inga kommande träffar." in text


def event(title: str, days: int, **fields) -> Event:
    return EventFactory(title=title, starts_at=timezone.now() + timedelta(days=days), **fields)


def test_the_overview_shows_upcoming_events_with_the_answer_and_a_link_to_change_it_and_trainings_done(client_of, anna):
    other = AmbassadorFactory(email="bo@example.se")
    answered = event("Ambassadörsträff", 10, place="Kramfors stadshus")
    RegistrationFactory(event=answered, ambassador=anna, answer="yes")
    invited = event("Workshop i Nyland", 20)
    invitation = CampaignFactory(kind=Campaign.Kind.INVITATION, body="{{ rsvp_url }}", event=invited)
    DeliveryFactory(campaign=invitation, ambassador=anna, status=Delivery.Status.SENT)
    RegistrationFactory(event=event("Någon annans träff", 5), ambassador=other, answer="yes")
    done = event("Dialog och värdskap", -30, is_training=True)
    RegistrationFactory(event=done, ambassador=anna, answer="yes", attended=True)
    skipped = event("Utbildning hon missade", -40, is_training=True)
    RegistrationFactory(event=skipped, ambassador=anna, answer="yes")

    page = client_of.get(HOME)

    upcoming = page.context["events"]["upcoming"]
    assert [item["event"].title for item in upcoming] == ["Ambassadörsträff", "Workshop i Nyland"]
    assert [item["answer"] for item in upcoming] == ["Ja", None]
    assert [item["event"].title for item in page.context["events"]["completed"]] == ["Dialog och värdskap"]
    text = page.content.decode()
    assert "Ändra ditt svar" in text and "Svara nu" in text and "Kramfors stadshus" in text
    link = upcoming[0]["rsvp_url"].removeprefix("http://testserver")
    assert "Ambassadörsträff" in client_of.get(link).content.decode()  # her own answer page


def test_details_are_changed(client_of, anna):
    nyland, interest = LocalityFactory(name="Nyland"), InterestFactory(name="Friluftsliv")
    form = client_of.get("/mina-sidor/uppgifter/")
    assert form.context["form"].initial["first_name"] == "Anna"

    response = client_of.post(
        "/mina-sidor/uppgifter/",
        {
            "first_name": " Anna-Karin\n",
            "last_name": "Öberg",
            "phone": "070-190 64 48",
            "locality": str(nyland.pk),
            "interests": [interest.pk],
        },
    )

    assert response.status_code == 302 and response["Location"] == f"{HOME}?saved=details"
    anna.refresh_from_db()
    assert (anna.first_name, anna.last_name, anna.phone, anna.locality) == (
        "Anna-Karin",
        "Öberg",
        "+46701906448",
        nyland,
    )
    assert list(anna.interests.all()) == [interest]
    assert anna.email == "anna@example.se"  # not theirs to change here
    assert "Dina ändringar är sparade." in client_of.get(response["Location"]).content.decode()
    assert list(AuditEntry.objects.values_list("ambassador_id", "action", "actor")) == [(anna.pk, "change", None)]


def test_wrong_details_are_shown_again(client_of, anna):
    response = client_of.post("/mina-sidor/uppgifter/", {"first_name": "", "phone": "hej", "locality": "other"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"first_name", "phone"}
    anna.refresh_from_db()
    assert anna.first_name == "Anna"


def test_mailings_are_chosen_and_recorded(client_of, anna):
    response = client_of.post("/mina-sidor/utskick/", {"newsletters": "on"})  # invitations off
    assert response.status_code == 302
    anna.refresh_from_db()
    assert (anna.wants_newsletters, anna.wants_invitations) == (True, False)
    unsubscribe = Unsubscribe.objects.get()
    assert (unsubscribe.category, unsubscribe.ambassador) == (Campaign.Kind.INVITATION, anna)
    withdrawn = ConsentRecord.objects.get(purpose=ConsentRecord.Purpose.INVITATIONS)
    assert withdrawn.withdrawn_at is not None and withdrawn.source == ConsentRecord.Source.MY_PAGES

    client_of.post("/mina-sidor/utskick/", {"newsletters": "on", "invitations": "on"})  # and back on
    anna.refresh_from_db()
    assert anna.wants_invitations is True
    given = ConsentRecord.objects.filter(purpose=ConsentRecord.Purpose.INVITATIONS).latest("pk")
    assert given.withdrawn_at is None and given.source == ConsentRecord.Source.MY_PAGES


def test_the_data_download_holds_profile_consents_mailings_and_unsubscribes(client_of, anna):
    newsletter = CampaignFactory(name="Vårbrevet")
    DeliveryFactory(campaign=newsletter, ambassador=anna, status="sent")
    UnsubscribeFactory(ambassador=anna, category="invitation", campaign=newsletter)
    bo = AmbassadorFactory(first_name="Bo", email="bo@example.se")
    DeliveryFactory(campaign=newsletter, ambassador=bo)

    response = client_of.get("/mina-sidor/mina-data.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mina-uppgifter-')
    document = json.loads(response.content)  # labelled as the page is, in Swedish
    assert set(document) == {"Exporterad", "Dina data"}
    data = document["Dina data"]
    assert data["Ambassadörer"][0]["E-post"] == anna.email
    assert [row["Ändamål"] for row in data["Samtycken"]] == ["Medlemskap i ambassadörsnätverket"]
    assert [row["Utskick"] for row in data["Skickade mejl"] if row["E-post"] == "Utskick"] == ["Vårbrevet"]
    assert [row["Kategori"] for row in data["Avregistreringar"]] == ["Inbjudan till evenemang"]
    assert "bo@example.se" not in response.content.decode()
    assert list(AuditEntry.objects.values_list("ambassador_id", "action", "actor")) == [(anna.pk, "export", None)]


def test_the_data_page_reads_in_swedish(client_of, anna):
    page = client_of.get("/mina-sidor/mina-data/")
    assert page.status_code == 200
    text = page.content.decode()
    for heading in ("Ambassadörer", "Samtycken"):
        assert f"<h2>{heading}</h2>" in text
    assert "Anna" in text and "anna@example.se" in text


def test_leaving_makes_alumni_stops_mail_and_signs_out(client_of, anna):
    step = StepFactory(subject="Dag 7", delay_days=7)
    EnrollmentFactory(ambassador=anna, sequence=step.sequence, next_step=step)

    page = client_of.get("/mina-sidor/lamna/")
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())  # what leaving means, truthfully
    assert f"som tidigare ambassadör i {settings.RETENTION_ALUMNI_DAYS} dagar; sedan raderas de" in text
    assert "Om du vill att de raderas direkt" in text and 'href="/integritet/"' in text
    assert Ambassador.objects.get().status == Ambassador.Status.ACTIVE  # the GET only asks

    response = client_of.post("/mina-sidor/lamna/")

    assert response.status_code == 200
    anna.refresh_from_db()
    assert (anna.status, anna.wants_newsletters, anna.wants_invitations) == ("alumni", False, False)
    assert Enrollment.objects.get().next_step is None
    assert {u.category for u in Unsubscribe.objects.all()} == {"newsletter", "invitation"}
    withdrawn = ConsentRecord.objects.filter(withdrawn_at__isnull=False)
    assert {r.purpose for r in withdrawn} == {"registry", "newsletters", "invitations"}
    assert services.SESSION_KEY not in client_of.session


def test_the_preferences_link_of_emails_already_sent_still_works(client, anna):
    path = unsubscribe_url(anna.pk, Campaign.Kind.NEWSLETTER).removeprefix("http://testserver")
    preferences = f"{path}installningar/"
    page = client.get(preferences)
    assert page.status_code == 200
    assert 'href="/mina-sidor/"' in page.content.decode()

    client.post(preferences, {"invitations": "on"})
    anna.refresh_from_db()
    assert (anna.wants_newsletters, anna.wants_invitations) == (False, True)
    assert Unsubscribe.objects.get().source == Unsubscribe.Source.PREFERENCES
    assert client.get(f"{path[:-5]}xxxx/installningar/").status_code == 400
