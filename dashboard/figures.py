"""The dashboard's figures, for one member of staff (only what their view permissions let them see) or, for the
monthly report, for the coordinator (everything). A fixed number of queries whatever the size of the data: every
count is made by the database through the selectors of `network` and `campaigns`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, npgettext, pgettext

from campaigns.selectors import newsletter_results
from network.models import Ambassador
from network.selectors import (
    ambassador_numbers,
    ambassadors_by_locality,
    ambassadors_joined_before,
    ambassadors_joined_by_month,
    applications_awaiting_review,
    next_event,
    recruitment_contacts_follow_up_due,
    recruitment_funnel,
    training_completion,
)

from . import charts
from .labels import column_labels, day_label, month_label, time_label

PERIODS = {
    "year": gettext_lazy("This year"),
    "12m": gettext_lazy("Last 12 months"),
    "all": gettext_lazy("All time"),
}
DEFAULT_PERIOD = "year"
SOURCES = [
    (Ambassador.Source.IMPORT, "#00457c"),
    (Ambassador.Source.SIGNUP, "#2e7d32"),
    (Ambassador.Source.RECOMMENDATION, "#a64d00"),
    (Ambassador.Source.MANUAL, "#5c5c5c"),
]
BLUE, GREEN, ORANGE, RED = "#00457c", "#2e7d32", "#a64d00", "#b00020"
NEWSLETTERS_SHOWN = 6
TRAININGS_SHOWN = 12


@dataclass
class Number:
    key: str
    label: str
    value: object
    url: str = ""
    detail: str = ""
    unit: str = ""  # what the value counts, shown after it: "7 anmälda"


@dataclass
class Table:
    headers: list[str]
    rows: list[list]
    highlight: list[bool] = field(default_factory=list)

    @property
    def lines(self) -> list[tuple[bool, list]]:
        """(highlighted, cells) for each row."""
        return [(bool(self.highlight and self.highlight[index]), row) for index, row in enumerate(self.rows)]


@dataclass
class Chart:
    key: str
    title: str
    description: str
    table: Table
    svg: SafeString | None = None


@dataclass
class Dashboard:
    period: str
    period_label: str
    since: date | None
    today: date
    numbers: list[Number]
    charts: list[Chart]

    def number(self, key: str) -> Number | None:
        return next((number for number in self.numbers if number.key == key), None)

    def chart(self, key: str) -> Chart | None:
        return next((chart for chart in self.charts if chart.key == key), None)


def period_start(period: str, today: date) -> date | None:
    """The first day the period counts: 1 January, the first day of the month eleven months back (twelve months
    with this one), or None for all time."""
    if period == "12m":
        month = today.year * 12 + today.month - 1 - 11
        return date(month // 12, month % 12 + 1, 1)
    if period == "all":
        return None
    return today.replace(month=1, day=1)


def _admin(name: str, *args, query: str = "", base_url: str = "") -> str:
    return f"{base_url}{reverse(f'admin:{name}', args=args)}{'?' + query if query else ''}"


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _percent(part: int, whole: int) -> str:
    return f"{round(part * 100 / whole)} %" if whole else "–"


def dashboard(user=None, *, period: str = DEFAULT_PERIOD, now: datetime | None = None, base_url: str = "") -> Dashboard:
    """The figures `user` may see (None: all of them) for the period ("year", "12m" or "all")."""
    period = period if period in PERIODS else DEFAULT_PERIOD
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = period_start(period, today)
    since_at = timezone.make_aware(datetime.combine(since, time.min)) if since else None

    def may(model: str) -> bool:
        return user is None or user.has_perm(f"network.view_{model}" if "." not in model else model)

    link = {"base_url": base_url}
    counts = ambassador_numbers(today=today) if may("ambassador") else None
    newsletters = newsletter_results(limit=NEWSLETTERS_SHOWN) if may("campaigns.view_campaign") else None
    numbers: list[Number] = []
    if counts is not None:
        numbers += _ambassador_numbers(counts, today, link)
    if may("application"):
        numbers.append(
            Number(
                "applications_waiting",
                _("Applications awaiting review"),
                applications_awaiting_review(),
                _admin("network_application_changelist", query="status__exact=confirmed", **link),
            )
        )
    if may("recruitmentcontact"):
        numbers.append(
            Number(
                "follow_ups_due",
                _("Follow-ups due today or overdue"),
                recruitment_contacts_follow_up_due(today).count(),
                _admin("network_recruitmentcontact_changelist", query="due=yes", **link),
            )
        )
    if may("event"):
        numbers.append(_next_event_number(now, link))
    if newsletters is not None:
        numbers += _newsletter_numbers(newsletters, link)

    charts = []
    if counts is not None:
        charts.append(_growth(since, today, counts))
    if may("recruitmentcontact") and may("application"):
        charts.append(_funnel(since_at, now))
    if counts is not None:
        charts.append(_coverage(counts))
    if may("event"):
        charts.append(_trainings(since_at, now, counts["active"] if counts is not None else None))
    if newsletters is not None:
        charts.append(
            _newsletters(
                [n for n in newsletters if since_at is None or (n["finished_at"] and n["finished_at"] >= since_at)]
            )
        )
    return Dashboard(period, str(PERIODS[period]), since, today, numbers, charts)


def _ambassador_numbers(counts: dict, today: date, link: dict) -> list[Number]:
    month, year = today.replace(day=1), today.replace(month=1, day=1)
    until = _month_after(today).isoformat()
    return [
        Number(
            "active",
            _("Active ambassadors"),
            counts["active"],
            _admin("network_ambassador_changelist", query="status__exact=active", **link),
        ),
        Number(
            "new_this_month",
            _("New this month"),
            counts["new_this_month"],
            _admin(
                "network_ambassador_changelist",
                query=f"member_since__gte={month.isoformat()}&member_since__lt={until}",
                **link,
            ),
        ),
        Number(
            "new_this_year",
            _("New this year"),
            counts["new_this_year"],
            _admin(
                "network_ambassador_changelist",
                query=f"member_since__gte={year.isoformat()}&member_since__lt={until}",
                **link,
            ),
        ),
    ]


def _next_event_number(now: datetime, link: dict) -> Number:
    event = next_event(now=now)
    if event is None:
        return Number("next_event", _("Next event"), _("none planned"), _admin("network_event_changelist", **link))
    places = (
        npgettext("dashboard", "%(count)d place", "%(count)d places", event.capacity) % {"count": event.capacity}
        if event.capacity
        else pgettext("dashboard", "no limit on places")
    )
    waiting = npgettext(
        "dashboard", "%(count)d on the waiting list", "%(count)d on the waiting list", event.waitlist
    ) % {"count": event.waitlist}
    return Number(
        "next_event",
        _("Next event"),
        event.yes,
        _admin("network_event_change", event.pk, **link),
        _("%(title)s, %(date)s at %(time)s: %(places)s, %(waiting)s")
        % {
            "title": event.title,
            "date": day_label(event.starts_at),
            "time": time_label(event.starts_at),
            "places": places,
            "waiting": waiting,
        },
        unit=npgettext("dashboard", "registered", "registered", event.yes),
    )


def _newsletter_numbers(newsletters: list[dict], link: dict) -> list[Number]:
    last = newsletters[0] if newsletters else None
    url = _admin("campaigns_campaign_change", last["pk"], **link) if last else ""
    return [
        Number(
            "newsletter_sent",
            _("Last newsletter: sent"),
            last["sent"] if last else "–",
            url,
            last["name"] if last else _("no newsletter sent yet"),
        ),
        Number("newsletter_bounced", _("Last newsletter: bounced"), last["bounced"] if last else "–", url),
        Number(
            "newsletter_unsubscribed",
            _("Last newsletter: unsubscribed"),
            last["unsubscribed"] if last else "–",
            url,
        ),
    ]


def _growth(since: date | None, today: date, counts: dict) -> Chart:
    rows = ambassadors_joined_by_month(since=since, until=today)
    first = since or (rows[0]["month"] if rows else today.replace(day=1))
    months = []
    month = first.replace(day=1)
    while month <= today:
        months.append(month)
        month = _month_after(month)
    by_month = {(row["month"], row["source"]): row["count"] for row in rows}
    series = [
        (str(Ambassador.Source(source).label), [by_month.get((m, source), 0) for m in months], colour)
        for source, colour in SOURCES
    ]
    total = ambassadors_joined_before(since, known=counts["total"] - counts["since_unknown"]) if since else 0
    table_rows = []
    for index, m in enumerate(months):
        new = sum(values[index] for _name, values, _colour in series)
        total += new
        table_rows.append([month_label(m), *(values[index] for _name, values, _colour in series), new, total])
    title = _("Growth of the network: new ambassadors per month, by source")
    new = sum(row[-2] for row in table_rows)
    description = _(
        "%(new)s in %(months)s; %(total)d in all by the end of the period. Counted by the month they became "
        "ambassadors (%(unknown)d without a date are not in the chart)."
    ) % {
        "new": npgettext("dashboard", "%(count)d new ambassador", "%(count)d new ambassadors", new) % {"count": new},
        "months": npgettext("dashboard", "%(count)d month", "%(count)d months", len(months)) % {"count": len(months)},
        "total": total,
        "unknown": counts["since_unknown"],
    }
    table = Table([_("Month"), *(name for name, _v, _c in series), _("New"), _("Total")], table_rows)
    return Chart(
        "growth",
        title,
        description,
        table,
        charts.columns("chart-growth", title, description, column_labels(months), series),
    )


def _funnel(since_at: datetime | None, now: datetime) -> Chart:
    counts = recruitment_funnel(since=since_at, until=now)
    stages = [
        ("contacts", _("Recruitment contacts")),
        ("applications", _("Applications")),
        ("confirmed", _("Confirmed by email")),
        ("approved", _("Approved")),
    ]
    values = [counts[key] for key, _label in stages]
    rates = [""] + [_percent(values[i], values[i - 1]) for i in range(1, len(values))]
    title = _("Recruitment funnel: from contact to ambassador")
    description = "; ".join(
        f"{label}: {value}" + (f" ({_('conversion')} {rate})" if rate else "")
        for (_key, label), value, rate in zip(stages, values, rates, strict=True)
    )
    table = Table(
        [_("Stage"), _("Number"), _("Conversion from the stage before")],
        [[label, value, rate or "–"] for (_key, label), value, rate in zip(stages, values, rates, strict=True)],
    )
    svg = charts.bars(
        "chart-funnel",
        title,
        description,
        [label for _key, label in stages],
        [(_("Number"), values, BLUE)],
        notes=rates,
    )
    return Chart("funnel", title, description, table, svg)


def _coverage(counts: dict) -> Chart:
    localities = ambassadors_by_locality(counts["by_locality"])
    empty = [row["ambassadors"] == 0 for row in localities]
    names = [row["name"] for row in localities]
    without = [name for name, none in zip(names, empty, strict=True) if none]
    title = _("Coverage: active ambassadors per locality")
    description = (
        _("%(covered)d of %(all)d localities have an active ambassador. Without any: %(names)s.")
        % {"covered": len(names) - len(without), "all": len(names), "names": ", ".join(without) or "–"}
        + " "
        + ngettext(
            "%(count)d active ambassador has no locality.",
            "%(count)d active ambassadors have no locality.",
            counts["active_without_locality"],
        )
        % {"count": counts["active_without_locality"]}
    )
    table = Table(
        [_("Locality"), _("Active ambassadors")],
        [[name, row["ambassadors"]] for name, row in zip(names, localities, strict=True)],
        empty,
    )
    svg = charts.bars(
        "chart-coverage",
        title,
        description,
        names,
        [(_("Active ambassadors"), [row["ambassadors"] for row in localities], BLUE)],
        highlight=empty,
    )
    return Chart("coverage", title, description, table, svg)


def _trainings(since_at: datetime | None, now: datetime, active: int | None) -> Chart:
    data = training_completion(since=since_at, now=now, limit=TRAININGS_SHOWN, active=active)
    trainings = data["trainings"]
    labels = [f"{row['title']} ({day_label(row['starts_at'])})" for row in trainings]
    title = _("Training completion")
    description = ngettext(
        "%(trained)d of %(active)d active ambassador has completed a training (%(percent)s).",
        "%(trained)d of %(active)d active ambassadors have completed a training (%(percent)s).",
        data["active"],
    ) % {
        "trained": data["trained"],
        "active": data["active"],
        "percent": _percent(data["trained"], data["active"]),
    }
    table = Table(
        [_("Training"), _("Registered"), _("Attended"), _("Share attended")],
        [
            [label, row["registered"], row["attended"], _percent(row["attended"], row["registered"])]
            for label, row in zip(labels, trainings, strict=True)
        ],
    )
    svg = charts.bars(
        "chart-trainings",
        title,
        description,
        labels,
        [
            (_("Registered"), [row["registered"] for row in trainings], BLUE),
            (_("Attended"), [row["attended"] for row in trainings], GREEN),
        ],
    )
    return Chart("trainings", title, description, table, svg)


def _newsletters(newsletters: list[dict]) -> Chart:
    newsletters = newsletters[::-1]  # oldest first
    labels = [row["name"] for row in newsletters]
    title = _("Newsletter results, the last newsletters sent")
    description = "; ".join(
        _("%(name)s: %(sent)d sent, %(bounced)d bounced, %(unsubscribed)d unsubscribed") % row for row in newsletters
    ) or _("No newsletter sent in the period.")
    table = Table(
        [_("Newsletter"), _("Sent"), _("Delivered"), _("Bounced"), _("Unsubscribed")],
        [[row["name"], row["sent"], row["delivered"], row["bounced"], row["unsubscribed"]] for row in newsletters],
    )
    svg = charts.bars(
        "chart-newsletters",
        title,
        description,
        labels,
        [
            (_("Sent"), [row["sent"] for row in newsletters], BLUE),
            (_("Bounced"), [row["bounced"] for row in newsletters], RED),
            (_("Unsubscribed"), [row["unsubscribed"] for row in newsletters], ORANGE),
        ],
    )
    return Chart("newsletters", title, description, table, svg)
