"""The SMTP fast path (campaigns.wire) writes what the EmailMessage path writes: for hostile names, Unicode, long
names and lines, the same bytes but Date and the boundary, the same parsed headers and the same decoded parts."""

from __future__ import annotations

import random
import re
from email import message_from_bytes, policy
from smtplib import quoteaddr

import pytest
import time_machine
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.utils import timezone

from campaigns.emails import campaign_message, message_id
from campaigns.models import Delivery
from campaigns.services import outbox
from campaigns.services.outbox import deliveries_send
from campaigns.wire import Wire, WireMessage, supported
from tests.conftest import body_html, body_text
from tests.factories import AmbassadorFactory, CampaignFactory, DeliveryFactory, LocalityFactory, start_sending

pytestmark = pytest.mark.django_db

LONG_LINE = "Ett mycket långt stycke om Höga kusten, " * 40  # over 998 bytes: Django sends it quoted-printable
BODY = (
    'Hej {{ first_name|"vän" }} {{ last_name }} i {{ ort }}!\n\n'
    "Du heter **{{ full_name }}**, eller hur? [Din sida]({{ first_name }}) och "
    '[avregistrera dig]({{ unsubscribe_url }}).\n\n<script>alert("x")</script> & "citat" \'enkla\'\n\n'
    "- en punkt\n- Åsa, Östen & Ärla\n\n> ett citat\n"
)
NAMES = [
    ("Anna", "Ödmark", "anna@example.se"),
    ("Eve\r\nBcc: victim@example.org", "Evil\nX-Injected: 1", "eve@example.se"),
    ('Jöns "Jösse"', "O'Brien, Jr.", "jons@example.se"),
    ("<script>alert(1)</script>", "<b>&amp;</b>", "script@example.se"),
    ("Smith, John", "Doe; Jane", "comma@example.se"),
    ("", "", "noname@example.se"),
    ("Åsa-Märta Östlund-Ärlig" * 4, "Ödmark-Ångström-Ölund" * 4, "long@example.se"),
    ("javascript:alert(1)", "🙂 Emoji", "emoji@example.se"),
    ("Zoë", "Lindqvist", "zoe@exämple.se"),
    ("A" * 90, "B" * 9, "ascii-long@example.se"),
]


def recipients(body=BODY, subject='Hej {{ first_name|"vän" }}, nytt från Kramfors för {{ namn }}'):
    town = LocalityFactory(name='Nyland <&> "Ådalen"')
    for first, last, email in NAMES:
        AmbassadorFactory(first_name=first, last_name=last, email=email, locality=town if first == "Anna" else None)
    sending = CampaignFactory(subject=subject, body=body)
    ids = start_sending(sending)
    return list(Delivery.objects.filter(pk__in=ids).select_related("campaign", "ambassador__locality").order_by("pk"))


def normalised(data: bytes) -> bytes:
    """Date and the multipart boundary differ from message to message on either path."""
    data = re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: X\r\n", data)
    boundary = re.search(rb'boundary="([^"]+)"', data).group(1)
    return data.replace(boundary, b"BOUNDARY")


def parsed(data: bytes):
    message = message_from_bytes(data, policy=policy.default)
    headers = [
        (name, str(value))
        for name, value in message.items()
        if name not in ("Date", "Content-Type") or not message.is_multipart()
    ]
    parts = [
        (part.get_content_type(), part["Content-Transfer-Encoding"], part.get_content())
        for part in message.iter_parts()
    ]
    return message.get_content_type(), headers, parts


def both(delivery: Delivery) -> tuple[bytes, bytes]:
    """Both paths at the same instant: the unsubscribe link's signature holds a timestamp."""
    with time_machine.travel(timezone.now(), tick=False):
        django_bytes = campaign_message(delivery).message().as_bytes(linesep="\r\n")
        wire_bytes = Wire().message(delivery, connection=None).data
    return django_bytes, wire_bytes


@pytest.mark.parametrize("body", [BODY, BODY + "\n" + LONG_LINE + "\n", "Bara ASCII, {{ first_name }}."])
def test_the_wire_message_is_the_email_message_for_every_recipient(body):
    deliveries = recipients(body=body)
    assert len(deliveries) == len(NAMES)
    for delivery in deliveries:
        django_bytes, wire_bytes = both(delivery)
        assert normalised(wire_bytes) == normalised(django_bytes), delivery.to_email
        assert parsed(wire_bytes) == parsed(django_bytes)
        kind, headers, parts = parsed(wire_bytes)
        assert kind == "multipart/alternative"
        assert dict(headers)["Message-ID"] == message_id(delivery.pk)
        assert [part[0] for part in parts] == ["text/plain", "text/html"]
        assert "<script>" not in parts[1][2]  # a name lands HTML-escaped in the HTML part
        assert all("\r" not in value and "\n" not in value for _name, value in headers)


@pytest.mark.parametrize(
    ("body", "encodings"),
    [
        (BODY + "\n" + LONG_LINE + "\n", ["quoted-printable", "quoted-printable"]),
        (BODY, ["8bit", "8bit"]),
    ],
)
def test_the_transfer_encoding_is_djangos(body, encodings):
    delivery = recipients(body=body)[0]
    _kind, _headers, parts = parsed(Wire().message(delivery, None).data)
    assert [part[1] for part in parts] == encodings


def test_hostile_names_stay_in_their_header_and_are_escaped_in_html():
    deliveries = {d.to_email: d for d in recipients()}
    message = message_from_bytes(Wire().message(deliveries["eve@example.se"], None).data, policy=policy.default)
    assert "X-Injected" not in message and "Bcc" not in message
    assert message["To"].addresses[0].addr_spec == "eve@example.se"
    message = message_from_bytes(Wire().message(deliveries["script@example.se"], None).data, policy=policy.default)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body_html(message)
    assert "<script>alert(1)</script>" in body_text(message)
    message = message_from_bytes(Wire().message(deliveries["comma@example.se"], None).data, policy=policy.default)
    assert [a.addr_spec for a in message["To"].addresses] == ["comma@example.se"]
    assert message["To"].addresses[0].display_name == "Smith, John Doe; Jane"


def test_the_envelope_is_django_smtp_backends():
    for delivery in recipients():
        django_message = campaign_message(delivery)
        wire = Wire().message(delivery, None)
        assert wire.sender == sanitize_address(django_message.from_email, "utf-8")
        # smtplib sends MAIL FROM / RCPT TO with quoteaddr(): the address as Django's backend hands it over
        assert [quoteaddr(wire.recipient)] == [
            quoteaddr(sanitize_address(a, "utf-8")) for a in django_message.recipients()
        ]


def test_a_test_copy_is_written_the_same(settings):
    sending = CampaignFactory(body=BODY)
    copy = DeliveryFactory(campaign=sending, is_test=True, to_email="coord@example.se", to_name="Åsa Koordinator")
    copy = Delivery.objects.select_related("campaign").get(pk=copy.pk)
    django_bytes, wire_bytes = both(copy)
    assert normalised(wire_bytes) == normalised(django_bytes)
    assert dict(parsed(wire_bytes)[1])["Subject"].startswith("[TEST]")


def test_only_djangos_own_smtp_backend_takes_the_wire_path(settings):
    assert supported(get_connection("django.core.mail.backends.smtp.EmailBackend"))
    assert not supported(get_connection("django.core.mail.backends.locmem.EmailBackend"))
    assert not supported(get_connection("anymail.backends.test.EmailBackend"))


def test_a_newsletter_goes_out_over_smtp_through_the_wire(smtp_server, monkeypatch):
    deliveries = recipients()
    written = []
    original = Wire.message

    def spy(self, delivery, connection):
        message = original(self, delivery, connection)
        written.append(delivery.pk)
        assert isinstance(message, WireMessage)
        return message

    monkeypatch.setattr(Wire, "message", spy)
    assert deliveries_send([d.pk for d in deliveries]) == []
    arrived = smtp_server.recorder.wait_for(len(deliveries))
    assert sorted(written) == sorted(d.pk for d in deliveries)
    assert {m["Message-ID"] for m in arrived} == {message_id(d.pk) for d in deliveries}
    assert set(Delivery.objects.filter(pk__in=written).values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_what_the_wire_cannot_write_goes_the_email_message_way(smtp_server, monkeypatch):
    deliveries = recipients()

    def refuse(self, delivery, connection):
        return None  # what the wire cannot write

    monkeypatch.setattr(Wire, "message", refuse)
    assert outbox.deliveries_send([d.pk for d in deliveries]) == []
    assert len(smtp_server.recorder.wait_for(len(deliveries))) == len(deliveries)


# The header writers: the same output as the standard library's, on values made to find the edges --------------

ALPHABETS = [
    "abc xyz",  # ASCII words
    "åäöÅÄÖé ",  # two bytes each in UTF-8
    "€–“” ",  # three bytes
    "🙂🇸🇪 ",  # four bytes
    ' \t=?_"(),.:;<>@[]\\',  # what Q-encoding escapes, and what an address must quote
    "a å€🙂 \t",  # all of them mixed
]


def values(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    made = [
        "",
        " ",
        "a ",
        " a",
        "å",
        "a" * 76,
        "a" * 77,
        "å" * 30,
        "Hej Åsa, nytt från ambassadörsnätverket i Kramfors",
    ]
    for _ in range(count):
        alphabet = rng.choice(ALPHABETS)
        made.append("".join(rng.choice(alphabet) for _ in range(rng.choice([1, 5, 20, 40, 60, 75, 90, 150]))))
    return made


def test_utf8_headers_encode_lines_as_the_standard_library_does():
    from email.charset import Charset

    from campaigns.wire import Utf8Headers

    def lengths(first: int):
        yield first
        while True:
            yield 75

    for value in values(1500, seed=1):
        for first in (1, 8, 20, 76):  # a first line too short for one character gives None, as the library's
            assert Utf8Headers().header_encode_lines(value, lengths(first)) == Charset("utf-8").header_encode_lines(
                value, lengths(first)
            ), (value, first)


def test_folding_is_the_compat32_policys():
    from campaigns.wire import POLICY, fold

    for value in values(1500, seed=2):
        ascii_value = value.encode("ascii", "replace").decode()
        for name in ("Subject", "List-Id", "X-A-Rather-Long-Header-Name-Of-Forty-Chars"):
            assert fold(name, ascii_value) == POLICY.fold_binary(name, ascii_value), (name, ascii_value)


def test_a_link_with_a_token_is_what_reverse_writes():
    from django.urls import reverse

    from campaigns.emails import token_url
    from crm.tokens import token_make

    for value in ([1, "newsletter", None], [10**9, "invitation", 4711], ["å ä ö", "x" * 80], 7):
        token = token_make("unsubscribe", value)
        assert token_url("unsubscribe", token) == f"http://testserver{reverse('unsubscribe', args=[token])}"
        assert token_url("rsvp", token) == f"http://testserver{reverse('rsvp', args=[token])}"


def test_a_long_value_with_nowhere_to_fold_is_folded_as_compat32_folds_it():
    from campaigns.wire import POLICY, fold

    rng = random.Random(4)
    printable = [chr(code) for code in range(0x21, 0x7F)]
    for _ in range(2000):
        value = "".join(rng.choice(printable) for _ in range(rng.choice([40, 59, 60, 61, 62, 120, 400, 1200])))
        for name in ("List-Unsubscribe", "X"):
            assert fold(name, value) == POLICY.fold_binary(name, value), (name, value)
    link = "<https://ambassador.kramfors.se/avregistrera/" + "eJyLVjI0MjHSUcopzUvOz0nVUUpKLkgtSlGqBQBcsQeU:1tq" + "/>"
    assert fold("List-Unsubscribe", link) == f"List-Unsubscribe: \r\n {link}\r\n".encode()


def test_a_name_is_encoded_as_email_header_encodes_it():
    from email.header import Header

    from campaigns.wire import UTF8_HEADERS, encoded_name

    rng = random.Random(5)
    for _ in range(3000):
        alphabet = rng.choice(["åäö", "aåbäcö ", "a", "€🙂x", "ÅsaÖberg-Ängel "])
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 70)))
        assert encoded_name(name) == Header(name, UTF8_HEADERS).encode(), name


def test_a_header_is_what_django_and_the_standard_library_write():
    from django.core.mail.message import forbid_multi_line_headers

    from campaigns.emails import subject_header
    from campaigns.wire import POLICY

    wire = Wire()
    for value in values(800, seed=3):
        value = value.replace("\t", " ")
        for name, written in (("Subject", value), ("To", f'"{value}" <a.b@example.se>'), ("To", f"{value} <c@d.se>")):
            try:
                expected = POLICY.fold_binary(*forbid_multi_line_headers(name, written, "utf-8"))
                if name == "Subject" and not written.isascii():  # emails.Message: encoded knowing its name
                    expected = POLICY.fold_binary(name, subject_header(written, "utf-8"))
            except ValueError:  # what Django refuses, the wire path refuses too
                with pytest.raises(ValueError):
                    wire.header(name, written)
                continue
            assert wire.header(name, written) == expected, (name, written)


def test_a_mailbox_is_what_email_headerregistry_address_writes():
    """emails.mailbox skips parsing a plain address; for every name and address it gives what Address gives."""
    from email.headerregistry import Address

    from campaigns.emails import mailbox
    from network.normalize import clean_text

    rng = random.Random(4)
    addresses = [
        "anna@example.se", "a.b.c@sub.example.se", "o'brien+tag@example.org", "x_y-z@a-b.se", "weird..dots@example.se",
        ".lead@example.se", "trail.@example.se", '"quoted local"@example.se', "zoe@exämple.se", "åsa@example.se",
        "no-domain@", "a@b", "a@-example.se", "a@example.se.", "a@[127.0.0.1]", "tab\t@example.se",
    ]  # fmt: skip
    names = [*values(300, seed=5), "Smith, John", 'Jöns "Jösse"', "A.B.", "Eve\r\nBcc: x@y"]
    for address in addresses:
        for name in rng.sample(names, 60):
            try:
                expected = str(Address(display_name=clean_text(name), addr_spec=address))
            except Exception as error:  # noqa: BLE001 - whatever Address refuses, mailbox refuses the same way
                with pytest.raises(type(error)):
                    mailbox.__wrapped__(name, address)
                continue
            assert mailbox.__wrapped__(name, address) == expected, (name, address)


def test_an_envelope_address_is_what_djangos_smtp_backend_hands_to_smtplib():
    from campaigns.wire import envelope_address

    for address in [
        "anna@example.se", "a.b@sub.example.se", "Anna@EXAMPLE.SE", "o'brien+tag@example.org", "zoe@exämple.se",
        "åsa@example.se", f"a@{'x' * 63}.se", f"a@{'x' * 64}.se", "a@-example.se", "weird..dots@example.se",
        '"quoted local"@example.se', "a@example.se.", "no-domain@",
    ]:  # fmt: skip
        try:
            expected = sanitize_address(("", address), "utf-8")
        except ValueError as error:
            with pytest.raises(type(error)):
                envelope_address(address)
            continue
        assert envelope_address(address) == expected, address
