from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from network.models import Ambassador, Application, Event, Interest, Locality

from .labels import readable_subject, template_label


def default_sender_name() -> str:
    """The default of a field campaigns once had (migration 0009 refers to it): every email is from
    settings.EMAIL_SENDER_NAME."""
    return settings.EMAIL_SENDER_NAME


MERGE_HELP = _(
    "Markdown. Merge fields: {{ first_name }}, {{ last_name }}, {{ full_name }}, {{ locality }}. A fallback for an "
    'empty value goes after a bar, in quotes: {{ first_name|"vän" }}. Without one, an empty name is left out '
    '("Hej {{ first_name }}!" reads "Hej!") and an empty locality reads "Kramfors".'
)


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
    sequence = models.ForeignKey(
        Sequence, verbose_name=_("email sequence"), related_name="steps", on_delete=models.CASCADE
    )
    delay_days = models.PositiveIntegerField(_("days after enrollment"), default=0)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), help_text=MERGE_HELP)
    # Optional: people who chose English get the step in English when it has both; otherwise the whole email,
    # layout included, is Swedish (never half translated).
    subject_en = models.CharField(_("subject in English"), max_length=200, blank=True)
    body_en = models.TextField(
        _("body in English"),
        blank=True,
        help_text=_(
            "Optional. People who chose English get the step in English when both the English subject and body "
            "are filled in, otherwise in Swedish. Markdown and merge fields as in the Swedish body."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sequence", "delay_days", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return _("Day %(days)d: %(subject)s") % {"days": self.delay_days, "subject": readable_subject(self.subject)}

    def clean(self):
        super().clean()
        if bool(self.subject_en.strip()) != bool(self.body_en.strip()):
            missing = "body_en" if self.subject_en.strip() else "subject_en"
            raise ValidationError({missing: _("Fill in both the English subject and body, or neither.")})

    def content(self, language: str) -> tuple[str, str, str]:
        """(language, subject, body) of this step for someone who reads `language`: English where the step has
        English text, otherwise Swedish."""
        if language == "en" and self.subject_en.strip() and self.body_en.strip():
            return "en", self.subject_en, self.body_en
        return "sv", self.subject, self.body


class Enrollment(models.Model):
    """Where one ambassador is in a sequence. The beat task claims rows whose next_send_at has come."""

    ambassador = models.ForeignKey(
        Ambassador, verbose_name=_("ambassador"), related_name="enrollments", on_delete=models.CASCADE
    )
    sequence = models.ForeignKey(
        Sequence, verbose_name=_("email sequence"), related_name="enrollments", on_delete=models.CASCADE
    )
    enrolled_at = models.DateTimeField(_("enrolled"))
    next_step = models.ForeignKey(
        Step, verbose_name=_("step"), null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    next_send_at = models.DateTimeField(_("next send"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [models.UniqueConstraint(fields=["ambassador", "sequence"], name="enrollment_unique")]
        indexes = [models.Index(fields=["next_send_at"], name="enrollment_due", condition=Q(next_step__isnull=False))]

    def __str__(self) -> str:
        return f"{self.ambassador} – {self.sequence}"


class Suppression(models.Model):
    """An address we must not mail (bulk and automated mail alike). Checked at send time."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        MANUAL = "manual", _("Added by the coordinator")
        # The owner of the address was erased (campaigns.privacy): the address is kept as its pseudonym only.
        ERASED = "erased", _("Erased person")

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
    key = models.CharField(  # noqa: DJ001
        _("one-off mark"), max_length=100, null=True, blank=True, help_text=_("Keeps a one-off email from going twice.")
    )
    # Indexed by the constraints and indexes below: every index on this table is rewritten on each status change
    # (twice per email), so there are as few as the queries need, and partial where most rows need no entry.
    step = models.ForeignKey(
        Step,
        verbose_name=_("step"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        db_index=False,
    )
    campaign = models.ForeignKey(
        "Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    ambassador = models.ForeignKey(
        Ambassador, verbose_name=_("ambassador"), null=True, blank=True, on_delete=models.SET_NULL
    )
    application = models.ForeignKey(
        Application, verbose_name=_("application"), null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    to_email = models.EmailField(_("to"))  # 254 characters, as every address field (tests/network/test_lengths.py)
    # Holds any full name we send to: an ambassador's or an application's (100 + 1 + 100), and a staff user's for
    # a test copy (auth.User: 150 + 1 + 150).
    to_name = models.CharField(_("name"), max_length=301, blank=True)
    language = models.CharField(_("language"), max_length=5, default="sv")
    context = models.JSONField(_("contents"), default=dict, blank=True)
    is_test = models.BooleanField(
        _("test copy"), default=False, help_text=_("A copy of a campaign sent to the coordinator.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    esp_message_id = models.CharField(_("ESP message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # Who holds the row while it is "sending": each claim writes a fresh token, so a worker recognises its own
    # rows, and loses them when the sweeper takes them back after the lease.
    claim_token = models.UUIDField(_("sending mark"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # What the ESP reported afterwards (webhooks).
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    complained_at = models.DateTimeField(_("complained"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["key"], name="delivery_key_unique", condition=Q(key__isnull=False)),
            models.UniqueConstraint(
                fields=["step", "ambassador"], name="delivery_step_unique", condition=Q(step__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["campaign", "ambassador"],
                name="delivery_campaign_unique",
                condition=Q(campaign__isnull=False, ambassador__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "queued_at"],
                name="delivery_pending",
                condition=Q(status__in=["queued", "sending"]),  # what the sweeper looks for
            ),
            models.Index(fields=["campaign", "status"], name="delivery_campaign_status"),
            models.Index(fields=["esp_message_id"], name="delivery_esp_message_id", condition=~Q(esp_message_id="")),
            models.Index(fields=["application"], name="delivery_application", condition=Q(application__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{template_label(self.template)} → {self.to_email}"


class Segment(models.Model):
    """A saved audience built from choices, evaluated when a campaign is sent (see selectors)."""

    name = models.CharField(_("name"), max_length=200)
    statuses = models.JSONField(_("statuses"), default=list, blank=True, help_text=_("Empty: active ambassadors only."))
    localities = models.ManyToManyField(Locality, verbose_name=_("localities"), blank=True)
    interests = models.ManyToManyField(Interest, verbose_name=_("interests"), blank=True)
    member_since_from = models.DateField(_("member since, from"), null=True, blank=True)
    member_since_to = models.DateField(_("member since, to"), null=True, blank=True)
    received = models.ForeignKey(
        "Campaign", verbose_name=_("has received"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    not_received = models.ForeignKey(
        "Campaign",
        verbose_name=_("has not received"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completed_training = models.ForeignKey(
        Event,
        verbose_name=_("has completed the training"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"is_training": True},
        help_text=_("Only those who attended this training."),
    )

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A newsletter or invitation to many: written, targeted, scheduled, then fanned out to Deliveries."""

    class Kind(models.TextChoices):
        NEWSLETTER = "newsletter", _("Newsletter")
        INVITATION = "invitation", _("Event invitation")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("internal name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.NEWSLETTER)
    subject = models.CharField(_("subject"), max_length=200)
    preheader = models.CharField(
        _("preheader"),
        max_length=200,
        blank=True,
        help_text=_("The preview text shown after the subject in the inbox."),
    )
    body = models.TextField(_("body"), help_text=MERGE_HELP)
    segment = models.ForeignKey(Segment, verbose_name=_("audience"), on_delete=models.PROTECT)
    # An invitation's event: the email shows its time, place and each recipient's own answer button by itself
    # (an older body's {{ rsvp_url }} is that link, and then the button is not added twice).
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
        help_text=_("For an invitation: the event. Its day, time, place and an answer button are added to the email."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Set in the transaction that wrote the last recipient's row: until then the campaign is not done, whatever
    # its rows say, and the beat task finishes the fan-out.
    fanned_out_at = models.DateTimeField(_("fanned out"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    skipped_no_email = models.PositiveIntegerField(default=0)
    skipped_unsubscribed = models.PositiveIntegerField(default=0)
    skipped_suppressed = models.PositiveIntegerField(default=0)
    # What happened to the messages (test copies left out), kept as it changes so the dashboard reads one row per
    # campaign: "sent" counted once when the campaign finishes (campaign_finish_if_done), the rest counted up when
    # a delivery's time is first set by a tracking event (campaigns.services.tracking) and at each unsubscribe
    # from it (ambassador_unsubscribe). The campaign's own report counts the rows (campaign_report).
    sent_count = models.PositiveIntegerField(default=0, editable=False)
    delivered_count = models.PositiveIntegerField(default=0, editable=False)
    bounced_count = models.PositiveIntegerField(default=0, editable=False)
    complained_count = models.PositiveIntegerField(default=0, editable=False)
    opened_count = models.PositiveIntegerField(default=0, editable=False)
    clicked_count = models.PositiveIntegerField(default=0, editable=False)
    unsubscribed_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class SendClock(models.Model):
    """The next free send slot, shared by every worker: the rate limit holds across processes."""

    next_slot = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"next send slot {self.next_slot}"


class Unsubscribe(models.Model):
    class Source(models.TextChoices):
        LINK = "link", _("Unsubscribe page")
        ONE_CLICK = "one-click", _("One-click (mail program)")
        ESP = "esp", _("Reported by the email service")
        PREFERENCES = "preferences", _("Preferences page")

    # Empty once the person is erased: the row stays, so the campaign's report counts the same.
    ambassador = models.ForeignKey(
        Ambassador,
        verbose_name=_("ambassador"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unsubscribes",
    )
    category = models.CharField(_("category"), max_length=12, choices=Campaign.Kind.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")

    def __str__(self) -> str:
        return f"{self.ambassador} – {self.get_category_display()}"


class TrackingEvent(models.Model):
    """An ESP webhook event, stored once (deduplicated on the ESP's event id) and processed by Celery."""

    esp = models.CharField(max_length=30)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=30)
    message_id = models.CharField(max_length=200, blank=True)
    recipient = models.EmailField(blank=True)
    description = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    # For bounces: permanent (suppress the address) or transient, such as a full mailbox (do not).
    permanent = models.BooleanField(default=True)
    processed = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["esp", "event_id"], name="tracking_event_unique")]

    def __str__(self) -> str:
        return f"{self.esp} {self.event_type} {self.event_id}"
