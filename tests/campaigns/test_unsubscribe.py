"""/avregistrera/<token>/: the links come from real messages sent over SMTP. GET changes nothing, the page's
POST unsubscribes, and the RFC 8058 one-click POST from a mail program works without cookies or CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client

from campaigns.models import Campaign, Unsubscribe
from campaigns.selectors import campaign_report
from campaigns.services.outbox import deliveries_send
from network.models import Ambassador
from tests.conftest import body_html, body_text, unsubscribe_path
from tests.factories import AmbassadorFactory, CampaignFactory, EventFactory, start_sending

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna():
    return AmbassadorFactory(first_name="Anna", email="anna@example.se")


@pytest.fixture
def sent(smtp_server, anna):
    """A newsletter sent to Anna; returns the campaign and the path of her List-Unsubscribe URL."""
    newsletter = CampaignFactory()
    deliveries_send(start_sending(newsletter))
    return newsletter, unsubscribe_path(smtp_server.recorder.wait_for(1)[0])


@pytest.fixture
def path(sent):
    return sent[1]


@pytest.fixture
def mail_program():
    """A mail program's one-click POST: no cookies, no CSRF token, and CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def one_click(client: Client, path: str):
    """The RFC 8058 POST: an urlencoded body `List-Unsubscribe=One-Click`."""
    return client.post(path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")


def fresh(person: Ambassador) -> Ambassador:
    person.refresh_from_db()
    return person


def test_the_link_in_the_message_body_is_the_same_as_in_the_header(smtp_server, path):
    message = smtp_server.recorder.messages[0]
    assert path in body_text(message)
    assert f'href="http://testserver{path}"' in body_html(message)


def test_get_shows_one_button_and_a_link_to_preferences_and_changes_nothing(client, anna, path):
    response = client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]  # the header also holds the language switch
    assert main.count("<button") == 1
    assert 'method="post"' in main
    assert f'href="{path}installningar/"' in main
    assert fresh(anna).wants_newsletters is True
    assert not Unsubscribe.objects.exists()


def test_the_pages_post_unsubscribes_and_records_the_source_and_time(client, anna, path):
    response = client.post(path)

    assert response.status_code == 200
    assert fresh(anna).wants_newsletters is False
    assert fresh(anna).wants_invitations is True
    record = Unsubscribe.objects.get()
    assert (record.ambassador, record.category, record.source) == (anna, "newsletter", Unsubscribe.Source.LINK)
    assert record.created_at is not None


def test_one_click_urlencoded_without_cookies_or_csrf_unsubscribes_with_200_and_no_redirect(mail_program, anna, path):
    response = one_click(mail_program, path)

    assert response.status_code == 200
    assert "Location" not in response
    assert fresh(anna).wants_newsletters is False
    record = Unsubscribe.objects.get()
    assert record.source == Unsubscribe.Source.ONE_CLICK
    assert record.created_at is not None


def test_one_click_multipart_without_cookies_or_csrf_unsubscribes_with_200(mail_program, anna, path):
    response = mail_program.post(path, {"List-Unsubscribe": "One-Click"})  # the test client sends multipart

    assert response.status_code == 200
    assert "Location" not in response
    assert fresh(anna).wants_newsletters is False
    assert Unsubscribe.objects.get().source == Unsubscribe.Source.ONE_CLICK


def test_repeating_the_one_click_post_is_harmless(mail_program, anna, path):
    for _ in range(3):
        response = one_click(mail_program, path)
        assert response.status_code == 200
    assert fresh(anna).wants_newsletters is False
    assert Unsubscribe.objects.count() == 1


def test_a_tampered_token_shows_a_400_page_and_changes_nothing(client, mail_program, anna, path):
    token = path.strip("/").split("/")[-1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_person = token.replace(token.split(":")[0], "WzIsIm5ld3NsZXR0ZXIiXQ")  # [2, "newsletter"], old signature

    for bad in (f"/avregistrera/{tampered}/", f"/avregistrera/{other_person}/", "/avregistrera/nonsense/"):
        assert client.get(bad).status_code == 400
        response = client.post(bad)
        assert response.status_code == 400
        assert "campaigns/unsubscribe_invalid.html" in [template.name for template in response.templates]
        assert one_click(mail_program, bad).status_code == 400
    assert fresh(anna).wants_newsletters is True
    assert not Unsubscribe.objects.exists()


def test_an_invitation_link_stops_invitations_only(smtp_server, mail_program, anna):
    fika = EventFactory(title="Fika")
    invitation = CampaignFactory(
        kind=Campaign.Kind.INVITATION,
        name="Inbjudan",
        subject="Välkommen på fika",
        event=fika,
        body="[Svara här]({{ rsvp_url }})",
    )
    deliveries_send(start_sending(invitation))
    path = unsubscribe_path(smtp_server.recorder.wait_for(1)[0])

    assert "evenemang" in str(smtp_server.recorder.messages[0]["List-Id"]).lower() or "invitation." in str(
        smtp_server.recorder.messages[0]["List-Id"]
    )
    response = one_click(mail_program, path)

    assert response.status_code == 200
    anna = fresh(anna)
    assert (anna.wants_invitations, anna.wants_newsletters) == (False, True)
    assert Unsubscribe.objects.get().category == Campaign.Kind.INVITATION


def test_the_preferences_page_shows_and_saves_the_choices(client, anna, path):
    preferences = f"{path}installningar/"
    page = client.get(preferences)
    assert page.status_code == 200
    assert page.context["form"].initial == {"newsletters": True, "invitations": True}

    response = client.post(preferences, {"newsletters": "on"})  # invitations unticked

    assert response.status_code == 200
    assert response.context["saved"] is True
    anna = fresh(anna)
    assert (anna.wants_newsletters, anna.wants_invitations) == (True, False)
    record = Unsubscribe.objects.get()
    assert (record.category, record.source) == (Campaign.Kind.INVITATION, Unsubscribe.Source.PREFERENCES)

    client.post(preferences, {"newsletters": "on", "invitations": "on"})  # and back again
    assert fresh(anna).wants_invitations is True


def test_the_preferences_page_rejects_a_tampered_token(client, anna, path):
    response = client.post(f"{path[:-5]}xxxx/installningar/", {})
    assert response.status_code == 400
    assert fresh(anna).wants_newsletters is True


def test_an_unsubscribed_person_is_not_in_the_next_newsletter(smtp_server, mail_program, anna, path):
    one_click(mail_program, path)
    bo = AmbassadorFactory(email="bo@example.se")
    later = CampaignFactory(name="Nästa brev")
    deliveries_send(start_sending(later))

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.recorder.messages[1:]] == [bo.email]
    later.refresh_from_db()
    assert later.skipped_unsubscribed == 1


def test_an_unsubscribe_from_a_campaigns_message_counts_in_that_campaigns_report(sent, mail_program):
    newsletter, path = sent
    one_click(mail_program, path)
    assert campaign_report(newsletter)["unsubscribed"] == 1


def test_an_english_readers_unsubscribe_link_opens_in_english_and_one_click_still_works(
    smtp_server, mail_program, client
):
    reader = AmbassadorFactory(first_name="Emma", email="emma@example.se", language="en")
    deliveries_send(start_sending(CampaignFactory()))
    header = str(smtp_server.recorder.wait_for(1)[0]["List-Unsubscribe"]).strip()[1:-1]
    assert header.endswith("?lang=en")
    link = header.removeprefix("http://testserver")

    page = client.get(link, follow=True)
    assert page.status_code == 200 and page.context["LANGUAGE_CODE"] == "en"

    assert one_click(mail_program, link).status_code == 200  # a mail program's POST keeps the parameter
    assert fresh(reader).wants_newsletters is False
