"""gunicorn's settings for Ambassadörsnätverket. gunicorn reads this file from the folder it starts in (the
project folder; /app in the image), so `gunicorn crm.wsgi` needs no other flags than where to listen.

gunicorn runs none of Django's system checks, unlike runserver and migrate; on_starting runs them, so that a web
server with an error (such as tracking webhooks routed without ANYMAIL_WEBHOOK_SECRET) never starts."""

import os
import sys

# Several workers, so that one slow request (a large import in the admin) does not hold up the public pages.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# The admin's member import, with its preview, runs inside the request: minutes, not gunicorn's 30 seconds.
# (Flags on the command line and in GUNICORN_CMD_ARGS override this file.)
timeout = 300
graceful_timeout = 30
# No control socket (gunicornc): it would go under $HOME, which the application's user cannot write (/app in the
# image), and log an error on every start. Signals (HUP, TTIN, TERM) manage the server instead.
control_socket_disable = True


def on_starting(server) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connections

    django.setup()
    try:
        call_command("check")
        sys.stdout.flush()  # the log shows the checks passed before the workers' lines
    except SystemCheckError as error:
        sys.stderr.write(f"{error}\n")
        sys.exit(1)
    finally:
        connections.close_all()  # nothing open is inherited by the workers
