"""Charts as SVG drawn on the server: no script, nothing fetched from anyone. Each is an image to assistive
technology (role="img") named by its <title> and described by its <desc>; the page shows its data as a table too.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .labels import label_lines

WIDTH = 720
LABEL_WIDTH = 200  # the names of horizontal bars
LABEL_CHARS = 28  # what fits in LABEL_WIDTH at 12 pixels; a longer name wraps onto a second line
LINE = 14
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
TEXT = "#1a1a1a"
HIGHLIGHT = "#b00020"


def _join(parts: list[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _frame(chart_id: str, title: str, description: str, height: int, body: SafeString, legend) -> SafeString:
    legend_items = format_html_join(
        "",
        '<rect x="{}" y="6" width="12" height="12" fill="{}"/><text x="{}" y="16" fill="' + TEXT + '">{}</text>',
        ((8 + index * 150, color, 24 + index * 150, name) for index, (name, _values, color) in enumerate(legend)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" ' + FONT + ">"
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{legend}{body}</svg>',
        id=chart_id,
        width=WIDTH,
        height=height,
        title=title,
        desc=description,
        legend=legend_items if len(legend) > 1 else "",
        body=body,
    )


def columns(chart_id: str, title: str, description: str, labels: list[str], series: list[tuple]) -> SafeString:
    """Stacked columns, one per label (a month), one colour per series: [(name, values, colour)]. A label may
    have two lines ("jan\n2026")."""
    top, plot_height, left = 34, 200, 40
    totals = [sum(values[index] for _name, values, _colour in series) for index in range(len(labels))]
    peak = max(totals, default=0) or 1
    step = (WIDTH - left - 10) / max(len(labels), 1)
    width = max(step * 0.7, 1)
    parts = [
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888"/>',
            left,
            top + plot_height,
            WIDTH - 10,
            top + plot_height,
        ),
        format_html('<text x="{}" y="{}" text-anchor="end" fill="' + TEXT + '">{}</text>', left - 4, top + 10, peak),
        format_html('<text x="{}" y="{}" text-anchor="end" fill="' + TEXT + '">0</text>', left - 4, top + plot_height),
    ]
    label_every = max(1, len(labels) // 12)
    for index, label in enumerate(labels):
        x = left + index * step + (step - width) / 2
        y = top + plot_height
        for name, values, colour in series:
            if values[index]:
                height = values[index] / peak * plot_height
                y -= height
                parts.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                        round(x, 1),
                        round(y, 1),
                        round(width, 1),
                        round(height, 1),
                        colour,
                        name,
                        values[index],
                    )
                )
        if totals[index]:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="' + TEXT + '">{}</text>',
                    round(x + width / 2, 1),
                    round(y - 3, 1),
                    totals[index],
                )
            )
        if index % label_every == 0:
            spans = format_html_join(
                "",
                '<tspan x="{}" y="{}">{}</tspan>',
                (
                    (round(x + width / 2, 1), top + plot_height + 16 + i * LINE, line)
                    for i, line in enumerate(label.split("\n"))
                ),
            )
            parts.append(format_html('<text text-anchor="middle" fill="' + TEXT + '">{}</text>', spans))
    return _frame(chart_id, title, description, top + plot_height + 24 + LINE, _join(parts), series)


def _label(x: int, y: float, lines: list[str], fill: str, bold: bool) -> SafeString:
    """A bar's name, right-aligned, one <tspan> per line, centred on `y`."""
    first = y - (len(lines) - 1) * LINE / 2
    spans = format_html_join(
        "", '<tspan x="{}" y="{}">{}</tspan>', ((x, round(first + i * LINE, 1), line) for i, line in enumerate(lines))
    )
    weight = mark_safe(' font-weight="bold"') if bold else ""
    return format_html('<text text-anchor="end" fill="{}"{}>{}</text>', fill, weight, spans)


def bars(
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[tuple],
    *,
    notes: list[str] | None = None,
    highlight: list[bool] | None = None,
) -> SafeString:
    """Horizontal bars, one group per label, one bar per series: [(name, values, colour)]. A highlighted row's
    name is drawn in red and bold and marked "none"; `notes` are written after a row's bars (a conversion rate)."""
    top = 30 if len(series) > 1 else 8
    bar, gap = 14, 10
    names = [label_lines(label, LABEL_CHARS) for label in labels]
    group = max(bar * len(series), LINE * max((len(lines) for lines in names), default=1)) + gap
    peak = max((value for _name, values, _colour in series for value in values), default=0) or 1
    plot = WIDTH - LABEL_WIDTH - 90
    parts = []
    for index, lines in enumerate(names):
        y = top + index * group
        marked = bool(highlight and highlight[index])
        parts.append(
            _label(LABEL_WIDTH - 6, y + bar * len(series) / 2 + 4, lines, HIGHLIGHT if marked else TEXT, marked)
        )
        for position, (name, values, colour) in enumerate(series):
            value = values[index]
            length = value / peak * plot
            row_y = y + position * bar
            after = format_html("{}", value)
            if marked and not value:
                after = format_html("0 – {}", _("none"))
            if notes and position == len(series) - 1 and notes[index]:
                after = format_html("{} ({})", after, notes[index])
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                    '<text x="{}" y="{}" fill="{}">{}</text>',
                    LABEL_WIDTH,
                    row_y,
                    round(length, 1),
                    bar - 2,
                    colour,
                    name,
                    value,
                    round(LABEL_WIDTH + length + 4, 1),
                    row_y + bar - 4,
                    HIGHLIGHT if marked else TEXT,
                    after,
                )
            )
    height = top + len(labels) * group + 4
    return _frame(chart_id, title, description, height, _join(parts), series)
