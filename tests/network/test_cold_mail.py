"""The invitation to apply goes to people who never signed up: cold mail, with a one-click unsubscribe that erases
them (RFC 8058), in their language, saying why they got it. The notice to a recommended person names the
recommender only when they agreed, and is written in the language of the page they used."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse

from campaigns.emails import build_message
from campaigns.models import Delivery, Suppression
from crm.pseudonyms import pseudonym
from crm.readability import lix
from network import recruitment, services
from network.abuse import form_started_token
from network.models import RecruitmentContact
from tests.factories import RecruitmentContactFactory

pytestmark = pytest.mark.django_db

Source = RecruitmentContact.Source
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def invite(**contact) -> Delivery:
    RecruitmentContactFactory(**{"name": "Vera Ny", "email": "vera@example.se", **contact})
    services.contacts_invite(contacts=RecruitmentContact.objects.all())
    return Delivery.objects.get(template="recruitment_invitation")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def html_of(message) -> str:
    return message.alternatives[0][0]


def recommend(client, **overrides):
    data = {
        "recommender_name": "Bertil <b>Berg</b>",
        "recommender_email": "bertil@example.se",
        "name": "Cecilia Ek",
        "contact_details": "cecilia@example.se",
        "note": "",
        "website": "",
        "started": form_started_token(time.time() - 30),
        **overrides,
    }
    return client.post("/tipsa/", data)


# 1. The one-click unsubscribe ---------------------------------------------------------------------------------


def test_the_invitation_gives_the_objection_link_as_its_one_click_unsubscribe():
    invitation = invite()
    assert invitation.context["unsubscribe_url"] == invitation.context["objection_url"]
    assert resolve(urlsplit(invitation.context["unsubscribe_url"]).path).url_name == "recommendation-objection"


def test_a_one_click_post_without_a_csrf_token_erases_the_contact_and_suppresses_the_address():
    invitation = invite()
    provider = Client(enforce_csrf_checks=True)  # a mail provider: no cookie, no CSRF token

    response = provider.post(path_of(invitation.context["unsubscribe_url"]), ONE_CLICK)

    assert response.status_code == 200
    assert not RecruitmentContact.objects.exists()
    assert Suppression.objects.filter(email=pseudonym("vera@example.se")).exists()
    assert not Suppression.objects.filter(email="vera@example.se").exists()
    assert services.recommendation_unwanted("vera@example.se")
    invitation.refresh_from_db()
    assert invitation.to_email == ""


def test_a_second_one_click_post_is_harmless():
    url = path_of(invite().context["unsubscribe_url"])
    provider = Client(enforce_csrf_checks=True)
    provider.post(url, ONE_CLICK)

    again = provider.post(url, ONE_CLICK)

    assert again.status_code == 200
    assert "Dina uppgifter är raderade" in again.content.decode()
    assert Suppression.objects.filter(email=pseudonym("vera@example.se")).count() == 1


def test_a_one_click_post_with_a_forged_token_is_a_400_with_a_swedish_page():
    url = path_of(invite().context["unsubscribe_url"])
    forged = url[:-4] + "xx/"

    response = Client(enforce_csrf_checks=True).post(forged, ONE_CLICK)

    assert response.status_code == 400
    assert "Länken fungerar inte" in response.content.decode()
    assert RecruitmentContact.objects.count() == 1


def test_the_pages_own_button_keeps_its_csrf_check():
    url = path_of(invite().context["objection_url"])
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(url).status_code == 403  # no token, no one-click body: refused
    assert RecruitmentContact.objects.count() == 1

    page = browser.get(url)
    assert page.status_code == 200
    token = page.context["csrf_token"]
    assert browser.post(url, {"csrfmiddlewaretoken": str(token)}).status_code == 200
    assert not RecruitmentContact.objects.exists()


# 2. In the contact's language ----------------------------------------------------------------------------------


def test_the_invitation_is_written_in_the_contacts_language_and_its_links_open_in_it():
    invitation = invite(language="en")

    assert invitation.language == "en"
    assert invitation.context["signup_url"].endswith("&lang=en")
    assert invitation.context["objection_url"].endswith("/?lang=en")
    message = build_message(invitation)
    assert message.subject == "Would you like to be an ambassador for Kramfors?"
    assert "Someone has told us about you." not in message.body  # not a recommendation: the factory's "other"
    assert "Our ambassador coordinator thinks" in message.body


def test_a_swedish_contacts_links_stay_as_they_were():
    invitation = invite()
    assert invitation.language == "sv"
    assert "lang=" not in invitation.context["signup_url"] + invitation.context["objection_url"]


def test_the_coordinator_can_set_the_contacts_language_in_the_admin(coordinator_client):
    contact = RecruitmentContactFactory()
    page = coordinator_client.get(reverse("admin:network_recruitmentcontact_change", args=[contact.pk]))
    assert 'name="language"' in page.content.decode()

    data = {"name": contact.name, "contact_details": contact.contact_details, "status": "new", "source": "manual"}
    coordinator_client.post(
        reverse("admin:network_recruitmentcontact_change", args=[contact.pk]), {**data, "language": "en"}
    )
    contact.refresh_from_db()
    assert contact.language == "en"
    coordinator_client.post(reverse("admin:network_recruitmentcontact_change", args=[contact.pk]), data)
    contact.refresh_from_db()
    assert contact.language == "en"  # a form sent without it changes nothing


# 3. Why they got it, and who recommended them only when agreed -------------------------------------------------


@pytest.mark.parametrize(
    ("source", "said"),
    [
        (Source.RECOMMENDATION, "Någon har tipsat oss om dig."),
        (Source.EVENT, "Vi träffade dig på ett evenemang."),
        (Source.PHONE, "Vi har pratat med dig i telefon."),
        (Source.MANUAL, "Vår ambassadörssamordnare tror att du skulle passa som ambassadör."),
    ],
)
def test_the_invitation_says_why_they_got_it_and_reads_easily(source, said):
    message = build_message(invite(source=source, recommender_name="Bertil Berg"))
    assert said in message.body and said in html_of(message)
    assert "Bertil" not in message.body + html_of(message)  # they did not agree to be named
    assert lix(message.body) <= 45


def test_the_invitation_names_the_recommender_who_agreed_escaped_in_html():
    message = build_message(
        invite(source=Source.RECOMMENDATION, recommender_name="Bertil <b>Berg</b>", recommender_may_be_named=True)
    )
    assert "Bertil <b>Berg</b> har tipsat oss om dig." in message.body
    assert "Bertil &lt;b&gt;Berg&lt;/b&gt; har tipsat oss om dig." in html_of(message)
    assert "<b>Berg" not in html_of(message)
    assert "Bertil" not in message.subject


def test_a_recommender_name_that_looks_like_a_link_is_not_given():
    for name in ("Köp nu på spam.example", "https://x.example", "bertil@example.se", "B" * 81):
        contact = RecruitmentContactFactory(
            source=Source.RECOMMENDATION, recommender_name=name, recommender_may_be_named=True
        )
        assert recruitment.recommender_named(contact) == ""
    contact.recommender_name = "  Bertil \n Berg "
    assert recruitment.recommender_named(contact) == "Bertil Berg"


def test_the_recommend_form_asks_whether_the_recommender_may_be_named_unchecked(client):
    html = client.get("/tipsa/").content.decode()
    assert "Får vi berätta för personen att tipset kom från dig?" in html
    box = html[html.index('name="recommender_may_be_named"') :].split(">", 1)[0]
    assert "checked" not in box


def test_a_recommender_who_agreed_is_named_in_the_notice_and_one_who_did_not_is_not(client):
    recommend(client, recommender_may_be_named="on")
    recommend(client, contact_details="dora@example.se", name="Dora", recommender_email="bertil2@example.se")
    agreed, silent = RecruitmentContact.objects.order_by("pk")
    assert (agreed.recommender_may_be_named, silent.recommender_may_be_named) == (True, False)

    named = build_message(Delivery.objects.get(template="recommendation_notice", to_email="cecilia@example.se"))
    assert "Bertil <b>Berg</b> har tipsat oss om dig på vår webbplats." in named.body
    assert "Bertil &lt;b&gt;Berg&lt;/b&gt; har tipsat" in html_of(named) and "<b>Berg" not in html_of(named)
    assert "Bertil" not in named.subject
    unnamed = build_message(Delivery.objects.get(template="recommendation_notice", to_email="dora@example.se"))
    assert "Någon har tipsat oss om dig på vår webbplats." in unnamed.body
    assert "Bertil" not in unnamed.body + html_of(unnamed)


# 4. The notice in the language of the page the recommender used, stored on the contact -------------------------


def test_the_notice_is_in_the_language_of_the_recommenders_page_and_the_contact_keeps_it(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    recommend(client)

    contact = RecruitmentContact.objects.get()
    notice = Delivery.objects.get(template="recommendation_notice")
    assert contact.language == notice.language == "en"
    assert notice.context["objection_url"].endswith("?lang=en")
    assert build_message(notice).subject == "You have been recommended as an ambassador for Kramfors"


# 5. The Swedish of the notice -----------------------------------------------------------------------------------


def test_the_notice_reads_as_plain_swedish(client):
    recommend(client)
    message = build_message(Delivery.objects.get(template="recommendation_notice"))
    assert message.subject == "Någon har tipsat oss om dig som ambassadör i Kramfors"
    assert "tipsats" not in message.subject + message.body
    assert lix(message.body) <= 45
