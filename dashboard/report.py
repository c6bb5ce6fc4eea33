"""The monthly report to the coordinator: the dashboard's figures for the last 12 months, as tables (SVG charts
show in few mail programs), with links to the dashboard and its CSV export. Sent on the first weekday of the month
(Monday to Friday; public holidays are not known here) by the beat task that runs every day at 08:00, once per
month whatever happens (the Delivery key `monthly-report:YYYY-MM`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from campaigns.services import email_queue

from .export import figures_csv
from .figures import Dashboard, dashboard

PERIOD = "12m"


def first_weekday(year: int, month: int) -> date:
    day = date(year, month, 1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return day


def report_context(board: Dashboard, *, base_url: str = "") -> dict:
    """The report's figures (the emailed one and the page to print): the numbers, and each chart as a table."""
    return {
        "month": formats.date_format(board.today, "F Y"),
        "period": board.period_label,
        "numbers": [
            {"label": n.label, "value": f"{n.value} {n.unit}".strip(), "detail": n.detail, "url": n.url}
            for n in board.numbers
        ],
        "tables": [
            {
                "title": chart.title,
                "description": chart.description,
                "headers": chart.table.headers,
                "rows": [[str(cell) for cell in row] for row in chart.table.rows],
            }
            for chart in board.charts
        ],
        "dashboard_url": f"{base_url}{reverse('admin:index')}?period={board.period}",
        "export_url": f"{base_url}{reverse('dashboard-export')}?period={board.period}",
    }


def monthly_report_queue(*, now: datetime | None = None):
    """Queue the report if today is the first weekday of the month; None otherwise, or if it is queued already."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if today != first_weekday(today.year, today.month):
        return None
    with translation.override("sv"):
        board = dashboard(None, period=PERIOD, now=now, base_url=settings.SITE_URL)
        context = report_context(board, base_url=settings.SITE_URL)
        # The same figures as a spreadsheet and the charts as images, ready to forward to the steering group.
        context["attachments"] = [
            [f"ambassadorsnatverket-{today:%Y-%m}.csv", figures_csv(board), "text/csv"],
            *([f"{chart.key}.svg", str(chart.svg), "image/svg+xml"] for chart in board.charts if chart.svg),
        ]
    return email_queue(
        template="monthly_report",
        to_email=settings.COORDINATOR_EMAIL,
        key=f"monthly-report:{today:%Y-%m}",
        context=context,
    )
