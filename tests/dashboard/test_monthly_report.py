"""The monthly report email (issue 12; issue 20, part 5: readable on a phone): sent once on the first weekday of
the month; figures as short sentences with the right plural, each chart as a line or two of text, no wide tables
and no SVG attachments (the charts are a link away, on the report page), plain Swedish (LIX ≤ 45), and nothing
SpamAssassin counts against it."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.emails import build_message
from campaigns.models import Delivery
from crm.readability import readability
from dashboard.report import first_weekday, monthly_report_queue
from network.models import Ambassador, Locality
from tests.dashboard.test_dashboard import network  # noqa: F401 (the known data, a fixture)
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    EventFactory,
    LocalityFactory,
    RecruitmentContactFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

FIRST = first_weekday(2026, 3)  # Monday 2 March 2026


def _at(day: date, hour: int = 8) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


NOW = _at(FIRST)


def _report() -> tuple[str, str, bytes, object]:
    """The queued report as the coordinator gets it: the text part, the HTML part, the raw message, the message."""
    message = build_message(monthly_report_queue(now=NOW))
    return message.body, message.alternatives[0][0], message.message().as_bytes(), message


def _month_of_data(count: int) -> None:
    """`count` of each: active ambassadors who joined in February, applications awaiting review, follow-ups due,
    people coming to the next event, trainings held."""
    for _index in range(count):
        person = AmbassadorFactory(member_since=date(2026, 2, 10), locality=None)
        ApplicationFactory(status="confirmed", confirmed_at=NOW - timedelta(days=1))
        RecruitmentContactFactory(follow_up_on=FIRST)
        training = EventFactory(title="Värdskap", is_training=True, starts_at=NOW - timedelta(days=20))
        RegistrationFactory(event=training, ambassador=person, answer="yes", attended=True)
    meeting = EventFactory(title="Träff", starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=5))
    for person in Ambassador.objects.all():
        RegistrationFactory(event=meeting, ambassador=person, answer="yes")


def test_the_monthly_report_goes_once_on_the_first_weekday_and_not_on_other_days(
    network,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    for day in (date(2026, 3, 1), date(2026, 3, 3), date(2026, 2, 27), date(2026, 3, 31)):
        assert monthly_report_queue(now=_at(day)) is None
    assert not Delivery.objects.filter(template="monthly_report").exists()

    delivery = monthly_report_queue(now=NOW)
    assert delivery is not None and delivery.key == "monthly-report:2026-03"
    assert delivery.to_email == settings.COORDINATOR_EMAIL
    assert monthly_report_queue(now=_at(FIRST, 9)) is None  # the beat task running twice
    assert Delivery.objects.filter(template="monthly_report").count() == 1
    assert [chart["title"] for chart in delivery.context["charts"]] == [
        "Tillväxt",
        "Rekrytering",
        "Orter",
        "Utbildning",
        "Nyhetsbrev",
    ]
    assert "Nätverket har 6 aktiva ambassadörer." in delivery.context["figures"]

    assert monthly_report_queue(now=_at(first_weekday(2026, 4))).key == "monthly-report:2026-04"


def test_the_report_has_no_tables_and_no_images_and_links_to_the_charts_on_the_report_page(network):  # noqa: F811
    text, html, raw, message = _report()
    # Only the layout's two tables (the 600 px column); the figures are sentences, the charts a line or two each.
    assert re.findall(r"<table[^>]*>", html) == re.findall(r'<table role="presentation"[^>]*>', html)
    assert len(re.findall(r"<table", html)) == 2 and "<th" not in html and " | " not in text
    assert all(int(width) <= 600 for width in re.findall(r"width:\s*(\d+)px", html))
    assert all(int(width) <= 600 for width in re.findall(r'width="(\d+)"', html))
    assert "nowrap" not in html and "min-width" not in html
    assert "Nätverket har 6 aktiva ambassadörer." in text and "Nätverket har 6 aktiva ambassadörer." in html
    # Nordby, Söderby and Östby of the municipality's localities (the seeded ones, unless a transactional test on this
    # process emptied the table, and the fixture's four)
    localities = Locality.objects.filter(is_public=True).count()
    assert f"3 av {localities} orter har en aktiv ambassadör." in text
    assert "Vi skickade 7 mejl. 2 studsade och 1 avregistrerade sig." in text

    # The charts: a link to the report page, with the period, instead of SVG attachments.
    link = f"{settings.SITE_URL}/admin/dashboard/report/?period=12m"
    assert f"Se diagrammen i rapporten: {link}" in text
    assert f'<a href="{link}" style="color:#00457c;">Se diagrammen i rapporten</a>' in html
    assert "<svg" not in html and "<img" not in html
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    types = [part.get_content_type() for part in sent.walk() if not part.is_multipart()]
    assert types == ["text/plain", "text/html", "text/csv"]  # the figures for the steering group, nothing else
    (part,) = message.attachments
    filename, mimetype, content = part.get_filename(), part.get_content_type(), part.get_payload(decode=True).decode()
    assert (filename, mimetype) == ("ambassadorsnatverket-2026-03.csv", "text/csv")
    assert content.startswith("\ufeff") and '"Aktiva ambassadörer"' in content


def test_the_report_says_one_in_the_singular():
    _month_of_data(1)
    text, html, _raw, _message = _report()
    for line in (
        "Nätverket har 1 aktiv ambassadör.",
        "1 ny ambassadör i februari.",
        "1 ny ambassadör hittills i år.",
        "1 ansökan väntar på beslut.",
        "1 uppföljning ska göras i dag eller är sen.",
        "1 person har anmält sig.",
        "1 ny ambassadör på 12 månader.",
        "1 utbildning hölls i perioden. 1 av 1 anmäld kom.",
        "1 av 1 aktiv ambassadör har gått en utbildning.",
        "1 aktiv ambassadör saknar ort.",
    ):
        assert line in text and line in html, line
    assert "nya ambassadör " not in text and "1 nya" not in text


def test_the_report_says_four_in_the_plural():
    _month_of_data(4)
    text, html, _raw, _message = _report()
    for line in (
        "Nätverket har 4 aktiva ambassadörer.",
        "4 nya ambassadörer i februari.",
        "4 nya ambassadörer hittills i år.",
        "4 ansökningar väntar på beslut.",
        "4 uppföljningar ska göras i dag eller är sena.",
        "4 personer har anmält sig.",
        "4 nya ambassadörer på 12 månader.",
        "4 utbildningar hölls i perioden. 4 av 4 anmälda kom.",
        "4 av 4 aktiva ambassadörer har gått en utbildning.",
        "4 aktiva ambassadörer saknar ort.",
    ):
        assert line in text and line in html, line


def test_a_few_localities_without_an_ambassador_are_named_more_are_on_the_report_page():
    Locality.objects.all().delete()
    AmbassadorFactory(locality=LocalityFactory(name="Nordby"))
    LocalityFactory(name="Tomby")
    text, _html, _raw, _message = _report()
    assert "1 av 2 orter har en aktiv ambassadör. Utan ambassadör: Tomby." in text
    for index in range(5):
        LocalityFactory(name=f"Ort {index}")
    Delivery.objects.filter(template="monthly_report").delete()  # queued once a month: let it be queued again
    text, _html, _raw, _message = _report()
    assert "1 av 7 orter har en aktiv ambassadör. Vilka som saknar ambassadör ser du i rapporten." in text


@pytest.mark.parametrize("amount", ["known data", "empty", "one", "many"])
def test_the_report_reads_plainly(amount, request):
    if amount == "known data":
        request.getfixturevalue("network")
    elif amount != "empty":
        _month_of_data(1 if amount == "one" else 12)
    text, _html, _raw, _message = _report()
    result = readability(text)
    assert result.lix <= 45, (result, text)
    assert result.longest_sentence <= 16, result.longest


def _spamassassin_score(raw: bytes) -> tuple[float, str]:
    report = subprocess.run(
        ["spamassassin", "-L", "-t"], input=raw, capture_output=True, timeout=120, check=True
    ).stdout.decode()
    details = report[report.index("Content analysis details:") :]
    return float(re.search(r"\((-?[\d.]+) points", details).group(1)), details


@pytest.mark.skipif(shutil.which("spamassassin") is None, reason="SpamAssassin is not installed")
def test_spamassassin_finds_nothing_against_the_report(network):  # noqa: F811
    _text, _html, raw, _message = _report()
    score, details = _spamassassin_score(raw)
    assert score <= 0, details
