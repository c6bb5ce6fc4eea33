"""An event's attendee list to take away, as CSV for Excel or an Excel workbook: who said yes, who is waiting and
who came (network.selectors.event_attendees). Every export is recorded in the audit log (crm.audit)."""

from __future__ import annotations

from dataclasses import dataclass

import tablib
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.audit import Action as AuditAction
from crm.audit import audit_record

from . import selectors
from .models import Event
from .normalize import escape_formula, format_phone
from .resources import ExcelCSV, ExcelXLSX

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class AttendeeFile:
    name: str  # deltagare-<event id>-<the event's date>.csv
    content_type: str
    content: bytes


def _attendee_table(event: Event) -> tuple[tablib.Dataset, list[int]]:
    """The list as a table, every cell safe from formulas, and the ambassadors on it."""
    headers = [_("First name"), _("Last name"), _("Email"), _("Phone"), _("Locality"), _("Answer"), _("Attended")]
    dataset = tablib.Dataset(headers=headers)
    ids = []
    for registration in selectors.event_attendees(event):
        person = registration.ambassador
        ids.append(person.pk)
        cells = (
            person.first_name,
            person.last_name,
            person.email or "",
            format_phone(person.phone),
            person.locality.name if person.locality_id else "",
            str(registration.get_answer_display()),
            _("Yes") if registration.attended else "",
        )
        dataset.append([escape_formula(value) for value in cells])
    return dataset, ids


def event_attendees_export(*, event: Event, file_format: str, actor=None) -> AttendeeFile:
    """The attendee list as a file, `file_format` "csv" (semicolons and a BOM, as Swedish Excel opens it) or
    "xlsx"; each person on it is recorded in the audit log as exported by `actor`."""
    if file_format not in CONTENT_TYPES:
        raise ValueError(file_format)
    dataset, ids = _attendee_table(event)
    audit_record(action=AuditAction.EXPORT, ambassador_ids=ids, actor=actor)
    if file_format == "csv":
        content = ExcelCSV().export_data(dataset).encode("utf-8")
    else:
        content = ExcelXLSX().export_data(dataset)
    date = timezone.localtime(event.starts_at).date().isoformat()
    return AttendeeFile(f"deltagare-{event.pk}-{date}.{file_format}", CONTENT_TYPES[file_format], content)
