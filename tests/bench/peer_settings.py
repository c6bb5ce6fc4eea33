"""The app's settings plus the two peers of `send_vs_peers` (django-mailer, django-post-office). Used only by the
child process that runs the peers; the app itself never has them installed."""

from crm.settings import *  # noqa: F403
from crm.settings import INSTALLED_APPS, VAR_DIR

INSTALLED_APPS = [*INSTALLED_APPS, "mailer", "post_office"]

# django-mailer: its lock file under var/bench, sending over Django's SMTP backend.
MAILER_LOCK_PATH = str(VAR_DIR / "django-mailer")
MAILER_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# django-post-office: its defaults (batches of 100, 5 threads per process), its lock file under var/bench.
POST_OFFICE = {"LOCK_FILE_NAME": str(VAR_DIR / "post-office")}
