"""The SMTP fast path (campaigns.wire) writes what the EmailMessage path writes: for hostile names, Unicode, long
names and lines, the same bytes but Date and the boundary, the same parsed headers and the same decoded parts."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from smtplib import quoteaddr

import pytest
import time_machine
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.utils import timezone

from campaigns import outbox
from campaigns.emails import campaign_message, message_id
from campaigns.models import Delivery
from campaigns.outbox import deliveries_send
from campaigns.wire import Wire, WireMessage, supported
from network.models import Locality
from tests.campaigns.newsletter_helpers import campaign, segment, start
from tests.conftest import body_html, body_text
from tests.factories import AmbassadorFactory

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
    town = Locality.objects.create(name='Nyland <&> "Ådalen"')
    for first, last, email in NAMES:
        AmbassadorFactory(first_name=first, last_name=last, email=email, locality=town if first == "Anna" else None)
    sending = campaign(segment(), subject=subject, body=body)
    ids = start(sending)
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
    sending = campaign(segment(), body=BODY)
    copy = Delivery.objects.create(
        template="campaign", campaign=sending, is_test=True, to_email="coord@example.se", to_name="Åsa Koordinator"
    )
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
