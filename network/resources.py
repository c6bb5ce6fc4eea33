"""The django-import-export resource for ambassadors: the columns of the member list, both ways.

Export uses the library as it is, plus formula escaping on every cell. Import goes through
`network.importing` (validated in bulk, upserted in one transaction), which reads the same column names.
"""

from __future__ import annotations

from import_export import fields, resources

from .importing import COLUMNS, ImportReport, ambassadors_import, read_table
from .models import Ambassador
from .normalize import escape_formula, format_phone


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
