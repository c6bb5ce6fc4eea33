"""The dashboard and the admin on the coordinator's screen (issue 19, her screen): chart labels in Swedish whatever
the language, wrapped or shortened at the end but never cut mid-word and always with their date; the next event's
tile saying what its number counts; plurals; the monthly report as a page to print, for those who may see it; and
the application's decision at the top of its page."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone, translation

from dashboard.figures import dashboard
from dashboard.labels import column_labels, label_lines
from dashboard.report import report_context
from network.models import Application, Registration
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    EventFactory,
    LocalityFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _svg_labels(svg: str) -> list[list[str]]:
    """The lines of each bar's name in a chart: [["Dialog och värdskap", "(23 nov 2026)"], …]."""
    return [
        re.findall(r"<tspan[^>]*>([^<]*)</tspan>", text) for text in re.findall(r"<text[^>]*>(<tspan.*?)</text>", svg)
    ]


# Chart labels ---------------------------------------------------------------------------------------------------


def _training(title: str, day: date) -> None:
    starts = timezone.make_aware(datetime(day.year, day.month, day.day, 18))
    EventFactory(title=title, is_training=True, starts_at=starts, ends_at=starts + timedelta(hours=2))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_training_label_has_a_swedish_date_whole_whatever_the_language(language):
    _training("Dialog och värdskap", date(2025, 11, 23))
    with translation.override(language):
        chart = dashboard(period="all").chart("trainings")
    assert chart.table.rows[0][0] == "Dialog och värdskap (23 nov 2025)"
    assert ["Dialog och värdskap", "(23 nov 2025)"] in _svg_labels(str(chart.svg))


def test_a_long_training_title_ends_in_an_ellipsis_and_keeps_its_date():
    _training("Dialog och värdskap: att ta emot nya människor i bygden", date(2025, 5, 2))
    chart = dashboard(period="all").chart("trainings")
    (first, second) = next(lines for lines in _svg_labels(str(chart.svg)) if lines[-1] == "(2 maj 2025)")
    assert first.endswith("…") and "Dialog och värdskap" in first and len(first) <= 28
    assert "Dialog och värdskap: att ta emot nya människor i bygden (2 maj 2025)" in str(chart.table.rows)


def test_labels_wrap_between_words_and_are_never_cut_mid_word():
    assert label_lines("Rekryteringskontakter", 28) == ["Rekryteringskontakter"]
    assert label_lines("Ett mycket långt nyhetsbrev om allt som hänt i kommunen under hösten", 28) == [
        "Ett mycket långt nyhetsbrev",
        "om allt som hänt i…",
    ]
    words = "Nyhetsbrev december: årets sista med julhälsning från oss".split()
    lines = label_lines(" ".join(words), 20)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(word in words for line in lines for word in line.removesuffix("…").split())


def test_months_are_swedish_abbreviations_with_the_year_under_the_first_and_january():
    months = [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    with translation.override("en"):
        assert column_labels(months) == ["nov\n2025", "dec", "jan\n2026", "feb"]


# The next event's tile ------------------------------------------------------------------------------------------


def test_the_next_event_tile_says_what_its_number_counts(admin_client):
    starts = timezone.make_aware(datetime(TODAY.year + 1, 11, 23, 14, 0))
    event = EventFactory(
        title="Dialog och värdskap", capacity=12, starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    RegistrationFactory.create_batch(7, event=event)
    RegistrationFactory(event=event, answer=Registration.Answer.WAITLIST)
    RegistrationFactory(event=event, answer=Registration.Answer.NO)
    with translation.override("sv"):
        tile = dashboard(period="all").number("next_event")
    assert (tile.value, tile.unit) == (7, "anmälda")
    assert tile.detail == f"Dialog och värdskap, 23 nov {TODAY.year + 1} kl. 14.00: 12 platser, 1 på väntelistan"
    html = admin_client.get("/admin/").content.decode()
    assert '7 <span class="dashboard-unit">anmälda</span>' in html and "12 platser" in html


def test_an_event_without_a_limit_says_so_and_one_registered_is_singular():
    event = EventFactory(title="Öppet hus", capacity=None)
    RegistrationFactory(event=event)
    with translation.override("sv"):
        tile = dashboard(period="all").number("next_event")
    assert (tile.value, tile.unit) == (1, "anmäld")
    assert "inget tak för antalet platser, 0 på väntelistan" in tile.detail


# Plurals --------------------------------------------------------------------------------------------------------


def test_one_new_ambassador_is_singular_and_two_are_plural():
    AmbassadorFactory(member_since=TODAY, locality=None)
    with translation.override("sv"):
        board = dashboard(period="12m")
    assert "1 ny ambassadör på 12 månader" in board.chart("growth").description
    assert "1 aktiv ambassadör saknar ort." in board.chart("coverage").description
    AmbassadorFactory(member_since=TODAY, locality=LocalityFactory())
    with translation.override("sv"):
        board = dashboard(period="12m")
    assert "2 nya ambassadörer på 12 månader" in board.chart("growth").description


# The monthly report as a page -----------------------------------------------------------------------------------


def test_the_report_page_shows_the_figures_of_the_emailed_report_and_prints(coordinator_client):
    AmbassadorFactory(member_since=TODAY, locality=LocalityFactory(name="Nordby"))
    response = coordinator_client.get("/admin/dashboard/report/")
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override("sv"):
        context = report_context(dashboard(None, period="12m"))
    assert f"Månadsrapport, {context['month']}" in html and "Skriv ut rapporten" in html
    assert "@media print" in html and "window.print()" in html
    for number in context["numbers"]:
        assert f'<td class="report-value">{number["value"]}</td>' in html
    for table in context["tables"]:
        assert table["title"] in html
    # The charts the emailed report links to ("Se diagrammen i rapporten"), each with its figures as a table.
    charts = [table for table in context["tables"] if table["svg"]]
    assert charts and html.count('<div class="report-chart"><svg') == len(charts)
    assert '<th scope="row">Nordby</th>' in html
    assert 'href="/admin/dashboard/report/"' in coordinator_client.get("/admin/").content.decode()


def test_the_report_page_is_for_staff_who_may_see_the_ambassadors(client, django_user_model):
    assert client.get("/admin/dashboard/report/")["Location"].startswith("/admin/login/")
    user = django_user_model.objects.create_user("handlaggare", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_application"))
    client.force_login(user)
    assert client.get("/admin/dashboard/report/").status_code == 403
    assert "/admin/dashboard/report/" not in client.get("/admin/").content.decode()
    user.user_permissions.add(Permission.objects.get(codename="view_ambassador"))
    assert client.get("/admin/dashboard/report/?period=<script>").status_code == 200


# The admin's pages ----------------------------------------------------------------------------------------------


def test_the_decision_comes_before_the_application_form_and_the_admin_has_its_stylesheet(coordinator_client):
    application = ApplicationFactory(status=Application.Status.CONFIRMED, confirmed_at=timezone.now())
    html = coordinator_client.get(f"/admin/network/application/{application.pk}/change/").content.decode()
    assert html.index('id="decision"') < html.index('id="application_form"')
    assert "crm/admin.css" in html
