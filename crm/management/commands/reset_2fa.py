"""`python manage.py reset_2fa <username>`: remove a member of staff's second factor (a lost phone and lost
recovery codes). They set up a new one at /admin/2fa/ at their next login."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Remove a user's two-factor authentication (app and recovery codes); they enrol again at their next login."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        self.stdout.write(f"Removed the second factor of {username} ({removed} rows).")
