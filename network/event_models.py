"""Events and the answers to them: meetings, trainings and workshops, and each ambassador's registration."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """A meeting, training or workshop the coordinator invites ambassadors to (an invitation campaign points here)."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        TRAINING = "training", _("Training")
        WORKSHOP = "workshop", _("Workshop")
        OTHER = "other", _("Other event")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MEETING)
    description = models.TextField(_("description"), blank=True)
    # Stored in UTC; entered and shown in Swedish time (TIME_ZONE Europe/Stockholm).
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: no limit. When full, a yes goes on a waiting list.")
    )
    rsvp_deadline = models.DateTimeField(
        _("answer by"), null=True, blank=True, help_text=_("Empty: answers can be changed until the event starts.")
    )
    is_training = models.BooleanField(
        _("counts as a training"),
        default=False,
        help_text=_(
            "Those who attended have completed this training. A training always counts; tick it for another kind "
            "of event that should."
        ),
    )
    follow_up_text = models.TextField(
        _("follow-up after the event"),
        blank=True,
        help_text=_("Optional. Sent once to those who attended, after the event has ended."),
    )
    # RFC 5545 SEQUENCE: raised each time the time or place changes, so calendars take the update.
    calendar_sequence = models.PositiveIntegerField(_("calendar revision"), default=0, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after"),
            models.CheckConstraint(condition=~Q(kind="training") | Q(is_training=True), name="training_counts"),
        ]

    def __str__(self) -> str:  # with the day: two events of one name are told apart in every choice
        if not self.starts_at:
            return self.title
        return f"{self.title} ({formats.date_format(timezone.localtime(self.starts_at), 'j F Y')})"

    def save(self, *args, **kwargs) -> None:
        if self.kind == self.Kind.TRAINING:
            self.is_training = True  # a training always counts (the constraint training_counts)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "is_training"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.is_training = self.is_training or self.kind == self.Kind.TRAINING  # before the form checks it
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("The event must end after it starts.")})

    @property
    def answers_until(self):
        """Until when an answer can be given or changed: the deadline, or else the start."""
        return self.rsvp_deadline or self.starts_at


class Registration(models.Model):
    """One ambassador's answer to one event, and whether they came."""

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        WAITLIST = "waitlist", _("Waiting list")
        WALK_IN = "walk_in", _("Came without answering")

    event = models.ForeignKey(Event, verbose_name=_("event"), related_name="registrations", on_delete=models.CASCADE)
    ambassador = models.ForeignKey(
        "network.Ambassador", verbose_name=_("ambassador"), related_name="registrations", on_delete=models.CASCADE
    )
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices)
    # When the current answer was given: the waiting list is served in this order.
    answered_at = models.DateTimeField(_("answered"))
    attended = models.BooleanField(_("attended"), default=False)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)

    class Meta:
        ordering = ["event", "answered_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [models.UniqueConstraint(fields=["event", "ambassador"], name="registration_unique")]
        indexes = [models.Index(fields=["event", "answer", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.ambassador} – {self.event}"
