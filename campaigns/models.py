from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from network.models import Ambassador, Application


class Sequence(models.Model):
    """An automated series of emails, such as onboarding. Steps are edited by the coordinator."""

    ONBOARDING = "onboarding"

    slug = models.SlugField(_("key"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("email sequence")
        verbose_name_plural = _("email sequences")

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    sequence = models.ForeignKey(Sequence, related_name="steps", on_delete=models.CASCADE)
    delay_days = models.PositiveIntegerField(_("days after enrollment"), default=0)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body"), help_text=_("Markdown. Merge fields: {{ first_name }}, {{ last_name }}, {{ locality }}.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sequence", "delay_days", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return f"{self.subject} ({self.delay_days})"


class Enrollment(models.Model):
    """Where one ambassador is in a sequence. The beat task claims rows whose next_send_at has come."""

    ambassador = models.ForeignKey(Ambassador, related_name="enrollments", on_delete=models.CASCADE)
    sequence = models.ForeignKey(Sequence, related_name="enrollments", on_delete=models.CASCADE)
    enrolled_at = models.DateTimeField(_("enrolled"))
    next_step = models.ForeignKey(Step, null=True, blank=True, related_name="+", on_delete=models.SET_NULL)
    next_send_at = models.DateTimeField(_("next send"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [models.UniqueConstraint(fields=["ambassador", "sequence"], name="enrollment_unique")]
        indexes = [models.Index(fields=["next_send_at"], name="enrollment_due", condition=Q(next_step__isnull=False))]


class Suppression(models.Model):
    """An address we must not mail (bulk and automated mail alike). Checked at send time."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        MANUAL = "manual", _("Added by the coordinator")

    email = models.EmailField(_("email"), unique=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email


class Delivery(models.Model):
    """One email to one person: the outbox row. The database, not the broker, decides what has been sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    template = models.CharField(_("email"), max_length=50)
    key = models.CharField(max_length=100, null=True, blank=True, unique=True, help_text="Deduplicates one-off mail.")
    step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    ambassador = models.ForeignKey(Ambassador, null=True, blank=True, on_delete=models.SET_NULL)
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL)
    to_email = models.EmailField(_("to"))
    to_name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=5, default="sv")
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    esp_message_id = models.CharField(_("ESP message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["step", "ambassador"], name="delivery_step_unique", condition=Q(step__isnull=False)
            ),
        ]
        indexes = [models.Index(fields=["status", "queued_at"], name="delivery_status")]

    def __str__(self) -> str:
        return f"{self.template} → {self.to_email}"
