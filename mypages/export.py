"""A person's data (crm.privacy.person_data) as a page to read: a section per kind of row, each row a list of
labelled values in the visitor's language."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from campaigns.labels import template_label
from network.normalize import display_phone

HIDDEN = {"id"}
# Where a model has no translated names of its own (the webhook events are a technical table).
TITLES = {"campaigns.trackingevent": _lazy("Reports from the email service")}
LABELS = {
    ("campaigns.trackingevent", "esp"): _lazy("email service"),
    ("campaigns.trackingevent", "event_type"): _lazy("event"),
    ("campaigns.trackingevent", "recipient"): _lazy("to"),
    ("campaigns.trackingevent", "description"): _lazy("description"),
    ("campaigns.trackingevent", "occurred_at"): _lazy("time"),
    # "from" and "to" are also an email's sender and recipient ("Mottagare"): here they are stages.
    ("network.stagechange", "from_status"): _lazy("previous stage"),
    ("network.stagechange", "to_status"): _lazy("new stage"),
}
# Values stored as codes, shown as words ("Bekräftelse på anmälan", not "event_confirmation").
VALUES = {("campaigns.delivery", "template"): template_label}


def _display(field: models.Field | None, value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and (moment := parse_datetime(str(value))):
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField) and (day := parse_date(str(value))):
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    if field is not None and field.name == "phone":
        return display_phone(str(value))
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


def sections(data: dict[str, list[dict]]) -> list[dict]:
    """[{"title", "rows": [[(label, value), …], …]}] for the rows of each model, in the order given."""
    result = []
    for label, rows in data.items():
        model = apps.get_model(label)
        shown = []
        for row in rows:
            items = []
            for name, value in row.items():
                if name in HIDDEN:
                    continue
                try:
                    field = model._meta.get_field(name)
                except FieldDoesNotExist:
                    field = None
                title = LABELS.get((label, name)) or (field.verbose_name if field is not None else name)
                title = capfirst(str(title))
                shown_value = VALUES[(label, name)](value) if (label, name) in VALUES else _display(field, value)
                items.append((title, shown_value))
            shown.append(items)
        title = TITLES.get(label) or model._meta.verbose_name_plural
        result.append({"title": capfirst(str(title)), "rows": shown})
    return result


def document(data: dict[str, list[dict]], exported_at: str) -> dict:
    """The download: the same sections, labels and values as the page, in the visitor's language, as JSON
    ({"Exporterad": …, "Dina data": {section: [{label: value}, …]}})."""
    return {
        capfirst(_("exported")): exported_at,
        _("Your data"): {section["title"]: [dict(row) for row in section["rows"]] for section in sections(data)},
    }
