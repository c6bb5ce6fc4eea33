"""The monthly report to the coordinator, sent on the first weekday of the month (Monday to Friday; public holidays
are not known here) by the beat task that runs every day at 08:00, once per month whatever happens (the Delivery key
`monthly-report:YYYY-MM`).

The email is read on a phone: the figures as short sentences and each chart as a line or two of text, with no
tables and no images (mail filters quarantine SVG attachments). The charts are a link away, on the report page in
the admin; the figures go along as a CSV file for the steering group. No percentages: "3 of 6" says the same and
"6 %" next to a bare To address is a spam sign. The page (dashboard.views.report) shows the same figures as tables
(`report_context`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import ngettext, npgettext, pgettext

from campaigns.services import email_queue
from network.selectors import ambassador_numbers, training_completion

from .export import figures_csv
from .figures import NEWSLETTERS_SHOWN, Chart, Dashboard, Number, dashboard

PERIOD = "12m"
LOCALITIES_NAMED = 5  # more localities without an ambassador than this: the list is on the report page


def first_weekday(year: int, month: int) -> date:
    day = date(year, month, 1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return day


def report_context(board: Dashboard) -> dict:
    """The report's figures as the page shows them: the numbers, and each chart with its figures as a table."""
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
                "svg": chart.svg,
                "headers": chart.table.headers,
                "rows": [[str(cell) for cell in row] for row in chart.table.rows],
            }
            for chart in board.charts
        ],
        "dashboard_url": f"{reverse('admin:index')}?period={board.period}",
        "export_url": f"{reverse('dashboard-export')}?period={board.period}",
    }


def email_context(board: Dashboard, *, now: datetime, base_url: str = "") -> dict:
    """The emailed report: the figures as sentences, each chart as a heading and a line or two, and the link to
    the report page where the charts are. In the active language."""
    since_at = timezone.make_aware(datetime.combine(board.since, time.min)) if board.since else None
    numbers = ambassador_numbers(today=board.today)
    extra = {
        "without_locality": numbers["active_without_locality"],
        **training_completion(since=since_at, now=now, limit=0, active=numbers["active"]),
    }
    return {
        "month": formats.date_format(board.today, "F Y"),
        "period": board.period_label,
        "figures": [line for number in board.numbers if (line := figure_line(number, board))],
        "charts": [
            {"title": CHARTS[chart.key][0](), "text": CHARTS[chart.key][1](chart, extra)}
            for chart in board.charts
            if chart.key in CHARTS
        ],
        "report_url": f"{base_url}{reverse('dashboard-report')}?period={board.period}",
    }


# The figures, one sentence each ----------------------------------------------------------------------------------


def figure_line(number: Number, board: Dashboard) -> str:
    """The number as a short sentence with the right plural ("1 ny ambassadör", "4 nya ambassadörer"); "" for the
    numbers another line already tells."""
    line = FIGURES.get(number.key)
    if line is None:
        return f"{number.label}: {number.value} {number.unit}".strip()
    return line(number, board)


def _active(number: Number, board: Dashboard) -> str:
    count = number.value
    return npgettext(
        "monthly report",
        "The network has %(count)d active ambassador.",
        "The network has %(count)d active ambassadors.",
        count,
    ) % {"count": count}


def _new_last_month(number: Number, board: Dashboard) -> str:
    """Sent in the first days of a month, the report tells the month before: the growth chart's next to last
    month (this month's few days when there is no chart)."""
    growth = board.chart("growth")
    if growth is None or len(growth.table.rows) < 2:
        count = number.value
        return npgettext(
            "monthly report", "%(count)d new ambassador this month.", "%(count)d new ambassadors this month.", count
        ) % {"count": count}
    count = growth.table.rows[-2][-2]
    month = formats.date_format(board.today.replace(day=1) - timedelta(days=1), "F")
    return npgettext(
        "monthly report", "%(count)d new ambassador in %(month)s.", "%(count)d new ambassadors in %(month)s.", count
    ) % {"count": count, "month": month}


def _new_this_year(number: Number, board: Dashboard) -> str:
    count = number.value
    return npgettext(
        "monthly report",
        "%(count)d new ambassador so far this year.",
        "%(count)d new ambassadors so far this year.",
        count,
    ) % {"count": count}


def _applications(number: Number, board: Dashboard) -> str:
    count = number.value
    return npgettext(
        "monthly report",
        "%(count)d application is waiting for a decision.",
        "%(count)d applications are waiting for a decision.",
        count,
    ) % {"count": count}


def _follow_ups(number: Number, board: Dashboard) -> str:
    count = number.value
    return npgettext(
        "monthly report",
        "%(count)d follow-up is due today or overdue.",
        "%(count)d follow-ups are due today or overdue.",
        count,
    ) % {"count": count}


def _next_event(number: Number, board: Dashboard) -> str:
    if not isinstance(number.value, int):
        return pgettext("monthly report", "No event is planned.")
    signed_up = npgettext(
        "monthly report", "%(count)d person has signed up.", "%(count)d people have signed up.", number.value
    ) % {"count": number.value}
    return f"{pgettext('monthly report', 'Next event: %(event)s.') % {'event': number.detail}} {signed_up}"


def _newsletter(number: Number, board: Dashboard) -> str:
    if not isinstance(number.value, int):
        return pgettext("monthly report", "No newsletter has been sent yet.")
    bounced, unsubscribed = (board.number(key) for key in ("newsletter_bounced", "newsletter_unsubscribed"))
    sent = npgettext(
        "monthly report",
        "The last newsletter, “%(name)s”, went to %(count)d recipient.",
        "The last newsletter, “%(name)s”, went to %(count)d recipients.",
        number.value,
    ) % {"count": number.value, "name": number.detail}
    if bounced is None or unsubscribed is None:
        return sent
    return f"{sent} " + pgettext("monthly report", "%(bounced)s bounced and %(unsubscribed)s unsubscribed.") % {
        "bounced": bounced.value,
        "unsubscribed": unsubscribed.value,
    }


FIGURES = {
    "active": _active,
    "new_this_month": _new_last_month,
    "new_this_year": _new_this_year,
    "applications_waiting": _applications,
    "follow_ups_due": _follow_ups,
    "next_event": _next_event,
    "newsletter_sent": _newsletter,
    "newsletter_bounced": lambda number, board: "",  # told with the newsletter sent
    "newsletter_unsubscribed": lambda number, board: "",
}


# The charts, a line or two each -----------------------------------------------------------------------------------


def _growth(chart: Chart, extra: dict) -> str:
    headers, rows = chart.table.headers, chart.table.rows  # month, one column per source, new, total
    new = sum(row[-2] for row in rows)
    text = pgettext("monthly report", "%(new)s in %(months)s.") % {
        "new": npgettext("dashboard", "%(count)d new ambassador", "%(count)d new ambassadors", new) % {"count": new},
        "months": npgettext("dashboard", "%(count)d month", "%(count)d months", len(rows)) % {"count": len(rows)},
    }
    sources = [
        f"{name} {total}"
        for index, name in enumerate(headers[1:-2], start=1)
        if (total := sum(row[index] for row in rows))
    ]
    if sources:
        text += " " + pgettext("monthly report", "By source: %(sources)s.") % {"sources": ", ".join(sources)}
    total = rows[-1][-1] if rows else 0
    return f"{text} " + npgettext(
        "monthly report",
        "%(count)d in all at the end of the period.",
        "%(count)d in all at the end of the period.",
        total,
    ) % {"count": total}


def _funnel(chart: Chart, extra: dict) -> str:
    contacts, applications, confirmed, approved = (row[1] for row in chart.table.rows)
    return pgettext(
        "monthly report", "In the period: %(contacts)s, %(applications)s, %(confirmed)s and %(approved)s."
    ) % {
        "contacts": npgettext("monthly report", "%(count)d contact", "%(count)d contacts", contacts)
        % {"count": contacts},
        "applications": npgettext("monthly report", "%(count)d application", "%(count)d applications", applications)
        % {"count": applications},
        "confirmed": npgettext("monthly report", "%(count)d confirmed", "%(count)d confirmed", confirmed)
        % {"count": confirmed},
        "approved": npgettext("monthly report", "%(count)d approved", "%(count)d approved", approved)
        % {"count": approved},
    }


def _coverage(chart: Chart, extra: dict) -> str:
    rows = chart.table.rows  # locality, active ambassadors
    without = [name for name, count in rows if not count]
    text = npgettext(
        "monthly report",
        "%(covered)d of %(count)d locality has an active ambassador.",
        "%(covered)d of %(count)d localities have an active ambassador.",
        len(rows),
    ) % {"covered": len(rows) - len(without), "count": len(rows)}
    if 0 < len(without) <= LOCALITIES_NAMED:
        text += " " + pgettext("monthly report", "Without one: %(names)s.") % {"names": ", ".join(without)}
    elif without:
        text += " " + pgettext("monthly report", "The report shows which ones.")
    if extra["without_locality"]:
        text += " " + ngettext(
            "%(count)d active ambassador has no locality.",
            "%(count)d active ambassadors have no locality.",
            extra["without_locality"],
        ) % {"count": extra["without_locality"]}
    return text


def _trainings(chart: Chart, extra: dict) -> str:
    rows = chart.table.rows  # training, registered, attended, share
    if rows:
        registered, attended = sum(row[1] for row in rows), sum(row[2] for row in rows)
        held = npgettext(
            "monthly report",
            "%(count)d training was held in the period.",
            "%(count)d trainings were held in the period.",
            len(rows),
        ) % {"count": len(rows)}
        came = npgettext(
            "monthly report",
            "%(attended)d of %(count)d who signed up came.",
            "%(attended)d of %(count)d who signed up came.",
            registered,
        ) % {"attended": attended, "count": registered}
        text = f"{held} {came}"
    else:
        text = pgettext("monthly report", "No training was held in the period.")
    return f"{text} " + npgettext(
        "monthly report",
        "%(trained)d of %(count)d active ambassador has completed a training.",
        "%(trained)d of %(count)d active ambassadors have completed a training.",
        extra["active"],
    ) % {"trained": extra["trained"], "count": extra["active"]}


def _newsletters(chart: Chart, extra: dict) -> str:
    rows = chart.table.rows  # name, sent, delivered, bounced, unsubscribed
    if not rows:
        return pgettext("monthly report", "No newsletter was sent in the period.")
    if len(rows) >= NEWSLETTERS_SHOWN:  # there may have been more
        text = pgettext("monthly report", "The last %(count)d newsletters in the period.") % {"count": len(rows)}
    else:
        text = npgettext(
            "monthly report", "%(count)d newsletter in the period.", "%(count)d newsletters in the period.", len(rows)
        ) % {"count": len(rows)}
    sent = sum(row[1] for row in rows)
    text += " " + npgettext("monthly report", "We sent %(count)d email.", "We sent %(count)d emails.", sent) % {
        "count": sent
    }
    return f"{text} " + pgettext("monthly report", "%(bounced)s bounced and %(unsubscribed)s unsubscribed.") % {
        "bounced": sum(row[3] for row in rows),
        "unsubscribed": sum(row[4] for row in rows),
    }


CHARTS = {
    "growth": (lambda: pgettext("monthly report", "Growth"), _growth),
    "funnel": (lambda: pgettext("monthly report", "Recruitment"), _funnel),
    "coverage": (lambda: pgettext("monthly report", "Localities"), _coverage),
    "trainings": (lambda: pgettext("monthly report", "Training"), _trainings),
    "newsletters": (lambda: pgettext("monthly report", "Newsletters"), _newsletters),
}


def monthly_report_queue(*, now: datetime | None = None):
    """Queue the report if today is the first weekday of the month; None otherwise, or if it is queued already."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if today != first_weekday(today.year, today.month):
        return None
    with translation.override("sv"):
        board = dashboard(None, period=PERIOD, now=now, base_url=settings.SITE_URL)
        context = email_context(board, now=now, base_url=settings.SITE_URL)
        # The figures as a spreadsheet, ready to forward to the steering group. No charts: see the module's doc.
        context["attachments"] = [[f"ambassadorsnatverket-{today:%Y-%m}.csv", figures_csv(board), "text/csv"]]
    return email_queue(
        template="monthly_report",
        to_email=settings.COORDINATOR_EMAIL,
        key=f"monthly-report:{today:%Y-%m}",
        context=context,
    )
