"""Records about the handling of personal data: the audit log and the retention job's runs.

Neither holds personal data: ids, actions, times and counts only, never a name or an address.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Someone viewed, exported, changed or erased a person's data (crm.audit)."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        CHANGE = "change", _("Changed")
        ERASE = "erase", _("Erased")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # The member of staff; empty for the system (the retention job) or the person themself (Mina sidor). Kept as a
    # bare id when the user is deleted: the log must outlive accounts.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # A bare id, not a foreign key: the entry outlives the person (an erasure is logged too).
    ambassador_id = models.PositiveBigIntegerField(_("ambassador id"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        default_permissions = ("view",)
        indexes = [models.Index(fields=["ambassador_id", "at"], name="auditentry_ambassador")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.ambassador_id}"


class RetentionRun(models.Model):
    """One night's retention job: how many of each category it erased or anonymised (never which)."""

    # The keys of `counts` (crm.retention).
    CATEGORIES = {
        "unconfirmed_applications": _("Unconfirmed applications"),
        "declined_applications": _("Declined applications"),
        "recruitment_contacts": _("Recruitment contacts"),
        "alumni": _("Alumni"),
        "delivery_logs": _("Delivery logs"),
        "tracking_events": _("Tracking events"),
    }

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    counts = models.JSONField(_("removed"), default=dict)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """The last time a background process said it was alive (crm.health): the Celery worker and Celery beat."""

    name = models.CharField(_("process"), max_length=20, primary_key=True)
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"
