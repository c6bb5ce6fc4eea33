from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .search import search_text_field


class Locality(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    # Offered on the public signup form. The municipality's localities are; one an import creates (a typo, a
    # village outside the list) is not, until the coordinator ticks it.
    is_public = models.BooleanField(
        _("shown on the signup form"),
        default=True,
        help_text=_("Offered as a choice on the public signup form. Localities created by an import start hidden."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("locality")
        verbose_name_plural = _("localities")
        constraints = [models.UniqueConstraint(Lower("name"), name="locality_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Interest(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        constraints = [models.UniqueConstraint(Lower("name"), name="interest_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Ambassador(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ALUMNI = "alumni", _("Alumni")

    class Source(models.TextChoices):
        IMPORT = "import", _("Import")
        SIGNUP = "signup", _("Signup")
        RECOMMENDATION = "recommendation", _("Recommendation")
        MANUAL = "manual", _("Manual")

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    # Stored trimmed and lowercased (see network.normalize), so a plain unique index is case-insensitive.
    email = models.EmailField(_("email"), null=True, blank=True, unique=True)
    # E.164, e.g. +46701906448.
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    locality = models.ForeignKey(Locality, verbose_name=_("locality"), null=True, blank=True, on_delete=models.SET_NULL)
    interests = models.ManyToManyField(Interest, verbose_name=_("interests"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    member_since = models.DateField(_("member since"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    recommended_by = models.ForeignKey(
        "self", verbose_name=_("recommended by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    language = models.CharField(
        _("language"), max_length=5, default="sv", choices=[("sv", "Svenska"), ("en", "English")]
    )
    notes = models.TextField(_("notes"), blank=True)
    # Email preferences (onboarding and transactional mail are not affected).
    wants_newsletters = models.BooleanField(_("receives newsletters"), default=True)
    wants_invitations = models.BooleanField(_("receives event invitations"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set by the nightly retention job (crm.retention) the first night the person is alumni, cleared when they are
    # not: whatever changed the status (a form, an admin action, an import, Mina sidor). RETENTION_ALUMNI_DAYS
    # later they are erased.
    alumni_since = models.DateTimeField(_("alumni since"), null=True, blank=True, editable=False)
    search_text = search_text_field()  # what the admin's search looks in (network/search.py), kept by the database

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("ambassador")
        verbose_name_plural = _("ambassadors")
        permissions = [
            ("import_ambassador", _("Can import ambassadors")),
            ("erase_ambassador", _("Can erase ambassadors and all their data")),
            ("export_ambassador", _("Can export ambassadors' personal data")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(email__isnull=False) | ~Q(phone=""), name="ambassador_email_or_phone"),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="ambassador_email_lowercase"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"]),
            models.Index(fields=["member_since", "source"]),
            models.Index(fields=["locality"], name="ambassador_active_locality", condition=Q(status="active")),
            models.Index(fields=["status"], name="ambassador_not_active", condition=~Q(status="active")),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def clean(self) -> None:
        from .normalize import normalize_email, normalize_phone

        try:
            self.email = normalize_email(self.email) or None
        except ValueError as error:
            raise ValidationError({"email": str(error)}) from None
        try:
            self.phone = normalize_phone(self.phone)
        except ValueError as error:
            raise ValidationError({"phone": str(error)}) from None
        if not self.email and not self.phone:
            raise ValidationError(_("Give an email address or a phone number (or both)."))


class Application(models.Model):
    """Someone who signed up on /bli-ambassador/. Confirmed by email (double opt-in), then reviewed."""

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        CONFIRMED = "confirmed", _("Confirmed, awaiting review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    locality = models.ForeignKey(
        Locality,
        verbose_name=_("locality"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: other or outside the municipality."),
    )
    interests = models.ManyToManyField(Interest, verbose_name=_("interests"), blank=True)
    motivation = models.TextField(_("why they want to be an ambassador"), blank=True)
    heard_about = models.CharField(_("how they heard of us"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=5, default="sv")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UNCONFIRMED)
    ambassador = models.ForeignKey(
        Ambassador, verbose_name=_("ambassador"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "auth.User", verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [models.Index(fields=["email"]), models.Index(fields=["status", "confirmed_at"])]
        indexes += [models.Index(fields=["created_at", "status", "confirmed_at"], name="application_funnel")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"


class ConsentRecord(models.Model):
    """Who agreed to what, when, to which version of the text and how (GDPR art. 7(1)), and who withdrew it.

    Append-only, one row per event: a row with `withdrawn_at` is a withdrawal of its purpose (recorded by the
    unsubscribe link and the preferences page, as easily as consent is given). A person's current answer for a
    purpose is their latest row. The signup consent covers the text of every purpose at its version, so
    newsletters and invitations have rows of their own only once withdrawn or given again (network.consent)."""

    class Purpose(models.TextChoices):
        AMBASSADOR_REGISTRY = "registry", _("Membership of the ambassador network")
        NEWSLETTERS = "newsletters", _("Newsletters")
        INVITATIONS = "invitations", _("Invitations to events and trainings")
        TRACKING = "tracking", _("Open and click tracking")

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Signup")
        LINK = "link", _("Unsubscribe page")
        ONE_CLICK = "one-click", _("One-click (mail program)")
        ESP = "esp", _("Reported by the email service")
        PREFERENCES = "preferences", _("Preferences page")
        MY_PAGES = "mypages", _("My pages")

    email = models.EmailField(_("email"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    text_version = models.CharField(_("text version"), max_length=20)
    given_at = models.DateTimeField(_("given"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.SIGNUP)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.CASCADE)
    ambassador = models.ForeignKey(Ambassador, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_purpose_display()}, {self.text_version})"


class RecruitmentContact(models.Model):
    """A possible ambassador the coordinator should follow up: recommended by someone (/tipsa/), met at an event, a
    phone call … Its `status` is the recruitment stage: identified → contacted → interested → applied → joined, or
    ended by who said no (the contact, or we); each change is a StageChange row (network.recruitment)."""

    class Source(models.TextChoices):
        RECOMMENDATION = "recommendation", _("Recommendation")
        EVENT = "event", _("Event")
        PHONE = "phone", _("Phone call")
        MANUAL = "manual", _("Other")

    class Status(models.TextChoices):
        # The stage, in the order a contact goes through them.
        NEW = "new", _("Identified")
        CONTACTED = "contacted", _("Contacted")
        INTERESTED = "interested", _("Interested")
        APPLIED = "applied", _("Applied")
        JOINED = "joined", _("Joined")
        NOT_INTERESTED = "declined", _("Said no")  # the contact did
        CLOSED = "closed", _("Closed by us")  # we decided not to go on

    name = models.CharField(_("name"), max_length=200)
    # As the recommender typed it on /tipsa/ (an address, a phone number, or both); `email` and `phone` are what the
    # coordinator (or the recommendation, when it holds them) gives in a structured form.
    contact_details = models.CharField(_("how to reach them"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    locality = models.ForeignKey(
        Locality, verbose_name=_("locality"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    status = models.CharField(_("stage"), max_length=10, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        "auth.User",
        verbose_name=_("follow-up by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recruitment_contacts",
        help_text=_("The member of staff who follows the contact up (and gets the daily email when it is due)."),
    )
    invited_at = models.DateTimeField(_("invited to apply"), null=True, blank=True, editable=False)
    # What they became: their application (on applying) and the ambassador (on approval).
    application = models.ForeignKey(
        Application, verbose_name=_("application"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ambassador = models.ForeignKey(
        Ambassador, verbose_name=_("ambassador"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recommender_name = models.CharField(_("recommended by (name)"), max_length=200, blank=True)
    recommender_email = models.EmailField(_("recommended by (email)"), blank=True)
    # Whether the recommender agreed to be named in our email to them, and the language to write to them in.
    recommender_may_be_named = models.BooleanField(_("the recommender may be named to them"), default=False)
    language = models.CharField(
        _("language"), max_length=5, default="sv", choices=[("sv", "Svenska"), ("en", "English")]
    )
    recommended_by = models.ForeignKey(
        Ambassador, verbose_name=_("recommended by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The last activity: RETENTION_RECRUITMENT_DAYS after it (and after the follow-up date) the contact is erased.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["status", "follow_up_on", "-created_at"]
        verbose_name = _("recruitment contact")
        verbose_name_plural = _("recruitment contacts")
        indexes = [
            models.Index(fields=["owner", "follow_up_on"]),
            # A person's contacts by the addresses they have proven (network.privacy.Scope).
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["recommender_email"], name="contact_recommender_email"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .normalize import normalize_email, normalize_phone

        try:
            self.email = normalize_email(self.email) or ""
        except ValueError as error:
            raise ValidationError({"email": str(error)}) from None
        try:
            self.phone = normalize_phone(self.phone)
        except ValueError as error:
            raise ValidationError({"phone": str(error)}) from None
        if not (self.email or self.phone or self.contact_details.strip()):
            raise ValidationError(_("Give an email address or a phone number (or both)."))


class StageChange(models.Model):
    """A recruitment contact's move from one stage to another: by a member of staff, or by itself (they were
    invited, applied or were approved). Their history, shown on the timeline."""

    class Reason(models.TextChoices):
        STAFF = "staff", _("Changed by staff")
        INVITED = "invited", _("Invited to apply")
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Application approved")

    contact = models.ForeignKey(
        RecruitmentContact,
        verbose_name=_("recruitment contact"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
    )
    from_status = models.CharField(
        _("previous stage"), max_length=10, choices=RecruitmentContact.Status.choices, blank=True
    )
    to_status = models.CharField(_("new stage"), max_length=10, choices=RecruitmentContact.Status.choices)
    reason = models.CharField(_("why"), max_length=10, choices=Reason.choices, default=Reason.STAFF)
    changed_by = models.ForeignKey(
        "auth.User", verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Note(models.Model):
    """A coordinator's note on a person's timeline (an ambassador's or a recruitment contact's page)."""

    ambassador = models.ForeignKey(
        Ambassador,
        verbose_name=_("ambassador"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="timeline_notes",
    )
    contact = models.ForeignKey(
        RecruitmentContact,
        verbose_name=_("recruitment contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="timeline_notes",
    )
    author = models.ForeignKey(
        "auth.User", verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(_("written"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("coordinator note")
        verbose_name_plural = _("coordinator notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(ambassador__isnull=False) | Q(contact__isnull=False), name="note_about_someone"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


from .event_models import Event, Registration  # noqa: E402 - the app's models, kept in a module of their own

__all__ = [
    "Ambassador",
    "Application",
    "ConsentRecord",
    "Event",
    "Interest",
    "Locality",
    "Note",
    "RecruitmentContact",
    "Registration",
    "StageChange",
]
