"""The django-import-export resource for ambassadors: the columns of the member list, both ways.

Export uses the library with formula escaping on every cell and a CSV format that Swedish Excel opens as it is.
Import goes through `network.importing` (validated in bulk, upserted in one transaction), which reads the same
column names.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm

from .importing import COLUMNS, ImportReport, ambassadors_import, read_table
from .models import Ambassador
from .normalize import escape_formula, format_phone


class ExcelCSV(base_formats.CSV):
    """CSV as Swedish Excel opens it with a double click: semicolons, UTF-8 with a BOM, every field quoted.

    Excel in Swedish splits on semicolons, not commas, and reads a file without a BOM as Windows-1252. Quoting
    every field keeps a separator inside a value in its cell; the formula escaping of each value also holds for a
    program that splits it anyway (see `normalize.escape_formula`).
    """

    def get_title(self):
        return _("CSV for Excel (semicolon separated)")

    def export_data(self, dataset, **kwargs) -> str:
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(dataset.headers)
        writer.writerows(("" if cell is None else cell for cell in row) for row in dataset)
        return buffer.getvalue()


class ExcelXLSX(base_formats.XLSX):
    def get_title(self):
        return _("Excel workbook (.xlsx)")

    def export_data(self, dataset, **kwargs):
        # The library passes its title to tablib as the format name: name it here, since the title is a label.
        return dataset.export("xlsx", **kwargs)


EXPORT_FORMATS = [ExcelCSV, ExcelXLSX]


class ExportForm(SelectableFieldsExportForm):
    """The admin's export form, with each column offered under its Swedish header (not "First Name (Förnamn)")."""

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return field.column_name if field else field_name


def _field(name: str, attribute: str | None = None) -> fields.Field:
    return fields.Field(attribute=attribute or name, column_name=COLUMNS[name][0])


class AmbassadorResource(resources.ModelResource):
    first_name = _field("first_name")
    last_name = _field("last_name")
    email = _field("email")
    phone = _field("phone")
    locality = _field("locality", "locality__name")
    interests = _field("interests")
    member_since = _field("member_since")
    status = _field("status")
    notes = _field("notes")

    class Meta:
        model = Ambassador
        fields = (
            "first_name",
            "last_name",
            "email",
            "phone",
            "locality",
            "interests",
            "member_since",
            "status",
            "notes",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("locality").prefetch_related("interests")

    def dehydrate_phone(self, ambassador: Ambassador) -> str:
        return format_phone(ambassador.phone)

    def dehydrate_interests(self, ambassador: Ambassador) -> str:
        return ", ".join(interest.name for interest in ambassador.interests.all())

    def dehydrate_member_since(self, ambassador: Ambassador) -> str:
        return ambassador.member_since.isoformat() if ambassador.member_since else ""

    def dehydrate_status(self, ambassador: Ambassador) -> str:
        return str(ambassador.get_status_display())

    def dehydrate_email(self, ambassador: Ambassador) -> str:
        return ambassador.email or ""

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))

    def import_file(self, data: bytes, *, dry_run: bool = False, skip_invalid: bool = False) -> ImportReport:
        header, body = read_table(data)
        return ambassadors_import(header=header, body=body, dry_run=dry_run, skip_invalid=skip_invalid)
