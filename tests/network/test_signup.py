"""The public signup and recommendation forms: what is stored, what is queued, and what a bot gets."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from campaigns.models import Delivery
from campaigns.services.outbox import deliveries_send
from network import abuse, services
from network.abuse import form_started_token
from network.models import Ambassador, Application, ConsentRecord, RecruitmentContact
from tests.conftest import body_html
from tests.factories import AmbassadorFactory, InterestFactory, LocalityFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/bli-ambassador/"
THANKS = "/bli-ambassador/tack/"
RECOMMEND = "/tipsa/"


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
        "referrer_name": "Bertil Berg",
        "referrer_email": "bertil@example.se",
        "name": "Cecilia Ek",
        "contact": "070-111 22 33",
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


# A valid signup -----------------------------------------------------------------------------------------------


def test_a_valid_signup_stores_an_unconfirmed_application_with_consent_and_queues_one_confirmation(
    client, django_capture_on_commit_callbacks
):
    locality = LocalityFactory(name="Nyland")
    interest = InterestFactory(name="Friluftsliv")
    data = signup_data(locality=str(locality.pk), interests=[str(interest.pk)])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(SIGNUP, data)

    assert response.status_code == 302
    assert response["Location"] == THANKS
    application = Application.objects.get()
    assert application.status == Application.Status.UNCONFIRMED
    assert application.email == "anna.odmark@example.se"
    assert application.phone == "+46701906448"
    assert application.locality == locality
    assert list(application.interests.all()) == [interest]
    assert application.confirmation_sent_at is not None
    consent = ConsentRecord.objects.get()
    assert consent.email == "anna.odmark@example.se"
    assert consent.purpose == ConsentRecord.Purpose.AMBASSADOR_REGISTRY
    assert consent.text_version == services.CONSENT_VERSION
    assert consent.given_at is not None
    assert consent.application == application
    delivery = Delivery.objects.get()
    assert delivery.template == "application_confirm"
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.application == application
    assert delivery.to_email == "anna.odmark@example.se"
    assert "/bekrafta/" in delivery.context["confirm_url"]
    assert len(callbacks) == 1  # the send is enqueued once, after the commit


def test_the_thank_you_page_says_what_happens_next(client):
    response = client.post(SIGNUP, signup_data(), follow=True)
    assert response.redirect_chain == [(THANKS, 302)]
    assert response.status_code == 200
    assert "network/signup_thanks.html" in [t.name for t in response.templates]


# Bots, and people who look like them ---------------------------------------------------------------------------
# Only the honeypot gets the silent thank-you. A person is never thanked for something that was dropped.

CHECK_AND_SEND_AGAIN = "Kontrollera uppgifterna och skicka igen."


def started_token_in(page: str) -> str:
    return re.search(r'name="started" value="([^"]*)"', page).group(1)


def assert_timed_from_this_page(page: str) -> None:
    assert abs(signing.loads(started_token_in(page), salt=abuse.SALT) - time.time()) < 5


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


# Errors -------------------------------------------------------------------------------------------------------


def test_errors_rerender_the_form_with_the_entered_values_and_an_error_summary(client):
    response = client.post(SIGNUP, signup_data(last_name="", email="not-an-address", phone="070-190 64 48", consent=""))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_last_name"' in page
    assert 'href="#id_email"' in page
    assert 'href="#id_consent"' in page
    assert 'value="Anna"' in page
    assert 'value="not-an-address"' in page
    assert 'value="070-190 64 48"' in page
    assert "Jag älskar Höga kusten." in page
    assert nothing_stored()


# Untrusted names ----------------------------------------------------------------------------------------------


def test_a_script_in_the_name_is_escaped_in_the_confirmation_email(client, smtp_server):
    client.post(SIGNUP, signup_data(first_name="<script>alert(1)</script>"))
    delivery = Delivery.objects.get()
    assert deliveries_send([delivery.pk]) == []
    message = smtp_server.recorder.wait_for(1)[0]
    html = body_html(message)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html


def test_a_script_in_the_name_is_shown_as_typed_in_the_admin(client, coordinator_client):
    client.post(SIGNUP, signup_data(first_name="<script>alert(1)</script>"))
    application = Application.objects.get()
    assert application.first_name == "<script>alert(1)</script>"
    page = coordinator_client.get(f"/admin/network/application/{application.pk}/change/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    listing = coordinator_client.get("/admin/network/application/?status__exact=all").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    assert "<script>alert(1)</script>" not in listing


def test_a_newline_in_the_name_cannot_inject_a_header_and_is_stored_on_one_line(client, smtp_server):
    client.post(SIGNUP, signup_data(first_name="Anna\r\nBcc: x@y"))
    application = Application.objects.get()
    assert application.first_name == "Anna Bcc: x@y"
    deliveries_send([Delivery.objects.get().pk])
    message = smtp_server.recorder.wait_for(1)[0]
    assert message["Bcc"] is None
    headers = message.as_string().split("\n\n", 1)[0]
    assert not any(line.lower().startswith("bcc:") for line in headers.splitlines())
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert "\n" not in str(message["To"]) and "\r" not in str(message["To"])
    assert [address.addr_spec for address in message["To"].addresses] == ["anna.odmark@example.se"]


# Signing up again ---------------------------------------------------------------------------------------------


def submit(email_address="anna@example.se", now=None, **fields):
    return services.application_submit(
        first_name=fields.get("first_name", "Anna"),
        last_name="Ödmark",
        email_address=email_address,
        now=now,
    )


def confirmations() -> int:
    return Delivery.objects.filter(template="application_confirm").count()


def test_signing_up_again_unconfirmed_creates_no_new_application_and_resends_at_most_every_ten_minutes():
    start = timezone.now()
    first = submit(now=start)
    assert confirmations() == 1

    again = submit(email_address=" ANNA@example.se", now=start + timedelta(minutes=9, seconds=59))
    assert again.pk == first.pk
    assert Application.objects.count() == 1
    assert confirmations() == 1

    submit(now=start + timedelta(minutes=10))
    assert Application.objects.count() == 1
    assert confirmations() == 2
    first.refresh_from_db()
    assert first.confirmation_sent_at == start + timedelta(minutes=10)


def test_the_same_form_sent_again_over_http_gives_the_same_page_and_no_duplicate(client):
    first = client.post(SIGNUP, signup_data())
    second = client.post(SIGNUP, signup_data(email="ANNA.ODMARK@example.se"))
    assert first["Location"] == second["Location"] == THANKS
    assert Application.objects.count() == 1
    assert confirmations() == 1  # the second came within ten minutes


# Nobody can rewrite someone else's application -----------------------------------------------------------------


def confirm_link_for(application) -> str:
    """The link in the newest confirmation email sent for `application`, as a path."""
    delivery = Delivery.objects.filter(template="application_confirm", application=application).latest("pk")
    return delivery.context["confirm_url"].removeprefix("http://testserver")


def test_a_stranger_using_a_pending_address_cannot_change_what_its_owner_confirms(client):
    client.post(SIGNUP, signup_data(phone="", motivation="Jag älskar Höga kusten."))
    owners = Application.objects.get()
    owners_link = confirm_link_for(owners)
    stranger = signup_data(first_name="Mallory", last_name="Fake", phone="070-666 66 66", motivation="Spam")
    assert client.post(SIGNUP, stranger)["Location"] == THANKS

    owners.refresh_from_db()
    assert (owners.first_name, owners.last_name, owners.phone) == ("Anna", "Ödmark", "")
    assert client.post(owners_link).context["result"] == "confirmed"
    owners.refresh_from_db()
    assert owners.status == Application.Status.CONFIRMED
    assert (owners.first_name, owners.last_name, owners.phone, owners.motivation) == (
        "Anna",
        "Ödmark",
        "",
        "Jag älskar Höga kusten.",
    )
    # The stranger's details were kept apart and are set aside now that the owner has chosen.
    strangers = Application.objects.get(first_name="Mallory")
    assert strangers.status == Application.Status.WITHDRAWN
    assert Application.objects.filter(status=Application.Status.CONFIRMED).count() == 1
    # Its link (which went to the owner's inbox) now says the address is confirmed, and changes nothing.
    response = client.post(confirm_link_for(strangers))
    assert response.context["result"] == "already"
    assert client.get(confirm_link_for(strangers)).context["result"] == "already"
    owners.refresh_from_db()
    assert owners.first_name == "Anna"


def test_the_owner_signing_up_after_a_stranger_confirms_their_own_details(client):
    client.post(SIGNUP, signup_data(first_name="Mallory"))
    client.post(SIGNUP, signup_data())  # the owner, a minute later: a link of its own, sent at once
    owners = Application.objects.get(first_name="Anna")
    assert confirmations() == 2
    assert client.post(confirm_link_for(owners)).context["result"] == "confirmed"
    assert Application.objects.get(status=Application.Status.CONFIRMED) == owners
    assert Application.objects.get(first_name="Mallory").status == Application.Status.WITHDRAWN


def test_new_details_are_a_new_application_applied_only_by_its_own_link(client):
    """The owner correcting a typo: both links arrive; the one used decides, and the other is set aside."""
    client.post(SIGNUP, signup_data(first_name="Anan"))
    client.post(SIGNUP, signup_data(first_name="Anna"))
    typo, corrected = Application.objects.get(first_name="Anan"), Application.objects.get(first_name="Anna")
    assert confirm_link_for(typo) != confirm_link_for(corrected)
    assert client.get(confirm_link_for(corrected)).context["application"] == corrected
    assert client.post(confirm_link_for(corrected)).context["result"] == "confirmed"
    assert client.post(confirm_link_for(typo)).context["result"] == "already"
    typo.refresh_from_db()
    corrected.refresh_from_db()
    assert (typo.status, corrected.status) == (Application.Status.WITHDRAWN, Application.Status.CONFIRMED)


def test_once_confirmed_a_new_signup_with_the_address_changes_nothing(client):
    client.post(SIGNUP, signup_data())
    owners = Application.objects.get()
    client.post(confirm_link_for(owners))
    client.post(SIGNUP, signup_data(first_name="Mallory"))
    assert Application.objects.count() == 1
    owners.refresh_from_db()
    assert (owners.first_name, owners.status) == ("Anna", Application.Status.CONFIRMED)
    assert confirmations() == 1


def test_an_active_ambassador_signing_up_gets_an_already_ambassador_email_and_no_application(client):
    ambassador = AmbassadorFactory(email="anna@example.se", first_name="Anna")
    response = client.post(SIGNUP, signup_data(email="Anna@Example.se"))
    assert response["Location"] == THANKS
    assert not Application.objects.exists()
    delivery = Delivery.objects.get()
    assert delivery.template == "already_ambassador"
    assert delivery.ambassador == ambassador
    assert delivery.to_email == "anna@example.se"


def test_the_response_is_the_same_redirect_whatever_the_address_belongs_to(client):
    AmbassadorFactory(email="member@example.se")
    responses = [
        client.post(SIGNUP, signup_data(email="new@example.se")),
        client.post(SIGNUP, signup_data(email="new@example.se")),
        client.post(SIGNUP, signup_data(email="member@example.se")),
        client.post(SIGNUP, signup_data(email="bot@example.se", website="x")),
    ]
    assert {(r.status_code, r["Location"], r.content) for r in responses} == {(302, THANKS, b"")}


# Recommend someone --------------------------------------------------------------------------------------------


def test_a_recommendation_from_an_ambassador_is_a_referral_contact_referred_by_them(client):
    ambassador = AmbassadorFactory(email="bertil@example.se")
    response = client.post(RECOMMEND, recommend_data(referrer_email="Bertil@EXAMPLE.se"))
    assert response.status_code == 302
    assert response["Location"] == "/tipsa/tack/"
    contact = RecruitmentContact.objects.get()
    assert contact.source == RecruitmentContact.Source.REFERRAL
    assert contact.referred_by == ambassador
    assert contact.name == "Cecilia Ek"
    assert contact.contact == "070-111 22 33"
    assert contact.referrer_name == "Bertil Berg"
    assert contact.referrer_email == "bertil@example.se"
    assert contact.status == RecruitmentContact.Status.NEW


def test_a_recommendation_from_someone_unknown_has_no_referrer(client):
    client.post(RECOMMEND, recommend_data(referrer_email="stranger@example.se"))
    contact = RecruitmentContact.objects.get()
    assert contact.source == RecruitmentContact.Source.REFERRAL
    assert contact.referred_by is None
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
    response = client.post(RECOMMEND, recommend_data(name="Second", referrer_email="other@example.se"))
    assert_too_many(response)
    assert 'value="Second"' in response.content.decode()
    assert list(RecruitmentContact.objects.values_list("name", flat=True)) == ["First"]


def test_recommendations_are_limited_per_tipper_address(client, settings):
    settings.FORM_RATE_LIMIT_PER_ADDRESS = 1
    client.post(RECOMMEND, recommend_data(name="First"), **from_ip("192.0.2.1"))
    response = client.post(
        RECOMMEND, recommend_data(name="Second", referrer_email="BERTIL@example.se"), **from_ip("192.0.2.2")
    )
    assert_too_many(response)
    assert list(RecruitmentContact.objects.values_list("name", flat=True)) == ["First"]


def test_a_recommendation_without_a_csrf_token_is_forbidden():
    response = Client(enforce_csrf_checks=True).post(RECOMMEND, recommend_data())
    assert response.status_code == 403
    assert nothing_stored()
