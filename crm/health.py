"""Is the whole system up? The database, the broker, and the Celery worker and beat, which each write a heartbeat.

/healthz answers 503 with the reasons (crm.views.healthz), `manage.py health --only beat` is beat's healthcheck in
docker-compose.yml, and staff see a banner in the admin while email is not going out (templates/admin/base_site.html).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Heartbeat

# The worker and beat write their heartbeat this often; after STALE_AFTER without one they count as gone (a few
# missed beats, so that a busy moment or a restart is not an alarm).
HEARTBEAT_SECONDS = 30
STALE_AFTER = timedelta(minutes=3)
PROCESSES = ("worker", "beat")
# The admin's banner asks at most this often per web process (the broker check may wait for its connect timeout).
BANNER_CACHE_SECONDS = 30

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    part: str  # database, broker, worker or beat
    seen_at: datetime | None = None  # a process's last heartbeat; None: never

    def __str__(self) -> str:
        """What is wrong, in the active language."""
        if self.part == "database":
            return _("the database cannot be reached or is not migrated")
        if self.part == "broker":
            return _("the message queue (Redis) cannot be reached")
        name = _("the Celery worker, which sends email,") if self.part == "worker" else _("Celery beat, the scheduler,")
        if self.seen_at is None:
            return _("%(name)s has never been seen") % {"name": name}
        seen = date_format(timezone.localtime(self.seen_at), "DATETIME_FORMAT")
        return _("%(name)s has not been seen since %(time)s") % {"name": name, "time": seen}


def heartbeat(name: str) -> None:
    """Record that the process `name` is alive now. Without a database the beat is missed, and /healthz says so."""
    try:
        Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
    except DatabaseError as error:
        logger.warning("The %s heartbeat was not recorded: %s", name, error.__class__.__name__)


def problems(*, broker: bool = True, now: datetime | None = None) -> list[Problem]:
    """Everything that keeps the system from working: empty when all is well."""
    now = now or timezone.now()
    try:
        seen = dict(Heartbeat.objects.values_list("name", "seen_at"))
    except DatabaseError:
        return [Problem("database")]
    found = [Problem("broker")] if broker and not broker_reachable() else []
    for name in PROCESSES:
        if name not in seen or seen[name] <= now - STALE_AFTER:
            found.append(Problem(name, seen.get(name)))
    return found


def broker_reachable() -> bool:
    try:
        with current_app.connection_for_write() as broker_connection:
            broker_connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
    except Exception:  # noqa: BLE001 - any failure to connect is the answer
        return False
    return True


def banner_problems() -> list[Problem]:
    """What keeps email from going out, for the admin's banner: checked at most every BANNER_CACHE_SECONDS."""
    found = cache.get("health:problems")
    if found is None:
        found = problems()
        cache.set("health:problems", found, BANNER_CACHE_SECONDS)
    return found


def admin_banner(request) -> dict:
    """Context for templates/admin/base_site.html; only evaluated where a template asks (the admin's pages)."""
    user = getattr(request, "user", None)  # not there on a page rendered before authentication
    return {"email_problems": banner_problems if user is not None and user.is_staff else list}  # list(): none
