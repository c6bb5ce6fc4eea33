"""Exit 0 when the system is healthy, as /healthz judges it; otherwise print what is wrong and exit 1.

`python manage.py health` checks everything; `--only beat` (or worker, broker, database) one part, as the
compose file's healthcheck of that service does."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from crm import health

PARTS = ("database", "broker", *health.PROCESSES)


class Command(BaseCommand):
    help = "Check the database, the broker and the Celery worker's and beat's heartbeats; exit 1 on a problem."

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=PARTS, help="check this part only")

    def handle(self, *args, only: str | None = None, **options):
        with translation.override("en"):
            found = [
                str(problem)
                for problem in health.problems(broker=only in (None, "broker"))
                if only is None or problem.part in (only, "database")
            ]
        if found:
            raise CommandError("; ".join(found))
        self.stdout.write("ok")
