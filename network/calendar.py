"""An event in words and as a calendar file: the time and place as the emails write them, and the .ics (RFC 5545)
sent as an iTIP message (RFC 5546): a REQUEST that puts the event in the reader's calendar (and, with a higher
SEQUENCE, moves it when the time or place changes), or a CANCEL that takes it out again. Every message for one
event carries the same UID, so a calendar updates the entry it has instead of adding a second."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from urllib.parse import urlparse

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from .models import Ambassador, Event

REQUEST, CANCEL = "REQUEST", "CANCEL"


# Words -------------------------------------------------------------------------------------------------------


def event_when(event: Event, language: str | None = None) -> str:
    """The time as words, "tisdag 3 mars 2026 kl. 18:00–20:00" (Swedish time), in the language given or the active one."""
    with translation.override(language or translation.get_language() or "sv"):
        start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
        date = formats.date_format(start, "l j F Y")
        if start.date() == end.date():
            return gettext("%(date)s at %(start)s–%(end)s") % {
                "date": date,
                "start": formats.time_format(start, "H:i"),
                "end": formats.time_format(end, "H:i"),
            }
        return gettext("%(date)s at %(start)s – %(end_date)s at %(end)s") % {
            "date": date,
            "start": formats.time_format(start, "H:i"),
            "end_date": formats.date_format(end, "l j F Y"),
            "end": formats.time_format(end, "H:i"),
        }


def event_where(event: Event) -> str:
    return ", ".join(part for part in (event.place.strip(), event.address.strip()) if part)


# The calendar file -------------------------------------------------------------------------------------------


def _ics_text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 §3.3.11 asks: backslash, semicolon, comma and line breaks."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _ics_param(value: str) -> str:
    """A parameter value (CN=…) as RFC 5545 §3.2 allows: in double quotes, which it may not contain (nor control
    characters), so those go; RFC 6868 escapes exist but few calendars read them."""
    value = "".join(char for char in value if char >= " " and char not in '"\x7f')
    return f'"{value.strip()}"'


def _ics_fold(line: str) -> str:
    """Lines of at most 75 octets, continued after CRLF and a space (RFC 5545 §3.1), never inside a character."""
    out, current, size = [], "", 0
    for char in line:
        length = len(char.encode())
        if size + length > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += length
    out.append(current)
    return "\r\n".join(out)


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def organizer() -> tuple[str, str]:
    """(name, address) of the coordinator who organises events: COORDINATOR_NAME and COORDINATOR_EMAIL, each falling
    back to the From address (DEFAULT_FROM_EMAIL, '"Name" <address>') when empty."""
    from_name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return settings.COORDINATOR_NAME or from_name, settings.COORDINATOR_EMAIL or from_address


def event_ics(
    event: Event,
    *,
    now: datetime | None = None,
    method: str = REQUEST,
    attendee: Ambassador | None = None,
    partstat: str = "ACCEPTED",
    sequence: int | None = None,
) -> str:
    """The event as an iCalendar file: times in UTC, the same UID every time. A REQUEST is CONFIRMED at the event's
    calendar_sequence; a CANCEL is CANCELLED, at the sequence given (at least the last one sent, RFC 5546 §2.1.4).
    The attendee, when given, is the reader, with their answer as PARTSTAT."""
    domain = urlparse(settings.SITE_URL).hostname or "localhost"
    name, address = organizer()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kramfors kommun//Ambassadornatverket//SV",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:event-{event.pk}@{domain}",
        f"SEQUENCE:{event.calendar_sequence if sequence is None else sequence}",
        f"DTSTAMP:{_ics_time(now or timezone.now())}",
        f"DTSTART:{_ics_time(event.starts_at)}",
        f"DTEND:{_ics_time(event.ends_at)}",
        f"SUMMARY:{_ics_text(event.title)}",
        f"STATUS:{'CANCELLED' if method == CANCEL else 'CONFIRMED'}",
        f"ORGANIZER;CN={_ics_param(name)}:mailto:{address}",
    ]
    if attendee is not None and attendee.email:
        lines.append(
            f"ATTENDEE;CN={_ics_param(attendee.full_name)};PARTSTAT={partstat};ROLE=REQ-PARTICIPANT"
            f":mailto:{attendee.email}"
        )
    if where := event_where(event):
        lines.append(f"LOCATION:{_ics_text(where)}")
    if event.description.strip():
        lines.append(f"DESCRIPTION:{_ics_text(event.description.strip())}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(_ics_fold(line) + "\r\n" for line in lines)


def calendar_file(
    event: Event, now: datetime, attendee: Ambassador | None = None, *, method: str = REQUEST, **ics
) -> list[str]:
    """The event as an attachment for the outbox: [filename, content, MIME type], the iTIP method as a parameter of
    the type ("text/calendar; method=REQUEST") as RFC 6047 asks, so mail programs offer it as an invitation."""
    content = event_ics(event, now=now, method=method, attendee=attendee, **ics)
    return ["event.ics", content, f"text/calendar; method={method}"]
