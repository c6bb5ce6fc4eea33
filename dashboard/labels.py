"""Dates and labels as the dashboard's charts and tiles show them: Swedish month abbreviations whatever the
language of the request ("23 nov 2026"), and chart labels that wrap or end in an ellipsis instead of being cut
mid-word, keeping a date in brackets at their end whole."""

from __future__ import annotations

import textwrap
from datetime import date, datetime

from django.utils import timezone

MONTHS = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
ELLIPSIS = "…"


def month_label(day: date) -> str:
    """ "nov 2026"."""
    return f"{MONTHS[day.month - 1]} {day.year}"


def column_labels(months: list[date]) -> list[str]:
    """A chart's months, narrow enough for twelve side by side: "jan", with the year under the first and each
    January ("jan\n2026")."""
    return [
        f"{MONTHS[m.month - 1]}\n{m.year}" if index == 0 or m.month == 1 else MONTHS[m.month - 1]
        for index, m in enumerate(months)
    ]


def day_label(day: date | datetime) -> str:
    """ "23 nov 2026" (a datetime in local time)."""
    if isinstance(day, datetime):
        day = timezone.localtime(day).date()
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def time_label(moment: datetime) -> str:
    """ "14.00", as Swedes write a time."""
    return f"{timezone.localtime(moment):%H.%M}"


def _shorten(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0] if " " in text[: width - 1] else text[: width - 1]
    return cut.rstrip(" ,:;-–") + ELLIPSIS


def label_lines(label: str, width: int, lines: int = 2) -> list[str]:
    """The label in at most `lines` lines of at most `width` characters, broken between words; what does not fit
    ends in an ellipsis. A trailing "(…)" (a date) keeps a line of its own, whole."""
    text, suffix = label, ""
    if label.endswith(")") and " (" in label and len(label) > width:
        text, suffix = label.rsplit(" (", 1)
        suffix = f"({suffix}"
    room = lines - 1 if suffix else lines
    wrapped = textwrap.wrap(text, width, break_long_words=False) or [""]
    if len(wrapped) > room:
        wrapped = [*wrapped[: room - 1], _shorten(" ".join(wrapped[room - 1 :]), width)]
    wrapped = [_shorten(line, width) for line in wrapped]
    return [*wrapped, suffix] if suffix else wrapped
