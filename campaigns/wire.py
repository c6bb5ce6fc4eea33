"""Campaign messages straight to the wire over Django's SMTP backend: the bytes `EmailMessage.message()` would make,
written without building a MIME tree per recipient.

Django builds each message as a tree of `email.mime` objects and flattens it (`as_bytes`), folding and encoding
every header and walking every part: most of the time a newsletter takes. Here the frame is made once per process
(the part headers of each transfer encoding, one multipart boundary) and, per recipient, only what differs is made
with Django's and the standard library's own functions, so the result is the same bytes:
- each header: `forbid_multi_line_headers` (RFC 2047 for text outside ASCII, `sanitize_address` for addresses
  outside ASCII, newlines refused) then the compat32 policy's `fold_binary`, as the generator does; two shortcuts
  give the same text faster (Utf8Headers, the standard library's RFC 2047 words in linear time, and `fold`, a short
  ASCII line as it is), and values that repeat (From, Reply-To, List-Id, the subject for a first name, the Date of
  this second) are folded once;
- the envelope: a plain recipient address as it is (`envelope_address`), else Django's `sanitize_address`;
- each text part: its UTF-8 text with every line ending written CRLF, under the part headers of `7bit` (ASCII) or
  `8bit`, as Django's SafeMIMEText and the BytesGenerator do; a part with a line over 998 bytes (which Django sends
  quoted-printable) is made by Django's own SafeMIMEText;
- the boundary: one per process, replaced for a message whose text holds it.

The values themselves (merge fields with their fallbacks, HTML-escaped in the HTML part; the unsubscribe link; the
Message-ID) come from `campaigns.emails.campaign_content`, the same function the EmailMessage path uses.
tests/campaigns/test_wire.py compares both paths, bytes and parsed, for hostile and long names.
"""

from __future__ import annotations

import re
import time
from email import policy as email_policy
from email import quoprimime
from email._header_value_parser import SPECIALS
from email.charset import RFC2047_CHROME_LEN, Charset
from email.generator import BytesGenerator, Generator
from email.header import MAXLINELEN, Header
from email.utils import formatdate
from functools import lru_cache, partial
from io import BytesIO

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    SafeMIMEText,
    forbid_multi_line_headers,
    sanitize_address,
)

from .emails import PLAIN_ADDRESS, CampaignContent, campaign_content, subject_header
from .models import Delivery

POLICY = email_policy.compat32.clone(linesep="\r\n")
FOLD_AT = POLICY.max_line_length
NEWLINES = re.compile(r"\r\n|\r|\n")  # what the generator writes as line breaks (email.generator.NLCRE)
SKIPPED_EXTRA = {"from", "to", "cc", "reply-to"}  # EmailMessage.message() sets these itself


class Utf8Headers(Charset):
    """UTF-8 as the standard library encodes it in headers (Charset("utf-8"): RFC 2047 words, Q or B, whichever
    is shorter for the whole value), but in linear time: `header_encode_lines` re-encodes and re-measures the whole
    line for every character it adds, which makes a subject or a name outside ASCII the costliest part of a
    message. Here each character's encoded length is added as it comes; the lines are the same (UTF-8 encodes
    characters independently, and both encodings' lengths are sums over bytes or groups of bytes)."""

    def __init__(self):
        super().__init__("utf-8")

    def header_encode_lines(self, string, maxlengths):
        codec = self.output_codec
        module = self._get_encoder(string.encode(codec))
        encoder = partial(module.header_encode, charset=codec)
        extra = len(self.get_output_charset()) + RFC2047_CHROME_LEN
        quoted = module is quoprimime
        lines, start, size = [], 0, 0  # the current line is string[start:index]; size: its Q length, or bytes
        maxlen = next(maxlengths) - extra
        for index, character in enumerate(string):
            added = quoprimime.header_length(character.encode(codec)) if quoted else len(character.encode(codec))
            length = size + added if quoted else -(-(size + added) // 3) * 4  # base64: 4 per 3 bytes begun
            if length > maxlen:
                lines.append(None if not lines and index == start else encoder(string[start:index].encode(codec)))
                start, size = index, added
                maxlen = next(maxlengths) - extra
            else:
                size += added
        lines.append(encoder(string[start:].encode(codec)))
        return lines


UTF8_HEADERS = Utf8Headers()


UNBROKEN = re.compile(
    r"[\x21-\x2b\x2d-\x3a\x3c-\x7e]+\Z"
)  # printable ASCII but space, comma, semicolon: nowhere to fold


def fold(name: str, value: str) -> bytes:
    """`POLICY.fold_binary(name, value)`: a short ASCII value without surrounding spaces is written as it is, which
    is what the compat32 folder makes of it (it only splits lines over FOLD_AT and drops a trailing space); a long
    one with nowhere to fold it (a link in List-Unsubscribe) goes whole on a line of its own."""
    if len(name) + 2 + len(value) <= FOLD_AT and value.isascii() and value == value.strip() and "\n" not in value:
        return f"{name}: {value}\r\n".encode("ascii")
    if UNBROKEN.match(value):
        return f"{name}: \r\n {value}\r\n".encode("ascii")
    return POLICY.fold_binary(name, value)


def mailbox_header(value: str) -> str | None:
    """What `forbid_multi_line_headers` makes of a To value outside ASCII that `emails.mailbox` wrote as
    `name <address>` (a plain address, a name without specials, single spaces): the name in RFC 2047 words, the
    address as it is. The same as Django's parse and `sanitize_address`, which cost more than the rest of the
    headers together. None for any other value (the caller takes Django's way)."""
    name, separator, rest = value.rpartition(" <")
    address = rest[:-1]
    if (
        separator
        and rest.endswith(">")
        and name == " ".join(name.split())
        and SPECIALS.isdisjoint(name)
        and is_plain(address)
    ):
        return f"{encoded_name(name)} <{address}>"
    return None


def encoded_name(name: str) -> str:
    """`Header(name, UTF8_HEADERS).encode()`: one RFC 2047 word when it fits on a line (78), as it does for most
    names (the shorter of Q and base64, as the header's encoder chooses); else the Header's own lines."""
    word = UTF8_HEADERS.header_encode(name)
    return word if len(word) <= MAXLINELEN else Header(name, UTF8_HEADERS).encode()


def supported(connection) -> bool:
    """Only Django's own SMTP backend: a subclass may sign or change messages in its _send."""
    return type(connection) is SMTPBackend


@lru_cache(maxsize=4)
def _part_headers(subtype: str, ascii_only: bool) -> bytes:
    """The headers Django writes for a text part that is not quoted-printable: 7bit when ASCII, else 8bit."""
    part = SafeMIMEText("a" if ascii_only else "å", subtype, "utf-8")
    return _flatten(part).split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


def _flatten(message) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False).flatten(message, linesep="\r\n")
    return out.getvalue()


# Headers whose values repeat from message to message, folded once: the subject too, which differs only by the merge
# fields in it (a first name is shared by many).
REPEATED = {"content-type", "subject", "from", "reply-to", "list-id", "list-unsubscribe-post", "precedence", "date"}


def is_plain(address: str) -> bool:
    """An address Django writes as it is (emails.PLAIN_ADDRESS, with domain labels IDNA accepts)."""
    return bool(PLAIN_ADDRESS.match(address)) and max(map(len, address.rpartition("@")[2].split("."))) <= 63


def envelope_address(address: str) -> str:
    """`sanitize_address(("", address))`, as Django's SMTP backend hands a recipient to smtplib: a plain address
    (emails.PLAIN_ADDRESS, with domain labels IDNA accepts) is that already."""
    if is_plain(address):
        return address
    return sanitize_address(("", address), settings.DEFAULT_CHARSET)


def has_long_line(text: str) -> bool:
    """A line over 998 bytes in UTF-8, as SafeMIMEText decides; only lines of over a quarter of that in characters
    are encoded to find out."""
    limit = RFC5322_EMAIL_LINE_LENGTH_LIMIT
    return any(
        len(line.encode(errors="surrogateescape")) > limit for line in text.splitlines() if len(line) * 4 > limit
    )


class Wire:
    """Writes campaign deliveries as SMTP bytes; one per worker batch (it caches folded headers)."""

    def __init__(self):
        self.encoding = settings.DEFAULT_CHARSET
        if self.encoding.lower() != "utf-8":  # the frame below is for UTF-8 (Django's default)
            raise ValueError("DEFAULT_CHARSET must be utf-8 for the wire path")
        self.boundary = Generator._make_boundary()
        self.folded: dict[tuple[str, str], bytes] = {}
        self.senders: dict[str, str] = {}
        self.second, self.formatted = 0, ""

    def header(self, name: str, value: str) -> bytes:
        key = (name, value)
        folded = self.folded.get(key)
        if folded is None:
            if name == "Subject" and not value.isascii():  # as emails.Message writes it: no leading space
                forbid_multi_line_headers(name, value, UTF8_HEADERS)  # refuses a line break, as for any header
                folded = POLICY.fold_binary(name, subject_header(value, UTF8_HEADERS))
            elif name == "To" and not value.isascii() and "\n" not in value and (mailbox := mailbox_header(value)):
                folded = fold(name, mailbox)
            else:
                folded = fold(*forbid_multi_line_headers(name, value, UTF8_HEADERS))
            if name.lower() in REPEATED:
                if len(self.folded) > 1024:
                    self.folded.clear()
                self.folded[key] = folded
        return folded

    def part(self, text: str, subtype: str) -> bytes:
        if has_long_line(text):
            return _flatten(SafeMIMEText(text, subtype, self.encoding))  # quoted-printable, as Django sends it
        return _part_headers(subtype, text.isascii()) + NEWLINES.sub("\r\n", text).encode("utf-8")

    def message_bytes(self, content: CampaignContent) -> bytes:
        """`EmailMultiAlternatives(...).message().as_bytes(linesep="\\r\\n")` for the content, but the boundary."""
        boundary = self.boundary
        if boundary in content.text or boundary in content.html:
            boundary = Generator._make_boundary(content.text + content.html)
        headers = [
            self.header("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
            b"MIME-Version: 1.0\r\n",
            self.header("Subject", content.subject),
            self.header("From", content.from_email),
            self.header("To", content.to),
        ]
        if content.reply_to:
            headers.append(self.header("Reply-To", ", ".join(content.reply_to)))
        names = {name.lower() for name in content.headers}
        if "date" not in names:
            headers.append(self.header("Date", self.date()))
        if "message-id" not in names:
            raise ValueError("a campaign message has its own Message-ID")
        for name, value in content.headers.items():
            if name.lower() not in SKIPPED_EXTRA:
                headers.append(self.header(name, value))
        mark = f"--{boundary}".encode()
        return b"".join(
            [
                *headers,
                b"\r\n",
                mark + b"\r\n",
                self.part(content.text, "plain"),
                b"\r\n" + mark + b"\r\n",
                self.part(content.html, "html"),
                b"\r\n" + mark + b"--\r\n",
            ]
        )

    def date(self) -> str:
        """`formatdate()` as Django's message writes it, made once a second."""
        now = time.time()
        if int(now) != self.second:
            self.second, self.formatted = int(now), formatdate(now, localtime=settings.EMAIL_USE_LOCALTIME)
        return self.formatted

    def envelope_sender(self, from_email: str) -> str:
        sender = self.senders.get(from_email)
        if sender is None:
            sender = self.senders[from_email] = sanitize_address(from_email, self.encoding)
        return sender

    def message(self, delivery: Delivery, connection) -> WireMessage | None:
        """The delivery as bytes; None for what this frame cannot write (the caller builds an EmailMessage)."""
        content = campaign_content(delivery)
        if not content.text:  # Django leaves an empty text part out: a structure this frame does not have
            return None
        return WireMessage(
            connection,
            self.envelope_sender(content.from_email),
            # The envelope needs the address only (smtplib sends RCPT TO:<address>): made from the address alone,
            # it is what Django's sanitize_address of the whole mailbox gives, without parsing the name again.
            envelope_address(delivery.to_email),
            self.message_bytes(content),
        )


class WireMessage:
    """One campaign message as bytes, sent like EmailMessage.send() over the backend's open SMTP session."""

    anymail_status = None

    def __init__(self, connection, sender: str, recipient: str, data: bytes):
        self.connection, self.sender, self.recipient, self.data = connection, sender, recipient, data

    def send(self) -> None:
        self.connection.open()  # a no-op while the session lasts
        # The same call as Django's SMTP backend makes, so the same smtplib errors reach send_errors.error_classify.
        self.connection.connection.sendmail(self.sender, [self.recipient], self.data)
