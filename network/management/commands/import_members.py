from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from network.importing import ImportFileError, ImportReport, check_file_size
from network.resources import AmbassadorResource


def _rows(people) -> str:
    numbers = sorted(number for person in people for number in person.rows)
    return ", ".join(map(str, numbers)) if numbers else "-"


class Command(BaseCommand):
    help = "Import ambassadors from a CSV or XLSX file (the same import as the admin's Import page)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Show what would happen without saving anything.")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import the valid rows even if others are rejected."
        )

    def handle(self, *args, file: Path, dry_run: bool, skip_invalid: bool, **options):
        try:
            check_file_size(file.stat().st_size)  # before reading it into memory
            data = file.read_bytes()
            report = AmbassadorResource().import_file(data, dry_run=dry_run, skip_invalid=skip_invalid)
        except (OSError, ImportFileError) as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}, returncode=2
            ) from None
        self.print_report(report)
        if report.rejected:
            raise SystemExit(1)

    def print_report(self, report: ImportReport) -> None:
        write = self.stdout.write
        if report.dry_run:
            write(_("Dry run: nothing was saved."))
        elif not report.applied:
            write(_("Nothing was imported because rows were rejected (use --skip-invalid to import the rest)."))
        for label, people in (
            (_("Created"), report.created),
            (_("Updated"), report.updated),
            (_("Unchanged"), report.unchanged),
        ):
            write(
                _("%(label)s: %(count)d (rows %(rows)s)")
                % {"label": label, "count": len(people), "rows": _rows(people)}
            )
        write(_("Rejected: %(count)d") % {"count": len(report.rejected_rows)})  # rows, each with its problems
        for error in report.rejected:
            write(f"  {error}")
        if report.new_localities:
            write(_("New localities: %(names)s") % {"names": ", ".join(report.new_localities)})
        if report.new_interests:
            write(_("New interests: %(names)s") % {"names": ", ".join(report.new_interests)})
