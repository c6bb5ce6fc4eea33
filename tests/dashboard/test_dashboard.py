"""The coordinator's dashboard (issue 12): every figure against a count made here from known data, the localities
without ambassadors, a bounded number of queries, the monthly report, Swedish, and permissions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.services.tracking import campaign_counts_recount
from dashboard.figures import dashboard, period_start
from dashboard.report import first_weekday
from network.models import Ambassador, Application, Event, Locality, RecruitmentContact, Registration
from tests.factories import (
    AmbassadorFactory,
    ApplicationFactory,
    CampaignFactory,
    DeliveryFactory,
    EventFactory,
    LocalityFactory,
    RecruitmentContactFactory,
    RegistrationFactory,
    SegmentFactory,
    UnsubscribeFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate(NOW)


def months_ago(months: int, day: int = 1) -> date:
    index = TODAY.year * 12 + TODAY.month - 1 - months
    return date(index // 12, index % 12 + 1, day)


@pytest.fixture
def network():
    """Known data: ambassadors in three localities (a fourth has none), by status, source and month; applications;
    recruitment contacts; an upcoming event and a past training; a sent newsletter."""
    north, south, east = (LocalityFactory(name=name) for name in ("Nordby", "Söderby", "Östby"))
    empty = LocalityFactory(name="Tomby")
    LocalityFactory(name="Dolda", is_public=False)  # hidden and empty: not part of the municipality's map
    people = []
    plan = [
        # (status, source, member_since, locality)
        ("active", "import", TODAY.replace(day=1), north),
        ("active", "signup", TODAY.replace(day=1), north),
        ("active", "recommendation", months_ago(1), south),
        ("active", "import", months_ago(2), south),
        ("paused", "signup", months_ago(3), east),
        ("alumni", "import", months_ago(14), east),
        ("active", "manual", None, None),
        ("active", "import", months_ago(30), east),
    ]
    for status, source, since, locality in plan:
        people.append(AmbassadorFactory(status=status, source=source, member_since=since, locality=locality))
    for index, status in enumerate(["unconfirmed", "confirmed", "confirmed", "approved", "declined"]):
        application = ApplicationFactory(status=status, confirmed_at=None if status == "unconfirmed" else NOW)
        Application.objects.filter(pk=application.pk).update(created_at=NOW - timedelta(days=index))
    RecruitmentContactFactory(follow_up_on=TODAY)  # due
    RecruitmentContactFactory(follow_up_on=TODAY - timedelta(days=3))  # overdue
    RecruitmentContactFactory(follow_up_on=TODAY + timedelta(days=3))  # later
    RecruitmentContactFactory(follow_up_on=TODAY, status="joined")
    meeting = EventFactory(title="Träff", starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=5))
    EventFactory(title="Senare", starts_at=NOW + timedelta(days=9), ends_at=NOW + timedelta(days=9))
    for person, answer in zip(people[:4], ["yes", "yes", "waitlist", "no"], strict=True):
        RegistrationFactory(event=meeting, ambassador=person, answer=answer)
    training = EventFactory(
        title="Värdskap", is_training=True, starts_at=NOW - timedelta(hours=3), ends_at=NOW - timedelta(hours=1)
    )
    for person, attended in zip(people[:3], [True, True, False], strict=True):
        RegistrationFactory(event=training, ambassador=person, attended=attended)
    segment = SegmentFactory(name="Alla")
    old = CampaignFactory(name="Mars", segment=segment, status="sent", finished_at=NOW - timedelta(days=40))
    last = CampaignFactory(name="=Senaste", segment=segment, status="sent", finished_at=NOW - timedelta(days=1))
    for index, person in enumerate(people[:6]):
        DeliveryFactory(
            campaign=last,
            ambassador=person,
            status="sent",
            bounced_at=NOW if index < 2 else None,
            delivered_at=None if index < 2 else NOW,
        )
    DeliveryFactory(campaign=last, to_email="test@x.se", status="sent", is_test=True)
    DeliveryFactory(campaign=old, ambassador=people[0], to_email="a@x.se", status="sent")
    UnsubscribeFactory(ambassador=people[3], category="newsletter", campaign=last)
    # Rows made by factories, not by the send and tracking services that keep the campaigns' counts: counted once
    # (tests/campaigns/test_campaign_counts.py follows the services).
    campaign_counts_recount([old.pk, last.pk])
    return {"people": people, "localities": [north, south, east, empty], "empty": empty, "meeting": meeting}


def count(rows, **conditions) -> int:
    return sum(all(getattr(row, key) == value for key, value in conditions.items()) for row in rows)


def test_each_number_matches_a_count_of_the_known_data(network):
    people = Ambassador.objects.all()
    board = dashboard(period="all")
    value = {number.key: number.value for number in board.numbers}
    month = TODAY.replace(day=1)
    assert value["active"] == count(people, status="active") == 6
    assert value["new_this_month"] == sum(1 for p in people if p.member_since and p.member_since >= month) == 2
    new_year = sum(1 for p in people if p.member_since and p.member_since.year == TODAY.year)
    assert value["new_this_year"] == new_year
    assert value["applications_waiting"] == Application.objects.filter(status="confirmed").count() == 2
    assert value["follow_ups_due"] == 2  # today and overdue, still open
    assert value["next_event"] == 2  # two yes answers to "Träff"
    assert "Träff" in board.number("next_event").detail and "1" in board.number("next_event").detail
    assert board.number("next_event").url.endswith(f"/network/event/{network['meeting'].pk}/change/")
    assert (value["newsletter_sent"], value["newsletter_bounced"], value["newsletter_unsubscribed"]) == (6, 2, 1)
    assert board.number("active").url.endswith("/admin/network/ambassador/?status__exact=active")


def test_each_chart_series_matches_a_count_of_the_known_data(network):
    people = list(Ambassador.objects.all())
    board = dashboard(period="all")

    growth = board.chart("growth").table
    sources = ["import", "signup", "recommendation", "manual"]
    first = min(p.member_since for p in people if p.member_since)
    assert growth.rows[0][0] and len(growth.rows) == (TODAY.year - first.year) * 12 + TODAY.month - first.month + 1
    for row, months in zip(growth.rows, range(len(growth.rows) - 1, -1, -1), strict=True):
        month = months_ago(months)
        in_month = [p for p in people if p.member_since and p.member_since.replace(day=1) == month]
        assert row[1:5] == [count(in_month, source=source) for source in sources], row
        assert row[6] == sum(1 for p in people if p.member_since and p.member_since < months_ago(months - 1))
    assert growth.rows[-1][6] == sum(1 for p in people if p.member_since)

    funnel = {row[0]: row[1] for row in board.chart("funnel").table.rows}
    assert (
        list(funnel.values())
        == [
            RecruitmentContact.objects.count(),
            Application.objects.count(),
            Application.objects.exclude(confirmed_at=None).count(),
            Application.objects.filter(status="approved").count(),
        ]
        == [4, 5, 4, 1]
    )
    assert board.chart("funnel").table.rows[2][2] == "80 %" and board.chart("funnel").table.rows[3][2] == "25 %"

    coverage = {row[0]: row[1] for row in board.chart("coverage").table.rows}
    for locality in network["localities"]:
        assert coverage[locality.name] == count(people, locality_id=locality.pk, status="active")

    trainings = board.chart("trainings").table.rows
    assert [row[1:3] for row in trainings] == [[3, 2]]
    assert "2 av 6" in board.chart("trainings").description or "2 of 6" in board.chart("trainings").description

    newsletters = board.chart("newsletters").table.rows
    assert [row[0] for row in newsletters] == ["Mars", "=Senaste"]
    assert newsletters[1][1:] == [6, 4, 2, 1] and newsletters[0][1:] == [1, 0, 0, 0]


def test_the_period_picker_narrows_the_charts(network):
    year = dashboard(period="year")
    twelve = dashboard(period="12m")
    assert period_start("12m", TODAY) == months_ago(11) and period_start("year", TODAY) == TODAY.replace(month=1, day=1)
    assert len(twelve.chart("growth").table.rows) == 12
    assert len(year.chart("growth").table.rows) == TODAY.month
    assert twelve.chart("growth").table.rows[-1][6] == sum(1 for p in Ambassador.objects.all() if p.member_since)


def test_the_localities_without_ambassadors_are_exactly_those_in_the_data(network):
    chart = dashboard().chart("coverage")
    marked = {row[0] for highlighted, row in chart.table.lines if highlighted}
    active = set(Ambassador.objects.filter(status="active").values_list("locality__name", flat=True))
    public = set(Locality.objects.filter(is_public=True).values_list("name", flat=True))
    # East has only a paused, an alumna and one active: covered. Tomby has none; Dolda is hidden and empty.
    assert marked == public - active
    assert "Tomby" in marked and not {"Nordby", "Söderby", "Östby", "Dolda"} & marked
    assert "Tomby" in chart.description and 'font-weight="bold"' in chart.svg


def _grow(n: int) -> None:
    locality = Locality.objects.get(name="Nordby")
    Ambassador.objects.bulk_create(
        Ambassador(
            first_name="B",
            email=f"bulk{n}-{i}@example.se",
            locality=locality,
            source="signup",
            member_since=months_ago(i % 24),
        )
        for i in range(n)
    )
    Application.objects.bulk_create(
        Application(first_name="B", last_name="C", email=f"app{n}-{i}@example.se", status="confirmed", confirmed_at=NOW)
        for i in range(n // 10)
    )
    people = list(Ambassador.objects.order_by("-pk").values_list("pk", flat=True)[: n // 10])
    meeting = Event.objects.get(title="Träff")
    Registration.objects.bulk_create(
        Registration(event=meeting, ambassador_id=pk, answer="yes", answered_at=NOW) for pk in people
    )
    campaign = Campaign.objects.get(name="=Senaste")
    Delivery.objects.bulk_create(
        Delivery(template="campaign", campaign=campaign, ambassador_id=pk, to_email="x@example.se", status="sent")
        for pk in people
    )


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/?period=all")
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_data(network, admin_client):
    _page_queries(admin_client)  # caches filled once per process (content types, …)
    _grow(100)
    at_100 = _page_queries(admin_client)
    _grow(900)
    assert Ambassador.objects.count() > 1000
    at_1000 = _page_queries(admin_client)
    assert at_100 == at_1000 < 40


def test_the_page_is_in_swedish_with_accessible_charts_and_tables(network, admin_client):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    for swedish in (
        "Aktiva ambassadörer",
        "Nya denna månad",
        "Ansökningar som väntar på beslut",
        "Nätverkets tillväxt",
        "Rekryteringstratten",
        "Täckning",
        "Genomförda utbildningar",
        "Nyhetsbrevens resultat",
        "I år",
        "Senaste 12 månaderna",
        "All tid",
        "Uppgifterna som tabell",
    ):
        assert swedish in html, swedish
    for english in ("Active ambassadors", "Recruitment funnel", "This year", "The data as a table"):
        assert english not in html, english
    assert html.count('role="img"') == 5 and html.count("<table>") >= 5
    assert 'aria-labelledby="chart-coverage-title chart-coverage-desc"' in html
    assert '<title id="chart-growth-title">' in html and '<desc id="chart-growth-desc">' in html
    assert "<script" not in html.split('id="content-main"')[1].split("</section>")[0]
    assert 'href="/admin/network/application/?status__exact=confirmed"' in html
    assert 'id="app-list"' in html or "app-network" in html  # the list of apps stays below


def test_staff_see_only_the_figures_of_models_they_may_view(network, client, django_user_model):
    user = django_user_model.objects.create_user("handlaggare", is_staff=True)
    client.force_login(user)
    html = client.get("/admin/").content.decode()
    assert 'class="dashboard-numbers"' not in html and 'role="img"' not in html and "Nordby" not in html

    user.user_permissions.set(Permission.objects.filter(codename="view_application"))
    user = django_user_model.objects.get(pk=user.pk)
    board = dashboard(user)
    assert [number.key for number in board.numbers] == ["applications_waiting"] and board.charts == []
    html = client.get("/admin/").content.decode()
    assert "Ansökningar som väntar på beslut" in html and "Aktiva ambassadörer" not in html and "Nordby" not in html
    csv = client.get("/admin/dashboard/export.csv").content.decode("utf-8-sig")
    assert "Ansökningar som väntar" in csv and "Nordby" not in csv and "Senaste" not in csv

    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_ambassador", "view_campaign"]))
    board = dashboard(django_user_model.objects.get(pk=user.pk))
    assert {chart.key for chart in board.charts} == {"growth", "coverage", "newsletters"}
    assert board.number("follow_ups_due") is None and board.number("next_event") is None


def test_the_csv_export_is_what_swedish_excel_opens_with_formulas_neutralised(network, admin_client):
    response = admin_client.get("/admin/dashboard/export.csv?period=all")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and '";"' in text.splitlines()[0]
    assert "'=Senaste" in text and '"=Senaste' not in text
    assert admin_client.get("/admin/dashboard/export.csv").status_code == 200


def test_the_export_is_behind_the_admin_login(client):
    response = client.get("/admin/dashboard/export.csv")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def _at(day: date, hour: int = 8) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 0))


@pytest.mark.parametrize(
    ("year", "month", "first"),
    [(2026, 2, 2), (2026, 3, 2), (2026, 6, 1), (2026, 8, 3), (2025, 11, 3), (2026, 1, 1)],
)
def test_the_first_weekday_of_the_month(year, month, first):
    assert first_weekday(year, month) == date(year, month, first)


def test_the_beat_runs_the_report_task_every_day_at_eight():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-report"]
    assert entry["task"] == "dashboard.tasks.monthly_report"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Europe/Stockholm"
