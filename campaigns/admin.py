from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import (
    CharField,
    CheckboxSelectMultiple,
    DateTimeField,
    Form,
    ModelForm,
    ModelMultipleChoiceField,
    MultipleChoiceField,
)
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from crm.admin import NotDeletedAlone
from crm.languages import language_name
from network.models import Ambassador, Interest, Locality
from network.normalize import normalize_email

from .emails import campaign_preview
from .labels import TEMPLATE_LABELS, readable_subject, template_label
from .merge import markdown_html, merge_fields_unknown
from .models import Campaign, Delivery, Enrollment, Segment, Sequence, Step, Suppression, Unsubscribe
from .selectors import (
    audience,
    audience_of,
    campaign_failed_rows,
    campaign_progress,
    campaign_report,
    campaign_sample_recipients,
    campaign_status_text,
    campaigns_with_row_counts,
    members_matching,
    sequence_active,
    sequences_active,
)
from .services.newsletters import (
    CampaignError,
    campaign_cancel,
    campaign_checklist,
    campaign_duplicate,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_send_test,
    campaign_unschedule,
)
from .services.sequences import NotEnrollable, enroll, enrollment_refusal, sequence_reschedule


class StepForm(ModelForm):
    class Meta:
        model = Step
        fields = ["delay_days", "subject", "body", "subject_en", "body_en", "is_active"]

    def clean(self):
        cleaned = super().clean()
        unknown = merge_fields_unknown(
            " ".join(cleaned.get(name) or "" for name in ("subject", "body", "subject_en", "body_en"))
        )
        if unknown:
            raise ValidationError(_("Unknown merge field: %(fields)s") % {"fields": ", ".join(unknown)})
        return cleaned


class StepInline(admin.StackedInline):
    model = Step
    form = StepForm
    extra = 0


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]  # not the key the code finds it by ("onboarding"), on its page only
    inlines = [StepInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        sequence_reschedule(form.instance)


class EnrollmentAddForm(ModelForm):
    """Put one ambassador (an imported member, say) through a sequence: enrolled now, as approving does."""

    class Meta:
        model = Enrollment
        fields = ["ambassador", "sequence"]

    REFUSED = {
        NotEnrollable.INACTIVE: _("Only active ambassadors receive the series: mark them active first."),
        NotEnrollable.NO_EMAIL: _("This ambassador has no email address: add one first."),
        NotEnrollable.ALREADY: _("This ambassador is already in the series."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sequence"].queryset = sequences_active()
        onboarding = sequence_active(Sequence.ONBOARDING)
        if onboarding and not self.initial.get("sequence"):
            self.initial["sequence"] = onboarding.pk

    def clean(self):
        cleaned = super().clean()
        ambassador = cleaned.get("ambassador")
        if ambassador is None:
            return cleaned
        refusal = enrollment_refusal(ambassador=ambassador, sequence=cleaned.get("sequence"))
        if refusal is not None:
            self.add_error("ambassador", self.REFUSED[refusal])
        return cleaned  # an error on "ambassador" also spares the coordinator the model constraint's wording


@admin.register(Enrollment)
class EnrollmentAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["ambassador", "sequence", "enrolled_at", "next_step", "next_send_at"]
    list_select_related = ["ambassador", "sequence", "next_step"]
    list_filter = ["sequence"]
    search_fields = ["ambassador__first_name", "ambassador__last_name", "ambassador__email"]
    autocomplete_fields = ["ambassador"]

    def get_readonly_fields(self, request, obj=None):
        return ["ambassador", "sequence", "enrolled_at"] if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["ambassador", "sequence"]
        return ["ambassador", "sequence", "enrolled_at", "next_step", "next_send_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EnrollmentAddForm
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # The service decides the first step and sends the welcome at once, as when an application is approved.
        enrollment = enroll(ambassador=obj.ambassador, sequence_slug=obj.sequence.slug)
        if enrollment is None:  # the sequence was switched off meanwhile
            raise PermissionDenied
        obj.pk, obj.enrolled_at = enrollment.pk, enrollment.enrolled_at
        obj.next_step_id, obj.next_send_at = enrollment.next_step_id, enrollment.next_send_at
        return None


class DeliveryTemplateFilter(admin.SimpleListFilter):
    """Which email, by its name ("Ansökan avböjd"), not its template's code."""

    title = _("email")
    parameter_name = "template"

    def lookups(self, request, model_admin):
        return list(TEMPLATE_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(template=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["to_email", "email", "language_name", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", DeliveryTemplateFilter]
    list_select_related = ["campaign", "step__sequence"]
    search_fields = ["to_email"]
    # Every field read-only, the template and the language shown by name (the change page lists them all).
    readonly_fields = [
        {"template": "email", "language": "language_name"}.get(field.name, field.name)
        for field in Delivery._meta.fields
    ]

    def get_fields(self, request, obj=None):
        return self.readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("email"), ordering="template")
    def email(self, delivery: Delivery) -> str:
        """What the email was, by name ("Ansökan avböjd", "Utskick: Nyhetsbrev december"), not a template code."""
        if delivery.template == "campaign" and delivery.campaign_id:
            return f"{template_label(delivery.template)}: {delivery.campaign}"
        if delivery.template == "step" and delivery.step_id:
            return f"{delivery.step.sequence}: {readable_subject(delivery.step.subject)}"
        return template_label(delivery.template)

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, delivery: Delivery) -> str:
        return language_name(delivery.language)


@admin.register(Unsubscribe)
class UnsubscribeAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["ambassador", "category", "source", "campaign", "created_at"]
    list_filter = ["category", "source"]
    list_select_related = ["ambassador", "campaign"]
    readonly_fields = ["ambassador", "category", "source", "campaign", "created_at"]

    def has_add_permission(self, request):
        return False  # recorded when a recipient unsubscribes; every field is read-only


@admin.register(Suppression)
class SuppressionAdmin(NotDeletedAlone, admin.ModelAdmin):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]


class SegmentForm(ModelForm):
    statuses = MultipleChoiceField(
        label=_("Status"),
        choices=Ambassador.Status.choices,
        required=False,
        widget=CheckboxSelectMultiple,
        help_text=_("Empty: active ambassadors only."),
    )

    localities = ModelMultipleChoiceField(
        label=_("Localities"), queryset=Locality.objects.all(), required=False, widget=CheckboxSelectMultiple
    )
    interests = ModelMultipleChoiceField(
        label=_("Interests"), queryset=Interest.objects.all(), required=False, widget=CheckboxSelectMultiple
    )

    class Meta:
        model = Segment
        fields = [
            "name",
            "statuses",
            "localities",
            "interests",
            "member_since_from",
            "member_since_to",
            "received",
            "not_received",
            "completed_training",
        ]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentForm
    readonly_fields = ["recipients"]
    change_form_template = "admin/campaigns/segment/change_form.html"

    @staticmethod
    def describe(reached) -> str:
        return _(
            "%(count)d recipients. Left out: %(no_email)d without an email address, %(unsubscribed)d unsubscribed, "
            "%(suppressed)d blocked addresses (bounces or complaints)."
        ) % {
            "count": reached.recipients.count(),
            "no_email": reached.no_email,
            "unsubscribed": reached.unsubscribed,
            "suppressed": reached.suppressed,
        }

    @admin.display(description=_("Recipients now"))
    def recipients(self, segment: Segment) -> str:
        if not segment.pk:
            return _("Choose above; the count follows your choices.")
        return self.describe(audience(segment))

    def get_urls(self):
        return [
            path("count/", self.admin_site.admin_view(self.count_view), name="campaigns_segment_count"),
            *super().get_urls(),
        ]

    def count_view(self, request):
        """The live count while the coordinator ticks boxes: the form's choices, nothing saved."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = SegmentForm(request.POST)
        form.is_valid()  # a half-filled form still counts on what is valid
        data = form.cleaned_data
        members = members_matching(
            statuses=data.get("statuses") or [],
            locality_ids=[locality.pk for locality in data.get("localities") or []],
            interest_ids=[interest.pk for interest in data.get("interests") or []],
            member_since_from=data.get("member_since_from"),
            member_since_to=data.get("member_since_to"),
            received_id=data["received"].pk if data.get("received") else None,
            not_received_id=data["not_received"].pk if data.get("not_received") else None,
            completed_training_id=data["completed_training"].pk if data.get("completed_training") else None,
        )
        return JsonResponse({"text": self.describe(audience_of(members))})


class CampaignForm(ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "event", "subject", "preheader", "body", "sender_name", "segment"]

    def clean(self):
        cleaned = super().clean()
        unknown = merge_fields_unknown(f"{cleaned.get('subject', '')} {cleaned.get('body', '')}")
        if unknown:
            raise ValidationError(
                _("Unknown merge field: %(fields)s. Use first_name, last_name, full_name or locality.")
                % {"fields": ", ".join(unknown)}
            )
        return cleaned


class TestRecipientsForm(Form):
    """Where "Send a test to me" sends: typed by the coordinator, so a login without an address can test too."""

    MAX = 10

    recipients = CharField(
        label=_("Send a test to"),
        max_length=2000,
        help_text=_("One or more email addresses, separated by commas."),
    )

    def clean_recipients(self) -> list[str]:
        addresses = []
        for part in self.cleaned_data["recipients"].replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                address = normalize_email(part)
            except ValueError as error:
                raise ValidationError(str(error)) from None
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise ValidationError(_("Give at least one email address."))
        if len(addresses) > self.MAX:
            raise ValidationError(_("At most %(max)d addresses at a time.") % {"max": self.MAX})
        return addresses


class ScheduleForm(Form):
    send_at = DateTimeField(
        label=_("Send at (Swedish time)"),
        required=False,
        help_text=_("Empty: send now. Format: 2026-12-01 08:00"),
    )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ["name", "kind", "status_text", "scheduled_at", "segment"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "subject"]
    change_form_template = "admin/campaigns/campaign/change_form.html"

    def get_queryset(self, request):
        return campaigns_with_row_counts(super().get_queryset(request))

    @admin.display(description=_("status"), ordering="status")
    def status_text(self, campaign: Campaign) -> str:
        return campaign_status_text(campaign, sent=campaign.rows_sent, failed=campaign.rows_failed)

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.status != Campaign.Status.DRAFT:
            return ["name", "kind", "event", "subject", "preheader", "body", "sender_name", "segment"]
        return []

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", view(self.progress_view), name="campaigns_campaign_progress"),
            path("<int:pk>/preview/", view(self.preview_view), name="campaigns_campaign_preview"),
            path("<int:pk>/send/", view(self.send_view), name="campaigns_campaign_send"),
            path("<int:pk>/control/", view(self.control_view), name="campaigns_campaign_control"),
            path("<int:pk>/duplicate/", view(self.duplicate_view), name="campaigns_campaign_duplicate"),
            path("markdown/", view(self.markdown_view), name="campaigns_campaign_markdown"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        extra = {}
        if campaign is not None:
            # Names and addresses only for staff who may see the ambassadors and the deliveries themselves.
            may_see_people = request.user.has_perm("network.view_ambassador")
            may_see_deliveries = request.user.has_perm("campaigns.view_delivery")
            progress = campaign_progress(campaign)
            extra = {
                "campaign": campaign,
                "progress": progress,
                "status_text": campaign_status_text(campaign, sent=progress.sent, failed=progress.failed),
                "report": campaign_report(campaign) if campaign.status != Campaign.Status.DRAFT else None,
                # The body as the email shows it, in every state (the live preview needs the editable field).
                "body_preview": mark_safe(markdown_html(campaign.body)),  # noqa: S308 - sanitised by markdown_html
                "may_duplicate": self.has_add_permission(request),
                "may_unschedule": campaign.status in (Campaign.Status.SCHEDULED, Campaign.Status.PAUSED)
                and campaign.started_at is None,
                "failed": campaign_failed_rows(campaign) if may_see_deliveries else [],
                "tracking": settings.EMAIL_TRACKING,
                "recipients": campaign_sample_recipients(campaign) if may_see_people else None,
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _campaign(self, request, pk: int, permission: str = "view") -> Campaign:
        """The campaign, for staff with the model permission the page needs ("view" or "change")."""
        allowed = self.has_view_permission if permission == "view" else self.has_change_permission
        if not allowed(request):
            raise PermissionDenied
        campaign = self.get_object(request, str(pk))
        if campaign is None:
            raise Http404
        return campaign

    def progress_view(self, request, pk: int):
        campaign = self._campaign(request, pk)
        progress = campaign_progress(campaign)
        status = campaign_status_text(campaign, sent=progress.sent, failed=progress.failed)
        return JsonResponse({**vars(progress), "status": status, "percent": progress.percent})

    def preview_view(self, request, pk: int):
        """The message as a chosen recipient would see it (HTML part); its unsubscribe link unsubscribes nobody."""
        campaign = self._campaign(request, pk)
        ambassador = None
        if request.GET.get("ambassador"):
            if not request.user.has_perm("network.view_ambassador"):
                raise PermissionDenied
            ambassador = Ambassador.objects.filter(pk=request.GET["ambassador"]).first()
        html = campaign_preview(campaign=campaign, ambassador=ambassador, viewer_name=request.user.get_full_name())
        response = HttpResponse(html)
        response["Content-Security-Policy"] = "sandbox"
        return response

    def markdown_view(self, request):
        """Live preview while writing: the body's Markdown as the email will show it."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return HttpResponse(markdown_html(request.POST.get("body", "")))

    TEST_RECIPIENTS = "campaigns.test_recipients"  # the session remembers where the last test went

    def send_view(self, request, pk: int):
        campaign = self._campaign(request, pk, "change")
        form = ScheduleForm(None if "test" in request.POST else request.POST or None)
        last = request.session.get(self.TEST_RECIPIENTS) or request.user.email
        test_form = TestRecipientsForm(request.POST if "test" in request.POST else None, initial={"recipients": last})
        checklist = campaign_checklist(campaign)
        if request.method == "POST" and "test" in request.POST:
            if test_form.is_valid():
                addresses = test_form.cleaned_data["recipients"]
                for address in addresses:
                    campaign_send_test(campaign=campaign, to_email=address, to_name=request.user.get_full_name())
                request.session[self.TEST_RECIPIENTS] = ", ".join(addresses)
                self.message_user(request, _("A test was sent to %s.") % ", ".join(addresses))
                return HttpResponseRedirect(request.path)
        elif request.method == "POST" and form.is_valid():
            try:
                campaign_schedule(campaign=campaign, at=form.cleaned_data["send_at"])
            except CampaignError:
                self.message_user(request, _("The campaign cannot be sent: see the checklist."), messages.ERROR)
            else:
                self.message_user(request, _("The campaign is scheduled."))
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        return TemplateResponse(
            request,
            "admin/campaigns/campaign/send.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Send %s") % campaign,
                "campaign": campaign,
                "checklist": checklist,
                "ready": all(ok for _label, ok in checklist),
                "form": form,
                "test_form": test_form,
            },
        )

    def control_view(self, request, pk: int):
        campaign = self._campaign(request, pk, "change")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        name = request.POST.get("action", "")
        if name == "cancel" and request.POST.get("confirm") != "yes":
            return self._confirm_cancel(request, campaign)
        action = {
            "pause": campaign_pause,
            "resume": campaign_resume,
            "cancel": campaign_cancel,
            "unschedule": campaign_unschedule,
        }.get(name)
        if action is None or not action(campaign=campaign):
            self.message_user(request, _("Nothing changed."), messages.WARNING)
        elif name == "unschedule":
            self.message_user(request, _("The campaign is a draft again: edit it and send or schedule it anew."))
        elif name == "cancel":
            self.message_user(request, _("The send is cancelled. Nothing more will be sent."))
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))

    def _confirm_cancel(self, request, campaign: Campaign):
        """Cancelling cannot be undone: a page says what it stops, and a second button does it."""
        return TemplateResponse(
            request,
            "admin/campaigns/campaign/cancel.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Cancel the send of %s?") % campaign,
                "campaign": campaign,
                "progress": campaign_progress(campaign),
            },
        )

    def duplicate_view(self, request, pk: int):
        """A new draft with the same content and audience (any campaign, in any state)."""
        campaign = self._campaign(request, pk)
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        copy = campaign_duplicate(campaign=campaign)
        self.log_addition(request, copy, [{"added": {}}])
        self.message_user(request, _("A copy was made as a new draft: %s.") % copy)
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[copy.pk]))
