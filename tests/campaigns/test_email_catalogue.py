"""Every kind of email, for a Swedish and an English reader, read the way its reader gets it (issue 20).

Each example in tests/email_examples.py is queued by the function campaigns.catalogue names, built by build_message
and turned into the bytes an SMTP server receives. `problems` lists what would reach the reader wrong; the test
asserts there is none, and tests below put each problem back once to show it is caught.
"""

from __future__ import annotations

import email
import html
import mailbox
import re
import shutil
import subprocess
import tempfile
from email import policy
from functools import lru_cache
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from django.utils.module_loading import import_string

from campaigns.catalogue import KINDS, STAFF, SWEDISH, kind_of
from campaigns.emails import build_message
from crm.readability import lix
from tests.email_examples import COORDINATOR, EXAMPLES, example, named_coordinator

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"
CASES = [(template, language) for template in sorted(KINDS) for language in ("sv", "en")]
ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
URL = re.compile(r"https?://[^\s\"'<>)]+")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{\{.*?\}\}|\{[a-z_]*\}")


@pytest.fixture(autouse=True)
def _coordinator(settings):
    named_coordinator(settings)


# What the reader should get -----------------------------------------------------------------------------------


def mail_language(delivery, language: str) -> str:
    """The language the whole email is in: the reader's, unless its text exists only in Swedish."""
    kind = kind_of(delivery.template)
    if kind.language == SWEDISH or delivery.template in ("campaign", "event_follow_up"):
        return "sv"
    return language


@lru_cache(maxsize=1)
def chrome() -> tuple[tuple[str, str], ...]:
    """(English, Swedish) pieces of every translated string long enough to tell the languages apart: the text
    around each placeholder."""
    catalog = translation.trans_real.translation("sv")._catalog
    pairs = set()
    for msgid, msgstr in catalog.items():
        if not isinstance(msgid, str) or not isinstance(msgstr, str) or msgid == msgstr:
            continue
        english = [piece.strip() for piece in PLACEHOLDER.split(msgid.split("\x04")[-1])]
        swedish = [piece.strip() for piece in PLACEHOLDER.split(msgstr)]
        pairs.update((e, s) for e, s in zip(english, swedish, strict=False) if len(e) >= 24 and len(s) >= 24 and e != s)
    return tuple(pairs)


def parts(raw: bytes) -> tuple[email.message.EmailMessage, str, str]:
    parsed = email.message_from_bytes(raw, policy=policy.default)
    text = parsed.get_body(("plain",))
    markup = parsed.get_body(("html",))
    return parsed, text.get_content() if text else "", markup.get_content() if markup else ""


def problems(delivery, language: str, raw: bytes) -> list[str]:
    """What is wrong with this email for its reader; empty when nothing is."""
    kind = kind_of(delivery.template)
    parsed, text, markup = parts(raw)
    found = []
    subject = parsed["Subject"]
    if ENTITY.search(subject) or "\n" in subject or subject != subject.strip():
        found.append(f"subject {subject!r}")
    if not text.strip() or not markup.strip():
        found.append("a part is missing")
    expected = mail_language(delivery, language)
    declared = re.search(r'<html lang="([a-z]+)"', markup)
    if not declared or declared.group(1) != expected:
        found.append(f"lang={declared and declared.group(1)}, expected {expected}")
    readable = text + "\n" + html.unescape(re.sub(r"<[^>]+>", " ", markup))
    other = [swedish for english, swedish in chrome() if swedish in readable] if expected == "en" else []
    other += [english for english, swedish in chrome() if english in readable] if expected == "sv" else []
    if other:
        found.append(f"the other language in a {expected} email: {other[:3]}")
    for url in set(URL.findall(text) + URL.findall(html.unescape(markup))):
        if url.startswith(django_settings.SITE_URL) and "/admin/" not in url:
            wanted = language if kind.reader != STAFF else "sv"
            if ("lang=en" in url) != (wanted == "en"):
                found.append(f"link not in the reader's language: {url}")
    if parsed["From"].addresses[0].display_name != django_settings.EMAIL_SENDER_NAME:
        found.append(f"From {parsed['From']}")
    found += reply_problems(kind, parsed)
    if parsed["Date"].endswith("-0000"):
        found.append(f"Date {parsed['Date']}")
    return found


def reply_problems(kind, parsed) -> list[str]:
    to = parsed["To"].addresses[0]
    replies = [(a.display_name, a.addr_spec) for a in parsed["Reply-To"].addresses] if parsed["Reply-To"] else []
    if kind.names_the_coordinator:
        if replies != [(COORDINATOR["name"], COORDINATOR["email"])]:
            return [f"Reply-To {replies}, not the coordinator"]
        return []
    found = [] if to.display_name else [f"To without a name: {parsed['To']}"]
    sender = parsed["From"].addresses[0].addr_spec
    return found + [f"Reply-To {address}" for _name, address in replies if address in (to.addr_spec, sender)]


def raw_of(delivery) -> bytes:
    """The bytes an SMTP server receives for the queued row (read back as the worker reads it)."""
    delivery.refresh_from_db()
    return build_message(delivery).message().as_bytes(linesep="\r\n")


# The catalogue is complete ------------------------------------------------------------------------------------


def test_every_email_template_is_in_the_catalogue_with_an_example_and_its_sending_function():
    directories = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}
    assert directories == set(KINDS)
    assert set(EXAMPLES) == set(KINDS)
    for kind in KINDS.values():
        assert callable(import_string(kind.sent_by)), kind
        assert kind.reader == STAFF or kind.language != SWEDISH, kind  # only staff are written to in Swedish only


@pytest.mark.parametrize(("template", "language"), CASES)
def test_every_email_reads_right_for_its_reader(template, language):
    delivery = example(template, language)
    assert delivery.template == template
    raw = raw_of(delivery)
    assert problems(delivery, language, raw) == []
    parsed, text, _markup = parts(raw)
    if kind_of(template).bulk:
        assert parsed["List-Unsubscribe"] and parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "Auto-Submitted" not in parsed
    else:
        assert parsed["Auto-Submitted"] == "auto-generated" and "List-Unsubscribe" not in parsed


def test_mail_to_members_and_contacts_names_the_coordinator_and_hers_names_her():
    member = parts(raw_of(example("event_confirmation", "en")))[2]
    assert COORDINATOR["name"] in member and "070-190 64 48" in member
    assert '<span style="white-space:nowrap;">070-190 64 48</span>' in member  # never broken inside the number
    report = parts(raw_of(example("monthly_report", "sv")))[0]
    assert report["To"].addresses[0].display_name == COORDINATOR["name"]
    assert report["Reply-To"] is None  # not back to herself
    notice = parts(raw_of(example("recommendation_received", "sv")))[0]
    assert [a.addr_spec for a in notice["Reply-To"].addresses] == ["bo.ek@exempel.se"]  # to who recommended


def test_a_long_subject_outside_ascii_starts_on_its_own_line():
    delivery = example("event_reminder", "sv")
    raw = raw_of(delivery)
    header = re.search(rb"^Subject:(.*?)\r\n(?! )", raw, re.MULTILINE | re.DOTALL).group(1)
    assert header.startswith(b" =?utf-8?") and b"\r\n " in header  # folded, but not before its first word
    assert parts(raw)[0]["Subject"].startswith("Påminnelse")


# Each problem, put back, is caught ----------------------------------------------------------------------------


def test_an_escaped_subject_is_caught():
    delivery = example("event_confirmation", "sv")
    raw = raw_of(delivery).replace(b"Subject:", b"X-Old:", 1)
    broken = b"Subject: Du =?utf-8?q?=C3=A4r?= anmald: Fika &amp; prat\r\n" + raw
    assert any(problem.startswith("subject") for problem in problems(delivery, "sv", broken))


def test_english_chrome_around_a_swedish_campaign_is_caught():
    delivery = example("campaign", "en")
    parsed, _text, markup = parts(raw_of(delivery))
    parsed.get_body(("html",)).set_content(markup.replace('<html lang="sv">', '<html lang="en">'), subtype="html")
    assert any(problem.startswith("lang=en") for problem in problems(delivery, "en", parsed.as_bytes()))
    mixed = markup.replace(
        "Frågor? Svara på det här mejlet eller kontakta:", "Questions? Reply to this email, or contact:"
    )
    parsed.get_body(("html",)).set_content(mixed, subtype="html")
    assert any("the other language in a sv email" in problem for problem in problems(delivery, "en", parsed.as_bytes()))


def test_a_link_without_the_readers_language_and_a_missing_plain_part_are_caught():
    delivery = example("mypages_link", "en")
    raw = raw_of(delivery)
    assert any("link not in" in problem for problem in problems(delivery, "en", raw.replace(b"?lang=en", b"")))
    parsed = parts(raw)[0]
    parsed.get_body(("plain",)).set_content("")
    assert "a part is missing" in problems(delivery, "en", parsed.as_bytes())


def test_another_from_name_a_reply_to_nobody_reads_and_a_utc_date_are_caught():
    delivery = example("application_confirm", "sv")
    raw = raw_of(delivery)
    parsed = parts(raw)[0]
    parsed.replace_header("From", "Ambassadörsnätverket <ambassador@kramfors.se>")
    parsed.replace_header("Reply-To", "Ambassadörssamordnaren <ambassador@kramfors.se>")
    parsed.replace_header("Date", "Mon, 07 Dec 2026 23:03:07 -0000")
    found = problems(delivery, "sv", parsed.as_bytes())
    assert {problem.split(" ")[0] for problem in found} >= {"From", "Reply-To", "Date"}


# Spam filters and plain Swedish --------------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("spamassassin"), reason="SpamAssassin is not installed (CI installs it)")
def test_spamassassin_scores_no_email_above_zero():
    """Every kind in both languages in one run of SpamAssassin with its local rules (no network tests)."""
    messages = {f"{template}/{language}": raw_of(example(template, language)) for template, language in CASES}
    scores = spamassassin_scores(messages)
    assert set(scores) == set(messages)
    assert {name: score for name, score in scores.items() if score > 0} == {}


def spamassassin_scores(messages: dict[str, bytes]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        box = mailbox.mbox(Path(folder) / "in.mbox")
        for name, raw in messages.items():
            message = email.message_from_bytes(raw)
            message["X-Example"] = name
            box.add(mailbox.mboxMessage(message))
        box.close()
        result = subprocess.run(
            ["spamassassin", "--local", "--mbox", str(Path(folder) / "in.mbox")],
            capture_output=True,
            timeout=600,
            check=True,
        )
        (Path(folder) / "out.mbox").write_bytes(result.stdout)
        scored = mailbox.mbox(Path(folder) / "out.mbox")
        return {
            message["X-Example"]: float(re.search(r"score=(-?[\d.]+)", message["X-Spam-Status"]).group(1))
            for message in scored
        }


@pytest.mark.parametrize(("template", "language"), [case for case in CASES if case[1] == "sv"])
def test_every_email_reads_plainly(template, language):
    """LIX at most 45 (crm.readability) for what we write, staff mail included; the coordinator's own text is hers."""
    text = parts(raw_of(example(template, language)))[1]
    assert lix(text.split("\n--")[0]) <= 45, text


@pytest.mark.parametrize(("template", "method"), [("event_confirmation", "REQUEST"), ("event_cancelled", "CANCEL")])
def test_the_calendar_part_says_its_method_as_rfc_6047_asks(template, method):
    parsed = parts(raw_of(example(template, "sv")))[0]
    (calendar,) = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == method
    assert f"METHOD:{method}" in calendar.get_content() and calendar.get_filename() == "event.ics"
