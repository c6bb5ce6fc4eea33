"""The public signup form: what is stored, what is queued, errors, untrusted names, signing up again, and nobody
rewriting someone else's application. (Bots and floods: test_signup_keeps_out_bots_and_floods.py; the
recommendation form: test_recommending_someone.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Delivery
from campaigns.services.outbox import deliveries_send
from network import services
from network.models import Application, ConsentRecord
from tests.conftest import body_html
from tests.factories import AmbassadorFactory, InterestFactory, LocalityFactory
from tests.network.public_forms import SIGNUP, THANKS, nothing_stored, signup_data

pytestmark = pytest.mark.django_db


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
