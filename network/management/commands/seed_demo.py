from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from network.demo_events import demo_events_seed
from network.demo_recruitment import demo_recruitment_seed
from network.normalize import format_phone, normalize_phone
from network.resources import AmbassadorResource

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "demo-members.csv"
DEMO_USERNAME = "koordinator"
DEMO_PASSWORD = "ambassador-demo"  # noqa: S105 - a demo login for make run, printed on purpose


class Command(BaseCommand):
    help = "Load fictional demo ambassadors (through the real import) and a demo coordinator login."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # The demo login's password is printed and published in the README: never on a real server.
            raise CommandError(
                _("seed_demo only runs with DJANGO_DEBUG on: it creates a demo login whose password is public.")
            )
        report = AmbassadorResource().import_file(DEMO_FILE.read_bytes())
        self.stdout.write(
            _("Demo ambassadors: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % report.counts
        )
        self.stdout.write(demo_events_seed())
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "first_name": "Demo", "last_name": "Koordinator"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.user_permissions.set(
                Permission.objects.filter(content_type__app_label__in=["network", "campaigns", "pages"])
            )
        self.stdout.write(demo_recruitment_seed(owner=user))
        self.stdout.write(
            _("Demo coordinator: username %(username)s, password %(password)s")
            % {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
        )
        # Every email names the coordinator as the contact person (the settings' defaults unless set).
        try:
            phone = format_phone(normalize_phone(settings.COORDINATOR_PHONE))
        except ValueError:
            phone = settings.COORDINATOR_PHONE
        self.stdout.write(
            _(
                "Contact person in every email: %(name)s, phone %(phone)s, %(email)s "
                "(COORDINATOR_NAME, COORDINATOR_PHONE, COORDINATOR_EMAIL)."
            )
            % {
                "name": settings.COORDINATOR_NAME or _("The ambassador coordinator"),
                "phone": phone,
                "email": settings.COORDINATOR_EMAIL,
            }
        )
