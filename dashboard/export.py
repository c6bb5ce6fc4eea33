"""The dashboard's figures as rows of a table: for the CSV export and the monthly report."""

from __future__ import annotations

import tablib
from django.utils.translation import gettext as _

from network.normalize import escape_formula
from network.resources import ExcelCSV

from .figures import Dashboard


def figure_rows(board: Dashboard) -> list[list]:
    """[section, what, column, value]: each number, then each cell of each chart's table."""
    rows = [[_("Numbers"), number.label, number.detail, number.value] for number in board.numbers]
    for chart in board.charts:
        for line in chart.table.rows:
            for header, cell in zip(chart.table.headers[1:], line[1:], strict=True):
                rows.append([chart.title, line[0], header, cell])
    return rows


def figures_csv(board: Dashboard) -> str:
    """Semicolon separated, UTF-8 with a BOM, every field quoted and formula-escaped (as the ambassador export)."""
    dataset = tablib.Dataset(headers=[_("Section"), _("Figure"), _("Column"), _("Value")])
    for row in [[_("Period"), board.period_label, "", board.today.isoformat()], *figure_rows(board)]:
        dataset.append([escape_formula(str(cell)) for cell in row])
    return ExcelCSV().export_data(dataset)
