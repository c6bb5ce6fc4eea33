"""Addresses and names on the way in, and in the headers of what we send (issue 8).

One rule wherever an address comes in (the public forms, the import, the admin): an international domain is
stored in its ASCII (IDNA) form and sent to; letters outside ASCII before the @, an IP address instead of a domain
and more than 254 characters are refused with a message saying so. Names and other text lose CR, LF and every
other control character on the way in (network.normalize.clean_text). Sent over a real SMTP server.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
from django.urls import reverse
from django.utils import translation

from campaigns.models import Campaign, Delivery
from campaigns.services.outbox import deliveries_send
from network.forms import EmailAddressField, LineField, NewLinkForm, TextField
from network.models import Ambassador, Application, RecruitmentContact
from network.normalize import clean_text, normalize_email
from network.resources import AmbassadorResource
from tests.factories import CampaignFactory, DeliveryFactory, start_sending
from tests.network import public_forms
from tests.network.test_import import csv_bytes

pytestmark = pytest.mark.django_db

IDN = "Test@Exämple.se"
PUNYCODE = "test@xn--exmple-cua.se"
LOCAL_254 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".se"
assert len(LOCAL_254) == 254
TOO_LONG = "a" * 69 + LOCAL_254[64:]  # 259 characters
# A person the import and the forms allow: the longest first and last names, with Å, Ä and Ö.
FIRST = ("Åsa Märta Öberg " * 7)[:99] + "Ö"
LAST = ("Ödmark Ärlemo Åström " * 5)[:99] + "Å"
assert len(FIRST) == len(LAST) == 100


# normalize_email ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (IDN, PUNYCODE),
        ("  TEST@EXÄMPLE.SE ", PUNYCODE),
        (PUNYCODE, PUNYCODE),
        ("anna@kramfors.se", "anna@kramfors.se"),
        ("ola@mail.örnsköldsvik.se", "ola@mail.xn--rnskldsvik-dcbe.se"),
    ],
)
def test_an_international_domain_is_stored_in_its_ascii_form(typed, stored):
    assert normalize_email(typed) == stored


REFUSED = [
    ("åsa@example.se", "has letters such as å, ä or ö before the @"),
    ("José@exämple.se", "has letters such as å, ä or ö before the @"),
    ("a@[127.0.0.1]", "has an IP address instead of a domain name"),
    ("a@[IPv6:::1]", "has an IP address instead of a domain name"),
    (TOO_LONG, "is too long for an email address (at most 254 characters)"),
    ('"anna ek"@example.se', "is not a valid email address"),
    ("anna@exämple", "is not a valid email address"),
    ("anna@" + "ä" * 70 + ".se", "is not a valid email address"),
]


@pytest.mark.parametrize(("typed", "message"), REFUSED)
def test_an_address_we_cannot_send_to_is_refused_with_the_reason(typed, message):
    with translation.override("en"), pytest.raises(ValueError, match=re.escape(message)):
        normalize_email(typed)


def test_an_address_of_254_characters_is_taken_and_one_of_259_is_refused():
    assert normalize_email(LOCAL_254) == LOCAL_254
    assert len(TOO_LONG) == 259
    with pytest.raises(ValueError):
        normalize_email(TOO_LONG)


def test_the_messages_are_in_swedish_for_swedish_visitors():
    with translation.override("sv"):
        with pytest.raises(ValueError, match="har bokstäver som å, ä eller ö före @"):
            normalize_email("åsa@example.se")
        with pytest.raises(ValueError, match="har en IP-adress i stället för ett domännamn"):
            normalize_email("a@[127.0.0.1]")
        with pytest.raises(ValueError, match=r"är för lång för att vara en e-postadress \(högst 254 tecken\)"):
            normalize_email(TOO_LONG)


# clean_text ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Anna\r\nBcc: evil@example.com", "Anna Bcc: evil@example.com"),
        ("Anna\rÖdmark", "Anna Ödmark"),
        ("  Anna \t Maria\n", "Anna Maria"),
        ("Anna\x00\x07\x1b[31mÖdmark\x7f", "Anna [31mÖdmark"),
        ("Anna\u2028Ödmark\x85", "Anna Ödmark"),
        ("\r\n\x00", ""),
    ],
)
def test_one_line_of_text_keeps_no_control_character(typed, stored):
    assert clean_text(typed) == stored


def test_text_of_several_lines_keeps_its_line_breaks_and_nothing_else():
    typed = "Rad 1\r\nRad 2\rRad 3\u2028Rad\x00 4\x1b\tslut\x07\n"
    assert clean_text(typed, multiline=True) == "Rad 1\nRad 2\nRad 3\nRad 4 slut"


# The public forms ---------------------------------------------------------------------------------------------

SIGNUP, RECOMMEND = "/bli-ambassador/", "/tipsa/"


def signup_data(**overrides) -> dict:
    """The signup form with nothing optional filled in."""
    return public_forms.signup_data(
        **{"email": "anna@example.se", "phone": "", "motivation": "", "heard_about": "", **overrides}
    )


def recommend_data(**overrides) -> dict:
    return public_forms.recommend_data(**{"note": "", **overrides})


def test_a_signup_with_an_international_domain_is_stored_and_confirmed_at_its_ascii_form(client):
    response = client.post(SIGNUP, signup_data(email=IDN))
    assert response.status_code == 302
    assert Application.objects.get().email == PUNYCODE
    assert Delivery.objects.get().to_email == PUNYCODE


def test_a_recommendation_with_an_international_domain_is_stored_at_its_ascii_form(client):
    assert client.post(RECOMMEND, recommend_data(recommender_email=IDN)).status_code == 302
    assert RecruitmentContact.objects.get().recommender_email == PUNYCODE


def test_asking_for_a_new_link_finds_the_address_whichever_form_it_is_typed_in():
    form = NewLinkForm({"email": "TEST@exämple.se"})
    assert form.is_valid()
    assert form.cleaned_data["email"] == PUNYCODE


SWEDISH = [
    ("åsa@example.se", "har bokstäver som å, ä eller ö före @"),
    ("a@[127.0.0.1]", "har en IP-adress i stället för ett domännamn efter @"),
    (TOO_LONG, "är för lång för att vara en e-postadress (högst 254 tecken)"),
]


@pytest.mark.parametrize(("typed", "message"), SWEDISH)
@pytest.mark.parametrize(
    ("path", "field", "data"), [(SIGNUP, "email", signup_data), (RECOMMEND, "recommender_email", recommend_data)]
)
def test_a_public_form_refuses_an_address_we_cannot_send_to_with_a_swedish_message(
    client, path, field, data, typed, message
):
    response = client.post(path, data(**{field: typed}))
    assert response.status_code == 200  # the form again, never a server error
    assert message in response.context["form"].errors[field][0]
    assert message in response.content.decode()
    assert not Application.objects.exists() and not RecruitmentContact.objects.exists()
    assert not Delivery.objects.exists()


def test_the_signup_form_stores_names_and_text_without_control_characters(client):
    response = client.post(
        SIGNUP,
        signup_data(
            first_name="Anna\r\nBcc: evil@example.com",
            last_name="\x1bÖdmark\x00",
            heard_about="Tid-\nningen",
            motivation="Jag älskar\r\nHöga kusten.\x07",
        ),
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.first_name == "Anna Bcc: evil@example.com"
    assert application.last_name == "Ödmark"
    assert application.heard_about == "Tid- ningen"
    assert application.motivation == "Jag älskar\nHöga kusten."
    assert Delivery.objects.get().to_name == "Anna Bcc: evil@example.com Ödmark"


def test_the_recommend_form_stores_names_and_text_without_control_characters(client):
    response = client.post(
        RECOMMEND,
        recommend_data(
            recommender_name="Bertil\rBerg", name="Cecilia\nEk", contact_details="070\t111 22 33", note="a\r\nb\x00"
        ),
    )
    assert response.status_code == 302
    contact = RecruitmentContact.objects.get()
    assert (contact.recommender_name, contact.name, contact.contact_details, contact.note) == (
        "Bertil Berg",
        "Cecilia Ek",
        "070 111 22 33",
        "a\nb",
    )


def test_a_name_is_measured_after_cleaning():
    field = LineField(max_length=5)
    assert field.clean("Anna\r\n\x00") == "Anna"
    assert TextField(required=False).clean("\x00\r\n") == ""
    assert EmailAddressField(required=False).clean("") == ""


# The import ---------------------------------------------------------------------------------------------------


def imported(*rows, dry_run: bool = False):
    with translation.override("en"):
        return AmbassadorResource().import_file(csv_bytes(list(rows)), dry_run=dry_run)


def test_the_import_stores_an_international_domain_in_its_ascii_form():
    report = imported(["Anna", "Ödmark", IDN, "", "", "", "", ""])
    assert report.counts["created"] == 1
    assert Ambassador.objects.get().email == PUNYCODE


@pytest.mark.parametrize(("typed", "message"), REFUSED[:5])
def test_the_import_refuses_an_address_we_cannot_send_to_with_the_reason(typed, message):
    report = imported(["Anna", "Ödmark", typed, "", "", "", "", ""], ["Bo", "Ek", "bo@example.se", "", "", "", "", ""])
    assert report.counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert not report.applied
    [error] = report.rejected
    assert (error.row, error.column) == (2, "E-post")
    assert message in error.message


def test_the_import_stores_names_and_notes_without_control_characters():
    report = imported(
        ["Anna\r\nBcc: x@y.se", "\x1bÖdmark", "anna@example.se", "", "Ny\nland", "Kul\rtur", "", "Rad 1\r\nRad 2\x07"]
    )
    assert report.counts["created"] == 1, report.rejected
    ambassador = Ambassador.objects.get()
    assert (ambassador.first_name, ambassador.last_name) == ("Anna Bcc: x@y.se", "Ödmark")
    assert ambassador.locality.name == "Ny land"
    assert [interest.name for interest in ambassador.interests.all()] == ["Kul tur"]
    assert ambassador.notes == "Rad 1\nRad 2"


# The admin ----------------------------------------------------------------------------------------------------


def ambassador_form(**overrides) -> dict:
    return {
        "first_name": "Anna",
        "last_name": "Ödmark",
        "email": "anna@example.se",
        "phone": "",
        "language": "sv",
        "status": "active",
        "source": "manual",
        "notes": "",
        "_save": "Spara",
        **overrides,
    }


def test_the_admin_stores_an_international_domain_in_its_ascii_form(coordinator_client):
    response = coordinator_client.post(reverse("admin:network_ambassador_add"), ambassador_form(email=IDN))
    assert response.status_code == 302
    assert Ambassador.objects.get().email == PUNYCODE


@pytest.mark.parametrize(("typed", "message"), SWEDISH)
def test_the_admin_refuses_an_address_we_cannot_send_to_with_a_swedish_message(coordinator_client, typed, message):
    response = coordinator_client.post(reverse("admin:network_ambassador_add"), ambassador_form(email=typed))
    assert response.status_code == 200  # the form again, never a server error
    assert message in response.context["adminform"].form.errors["email"][0]
    assert not Ambassador.objects.exists()


def test_the_admin_refuses_an_address_we_cannot_send_to_in_every_address_field(coordinator_client):
    response = coordinator_client.post(
        reverse("admin:network_recruitmentcontact_add"),
        {
            "name": "Cecilia Ek",
            "contact_details": "070",
            "source": "manual",
            "status": "new",
            "recommender_email": "a@[10.0.0.1]",
        },
    )
    assert response.status_code == 200
    assert "har en IP-adress" in response.context["adminform"].form.errors["recommender_email"][0]


def test_the_admin_stores_names_and_notes_without_control_characters(coordinator_client):
    response = coordinator_client.post(
        reverse("admin:network_ambassador_add"),
        ambassador_form(first_name="Anna\r\nBcc: x@y.se", last_name="Öd\x00mark", notes="Rad 1\r\nRad 2\x1b"),
    )
    assert response.status_code == 302
    ambassador = Ambassador.objects.get()
    assert (ambassador.first_name, ambassador.last_name, ambassador.notes) == (
        "Anna Bcc: x@y.se",
        "Öd mark",
        "Rad 1\nRad 2",
    )

    response = coordinator_client.post(
        reverse("admin:network_recruitmentcontact_add"),
        {
            "name": "Cecilia\nEk",
            "contact_details": "070\r111",
            "source": "manual",
            "status": "new",
            "recommender_email": IDN,
        },
    )
    assert response.status_code == 302
    contact = RecruitmentContact.objects.get()
    assert (contact.name, contact.contact_details, contact.recommender_email) == ("Cecilia Ek", "070 111", PUNYCODE)


# What arrives, over SMTP --------------------------------------------------------------------------------------


def raw_header(message, name: str) -> str:
    return dict(message.raw_items())[name]


def decoded(raw: str) -> str:
    """A header as a reader following RFC 2047 shows it: whitespace between adjacent encoded words is ignored.

    (Python's own address parser puts a space there, against RFC 2047 section 6.2, so it cannot read a long encoded
    name back as it was; mail programs and the legacy decoder can.)"""
    return str(make_header(decode_header(raw)))


def assert_well_formed(raw: str) -> None:
    """Header lines of at most 78 characters (RFC 5322): a long name is several short encoded words, never one long
    one. (Python's email package, which Django uses, writes encoded words of up to 76 characters, one more than
    RFC 2047 says; mail programs read them.)"""
    words = re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", raw)
    assert len(words) > 1 and all(len(word) <= 76 for word in words), raw
    assert all(len(line) <= 78 for line in ("To: " + raw).splitlines()), raw


def test_a_person_with_an_international_address_and_a_long_swedish_name_receives_their_newsletter(
    smtp_server, seed_data
):
    report = imported([FIRST, LAST, IDN, "", "", "", "", ""])
    assert report.applied, report.rejected
    sending = CampaignFactory(subject="Hej {{ first_name }}, nytt från Kramfors")
    [delivery_id] = start_sending(sending)

    assert deliveries_send([delivery_id]) == []

    message = smtp_server.recorder.wait_for(1)[0]
    assert Delivery.objects.get(pk=delivery_id).status == Delivery.Status.SENT
    assert [address.addr_spec for address in message["To"].addresses] == [PUNYCODE]
    raw = raw_header(message, "To")
    assert decoded(raw) == f"{FIRST} {LAST} <{PUNYCODE}>"
    assert_well_formed(raw)
    assert decoded(raw_header(message, "Subject")) == f"Hej {FIRST}, nytt från Kramfors"
    sending.refresh_from_db()
    assert sending.status == Campaign.Status.SENT


def test_a_person_signing_up_with_an_international_address_and_a_long_swedish_name_gets_the_confirmation(
    client, smtp_server
):
    assert client.post(SIGNUP, signup_data(first_name=FIRST, last_name=LAST, email=IDN)).status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.to_email, delivery.to_name) == (PUNYCODE, f"{FIRST} {LAST}")

    assert deliveries_send([delivery.pk]) == []

    message = smtp_server.recorder.wait_for(1)[0]
    raw = raw_header(message, "To")
    assert decoded(raw) == f"{FIRST} {LAST} <{PUNYCODE}>"
    assert_well_formed(raw)
    assert f"Hej {FIRST}!" in message.get_body(preferencelist=("plain",)).get_content()


def test_an_address_stored_before_with_an_international_domain_is_sent_to_its_ascii_form(smtp_server):
    delivery = DeliveryFactory(
        template="application_confirm",
        to_email="test@exämple.se",  # as a row written without validation could hold it
        to_name="Åsa Öberg",
        context={"first_name": "Åsa", "confirm_url": "http://testserver/bekrafta/abc/"},
    )
    assert deliveries_send([delivery.pk]) == []
    message = smtp_server.recorder.wait_for(1)[0]
    assert [address.addr_spec for address in message["To"].addresses] == [PUNYCODE]
    assert decoded(raw_header(message, "To")) == f"Åsa Öberg <{PUNYCODE}>"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


INJECTION = "Anna\r\nBcc: evil@example.com\r\nX-Injected: yes\n\nbody"


def assert_not_injected(message) -> None:
    header_names = {name.lower() for name in message.keys()}
    assert not header_names & {"bcc", "cc", "x-injected"}
    assert [address.addr_spec for address in message["To"].addresses] == ["anna@example.se"]
    for name in ("To", "From", "Subject"):
        assert "\n" not in decoded(raw_header(message, name).replace("\r\n ", " ").replace("\n ", " "))


def test_a_name_with_cr_and_lf_never_injects_a_header(smtp_server):
    delivery = DeliveryFactory(
        template="application_confirm",
        to_email="anna@example.se",
        to_name=INJECTION,  # as a row written without the forms could hold it
        context={"first_name": INJECTION, "confirm_url": "http://testserver/bekrafta/abc/"},
    )
    assert deliveries_send([delivery.pk]) == []
    message = smtp_server.recorder.wait_for(1)[0]
    assert_not_injected(message)
    assert message["To"].addresses[0].display_name == "Anna Bcc: evil@example.com X-Injected: yes body"


def test_a_name_or_sender_name_with_cr_and_lf_never_injects_a_header_in_a_campaign(smtp_server, settings):
    settings.EMAIL_SENDER_NAME = "Kramfors\r\nBcc: evil@example.com"
    sending = CampaignFactory(subject="Hej {{ first_name }}")
    delivery = DeliveryFactory(campaign=sending, is_test=True, to_email="anna@example.se", to_name=INJECTION)
    assert deliveries_send([delivery.pk]) == []
    message = smtp_server.recorder.wait_for(1)[0]
    assert_not_injected(message)
    assert message["From"].addresses[0].display_name == "Kramfors Bcc: evil@example.com"
    assert "Hej Anna" in str(message["Subject"])  # on one line: assert_not_injected
